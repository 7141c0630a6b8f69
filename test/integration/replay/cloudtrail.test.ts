import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { cloudTrailDocumentId } from '../../../src/event/cloudtrail-build.js';
import { createRuntime, type Runtime } from '../../../src/pipeline/runtime.js';
import { runReplay, type ReplayOptions } from '../../../src/replay/run.js';
import { corpusLines } from '../../bench/e2e-corpus.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { cloudTrailKey, cloudTrailRecord } from '../../support/cloudtrail-files.js';
import { stackSettings, uniqueName } from '../../support/stack-env.js';
import { allDocuments, deleteIndices, openSearch, setupIndices } from '../../support/worker-harness.js';
import { createBucket, putObjects, quietLogger, s3Client, simpleKey } from './support.js';

const FROM = '2024-01-05T00:00:00Z';
const TO = '2024-01-06T00:00:00Z';
const AUDITED = 'example-health-recordings';

describe('replay: one command backfills access logs and CloudTrail files', () => {
  let s3: S3Client;
  let runtime: Runtime | undefined;
  const os = openSearch();
  const bucket = uniqueName('replay-ct-e2e');
  const prefix = uniqueName('t-replay-ct');
  const kept: Record<string, unknown>[] = [];

  beforeAll(async () => {
    s3 = s3Client();
    await createBucket(s3, bucket);
    const lines = [...corpusLines(20, 99)];
    await putObjects(s3, bucket, [
      { key: simpleKey('logs/', '2024-01-05T10:00:00Z', 'A1'), body: `${lines.slice(0, 10).join('\n')}\n` },
      { key: simpleKey('logs/', '2024-01-05T11:00:00Z', 'A2'), body: `${lines.slice(10).join('\n')}\n` },
    ]);
    for (const [i, t] of ['2024-01-05T10:05:00Z', '2024-01-05T12:05:00Z'].entries()) {
      const records = Array.from({ length: 5 }, (_, j) =>
        cloudTrailRecord({ bucket: AUDITED, key: `rec/${i}/${j}.opus`, time: new Date(Date.parse(t) - 60_000 * (j + 1)) }),
      );
      kept.push(...records);
      // One record of a bucket outside AUDITED_BUCKETS per file: counted as skipped.
      records.push(cloudTrailRecord({ bucket: 'other-bucket', key: 'k', time: new Date(Date.parse(t) - 1000) }));
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `logs/${cloudTrailKey(new Date(t), `R${i}`)}`, Body: gzipSync(JSON.stringify({ Records: records })) }),
      );
    }
  });

  afterAll(async () => {
    await runtime?.close();
    await deleteIndices(os, prefix);
    await os.close();
    await emptyAndDeleteBucket(s3, bucket);
    s3.destroy();
  });

  it('indexes both sources through the worker processor; the report reconciles with the skipped records', async () => {
    const env = {
      ...stackSettings(),
      INDEX_PREFIX: prefix,
      INDEX_REPLICAS: '0',
      BULK_FLUSH_INTERVAL_MS: '100',
      QUARANTINE_URL: pathToFileURL(mkdtempSync(join(tmpdir(), 'replay-ct-q-'))).href,
      LOG_LEVEL: 'warn',
      LOG_BUCKETS: bucket,
      CLOUDTRAIL_BUCKETS: bucket,
      AUDITED_BUCKETS: AUDITED,
      HEALTH_PORT: '0',
      RECORD_TIME_SKEW_DAYS: '36500',
    };
    await setupIndices(env);
    const cfg = loadConfigOrThrow({ env });
    runtime = await createRuntime(cfg, { logger: quietLogger, metrics: createMetrics({ defaultMetrics: false }) });
    const options: ReplayOptions = {
      params: { bucket, prefix: 'logs/', fromMs: Date.parse(FROM), toMs: Date.parse(TO), marginSecs: 3600, format: 'auto' },
      mode: 'process',
      concurrency: 2,
      maxLinesPerSec: 0,
      enqueuePerSec: 100,
      checkpointUrl: pathToFileURL(join(mkdtempSync(join(tmpdir(), 'replay-ct-')), 'cp.json')).href,
      restart: false,
      maxFailures: 10,
      progressSecs: 60,
      graceMs: 10_000,
    };
    const { report } = await runReplay(options, { s3, logger: quietLogger, processor: runtime.processor, progress: { isTTY: false, write: () => true } });
    expect(report.outcome).toBe('completed');
    expect(report.reconciled).toBe(true);
    expect(report.totals).toMatchObject({ objects: 4, lines: 20 + 12, skipped: 2, failed: 0 });
    expect(report.listing.formats.sort()).toEqual(['cloudtrail', 'simple']);
    const ct = await allDocuments(os, `${prefix}.cloudtrail-*`);
    expect(new Set(ct.keys())).toEqual(new Set(kept.map((r) => cloudTrailDocumentId(r.eventID as string))));
    const access = await allDocuments(os, `${prefix}-*`);
    expect(access.size).toBe(20);
  });
});
