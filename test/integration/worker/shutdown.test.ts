import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { putLogObject, type LogPipelineResources } from '../../../src/sim/s3-logs/log-pipeline.js';
import { logObjectKey } from '../../../src/sim/s3-logs/scenario.js';
import { corpusLines } from '../../bench/e2e-corpus.js';
import {
  allDocuments,
  countDocuments,
  queueDepth,
  setupIndices,
  spawnWorker,
  startWorker,
  waitForEmptyQueue,
  workerEnv,
} from '../../support/worker-harness.js';
import { sha256, useWorkerStack } from './support.js';

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // A monthly index being created answers searches with a shard failure for a moment.
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; at: number }> {
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
}

describe('graceful shutdown of the real worker process', () => {
  const { s3, sqs, os, indexPrefix, logPipeline } = useWorkerStack();

  async function largeObject(seed: number, lines: number): Promise<{ res: LogPipelineResources; expected: Set<string> }> {
    const res = await logPipeline({ maxReceiveCount: 100, visibilityTimeoutSecs: 10 });
    const all = [...corpusLines(lines, seed)];
    await putLogObject(s3, res.logBucket, logObjectKey(res.logPrefix, new Date(Date.UTC(2024, 6, 1)), `BIG${seed}`), `${all.join('\n')}\n`);
    return { res, expected: new Set(all.map(sha256)) };
  }

  it('SIGTERM mid-object with a short grace: exits 0 within the grace period, deletes nothing unfinished, and a restart completes exactly', async () => {
    // Large enough that the worker cannot finish it within the grace period on a fast, idle machine
    // (30,000 lines once did, between the count check below and the signal).
    const { res, expected } = await largeObject(31, 120_000);
    const prefix = indexPrefix('t-term');
    const env = workerEnv({
      SQS_QUEUE_URL: res.queueUrl,
      LOG_BUCKETS: res.logBucket,
      INDEX_PREFIX: prefix,
      SHUTDOWN_GRACE_SECS: '1',
      SQS_VISIBILITY_TIMEOUT_SECS: '10',
      SQS_HEARTBEAT_INTERVAL_SECS: '3',
      LOG_LEVEL: 'info',
    });
    await setupIndices(env);
    const child = spawnWorker(env);
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    const exit = exitOf(child);
    // Mid-object: some documents are in, far from all.
    await waitFor(async () => (await countDocuments(os, `${prefix}-*`)) > 1000, 60_000);
    const signalled = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await exit;
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(1000 + 4000);
    expect(out).toContain('Stopping: no new messages');
    const partial = await countDocuments(os, `${prefix}-*`);
    expect(partial).toBeLessThan(expected.size);
    // The message was not deleted: it reappears and a new worker finishes the object.
    await waitFor(async () => {
      const d = await queueDepth(sqs, res.queueUrl);
      return d.visible + d.inFlight === 1;
    }, 30_000);
    const finisher = await startWorker(env);
    try {
      await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 300_000, quietMs: 2000 });
    } finally {
      await finisher.stop();
    }
    const docs = await allDocuments(os, `${prefix}-*`);
    const hashes = [...docs.values()].map((d) => (d.event as { hash: string }).hash);
    expect(hashes.length).toBe(expected.size);
    expect(new Set(hashes)).toEqual(expected);
  }, 300_000);

  it('SIGTERM: objects still waiting for a slot are not started; their messages go back at once', async () => {
    // Large enough that the first object is usually still under way when the signal comes.
    const LINES = 15_000;
    const res = await logPipeline({ maxReceiveCount: 100, visibilityTimeoutSecs: 10 });
    const objects = [41, 42, 43, 44].map((seed) => [...corpusLines(LINES, seed)]);
    for (const [i, lines] of objects.entries()) {
      await putLogObject(s3, res.logBucket, logObjectKey(res.logPrefix, new Date(Date.UTC(2024, 6, 1)), `Q${i}`), `${lines.join('\n')}\n`);
    }
    const prefix = indexPrefix('t-term3');
    // One object at a time: the other three wait in the worker for a slot.
    const env = workerEnv({
      SQS_QUEUE_URL: res.queueUrl,
      LOG_BUCKETS: res.logBucket,
      INDEX_PREFIX: prefix,
      OBJECT_CONCURRENCY: '1',
      SHUTDOWN_GRACE_SECS: '120',
      SQS_VISIBILITY_TIMEOUT_SECS: '10',
      SQS_HEARTBEAT_INTERVAL_SECS: '3',
    });
    await waitFor(async () => (await queueDepth(sqs, res.queueUrl)).visible >= 4, 30_000);
    await setupIndices(env);
    const child = spawnWorker(env);
    const exit = exitOf(child);
    await waitFor(async () => (await queueDepth(sqs, res.queueUrl)).inFlight >= 4 && (await countDocuments(os, `${prefix}-*`)) > 100, 60_000);
    child.kill('SIGTERM');
    const { code } = await exit;
    expect(code).toBe(0);
    // The object under way was finished; nothing of the ones waiting for a slot was read. Usually
    // that is one finished and three untouched; a worker fast enough to have begun a second object
    // before the signal finishes that one too. Never an object in part.
    const stored = new Set([...(await allDocuments(os, `${prefix}-*`)).values()].map((d) => (d.event as { hash: string }).hash));
    const finished = objects.filter((lines) => lines.every((l) => stored.has(sha256(l))));
    const untouched = objects.filter((lines) => lines.every((l) => !stored.has(sha256(l))));
    expect(finished.length + untouched.length).toBe(objects.length);
    expect(finished.length).toBeGreaterThanOrEqual(1);
    expect(untouched.length).toBeGreaterThanOrEqual(2);
    expect(stored.size).toBe(LINES * finished.length);
    // Released, not left invisible for a backoff: visible again right away.
    const depth = await queueDepth(sqs, res.queueUrl);
    expect(depth).toMatchObject({ visible: untouched.length, inFlight: 0 });
  }, 300_000);

  it('SIGTERM with enough grace: the in-flight object finishes, its message is deleted, exit 0', async () => {
    const { res, expected } = await largeObject(32, 15_000);
    const prefix = indexPrefix('t-term2');
    const env = workerEnv({
      SQS_QUEUE_URL: res.queueUrl,
      LOG_BUCKETS: res.logBucket,
      INDEX_PREFIX: prefix,
      SHUTDOWN_GRACE_SECS: '120',
      SQS_VISIBILITY_TIMEOUT_SECS: '10',
      SQS_HEARTBEAT_INTERVAL_SECS: '3',
    });
    await setupIndices(env);
    const child = spawnWorker(env);
    const exit = exitOf(child);
    await waitFor(async () => (await countDocuments(os, `${prefix}-*`)) > 100, 60_000);
    child.kill('SIGTERM');
    const { code } = await exit;
    expect(code).toBe(0);
    expect(await countDocuments(os, `${prefix}-*`)).toBe(expected.size);
    const depth = await queueDepth(sqs, res.queueUrl);
    expect(depth.visible + depth.inFlight).toBe(0);
  }, 300_000);
});
