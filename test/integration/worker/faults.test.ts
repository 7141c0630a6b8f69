import type { ChildProcess } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { putLogObject, type LogPipelineResources } from '../../../src/sim/s3-logs/log-pipeline.js';
import { accessDay, logObjectKey, type ExportedRecording } from '../../../src/sim/s3-logs/scenario.js';
import { seededRandom } from '../../../src/sim/s3-logs/access-log-writer.js';
import { stackEnv } from '../../support/stack-env.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import {
  allDocuments,
  countDocuments,
  openSearch,
  queueDepth,
  setupIndices,
  spawnWorker,
  startWorker,
  waitForEmptyQueue,
  workerEnv,
} from '../../support/worker-harness.js';
import { sha256, useWorkerStack } from './support.js';

function recordings(n: number, seed: number, day: Date): ExportedRecording[] {
  return Array.from({ length: n }, (_, i) => ({
    orgId: '5d1e2f30-4a5b-4c6d-8e7f-901a2b3c4d5e',
    conversationId: `c0ffee00-${String(seed).padStart(4, '0')}-4000-8000-${String(i).padStart(12, '0')}`,
    recordingId: `feed0000-${String(seed).padStart(4, '0')}-4000-8000-${String(i).padStart(12, '0')}`,
    start: new Date(day.getTime() + i * 60_000),
  }));
}

/** Writes `objects` log objects; returns the sha256 of every line written. */
async function writeLogObjects(s3: S3Client, res: LogPipelineResources, seed: number, recordingsPerDay: number): Promise<Set<string>> {
  const hashes = new Set<string>();
  const day = new Date(Date.UTC(2025, 0, 1 + (seed % 28)));
  const { objects } = accessDay({
    recordingsBucket: res.recordingsBucket,
    bucketOwner: 'c'.repeat(64),
    accountId: '123456789012',
    recordings: recordings(recordingsPerDay, seed, day),
    day,
    seed,
  });
  let i = 0;
  for (const o of objects) {
    for (const l of o.lines) hashes.add(sha256(l));
    const body = `${o.lines.join('\n')}\n`;
    await putLogObject(s3, res.logBucket, logObjectKey(res.logPrefix, o.deliveredAt, `S${seed}N${i}`), i % 3 === 0 ? gzipSync(body) : body);
    i += 1;
  }
  return hashes;
}

async function expectExactly(prefix: string, expected: Set<string>): Promise<void> {
  const os = openSearch();
  const docs = await allDocuments(os, `${prefix}-*`);
  await os.close();
  const hashes = [...docs.values()].map((d) => (d.event as { hash: string }).hash);
  // No loss: every written line is there. No duplicate: as many documents as distinct lines.
  expect(new Set(hashes)).toEqual(expected);
  expect(hashes.length).toBe(expected.size);
}

describe('worker under faults', () => {
  const { s3, sqs, os, indexPrefix, logPipeline } = useWorkerStack();
  const pipeline = (): Promise<LogPipelineResources> => logPipeline({ maxReceiveCount: 1000, visibilityTimeoutSecs: 5 });

  it('deletes no message while OpenSearch is down, and indexes everything once it is back', async () => {
    const res = await pipeline();
    const prefix = indexPrefix('t-down');
    const target = new URL(stackEnv().opensearchUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.up();
    const worker = await startWorker(
      workerEnv({
        SQS_QUEUE_URL: res.queueUrl,
        LOG_BUCKETS: res.logBucket,
        INDEX_PREFIX: prefix,
        OPENSEARCH_URL: proxy.url,
        SQS_VISIBILITY_TIMEOUT_SECS: '6',
        SQS_HEARTBEAT_INTERVAL_SECS: '2',
        BULK_RETRY_BASE_MS: '50',
        BULK_RETRY_MAX_MS: '500',
        BULK_RETRY_MAX_ATTEMPTS: '4',
        OPENSEARCH_REQUEST_TIMEOUT_MS: '2000',
      }),
    );
    try {
      const expected = await writeLogObjects(s3, res, 1, 15);
      await proxy.down();
      // Objects fully accounted for just before the cut may still be deleted; give them a moment.
      await new Promise((r) => setTimeout(r, 1500));
      const deletedWhenDown = await worker.metrics.messagesDeleted.get();
      await new Promise((r) => setTimeout(r, 6000));
      const deletedAfter = await worker.metrics.messagesDeleted.get();
      expect(deletedAfter.values[0]?.value ?? 0).toBe(deletedWhenDown.values[0]?.value ?? 0);
      const depth = await queueDepth(sqs, res.queueUrl);
      expect(depth.visible + depth.inFlight).toBeGreaterThan(0);
      await proxy.up();
      await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 120_000, quietMs: 3000 });
      await expectExactly(prefix, expected);
    } finally {
      await worker.stop();
      await proxy.down();
    }
  });

  it('loses and duplicates nothing when the worker is killed with SIGKILL at seeded random points (5 rounds)', async () => {
    const res = await pipeline();
    const prefix = indexPrefix('t-kill');
    const expected = new Set<string>();
    for (const seed of [11, 12, 13]) for (const h of await writeLogObjects(s3, res, seed, 60)) expected.add(h);
    const env = workerEnv({
      SQS_QUEUE_URL: res.queueUrl,
      LOG_BUCKETS: res.logBucket,
      INDEX_PREFIX: prefix,
      SQS_VISIBILITY_TIMEOUT_SECS: '5',
      SQS_HEARTBEAT_INTERVAL_SECS: '2',
      OBJECT_CONCURRENCY: '2',
      BULK_MAX_DOCS: '300',
    });
    await setupIndices(env);
    const rand = seededRandom(20241126);
    const indexedAfterRound: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      const child: ChildProcess = spawnWorker(env);
      let output = '';
      child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
      child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
      // Kill somewhere between start-up and well into processing.
      await new Promise((r) => setTimeout(r, 2500 + Math.floor(rand() * 3500)));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      expect(output).not.toMatch(/"level":"(fatal)"/);
      indexedAfterRound.push(await countDocuments(os, `${prefix}-*`));
    }
    // A last, uninterrupted worker finishes what the killed ones left.
    const finisher = await startWorker(env);
    try {
      await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 180_000, quietMs: 7000 });
    } finally {
      await finisher.stop();
    }
    await expectExactly(prefix, expected);
    expect(indexedAfterRound.length).toBe(5);
  });
});
