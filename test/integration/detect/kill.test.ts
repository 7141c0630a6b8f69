import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsIndex, stateIndex } from '../../../src/detect/alert.js';
import { readWatermark } from '../../../src/detect/store.js';
import { alignDown, runDetect } from '../../../src/detect/run.js';
import { stackSettings } from '../../support/stack-env.js';
import { Fixture, HOUR, HUMAN, recordingKey, type Access } from './support.js';

/**
 * `recording-audit detect` killed with SIGKILL at a random point, then run again: the second run
 * finishes what the first left, and the alerts are exactly the ones a clean run finds, once each.
 */
describe('detect killed with SIGKILL', () => {
  const fx = new Fixture('kill');
  const env = (): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ...stackSettings(),
    INDEX_PREFIX: fx.prefix,
    LOG_LEVEL: 'warn',
    DETECT_WINDOW_SECS: '3600',
    DETECT_LAG_SECS: '0',
    DETECT_FIRST_LOOKBACK_SECS: String(12 * 3600),
  });
  const start = (): ReturnType<typeof spawn> =>
    spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'detect', '--format', 'ndjson'], { env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
  const finish = (child: ReturnType<typeof spawn>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> =>
    new Promise((resolve) => {
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
    });

  beforeAll(async () => {
    await fx.setup();
    const hour = alignDown(Date.now(), HOUR);
    // Hours 2..10 before the current one: inside the first run's 12 hours even if an hour turns
    // during the test. Deletions, reads by new people and a bulk reader give every window work.
    const accesses: Access[] = [];
    for (let k = 2; k <= 10; k++) {
      const t = hour - k * HOUR + 15 * 60_000;
      accesses.push({ at: t, requester: HUMAN('mallory'), op: 'REST.DELETE.OBJECT', key: recordingKey(k) });
      accesses.push({ at: t + 60_000, requester: HUMAN(`newcomer${k}`), key: recordingKey(k) });
      for (let i = 0; i < 55; i++) accesses.push({ at: t + i * 1000, requester: HUMAN('bulk'), key: recordingKey(100 * k + i) });
    }
    await fx.ingest(accesses);
  });
  afterAll(async () => {
    await fx.drop();
  });

  it('the run after a kill completes every window exactly once', async () => {
    // A clean run, uninterrupted, gives the expected alerts and how long a run takes.
    const t0 = Date.now();
    const clean = await finish(start());
    const cleanMs = Date.now() - t0;
    expect(clean.code, clean.stderr).toBe(0);
    const expected = (await fx.storedAlerts()).map((a) => a.id).sort();
    expect(expected.length).toBeGreaterThanOrEqual(9 * 3);

    for (let round = 0; round < 4; round++) {
      await fx.client.indices.delete({ index: [alertsIndex(fx.prefix), stateIndex(fx.prefix)], ignore_unavailable: true });
      const child = start();
      const exited = finish(child);
      await new Promise((r) => setTimeout(r, randomInt(200, Math.max(400, cleanMs))));
      child.kill('SIGKILL');
      await exited;
      const hourBefore = alignDown(Date.now(), HOUR);
      const rerun = await finish(start());
      const hourAfter = alignDown(Date.now(), HOUR);
      expect(rerun.code, rerun.stderr).toBe(0);
      const ids = (await fx.storedAlerts()).map((a) => a.id).sort();
      // Every alert once (ids are unique in an index; the count shows none is missing).
      expect(ids).toEqual(expected);
      const mark = await readWatermark(fx.client, fx.prefix);
      // At the last closed window when the rerun started (or, had an hour turned meanwhile, after it).
      expect([hourBefore, hourAfter]).toContain(mark?.at);
    }
    // Nothing is left for another run.
    const after = await runDetect(fx.options({ lagSecs: 0 }));
    expect(after.created).toBe(0);
  });
});
