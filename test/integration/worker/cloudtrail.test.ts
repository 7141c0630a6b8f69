import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCloudTrailFile, type CloudTrailItem } from '../../../src/decode/cloudtrail-file.js';
import { cloudTrailDocumentId } from '../../../src/event/cloudtrail-build.js';
import { putLogObject } from '../../../src/sim/s3-logs/log-pipeline.js';
import { accessDay, logObjectKey } from '../../../src/sim/s3-logs/scenario.js';
import { seededRandom } from '../../../src/sim/s3-logs/access-log-writer.js';
import { cloudTrailKey, cloudTrailRecord } from '../../support/cloudtrail-files.js';
import { allDocuments, countDocuments, setupIndices, spawnWorker, startWorker, waitForEmptyQueue, workerEnv } from '../../support/worker-harness.js';
import { exportedRecordings, useWorkerStack } from './support.js';

const ORG = '5d1e2f30-4a5b-4c6d-8e7f-901a2b3c4d5e';
const recordingKey = (i: number): string =>
  `${ORG}/year=2026/month=1/day=1/hour=1/conversation_id=c0ffee00-0000-4000-8000-${String(i).padStart(12, '0')}/feed0000-0000-4000-8000-${String(i).padStart(12, '0')}.opus`;

async function recordsBefore(data: Buffer): Promise<CloudTrailItem[]> {
  const items: CloudTrailItem[] = [];
  for await (const batch of readCloudTrailFile(
    (async function* () {
      await Promise.resolve();
      yield data;
    })(),
    { maxRecordBytes: 1 << 20 },
  ))
    items.push(...batch);
  return items;
}

function quarantined(url: string): { reason: string; source: string; line?: number }[] {
  const dir = fileURLToPath(url);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .flatMap((f) =>
      readFileSync(`${dir}/${f}`, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { reason: string; source: string; line?: number }),
    );
}

