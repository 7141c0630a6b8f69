import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putLogObject, type LogPipelineResources } from '../../../src/sim/s3-logs/log-pipeline.js';
import { accessDay, logObjectKey } from '../../../src/sim/s3-logs/scenario.js';
import { metricValue } from '../../support/metrics.js';
import { uniqueName } from '../../support/stack-env.js';
import { allDocuments, countDocuments, openSearch, startWorker, waitForEmptyQueue, workerEnv, type InProcessWorker } from '../../support/worker-harness.js';
import { exportedRecordings, sha256, useWorkerStack } from './support.js';

function s3EventBody(bucket: string, key: string, object: { size?: number; eTag?: string } = { size: 1 }): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'logs',
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'), ...object },
        },
      },
    ],
  });
}

/** Documents of kind `event` (access events), not the pipeline_error traces of quarantined lines. */
async function countAccessEvents(client: ReturnType<typeof openSearch>, index: string): Promise<number> {
  await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
  const res = await client.count({ index, ignore_unavailable: true, allow_no_indices: true, body: { query: { term: { 'event.kind': 'event' } } } } as never);
  return (res.body as { count: number }).count;
}

describe('worker against the real stack', () => {
  const { s3, sqs, os, indexPrefix, logPipeline } = useWorkerStack();
  const prefix = indexPrefix('t-worker');
  let res: LogPipelineResources;
  let worker: InProcessWorker | undefined;
  let quarantineDir = '';
  const day = new Date(Date.UTC(2024, 4, 14));
  const expectedHashes = new Set<string>();

  beforeAll(async () => {
    res = await logPipeline({ maxReceiveCount: 2, visibilityTimeoutSecs: 30 });
    const env = workerEnv({
      SQS_QUEUE_URL: res.queueUrl,
      LOG_BUCKETS: res.logBucket,
      INDEX_PREFIX: prefix,
      SQS_VISIBILITY_TIMEOUT_SECS: '4',
      SQS_HEARTBEAT_INTERVAL_SECS: '2',
    });
    quarantineDir = fileURLToPath(env.QUARANTINE_URL ?? '');
    worker = await startWorker(env);
  });

  afterAll(async () => {
    await worker?.stop();
  });

  it('indexes every record of plain and gzip log objects exactly once, with parsed fields', async () => {
    const { objects, recordsWritten } = accessDay({
      recordingsBucket: res.recordingsBucket,
      bucketOwner: 'a'.repeat(64),
      accountId: '123456789012',
      recordings: exportedRecordings(20, day),
      day,
      seed: 7,
    });
    let i = 0;
    for (const o of objects) {
      const body = `${o.lines.join('\n')}\n`;
      for (const line of o.lines) expectedHashes.add(sha256(line));
      await putLogObject(s3, res.logBucket, logObjectKey(res.logPrefix, o.deliveredAt, `U${i}`), i % 2 === 0 ? Buffer.from(body) : gzipSync(body));
      i += 1;
    }
    await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 60_000 });
    // Access events only: a line of moto's own access logs would add a pipeline_error event (issue 20).
    const docs = new Map([...(await allDocuments(os, `${prefix}-*`))].filter(([, d]) => (d.event as { kind: string }).kind === 'event'));
    expect(docs.size).toBe(recordsWritten);
    expect(new Set([...docs.values()].map((d) => (d.event as { hash: string }).hash))).toEqual(expectedHashes);
    const raw = (d: Record<string, unknown>): Record<string, unknown> => (d.aws as { s3access: Record<string, unknown> }).s3access;
    const denied = [...docs.values()].filter((d) => raw(d).http_status === 403);
    expect(denied.length).toBeGreaterThan(0);
    for (const d of denied) {
      expect(d.event).toMatchObject({ outcome: 'failure' });
      expect(raw(d)).toMatchObject({ operation: 'REST.GET.OBJECT', error_code: 'AccessDenied' });
    }
    // The same events through the ECS alias names on the real node.
    const aliasCount = await os.count({
      index: prefix,
      body: {
        query: {
          bool: {
            filter: [
              { term: { 'event.kind': 'event' } },
              { term: { 'http.response.status_code': 403 } },
              { term: { 'event.action': 'REST.GET.OBJECT' } },
              { term: { 'event.code': 'AccessDenied' } },
            ],
          },
        },
      },
    } as never);
    expect((aliasCount.body as { count: number }).count).toBe(denied.length);
    const someGet = [...docs.values()].find((d) => (d.aws as { s3access: { operation: string } }).s3access.operation === 'REST.GET.OBJECT');
    expect((someGet?.aws as { s3: { object: { key: string } } }).s3.object.key).toMatch(
      /^3c9a7a2e-.*\/year=2024\/month=5\/day=14\/hour=\d+\/conversation_id=.*\.opus(_metadata\.json)?$/,
    );
    // Presigned signatures never reach the index.
    expect(JSON.stringify([...docs.values()])).not.toMatch(/X-Amz-Signature=[0-9a-f]{16}/);
    expect(await metricValue(worker!.metrics.integrityAlarms)).toBe(0);
  });

  it('indexes nothing twice: the same notification again, and the same records inside another log object', async () => {
    const before = await countDocuments(os, `${prefix}-*`);
    const listed = readdirSync(quarantineDir).length;
    const { objects } = accessDay({
      recordingsBucket: res.recordingsBucket,
      bucketOwner: 'a'.repeat(64),
      accountId: '123456789012',
      recordings: exportedRecordings(20, day),
      day,
      seed: 7,
    });
    const first = objects[0];
    expect(first).toBeDefined();
    const key = logObjectKey(res.logPrefix, new Date(), 'REDELIVERED');
    await putLogObject(s3, res.logBucket, key, `${first?.lines.join('\r\n') ?? ''}\r\n`);
    await sqs.send(new SendMessageCommand({ QueueUrl: res.queueUrl, MessageBody: s3EventBody(res.logBucket, key) }));
    await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 60_000 });
    expect(await countDocuments(os, `${prefix}-*`)).toBe(before);
    expect(readdirSync(quarantineDir).length).toBe(listed);
  });

  it('reads an object version once when two notifications name it at the same time, as moto does for a multipart upload', async () => {
    const before = await countDocuments(os, `${prefix}-*`);
    const { objects } = accessDay({
      recordingsBucket: res.recordingsBucket,
      bucketOwner: 'c'.repeat(64),
      accountId: '123456789012',
      recordings: exportedRecordings(3, day),
      day,
      seed: 31,
    });
    const lines = objects.flatMap((o) => o.lines);
    const body = `${lines.join('\n')}\n`;
    // Outside the notification prefix: only the two messages below name it.
    const key = `manual/twice/${uniqueName('obj')}`;
    await putLogObject(s3, res.logBucket, key, body);
    const objectsBefore = worker!.worker.totals.objects;
    const repeatsBefore = await metricValue(worker!.metrics.objects, { result: 'repeat' });
    const message = s3EventBody(res.logBucket, key, { size: Buffer.byteLength(body), eTag: createHash('md5').update(body).digest('hex') });
    await Promise.all([
      sqs.send(new SendMessageCommand({ QueueUrl: res.queueUrl, MessageBody: message })),
      sqs.send(new SendMessageCommand({ QueueUrl: res.queueUrl, MessageBody: message })),
    ]);
    await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 60_000 });
    expect(await countDocuments(os, `${prefix}-*`)).toBe(before + lines.length);
    expect(worker!.worker.totals.objects - objectsBefore).toBe(1);
    expect(await metricValue(worker!.metrics.objects, { result: 'repeat' })).toBe(repeatsBefore + 1);
  });

  it('accepts SNS and EventBridge wrappers, acknowledges test events, and quarantines malformed lines with a reason', async () => {
    const before = await countAccessEvents(os, `${prefix}-*`);
    const good = accessDay({
      recordingsBucket: res.recordingsBucket,
      bucketOwner: 'b'.repeat(64),
      accountId: '123456789012',
      recordings: exportedRecordings(2, day),
      day,
      seed: 99,
    }).objects.flatMap((o) => o.lines);
    const lines = [
      ...good.slice(0, 3),
      'this is not an access log line',
      '',
      good[3] ?? '',
      'b'.repeat(64) + ' bucket [99/Foo/2024:00:00:00 +0000] 1.2.3.4 - X REST.GET.OBJECT k "GET / HTTP/1.1" 200',
    ];
    const snsKey = `manual/sns/${uniqueName('obj')}`;
    await putLogObject(s3, res.logBucket, snsKey, lines.join('\n'));
    const ebKey = `manual/eventbridge/${uniqueName('obj')}`;
    await putLogObject(s3, res.logBucket, ebKey, good.slice(4).join('\n'));
    // These keys are outside the notification prefix: only the wrapped notifications below name them.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: res.queueUrl,
        MessageBody: JSON.stringify({
          Type: 'Notification',
          MessageId: 'x',
          TopicArn: 'arn:aws:sns:us-east-1:123456789012:logs',
          Message: s3EventBody(res.logBucket, snsKey),
          Timestamp: new Date().toISOString(),
        }),
      }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: res.queueUrl,
        MessageBody: JSON.stringify({
          version: '0',
          id: 'e1',
          'detail-type': 'Object Created',
          source: 'aws.s3',
          account: '123456789012',
          time: new Date().toISOString(),
          region: 'us-east-1',
          resources: [`arn:aws:s3:::${res.logBucket}`],
          detail: { version: '0', bucket: { name: res.logBucket }, object: { key: ebKey, size: 1 }, reason: 'PutObject' },
        }),
      }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: res.queueUrl,
        MessageBody: JSON.stringify({
          Service: 'Amazon S3',
          Event: 's3:TestEvent',
          Time: new Date().toISOString(),
          Bucket: res.logBucket,
          RequestId: 'R',
          HostId: 'H',
        }),
      }),
    );
    await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 60_000 });
    // Access events only: since issue 20 each quarantined line also has a pipeline_error event.
    expect(await countAccessEvents(os, `${prefix}-*`)).toBe(before + good.length);
    const traces = [...(await allDocuments(os, `${prefix}-*`)).values()].filter(
      (d) => (d.log as { file: { path: string } }).file.path === `s3://${res.logBucket}/${snsKey}` && (d.event as { kind: string }).kind === 'pipeline_error',
    );
    expect(new Set(traces.map((d) => (d.log as { offset: number }).offset))).toEqual(new Set([4, 7]));
    const quarantined = readdirSync(quarantineDir)
      .flatMap((f) => readFileSync(join(quarantineDir, f), 'utf8').split('\n'))
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { reason: string; source: string; line: number });
    const mine = quarantined.filter((q) => q.source === `s3://${res.logBucket}/${snsKey}`);
    // Each malformed line is quarantined with its line number; redelivery may write it again, never lose it.
    expect(new Set(mine.map((q) => q.line))).toEqual(new Set([4, 7]));
    for (const q of mine) expect(q.reason).toMatch(/^[a-z_]+$/);
    expect(await metricValue(worker!.metrics.messagesIgnored, { reason: 'test_event' })).toBeGreaterThanOrEqual(1);
    expect(await metricValue(worker!.metrics.quarantined)).toBeGreaterThanOrEqual(2);
  });

  it('does not read a log object that changed since its notification (another ETag): counted, never indexed as that version', async () => {
    const good = accessDay({
      recordingsBucket: res.recordingsBucket,
      bucketOwner: 'c'.repeat(64),
      accountId: '123456789012',
      recordings: exportedRecordings(1, day),
      day,
      seed: 7,
    }).objects.flatMap((o) => o.lines);
    const key = `manual/changed/${uniqueName('obj')}`;
    await putLogObject(s3, res.logBucket, key, good.join('\n'));
    const changedBefore = await metricValue(worker!.metrics.objects, { result: 'changed' });
    // The notification names a version whose ETag is not the one stored under the key now.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: res.queueUrl,
        MessageBody: s3EventBody(res.logBucket, key, { size: 1, eTag: sha256('an earlier version').slice(0, 32) }),
      }),
    );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await metricValue(worker!.metrics.objects, { result: 'changed' })) === changedBefore)
      await new Promise((r) => setTimeout(r, 200));
    expect(await metricValue(worker!.metrics.objects, { result: 'changed' })).toBeGreaterThan(changedBefore);
    const docs = await allDocuments(os, `${prefix}-*`);
    expect([...docs.values()].filter((d) => (d.log as { file?: { path?: string } } | undefined)?.file?.path === `s3://${res.logBucket}/${key}`)).toEqual([]);
  });

  it('refuses a notification for a bucket outside LOG_BUCKETS: never deleted by the worker, it reaches the dead-letter queue', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: res.queueUrl, MessageBody: s3EventBody('someone-elses-bucket', 'x/y') }));
    const deadline = Date.now() + 60_000;
    let dead: string | undefined;
    while (Date.now() < deadline && dead === undefined) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: res.dlqUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }));
      dead = got.Messages?.find((m) => m.Body?.includes('someone-elses-bucket'))?.Body;
    }
    expect(dead).toBeDefined();
    // Refused, not "acknowledged without work".
    expect(await metricValue(worker!.metrics.messagesRefused, { reason: 'bucket_not_allowed' })).toBeGreaterThanOrEqual(1);
    expect(await metricValue(worker!.metrics.messagesIgnored, { reason: 'bucket_not_allowed' })).toBe(0);
    // Each time the message was left for redelivery counts once, by the source.
    const abandoned = await metricValue(worker!.metrics.messagesAbandoned);
    const labels = (await worker!.metrics.messagesAbandoned.get()).values.map((v) => v.labels.reason);
    expect(labels).not.toContain('not_accounted');
    expect(abandoned).toBeGreaterThanOrEqual(2);
  });
});
