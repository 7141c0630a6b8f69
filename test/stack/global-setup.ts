// vitest globalSetup of the integration project: make sure the local stack answers before any
// integration file runs. A stack that was already up (started by a developer, by .ci/run or by
// another helper) is left alone; only what this setup started is stopped again at teardown.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyStackEnv, stackEnvPath } from '../support/stack-env.js';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, 'stack.sh');
const startedFile = join(here, '..', '..', '.stack', 'last-up-started');

function stack(args: string[], quiet: boolean): number {
  const res = spawnSync('bash', [script, ...args], {
    stdio: ['ignore', quiet ? 'ignore' : 'inherit', quiet ? 'ignore' : 'inherit'],
  });
  if (res.error) throw res.error;
  return res.status ?? 1;
}

export default function setup(): () => void {
  if (stack(['status'], true) === 0 && existsSync(stackEnvPath)) {
    applyStackEnv();
    return () => undefined;
  }
  console.log('[global-setup] local stack is not up; running test/stack/stack.sh up');
  const code = stack(['up'], false);
  if (code !== 0) {
    throw new Error(`test/stack/stack.sh up failed (exit ${code}); its output above says why`);
  }
  const started = readFileSync(startedFile, 'utf8')
    .trim()
    .split(/\s+/)
    .filter((c) => c !== '');
  applyStackEnv();
  return () => {
    if (started.length === 0) return;
    console.log(`[global-setup] stopping what it started: ${started.join(' ')}`);
    stack(['down', ...started], false);
  };
}
