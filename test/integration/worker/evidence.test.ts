import { shortDocumentId } from '../../../src/event/document-id.js';
import { pipelineErrorId } from '../../../src/event/pipeline-error.js';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putLogObject, type LogPipelineResources } from '../../../src/sim/s3-logs/log-pipeline.js';
import { accessDay, logObjectKey } from '../../../src/sim/s3-logs/scenario.js';
import { documentId } from '../../../src/event/build.js';
import { indexNameFor } from '../../../src/sinks/opensearch/index-name.js';
import { metricValue } from '../../support/metrics.js';
import { uniqueName } from '../../support/stack-env.js';
import { allDocuments, queueDepth, startWorker, waitForEmptyQueue, workerEnv, type InProcessWorker } from '../../support/worker-harness.js';
import { exportedRecordings, sha256, useWorkerStack } from './support.js';

/**
 * Issue 20, attacks 1 (a quarantined line leaves no trace in the index), 3 (records for any bucket
 * and any time are accepted) and 5 (the quarantine keeps live credentials), end to end: moto S3 and
 * SQS, a real OpenSearch node, the worker in process with an S3 quarantine.
 */

const SIGNATURE = 'f1e2d3c4b5a697887766554433221100ffeeddccbbaa99887766554433221100';
const CREDENTIAL = 'AKIAIOSFODNN7EXAMPLE';
const CREDENTIAL_SCOPE = '20240514%2Fus-east-1%2Fs3%2Faws4_request';

/** A worker with admission as production runs it: only the recordings bucket, the default 2-day skew. */
function startStrictWorker(res: LogPipelineResources, prefix: string, quarantineBucket: string): Promise<InProcessWorker> {
  return startWorker(
    workerEnv({
      SQS_QUEUE_URL: res.queueUrl,
      LOG_BUCKETS: res.logBucket,
      INDEX_PREFIX: prefix,
      AUDITED_BUCKETS: res.recordingsBucket,
      RECORD_TIME_SKEW_DAYS: '2',
      QUARANTINE_URL: `s3://${quarantineBucket}/q`,
    }),
  );
}

interface StoredRecord {
  key: string;
  reason: string;
  stage: string;
  source: string;
  line?: number;
  hash?: string;
  raw?: string;
  redacted?: boolean;
}

type Doc = Record<string, unknown> & {
  event: { kind: string; hash: string; original?: string; redacted?: boolean };
  error?: { code: string; type: string };
  log: { file: { path: string }; offset: number };
  aws?: { s3access?: { bucket?: string } };
};

