import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditError } from '../../../src/core/errors.js';
import type { ObjectProcessor, ObjectRef, ObjectResult } from '../../../src/pipeline/types.js';
import { REPLAY_PRINCIPAL } from '../../../src/replay/enqueue.js';
import { runReplay, type ReplayOptions } from '../../../src/replay/run.js';
import { parseNotification } from '../../../src/sources/notification.js';
import { createBucket, putObjects, quietLogger, s3Client, simpleKey } from './support.js';
import { applyStackEnv, stackSettings, uniqueName } from '../../support/stack-env.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';

/**
 * A fake of OUR ObjectProcessor interface: the checkpoint, resume and failure logic is exercised
 * against real S3 listings, without OpenSearch. (The real pipeline is in pipeline.test.ts.)
 */
class FakeProcessor implements ObjectProcessor {
  readonly finished: string[] = [];
  readonly started: string[] = [];
  fail = new Map<string, { code: 'OBJECT_READ_FAILED' | 'SINK_REJECTED'; retryable: boolean; times: number }>();
  onFinish?: (n: number) => void;

  async process(ref: ObjectRef, signal?: AbortSignal): Promise<ObjectResult> {
    this.started.push(ref.key);
    // Out-of-order completion: later objects often finish first.
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new AuditError('SHUTDOWN', 'aborted', { retryable: true }));
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        5 + Math.floor(Math.random() * 40),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const f = this.fail.get(ref.key);
    if (f && f.times > 0) {
      f.times -= 1;
      throw new AuditError(f.code, `fake failure of ${ref.key}`, { retryable: f.retryable });
    }
    this.finished.push(ref.key);
    this.onFinish?.(this.finished.length);
    return {
      ref,
      status: 'done',
      bytes: ref.size ?? 0,
      lines: 3,
      blankLines: 0,
      indexed: 2,
      duplicates: 1,
      quarantined: 0,
      quarantinedByReason: {},
      errorEvents: 0,
      linesByDay: { '2024-01-05': { lines: 3, indexed: 2, duplicates: 1, quarantined: 0 } },
      durationMs: 1,
    };
  }
}

const COUNT = 40;

