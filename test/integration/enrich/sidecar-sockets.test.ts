import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { createEnricher } from '../../../src/enrich/enricher.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { generateDataset, recordingIdOnlyKey } from '../../../src/sim/genesys/dataset.js';
import { accessEventForKey } from '../../../src/sim/genesys/events.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { awsClientConfig, uniqueName } from '../../support/stack-env.js';
import { logger } from './support.js';

const dataset = generateDataset({ seed: 7, users: 5, conversations: 12, recordings: 12 });
const bucket = uniqueName('t-enr-sockets');
/** Just over the 1 MiB a sidecar may have. */
const OVERSIZED = Buffer.alloc(1024 * 1024 + 1, 0x20);
const oversized = dataset.recordings.slice(0, 8);
const unparseable = dataset.recordings.slice(8, 10);
const small = dataset.recordings[10]!;

describe('sidecar bodies that are not read as sidecars are drained or destroyed (moto S3)', () => {
  const connection = awsClientConfig();
  const admin = new S3Client(connection);
  // Two sockets: two bodies left unread would take the whole pool.
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const s3 = new S3Client({ ...connection, maxAttempts: 1, requestHandler: { httpAgent: agent, connectionTimeout: 2_000 } });

  beforeAll(async () => {
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const rec of oversized) await admin.send(new PutObjectCommand({ Bucket: bucket, Key: `${recordingIdOnlyKey(rec)}_metadata.json`, Body: OVERSIZED }));
    for (const rec of unparseable)
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: `${recordingIdOnlyKey(rec)}_metadata.json`, Body: '{"conversationId": ' }));
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'small.json', Body: '{}' }));
  });
  afterAll(async () => {
    await emptyAndDeleteBucket(admin, bucket);
    admin.destroy();
    s3.destroy();
    agent.destroy();
  });

  it('many oversized and unparseable sidecars through two sockets neither hang nor hold the pool', async () => {
    const cfg = loadConfigOrThrow({ env: { RECORDINGS_BUCKET: bucket, GENESYS_WAIT_BUDGET_MS: '5000' } });
    const enricher = createEnricher(cfg, { logger, metrics: createMetrics({ defaultMetrics: false }), s3 });
    const events = [...oversized, ...unparseable, small].map((r, i) => accessEventForKey(recordingIdOnlyKey(r), { bucket, seq: i }));
    const started = Date.now();
    await enricher.enrich(events);
    // Each one was read (or refused) and let go: nothing waited for a socket until the budget ran out.
    for (const e of events) expect(e.enrichment).toMatchObject({ status: 'partial', reason: 'keys_only' });
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(enricher.sidecars!.requestCount).toBe(events.length);
    // And the pool is free for the next read.
    const next = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'small.json' }), { abortSignal: AbortSignal.timeout(3_000) });
    expect(await next.Body?.transformToString()).toBe('{}');
    await enricher.close();
  });
});