describe('worker: CloudTrail log files through the same queue', () => {
  const { s3, sqs, os, indexPrefix, logPipeline } = useWorkerStack();

  it('indexes exactly the S3 data events of the audited bucket, skips and quarantines the rest with reasons', async () => {
    // No server access logging of the recordings bucket: moto's own log objects would join the count.
    const res = await logPipeline({ maxReceiveCount: 1000, visibilityTimeoutSecs: 10, accessLogging: false });
    const prefix = indexPrefix('t-ct');
    const now = new Date();
    const t = (s: number): Date => new Date(now.getTime() - 3_600_000 + s * 1000);
    const bucket = res.recordingsBucket;
    const kept = [
      cloudTrailRecord({ bucket, key: recordingKey(1), time: t(1), session: 'jane@example.com' }),
      cloudTrailRecord({ bucket, key: recordingKey(2), time: t(2), eventName: 'DeleteObject', errorCode: 'AccessDenied' }),
      cloudTrailRecord({ bucket, key: 'other/file.txt', time: t(3), eventName: 'PutObject' }),
    ];
    const fileA = {
      Records: [
        kept[0],
        cloudTrailRecord({ bucket, key: 'x', time: t(4), source: 'kms.amazonaws.com' }),
        kept[1],
        cloudTrailRecord({ bucket: 'someone-elses-bucket', key: 'k', time: t(5) }),
        cloudTrailRecord({ bucket, key: 'y', time: t(6), requestId: '' }),
        kept[2],
        // Ten days before its file was written: refused by the time rule, as access-log records are.
        cloudTrailRecord({ bucket, key: recordingKey(3), time: new Date(now.getTime() - 10 * 86_400_000) }),
      ],
    };
    // A truncated file: the records before the break are indexed, the rest is one quarantine record.
    const big = Array.from({ length: 300 }, (_, i) => cloudTrailRecord({ bucket, key: recordingKey(100 + i), time: t(10 + i) }));
    const gz = gzipSync(JSON.stringify({ Records: big }));
    const truncated = gz.subarray(0, Math.floor(gz.length * 0.6));
    const before = (await recordsBefore(truncated)).filter((i) => i.kind === 'record');
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(300);

    await putLogObject(s3, res.logBucket, res.logPrefix + cloudTrailKey(now, 'AAAA'), gzipSync(JSON.stringify(fileA)));
    await putLogObject(s3, res.logBucket, res.logPrefix + cloudTrailKey(now, 'BBBB'), truncated);
    await putLogObject(s3, res.logBucket, res.logPrefix + cloudTrailKey(now, 'CCCC'), Buffer.from('{"Records":{"not":"an array"}}'));
    await putLogObject(
      s3,
      res.logBucket,
      `${res.logPrefix}AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2026/01/01/123456789012_CloudTrail-Digest_eu-west-1_trail_eu-west-1_20260101T010000Z.json.gz`,
      gzipSync('{"digestStartTime":"x"}'),
    );

    // Access-log objects in the same bucket and queue go to the access-log reader.
    const day = new Date(now.getTime() - 86_400_000);
    const { objects } = accessDay({
      recordingsBucket: bucket,
      bucketOwner: 'c'.repeat(64),
      accountId: '123456789012',
      recordings: exportedRecordings(3, day),
      day,
      seed: 5,
    });
    let accessLines = 0;
    for (const [i, o] of objects.slice(0, 3).entries()) {
      accessLines += o.lines.length;
      await putLogObject(s3, res.logBucket, logObjectKey(res.logPrefix, now, `ACC${i}`), `${o.lines.join('\n')}\n`);
    }
    expect(accessLines).toBeGreaterThan(0);

    const env = workerEnv({
      SQS_QUEUE_URL: res.queueUrl,
      LOG_BUCKETS: res.logBucket,
      CLOUDTRAIL_BUCKETS: res.logBucket,
      RECORDINGS_BUCKET: bucket,
      INDEX_PREFIX: prefix,
      RECORD_TIME_SKEW_DAYS: '2',
    });
    const worker = await startWorker(env);
    try {
      await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 60_000, quietMs: 2000 });
    } finally {
      await worker.stop();
    }
    // The access-log objects were read by the access-log reader, into their own family.
    const inAccessFamily = [...(await allDocuments(os, `${prefix}-*`)).values()] as {
      event: { dataset: string; kind: string };
      error?: { code: string };
      log: { file: { path: string }; offset: number };
    }[];
    const access = inAccessFamily.filter((d) => d.event.kind === 'event');
    expect(access.length).toBe(accessLines);
    expect(new Set(access.map((d) => d.event.dataset))).toEqual(new Set(['aws.s3access']));
    // Each quarantined CloudTrail record left a pipeline_error event there too, as a refused access-log line does.
    const traces = inAccessFamily.filter((d) => d.event.kind === 'pipeline_error');
    const docs = await allDocuments(os, `${prefix}.cloudtrail-*`);
    const expectedIds = [...kept, ...before.map((i) => (i.kind === 'record' ? i.value : {}))].map((r) => cloudTrailDocumentId(r.eventID as string));
    expect(new Set(docs.keys())).toEqual(new Set(expectedIds));
    expect(docs.size).toBe(expectedIds.length);

    const first = docs.get(cloudTrailDocumentId(kept[0]!.eventID as string))!;
    expect(first).toMatchObject({
      event: { dataset: 'aws.cloudtrail', action: 'GetObject', id: kept[0]!.requestID, outcome: 'success' },
      actor: { kind: 'human', email: 'jane@example.com' },
      aws: { principal: { type: 'AssumedRole', role_name: 'QaPlayer', session_name: 'jane@example.com' }, s3: { bucket: { name: bucket } } },
      genesys: { recording: { id: 'feed0000-0000-4000-8000-000000000001' } },
      enrichment: { status: 'partial', reason: 'key_only' },
      log: { offset: 1 },
    });
    expect(docs.get(cloudTrailDocumentId(kept[1]!.eventID as string))).toMatchObject({
      event: { code: 'AccessDenied', outcome: 'failure' },
      log: { offset: 3 },
    });
    // One read alias over both families: event.id finds the CloudTrail record.
    const byRequest = await os.search({ index: prefix, body: { query: { term: { 'event.id': kept[2]!.requestID as string } } } });
    expect(byRequest.body.hits.hits.map((h) => h._id)).toEqual([cloudTrailDocumentId(kept[2]!.eventID as string)]);

    const q = quarantined(env.QUARANTINE_URL!).filter((r) => r.source.includes('/CloudTrail/'));
    const reasons = q.map((r) => `${r.source.split('_').at(-1)}:${r.reason}`).sort();
    expect(reasons).toEqual([
      '000000000000AAAA.json.gz:ct_missing_request_id',
      '000000000000AAAA.json.gz:record_time_skew',
      '000000000000BBBB.json.gz:ct_truncated_gzip',
      '000000000000CCCC.json.gz:ct_records_not_array',
    ]);
    // One pipeline_error event per quarantine record, at its file and position.
    expect(traces.map((d) => `${d.log.file.path}:${d.error!.code}:${d.log.offset}`).sort()).toEqual(
      q.map((r) => `${r.source}:${r.reason}:${r.line ?? 0}`).sort(),
    );
    expect(q.find((r) => r.reason === 'ct_missing_request_id')?.line).toBe(5);
    expect(q.find((r) => r.reason === 'record_time_skew')?.line).toBe(7);
    const skipped = await worker.metrics.cloudTrailRecords.get();
    expect(skipped.values.find((v) => v.labels.outcome === 'skipped')?.value).toBe(2);
    expect(skipped.values.find((v) => v.labels.outcome === 'quarantined')?.value).toBe(4);
  });

  it('loses and duplicates nothing when the worker is killed with SIGKILL at seeded random points (3 rounds)', async () => {
    const res = await logPipeline({ maxReceiveCount: 1000, visibilityTimeoutSecs: 5 });
    const prefix = indexPrefix('t-ct-kill');
    const now = new Date();
    const expected = new Set<string>();
    for (let f = 0; f < 40; f += 1) {
      const records = Array.from({ length: 250 }, (_, i) =>
        cloudTrailRecord({ bucket: res.recordingsBucket, key: recordingKey(f * 1000 + i), time: new Date(now.getTime() - 3_600_000 + f * 1000 + i) }),
      );
      for (const r of records) expected.add(cloudTrailDocumentId(r.eventID as string));
      await putLogObject(s3, res.logBucket, res.logPrefix + cloudTrailKey(now, `K${f}`), gzipSync(JSON.stringify({ Records: records })));
    }
    const env = workerEnv({
      SQS_QUEUE_URL: res.queueUrl,
      LOG_BUCKETS: res.logBucket,
      CLOUDTRAIL_BUCKETS: res.logBucket,
      RECORDINGS_BUCKET: res.recordingsBucket,
      INDEX_PREFIX: prefix,
      SQS_VISIBILITY_TIMEOUT_SECS: '5',
      SQS_HEARTBEAT_INTERVAL_SECS: '2',
      OBJECT_CONCURRENCY: '2',
      BULK_MAX_DOCS: '300',
    });
    await setupIndices(env);
    const rand = seededRandom(20261207);
    for (let round = 0; round < 3; round += 1) {
      const child: ChildProcess = spawnWorker(env);
      let output = '';
      child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
      child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
      await new Promise((r) => setTimeout(r, 2500 + Math.floor(rand() * 3500)));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      expect(output).not.toMatch(/"level":"(fatal)"/);
    }
    const finisher = await startWorker(env);
    try {
      await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 180_000, quietMs: 7000 });
    } finally {
      await finisher.stop();
    }
    const docs = await allDocuments(os, `${prefix}.cloudtrail-*`);
    expect(new Set(docs.keys())).toEqual(expected);
    expect(await countDocuments(os, `${prefix}.cloudtrail-*`)).toBe(expected.size);
  });
});
