// The README's first command. It broke once without any test noticing: a new admission rule sent
// every demo record to quarantine. This runs it as a user does, on the stack the suite already has.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run demo', () => {
  it('indexes every record of its day, quarantines none, and prints the summary', async () => {
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, LOG_LEVEL: 'error' },
      });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(out.code).toBe(0);
    const done = /Worker done in [\d.]+ s: (\{.*\})/.exec(out.stdout);
    expect(done, out.stdout).not.toBeNull();
    const totals = JSON.parse(done![1]!) as { lines: number; indexed: number; quarantined: number; deleted: number; messages: number };
    expect(totals.lines).toBeGreaterThan(1000);
    expect(totals).toMatchObject({ indexed: totals.lines, quarantined: 0, deleted: totals.messages });
    expect(out.stdout).toContain(`== ${totals.lines} access events in index alias "recording-access-demo" from this run`);
    expect(out.stdout).toMatch(/Enrichment: resolved \d+/);
    expect(out.stdout).toMatch(/Denied or failed requests \([1-9]\d*\):/);
  }, 180_000);
});