describe('evidence integrity (issue 20): pipeline_error events, admission rules, redacted quarantine', () => {
  const { s3, sqs, os, indexPrefix, logPipeline } = useWorkerStack();
  const prefix = indexPrefix('t-evidence');
  const quarantineBucket = uniqueName('quarantine');
  let res: LogPipelineResources;
  let worker: InProcessWorker | undefined;
  // Today: records are measured against their log object's LastModified, which is now.
  const now = new Date();
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));

  let key = '';
  let normal: string[] = [];
  let foreign = '';
  let ancient = '';
  let presigned = '';

  async function quarantineRecords(): Promise<{ objects: number; records: StoredRecord[]; text: string }> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: quarantineBucket }));
    let text = '';
    for (const o of listed.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: quarantineBucket, Key: o.Key }));
      text += await got.Body!.transformToString();
    }
    const records = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as StoredRecord);
    return { objects: listed.KeyCount ?? 0, records, text };
  }

  beforeAll(async () => {
    // No access logging of the recordings bucket: moto's own log objects would add lines of their own.
    res = await logPipeline({ maxReceiveCount: 2, visibilityTimeoutSecs: 30, accessLogging: false });
    await s3.send(new CreateBucketCommand({ Bucket: quarantineBucket }));

    // A day of records in one object: all within two days of its LastModified.
    const objects = accessDay({
      recordingsBucket: res.recordingsBucket,
      bucketOwner: 'e'.repeat(64),
      accountId: '123456789012',
      recordings: exportedRecordings(3, day),
      day,
      seed: 11,
    }).objects;
    normal = objects.flatMap((o) => o.lines);
    const template = normal[0]!.split(' ');
    // A record for another bucket, and one dated 1970, in an object delivered today.
    foreign = [template[0], 'someone-elses-bucket', ...template.slice(2)].join(' ').replace(/ [0-9A-F]{16} /, ' FOREIGN0000000001 ');
    ancient = [template[0], template[1], '[01/Jan/1970:00:00:00', ...template.slice(3)].join(' ').replace(/ [0-9A-F]{16} /, ' ANCIENT0000000001 ');
    // A presigned GET the parser refuses (cut after the Request-URI): its signature must not be kept.
    presigned =
      `${'e'.repeat(64)} ${res.recordingsBucket} [14/May/2024:10:00:00 +0000] 203.0.113.77 - PRESIGNED0000001 REST.GET.OBJECT rec.opus ` +
      `"GET /rec.opus?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${CREDENTIAL}%2F20240514%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240514T100000Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature=${SIGNATURE} HTTP/1.1" 200`;
    // Its name claims 1970 too: whoever writes an object chooses its name, so the name moves nothing.
    key = logObjectKey(res.logPrefix, new Date(0), 'EVIDENCE');

    worker = await startStrictWorker(res, prefix, quarantineBucket);
  });

  afterAll(async () => {
    await worker?.stop();
  });

  it('quarantines a foreign-bucket and a 1970 record, indexes a pipeline_error event for each quarantined line, the rest as events; books reconcile', async () => {
    const lines = [...normal.slice(0, 2), foreign, ancient, presigned, ...normal.slice(2)];
    await putLogObject(s3, res.logBucket, key, `${lines.join('\n')}\n`);
    await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 60_000 });
    expect((await queueDepth(sqs, res.dlqUrl)).visible).toBe(0);
    // Deleted once done (the other deletion is the notification configuration's test event).
    expect(await metricValue(worker!.metrics.objects, { result: 'done' })).toBe(1);
    expect(worker!.worker.totals).toMatchObject({ retried: 0, objects: 1 });
    expect(worker!.worker.totals.deleted).toBe(worker!.worker.totals.messages);

    const docs = [...(await allDocuments(os, `${prefix}-*`)).values()] as Doc[];
    const events = docs.filter((d) => d.event.kind === 'event');
    const errors = docs.filter((d) => d.event.kind === 'pipeline_error');
    expect(new Set(events.map((d) => d.event.hash))).toEqual(new Set(normal.map(sha256)));
    expect(events).toHaveLength(normal.length);

    const source = `s3://${res.logBucket}/${key}`;
    // The parser's reason for the cut line is its own business; the stage says it was the parser.
    const byCode = new Map(errors.map((d) => [d.error?.type === 'parse' ? 'parse' : d.error?.code, d]));
    expect([...byCode.keys()].sort()).toEqual(['foreign_bucket', 'parse', 'record_time_skew']);
    expect(byCode.get('foreign_bucket')).toMatchObject({
      event: { hash: sha256(foreign) },
      error: { type: 'admission' },
      log: { file: { path: source }, offset: 3 },
    });
    expect(byCode.get('foreign_bucket')?.aws?.s3access?.bucket).toBe('someone-elses-bucket');
    expect(byCode.get('record_time_skew')).toMatchObject({
      event: { hash: sha256(ancient), original: ancient },
      error: { type: 'admission' },
      log: { file: { path: source }, offset: 4 },
    });
    expect(byCode.get('parse')).toMatchObject({ event: { hash: sha256(presigned) }, log: { file: { path: source }, offset: 5 } });
    const parseReason = byCode.get('parse')?.error?.code ?? '';
    expect(parseReason).toMatch(/^[a-z_]+$/);
    // The error events carry the log object's time: a forged 1970 record creates no 1970 index.
    const indices = (await os.cat.indices({ index: `${prefix}-*`, format: 'json' } as never)).body as { index: string }[];
    const months = new Set([...events.map((d) => String(d['@timestamp']).slice(0, 7)), new Date().toISOString().slice(0, 7)]);
    expect(indices.map((i) => i.index).sort()).toEqual([...months].map((m) => `${prefix}-${m.replace('-', '.')}`).sort());
    for (const e of errors) expect(months).toContain(String(e['@timestamp']).slice(0, 7));

    const q = await quarantineRecords();
    expect(q.records.map((r) => [r.reason, r.stage, r.line, r.hash]).sort()).toEqual(
      [
        ['foreign_bucket', 'admission', 3, sha256(foreign)],
        ['record_time_skew', 'admission', 4, sha256(ancient)],
        [parseReason, 'parse', 5, sha256(presigned)],
      ].sort(),
    );
    for (const r of q.records) expect(r.source).toBe(source);

    // lines = indexed + duplicates + quarantined, and every quarantined line has its index trace.
    expect(await metricValue(worker!.metrics.lines)).toBe(lines.length);
    expect(await metricValue(worker!.metrics.events, { outcome: 'indexed' })).toBe(normal.length);
    expect(await metricValue(worker!.metrics.events, { outcome: 'quarantined' })).toBe(3);
    expect(await metricValue(worker!.metrics.errorEvents)).toBe(3);
    expect(worker!.worker.totals).toMatchObject({ lines: lines.length, indexed: normal.length, duplicates: 0, quarantined: 3 });
  });

  it('keeps no signature or credential of a quarantined presigned URL, in the quarantine copy or the index; event.hash is the original bytes', async () => {
    const q = await quarantineRecords();
    const record = q.records.find((r) => r.stage === 'parse');
    expect(record).toBeDefined();
    const raw = Buffer.from(record!.raw ?? '', 'base64').toString('latin1');
    expect(raw).toContain('X-Amz-Signature=[redacted]');
    expect(record).toMatchObject({ redacted: true, hash: sha256(presigned) });
    // The access key id of X-Amz-Credential is kept (not a secret, issue 13); the rest of the
    // credential and the signature are not.
    expect(raw).toContain(`X-Amz-Credential=${CREDENTIAL}%2F[redacted]`);
    for (const secret of [SIGNATURE, CREDENTIAL_SCOPE]) {
      expect(q.text).not.toContain(secret);
      expect(raw).not.toContain(secret);
    }

    const docs = [...(await allDocuments(os, `${prefix}-*`)).values()] as Doc[];
    const error = docs.find((d) => d.error?.type === 'parse');
    expect(error?.event).toMatchObject({ hash: sha256(presigned), redacted: true });
    expect(error?.event.original).toContain('X-Amz-Signature=[redacted]');
    for (const secret of [SIGNATURE, CREDENTIAL_SCOPE]) expect(JSON.stringify(docs)).not.toContain(secret);
  });

  it('indexes nothing twice and quarantines nothing new when the same object is delivered again', async () => {
    const before = await allDocuments(os, `${prefix}-*`);
    const q = await quarantineRecords();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: res.queueUrl,
        MessageBody: JSON.stringify({
          Records: [
            { eventVersion: '2.1', eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: res.logBucket }, object: { key, size: 1 } } },
          ],
        }),
      }),
    );
    await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 60_000 });
    expect(await metricValue(worker!.metrics.objects, { result: 'done' })).toBe(2);
    expect(worker!.worker.totals.deleted).toBe(worker!.worker.totals.messages);
    const after = await allDocuments(os, `${prefix}-*`);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    expect(await metricValue(worker!.metrics.events, { outcome: 'duplicate' })).toBe(normal.length);
    // The error events were found already there: still one per quarantined line.
    expect(await metricValue(worker!.metrics.errorEvents)).toBe(6);
    const again = await quarantineRecords();
    expect(new Set(again.records.map((r) => r.key))).toEqual(new Set(q.records.map((r) => r.key)));
    expect(again.objects).toBe(q.objects);
    expect(await metricValue(worker!.metrics.integrityAlarms)).toBe(0);
  });

  it('a document the sink quarantines (its id already holds another hash) also gets its pipeline_error event', async () => {
    const lines = accessDay({
      recordingsBucket: res.recordingsBucket,
      bucketOwner: 'f'.repeat(64),
      accountId: '123456789012',
      recordings: exportedRecordings(1, day),
      day,
      seed: 23,
    }).objects.flatMap((o) => o.lines);
    const target = lines[0]!;
    // A fresh prefix has short ids in every month (src/event/document-id.ts).
    const id = shortDocumentId(documentId(res.logBucket, sha256(target)));
    const index = indexNameFor(prefix, new Date(Date.parse(`${day.toISOString().slice(0, 10)}T12:00:00Z`)).toISOString());
    // Planted under the id the record will have: the stored document must survive, the record
    // goes to quarantine, and the index shows that it did.
    const planted = { '@timestamp': day.toISOString(), event: { kind: 'event', hash: '0'.repeat(64) }, log: { file: { path: 'planted' }, offset: 1 } };
    await os.index({ index, id, body: planted, refresh: true });
    const errorsBefore = await metricValue(worker!.metrics.errorEvents);
    const sinkKey = logObjectKey(res.logPrefix, new Date(day.getTime() + 86_400_000), 'SINK');
    await putLogObject(s3, res.logBucket, sinkKey, `${lines.join('\n')}\n`);
    await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 60_000 });

    expect(await metricValue(worker!.metrics.integrityAlarms)).toBe(1);
    expect(worker!.worker.totals.deleted).toBe(worker!.worker.totals.messages);
    const docs = await allDocuments(os, `${prefix}-*`);
    expect(docs.get(id)).toEqual(planted);
    const source = `s3://${res.logBucket}/${sinkKey}`;
    const traces = ([...docs.values()] as Doc[]).filter((d) => d.log.file.path === source && d.event.kind === 'pipeline_error');
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({ event: { hash: sha256(target) }, error: { code: 'integrity_mismatch', type: 'index' }, log: { offset: 1 } });
    // Its id is over the line's own (hex) id, then given the month's form, as for a line the parser refused.
    const traceId = [...docs].find(([, d]) => d === traces[0])?.[0];
    expect(traceId).toBe(shortDocumentId(pipelineErrorId(documentId(res.logBucket, sha256(target)), 'integrity_mismatch')));
    expect(await metricValue(worker!.metrics.errorEvents)).toBe(errorsBefore + 1);
    const q = await quarantineRecords();
    expect(q.records.filter((r) => r.source === source).map((r) => [r.reason, r.stage, r.hash])).toEqual([['integrity_mismatch', 'index', sha256(target)]]);
  });
});

