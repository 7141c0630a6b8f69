import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWatermark } from '../../../src/detect/store.js';
import { alignDown, startDetectTask } from '../../../src/detect/run.js';
import { stackSettings } from '../../support/stack-env.js';
import { Fixture, HOUR, HUMAN, recordingKey } from './support.js';

const exec = promisify(execFile);

describe('the worker task (DETECT_INTERVAL_SECS)', () => {
  const fx = new Fixture('task');
  beforeAll(async () => {
    await fx.setup();
    await fx.ingest([{ at: alignDown(Date.now(), HOUR) - 2 * HOUR, requester: HUMAN('mallory'), op: 'REST.DELETE.OBJECT', key: recordingKey(9) }]);
  });
  afterAll(async () => {
    await fx.drop();
  });

  it('runs on its interval from the watermark, and stops cleanly', async () => {
    const task = startDetectTask({ ...fx.options({ firstLookbackSecs: 6 * 3600 }), intervalSecs: 1 });
    try {
      await expect.poll(async () => (await readWatermark(fx.client, fx.prefix))?.at, { timeout: 30_000, interval: 250 }).toBe(alignDown(Date.now(), HOUR));
      await expect.poll(async () => (await fx.storedAlerts()).length, { timeout: 10_000, interval: 250 }).toBe(1);
    } finally {
      await task.stop();
    }
  });

  it('a worker with a bad rules file exits 78 before it starts', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rules-')), 'rules.json');
    writeFileSync(file, JSON.stringify({ rules: { 'denied-burst': { threshold: -1 } } }));
    const err = (await exec(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ...stackSettings(),
        INDEX_PREFIX: fx.prefix,
        LOG_LEVEL: 'warn',
        SQS_QUEUE_URL: 'http://127.0.0.1:1/000000000000/none',
        LOG_BUCKETS: 'logs',
        HEALTH_PORT: '0',
        DETECT_INTERVAL_SECS: '60',
        DETECT_RULES_FILE: file,
      },
    }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(78);
    expect(err.stderr).toContain('rules.denied-burst.threshold');
  });
});