describe('replay run: checkpoint, resume, failures (moto S3, fake processor)', () => {
  let s3: S3Client;
  const bucket = uniqueName('replay-run');
  const keys = Array.from({ length: COUNT }, (_, i) =>
    simpleKey('logs/', new Date(Date.parse('2024-01-05T00:00:00Z') + i * 600_000).toISOString(), `U${String(i).padStart(3, '0')}`),
  );

  beforeAll(async () => {
    s3 = s3Client();
    await createBucket(s3, bucket);
    await putObjects(
      s3,
      bucket,
      keys.map((key) => ({ key, body: 'a\nb\nc\n' })),
    );
  });
  afterAll(async () => {
    await emptyAndDeleteBucket(s3, bucket);
    s3.destroy();
  });

  const options = (dir: string, over: Partial<ReplayOptions> = {}): ReplayOptions => ({
    params: { bucket, prefix: 'logs/', fromMs: Date.parse('2024-01-05T00:00:00Z'), toMs: Date.parse('2024-01-06T00:00:00Z'), marginSecs: 0, format: 'auto' },
    mode: 'process',
    concurrency: 4,
    maxLinesPerSec: 0,
    enqueuePerSec: 50,
    checkpointUrl: pathToFileURL(join(dir, 'cp.json')).href,
    restart: false,
    maxFailures: 100,
    progressSecs: 60,
    graceMs: 5000,
    ...over,
  });
  const noTty = { isTTY: false, write: () => true };
  const checkpointOf = (dir: string) => {
    const file = readdirSync(dir).find((f) => f.startsWith('cp.') && !f.includes('report'))!;
    return JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      completed: boolean;
      attempt: number;
      watermark: { key: string } | null;
      doneAbove: unknown[];
      failed: { key: string; code: string }[];
    };
  };

  it('processes every object once, out of order, and records a completed checkpoint and a report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-run-'));
    const p = new FakeProcessor();
    const { report, reportLocation } = await runReplay(options(dir), { s3, logger: quietLogger, processor: p, progress: noTty });
    expect(report.outcome).toBe('completed');
    expect([...p.finished].sort()).toEqual(keys);
    expect(report.totals).toMatchObject({ objects: COUNT, lines: 3 * COUNT, indexed: 2 * COUNT, duplicates: COUNT, failed: 0, bytes: 6 * COUNT });
    expect(report.byKeyDay['2024-01-05']?.objects).toBe(COUNT);
    expect(report.reconciled).toBe(true);
    const cp = checkpointOf(dir);
    expect(cp).toMatchObject({ completed: true, attempt: 1, doneAbove: [] });
    expect(cp.watermark?.key).toBe(keys.at(-1));
    expect(reportLocation).toMatch(/cp\.[0-9a-f]{16}\.report\.json$/);

    // A completed run is not resumed: the same parameters replay everything again.
    const again = new FakeProcessor();
    const second = await runReplay(options(dir), { s3, logger: quietLogger, processor: again, progress: noTty });
    expect(second.report).toMatchObject({ outcome: 'completed', attempt: 1 });
    expect(again.finished).toHaveLength(COUNT);
  });

  it('stops on a signal, keeps in-flight work, and resumes without redoing a finished object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-stop-'));
    const stop = new AbortController();
    const first = new FakeProcessor();
    first.onFinish = (n) => n === 10 && stop.abort();
    const r1 = await runReplay(options(dir), { s3, logger: quietLogger, processor: first, progress: noTty, stop: stop.signal });
    expect(r1.report.outcome).toBe('interrupted');
    expect(first.finished.length).toBeGreaterThanOrEqual(10);
    expect(first.finished.length).toBeLessThan(COUNT);
    expect(checkpointOf(dir).completed).toBe(false);

    const second = new FakeProcessor();
    const r2 = await runReplay(options(dir), { s3, logger: quietLogger, processor: second, progress: noTty });
    expect(r2.report).toMatchObject({ outcome: 'completed', attempt: 2 });
    expect(second.finished.filter((k) => first.finished.includes(k))).toEqual([]);
    expect([...first.finished, ...second.finished].sort()).toEqual(keys);
    expect(r2.report.listing.skippedByCheckpoint).toBe(first.finished.length);
    // Totals span both attempts.
    expect(r2.report.totals.objects).toBe(COUNT);
  });

  it('an abort (second signal) abandons in-flight objects; the resume redoes exactly those', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-abort-'));
    const abort = new AbortController();
    const first = new FakeProcessor();
    first.onFinish = (n) => n === 7 && abort.abort();
    const r1 = await runReplay(options(dir, { concurrency: 8 }), { s3, logger: quietLogger, processor: first, progress: noTty, abort: abort.signal });
    expect(r1.report.outcome).toBe('interrupted');
    const abandoned = first.started.filter((k) => !first.finished.includes(k));
    expect(abandoned.length).toBeGreaterThan(0);

    const second = new FakeProcessor();
    await runReplay(options(dir, { concurrency: 8 }), { s3, logger: quietLogger, processor: second, progress: noTty });
    expect(second.finished.filter((k) => first.finished.includes(k))).toEqual([]);
    for (const k of abandoned) expect(second.finished).toContain(k);
    expect([...first.finished, ...second.finished].sort()).toEqual(keys);
  });

  it('retries retryable failures, reports the rest with their code, and a rerun retries only those', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-fail-'));
    const first = new FakeProcessor();
    first.fail.set(keys[3]!, { code: 'SINK_REJECTED', retryable: false, times: 1 });
    first.fail.set(keys[20]!, { code: 'OBJECT_READ_FAILED', retryable: true, times: 1 });
    const r1 = await runReplay(options(dir), { s3, logger: quietLogger, processor: first, progress: noTty });
    expect(r1.report.outcome).toBe('failed');
    expect(r1.report.failedObjects).toEqual([expect.objectContaining({ key: keys[3], code: 'SINK_REJECTED', attempts: 1 })]);
    expect(r1.report.totals).toMatchObject({ objects: COUNT - 1, failed: 1 });
    expect(first.finished).toContain(keys[20]);
    const cp = checkpointOf(dir);
    expect(cp.completed).toBe(false);
    expect(cp.watermark?.key).toBe(keys.at(-1));

    const second = new FakeProcessor();
    const r2 = await runReplay(options(dir), { s3, logger: quietLogger, processor: second, progress: noTty });
    expect(second.finished).toEqual([keys[3]]);
    expect(r2.report).toMatchObject({ outcome: 'completed', attempt: 2, failedObjects: [] });
    expect(r2.report.totals).toMatchObject({ objects: COUNT, failed: 0 });
  });

  it('stops after --max-failures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-maxfail-'));
    const p = new FakeProcessor();
    for (const k of keys) p.fail.set(k, { code: 'SINK_REJECTED', retryable: false, times: 1 });
    const r = await runReplay(options(dir, { maxFailures: 5, concurrency: 2 }), { s3, logger: quietLogger, processor: p, progress: noTty });
    expect(r.report.outcome).toBe('too_many_failures');
    expect(r.report.totals.failed).toBeGreaterThanOrEqual(5);
    expect(p.started.length).toBeLessThan(COUNT);
  });

  it('different parameters never share a checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-keyed-'));
    const stop = new AbortController();
    const p = new FakeProcessor();
    p.onFinish = (n) => n === 5 && stop.abort();
    await runReplay(options(dir), { s3, logger: quietLogger, processor: p, progress: noTty, stop: stop.signal });
    const other = new FakeProcessor();
    const r = await runReplay(options(dir, { params: { ...options(dir).params, marginSecs: 60 } }), {
      s3,
      logger: quietLogger,
      processor: other,
      progress: noTty,
    });
    expect(r.report.attempt).toBe(1);
    expect(other.finished).toHaveLength(COUNT);
    expect(readdirSync(dir).filter((f) => !f.includes('report'))).toHaveLength(2);
  });

  it('keeps the checkpoint and the report in S3 with an s3:// location', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-s3cp-'));
    const p = new FakeProcessor();
    const r = await runReplay(options(dir, { checkpointUrl: `s3://${bucket}/replay-state/cp.json` }), {
      s3,
      logger: quietLogger,
      processor: p,
      progress: noTty,
    });
    expect(r.checkpointLocation).toMatch(new RegExp(`^s3://${bucket}/replay-state/cp\\.[0-9a-f]{16}\\.json$`));
    expect(r.reportLocation).toMatch(/report\.json$/);
    // The state objects sit outside the log prefix: they are never listed as log objects.
    expect(r.report.totals.objects).toBe(COUNT);
  });

  it('a dry run counts objects and bytes per day and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-dry-'));
    const r = await runReplay(options(dir, { mode: 'dry-run' }), { s3, logger: quietLogger, progress: noTty });
    expect(r.report).toMatchObject({ mode: 'dry-run', outcome: 'completed', checkpoint: null });
    expect(r.report.totals).toMatchObject({ objects: COUNT, bytes: 6 * COUNT });
    expect(Object.keys(r.report.byKeyDay)).toEqual(['2024-01-05']);
    expect(r.report.byKeyDay['2024-01-05']).toMatchObject({ objects: COUNT, bytes: 6 * COUNT });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('replay --enqueue (moto S3 + SQS)', () => {
  let s3: S3Client;
  let sqs: SQSClient;
  let queueUrl: string;
  const bucket = uniqueName('replay-enq');
  // A prefix with characters S3 encodes in notifications.
  const prefix = 'access logs+x=1/';
  const keys = Array.from({ length: 23 }, (_, i) => simpleKey(prefix, new Date(Date.parse('2024-01-05T00:00:00Z') + i * 60_000).toISOString(), `E${i}`));

  beforeAll(async () => {
    applyStackEnv();
    s3 = s3Client();
    sqs = new SQSClient({});
    await createBucket(s3, bucket);
    await putObjects(
      s3,
      bucket,
      keys.map((key) => ({ key, body: 'line\n' })),
    );
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('replay-enq') }))).QueueUrl!;
  });
  afterAll(async () => {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    await emptyAndDeleteBucket(s3, bucket);
    s3.destroy();
    sqs.destroy();
  });

  it('sends one direct ObjectCreated:Put notification per object that the worker parser reads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-enq-'));
    const r = await runReplay(
      {
        params: { bucket, prefix, fromMs: Date.parse('2024-01-05T00:00:00Z'), toMs: Date.parse('2024-01-06T00:00:00Z'), marginSecs: 0, format: 'simple' },
        mode: 'enqueue',
        concurrency: 2,
        maxLinesPerSec: 0,
        enqueuePerSec: 100,
        checkpointUrl: pathToFileURL(join(dir, 'cp.json')).href,
        restart: false,
        maxFailures: 10,
        progressSecs: 60,
        graceMs: 1000,
        queueUrl,
        region: 'us-east-1',
      },
      { s3, sqs, logger: quietLogger, progress: { isTTY: false, write: () => true } },
    );
    expect(r.report).toMatchObject({ mode: 'enqueue', outcome: 'completed' });
    expect(r.report.totals.objects).toBe(keys.length);

    const received: string[] = [];
    for (let i = 0; i < 20 && received.length < keys.length; i += 1) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      for (const m of out.Messages ?? []) {
        const body = JSON.parse(m.Body!) as { Records: { eventSource: string; userIdentity: { principalId: string } }[] };
        expect(body.Records[0]).toMatchObject({ eventSource: 'aws:s3', userIdentity: { principalId: REPLAY_PRINCIPAL } });
        const parsed = parseNotification(m.Body!);
        if (!parsed.ok) throw new Error(parsed.detail);
        for (const rec of parsed.records) {
          expect(rec).toMatchObject({ kind: 'object_created', bucket, eventName: 'ObjectCreated:Put', size: 5 });
          if (rec.kind === 'object_created') received.push(rec.key);
        }
      }
    }
    expect(received.sort()).toEqual([...keys].sort());
  });

  it('SIGTERM stops the command with 143; the rerun enqueues only the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-enq-term-'));
    // A queue of its own: the previous test's messages are only invisible, not deleted.
    const termQueue = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('replay-enq-term') }))).QueueUrl!;
    try {
      const args = [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'replay',
        '--bucket',
        bucket,
        '--prefix',
        prefix,
        '--from',
        '2024-01-05',
        '--to',
        '2024-01-06',
        '--margin-secs',
        '0',
        '--enqueue',
        '--enqueue-per-sec',
        '4',
        '--concurrency',
        '1',
        '--checkpoint',
        pathToFileURL(join(dir, 'cp.json')).href,
      ];
      const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...stackSettings(), SQS_QUEUE_URL: termQueue, LOG_LEVEL: 'warn' };
      const run = (): { child: ReturnType<typeof spawn>; exit: Promise<number | null> } => {
        const child = spawn(process.execPath, args, { cwd: process.cwd(), env, stdio: 'ignore' });
        return { child, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
      };
      const first = run();
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const file = readdirSync(dir).find((f) => /^cp\.[0-9a-f]{16}\.json$/.test(f));
        if (file && (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { report: { totals: { objects: number } } }).report.totals.objects >= 10) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      first.child.kill('SIGTERM');
      expect(await first.exit).toBe(143);
      expect(await run().exit).toBe(0);
      const reportFile = readdirSync(dir).find((f) => f.endsWith('.report.json'))!;
      const report = JSON.parse(readFileSync(join(dir, reportFile), 'utf8')) as { outcome: string; attempt: number; totals: { objects: number } };
      expect(report).toMatchObject({ outcome: 'completed', attempt: 2, totals: { objects: keys.length } });

      // Each object was announced once by the two runs together.
      const seen = new Map<string, number>();
      for (let i = 0; i < 30; i += 1) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: termQueue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        const msgs = out.Messages ?? [];
        if (msgs.length === 0 && [...seen.values()].reduce((a, b) => a + b, 0) >= keys.length) break;
        for (const m of msgs) {
          const parsed = parseNotification(m.Body!);
          if (parsed.ok) for (const rec of parsed.records) if (rec.kind === 'object_created') seen.set(rec.key, (seen.get(rec.key) ?? 0) + 1);
        }
      }
      expect([...seen.keys()].sort()).toEqual([...keys].sort());
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: termQueue }));
    }
  });
});
