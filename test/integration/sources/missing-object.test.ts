import { CreateBucketCommand, DeleteBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { createLogger } from '../../../src/core/log.js';
import type { Enricher } from '../../../src/enrich/enricher.js';
import { createMetrics, type Metrics } from '../../../src/core/metrics.js';
import { StreamingObjectProcessor } from '../../../src/pipeline/object.js';
import { BulkIndexer } from '../../../src/sinks/opensearch/bulk.js';
import { bulkOptionsFrom } from '../../../src/sinks/opensearch/bulk-contract.js';
import { createOpenSearchClient } from '../../../src/sinks/opensearch/client.js';
import type { QuarantineStore } from '../../../src/sinks/quarantine/record.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { newS3 } from './aws.js';

const bucket = uniqueName('t-src-missing');
let s3: S3Client;

beforeAll(async () => {
  s3 = newS3();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  s3.destroy();
});

// A missing object is settled before any line reaches the sink, enricher or quarantine; touching
// one of them is a failure.
const unreachable = new Proxy(
  {},
  {
    get: () => {
      throw new Error('not reached for a missing object');
    },
  },
);
const logger = createLogger('silent');
const sinks: BulkIndexer[] = [];
afterAll(async () => {
  for (const sink of sinks) await sink.close();
});

function processor(env: Record<string, string>): { p: StreamingObjectProcessor; metrics: Metrics } {
  const metrics = createMetrics({ defaultMetrics: false });
  const cfg = loadConfigOrThrow({ env: { OPENSEARCH_URL: stackEnv().opensearchUrl, ...env } });
  const quarantine = unreachable as QuarantineStore;
  // Never sends anything here: no line is read.
  const sink = new BulkIndexer(createOpenSearchClient(cfg), bulkOptionsFrom(cfg), { logger, metrics, quarantine });
  sinks.push(sink);
  const p = new StreamingObjectProcessor(cfg, { s3, sink, enricher: unreachable as Enricher, quarantine, logger, metrics });
  return { p, metrics };
}

async function missingCount(metrics: Metrics): Promise<Record<string, number>> {
  return Object.fromEntries((await metrics.missingLogObjects.get()).values.map((v) => [String(v.labels.policy), v.value]));
}

describe('a log object deleted before it is read (moto S3)', () => {
  it('by default leaves the notification for redelivery and the DLQ, and counts it for alerting', async () => {
    const { p, metrics } = processor({});
    await expect(p.process({ bucket, key: 'gone/2024-06-01-12-00-00-ABCDEF' })).rejects.toMatchObject({
      code: 'OBJECT_MISSING',
      retryable: true,
      details: { reason: 'not_found' },
    });
    expect(await missingCount(metrics)).toEqual({ retry: 1 });
  });

  it('with MISSING_OBJECT_POLICY=skip acknowledges it, and still counts it', async () => {
    const { p, metrics } = processor({ MISSING_OBJECT_POLICY: 'skip' });
    await expect(p.process({ bucket, key: 'gone/2024-06-01-12-00-00-ABCDEF' })).resolves.toMatchObject({ status: 'missing', lines: 0 });
    expect(await missingCount(metrics)).toEqual({ skip: 1 });
  });
});
