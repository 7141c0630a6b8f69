// The Docker image is never built here (no registry), so this test builds the tree its runtime
// stage would carry: the production build with docker/runtime-exclude.txt applied, then checks that
// what production runs still runs and that what was left out says so instead of crashing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const excludeList = readFileSync(join(root, 'docker/runtime-exclude.txt'), 'utf8')
  .split('\n')
  .map((l) => l.replace(/#.*/, '').trim())
  .filter((l) => l !== '');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

// Inside the checkout, so the built files resolve node_modules as the image's /app does.
mkdirSync(join(root, '.cache'), { recursive: true });
const image = mkdtempSync(join(root, '.cache', 'runtime-image-'));
const existedBefore = new Map<string, boolean>();

function node(args: string[], input?: string) {
  return spawnSync(process.execPath, args, { cwd: image, input: input ?? '', encoding: 'utf8', timeout: 60_000 });
}

beforeAll(() => {
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(image, 'dist')],
    {
      encoding: 'utf8',
    },
  );
  expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  for (const rel of excludeList) {
    existedBefore.set(rel, existsSync(join(image, rel)));
    rmSync(join(image, rel), { recursive: true, force: true });
  }
}, 120_000);

afterAll(() => {
  rmSync(image, { recursive: true, force: true });
});

describe('runtime image contents', () => {
  it('names only paths the build produces, so the list cannot rot into a no-op', () => {
    expect(excludeList).toEqual(expect.arrayContaining(['dist/src/demo', 'dist/src/sim']));
    for (const rel of excludeList) expect(existedBefore.get(rel), rel).toBe(true);
  });

  it('the Dockerfile applies the list and drops the package managers from the runtime stage', () => {
    expect(dockerfile).toContain('COPY docker/runtime-exclude.txt');
    expect(dockerfile).toMatch(/runtime-exclude\.txt \| xargs rm -rf/);
    const runtime = dockerfile.slice(dockerfile.indexOf(' AS runtime'));
    expect(runtime).toMatch(/rm -rf [^\n]*\/usr\/local\/bin\/npm/);
    expect(runtime).toContain('/usr/local/bin/npx');
    expect(runtime).toContain('/usr/local/lib/node_modules');
    expect(runtime).not.toMatch(/COPY[^\n]*\bsrc\b/);
    expect(runtime).toContain('COPY --from=prune /app/dist ./dist');
    expect(runtime).not.toContain('COPY --from=build');
  });

  it('still parses a log line with what is left', () => {
    const line = readFileSync(join(root, 'test/fixtures/samples/s3-access-real.log'), 'utf8').split('\n')[0] ?? '';
    const res = node(['dist/src/cli/main.js', 'parse'], `${line}\n`);
    expect(res.status, res.stderr).toBe(0);
    const event = JSON.parse(res.stdout.trim().split('\n')[0] ?? '{}') as { _id?: string };
    expect(event._id).toMatch(/\S/);
  });

  it('a command left out of the image answers with usage exit 64, not a stack trace', () => {
    const res = node(['dist/src/cli/main.js', 'genesys-sim']);
    expect(res.status).toBe(64);
    expect(res.stderr).toContain('"genesys-sim" is not part of this installation');
    expect(res.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
  });
});