describe('evidence integrity (issue 20): a document OpenSearch refuses to map also leaves a pipeline_error event', () => {
  const { s3, sqs, os, indexPrefix, logPipeline } = useWorkerStack();
  const prefix = indexPrefix('t-evidence-map');
  let worker: InProcessWorker | undefined;

  afterAll(async () => {
    await worker?.stop();
  });

  it('quarantines the refused document (mapping error), indexes its pipeline_error trace, and deletes the message', async () => {
    const res = await logPipeline({ maxReceiveCount: 2, visibilityTimeoutSecs: 30, accessLogging: false });
    const quarantineBucket = uniqueName('quarantine');
    await s3.send(new CreateBucketCommand({ Bucket: quarantineBucket }));
    worker = await startStrictWorker(res, prefix, quarantineBucket);

    const now = new Date();
    const stamp = `${String(now.getUTCDate()).padStart(2, '0')}/${now.toUTCString().slice(8, 11)}/${now.getUTCFullYear()}:${now.toISOString().slice(11, 19)} +0000`;
    const line = `${'d'.repeat(64)} ${res.recordingsBucket} [${stamp}] 192.0.2.44 arn:aws:iam::123456789012:user/probe MAPPING00000001 REST.GET.OBJECT rec.opus "GET /rec.opus HTTP/1.1" 200 - 10 10 1 1 "-" "curl/8" -`;
    // This month's index exists already with url.extension as a number: OpenSearch refuses the
    // event ("opus", mapper_parsing_exception), which is what a mapping out of step with the worker
    // does. The pipeline_error trace has no url.* and is accepted.
    const index = indexNameFor(prefix, now.toISOString());
    await os.indices.create({ index, body: { mappings: { properties: { url: { properties: { extension: { type: 'long' } } } } } } } as never);

    const key = logObjectKey(res.logPrefix, now, 'MAPPING');
    await putLogObject(s3, res.logBucket, key, `${line}\n`);
    await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 60_000 });

    expect(worker.worker.totals).toMatchObject({ objects: 1, lines: 1, indexed: 0, quarantined: 1, retried: 0 });
    const docs = [...(await allDocuments(os, `${prefix}-*`)).values()] as Doc[];
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({
      event: { kind: 'pipeline_error', hash: sha256(line) },
      error: { code: 'mapper_parsing_exception', type: 'index' },
      log: { file: { path: `s3://${res.logBucket}/${key}` }, offset: 1 },
    });
    expect(docs[0]?.aws?.s3access).toMatchObject({ bucket: res.recordingsBucket, remote_ip: '192.0.2.44', request_id: 'MAPPING00000001' });
    expect(await metricValue(worker.metrics.errorEvents)).toBe(1);
    s3.destroy();
    sqs.destroy();
  });
});
