// Proves the local stack is made of real servers speaking the real protocols: the official
// OpenSearch client against the node, the AWS SDK v3 against moto, including the S3 -> SQS event
// notification path the worker depends on.
import { Client } from '@opensearch-project/opensearch';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationQueuePolicy } from '../../src/sim/s3-logs/log-pipeline.js';
import { awsClientConfig, stackEnv, uniqueName } from '../support/stack-env.js';

const env = stackEnv();

describe('OpenSearch on the local stack', () => {
  const client = new Client({ node: env.opensearchUrl });
  const index = uniqueName('t-smoke');

  afterAll(async () => {
    await client.indices.delete({ index, ignore_unavailable: true });
    await client.close();
  });

  it('is the version the stack reports', async () => {
    const info = await client.info();
    expect(info.body.version.number).toBe(env.opensearchVersion);
    expect(info.body.version.distribution).toBe('opensearch');
  });

  it('creates a mapped index, bulk-indexes two documents and searches them back', async () => {
    await client.indices.create({
      index,
      body: {
        settings: { number_of_shards: 1, number_of_replicas: 0 },
        mappings: {
          dynamic: 'strict',
          properties: {
            bucket: { type: 'keyword' },
            key: { type: 'keyword' },
            '@timestamp': { type: 'date' },
            bytes: { type: 'long' },
          },
        },
      },
    });
    const mapping = await client.indices.getMapping({ index });
    expect(mapping.body[index]?.mappings.properties?.key).toEqual({ type: 'keyword' });

    const bulk = await client.bulk({
      refresh: 'true',
      body: [
        { index: { _index: index, _id: 'a' } },
        { bucket: 'recordings', key: 'a.opus', '@timestamp': '2026-01-01T00:00:00Z', bytes: 10 },
        { index: { _index: index, _id: 'b' } },
        { bucket: 'recordings', key: 'b.opus', '@timestamp': '2026-01-01T00:00:01Z', bytes: 20 },
      ],
    });
    expect(bulk.body.errors).toBe(false);

    const found = await client.search({
      index,
      body: { query: { term: { bucket: 'recordings' } }, sort: [{ '@timestamp': { order: 'asc' } }] },
    });
    expect(found.body.hits.hits.map((h) => h._id)).toEqual(['a', 'b']);
    expect(found.body.hits.hits[1]?._source).toMatchObject({ key: 'b.opus', bytes: 20 });

    // dynamic: strict is enforced by the server, not by the client.
    const rejected = await client.bulk({
      refresh: 'true',
      body: [{ index: { _index: index, _id: 'c' } }, { unexpected: true }],
    });
    expect(rejected.body.errors).toBe(true);
    expect(rejected.body.items[0]?.index?.error?.type).toBe('strict_dynamic_mapping_exception');
  });
});

describe('moto on the local stack', () => {
  const s3 = new S3Client(awsClientConfig());
  const sqs = new SQSClient(awsClientConfig());
  const bucket = uniqueName('t-smoke');
  const queueName = uniqueName('t-smoke');
  const key = 'logs/2026-01-01-00-00-00-ABCDEF 1.log';
  let queueUrl = '';

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const created = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    queueUrl = created.QueueUrl ?? '';
  });

  afterAll(async () => {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    if (queueUrl !== '') await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    s3.destroy();
    sqs.destroy();
  });

  it('delivers an S3 ObjectCreated notification to SQS', async () => {
    expect(queueUrl).not.toBe('');
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    const queueArn = attrs.Attributes?.QueueArn ?? '';
    expect(queueArn).toMatch(/^arn:aws:sqs:us-east-1:\d{12}:/);

    const policy = notificationQueuePolicy(queueArn, bucket);
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [
            { Id: 'smoke', QueueArn: queueArn, Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'logs/' }] } } },
          ],
        },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'line\n' }));

    const records: { bucket: string; key: string; eventName: string }[] = [];
    const deadline = Date.now() + 20_000;
    while (records.length === 0 && Date.now() < deadline) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
      for (const message of got.Messages ?? []) {
        records.push(...parseS3Event(message.Body ?? ''));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
    }
    expect(records).toHaveLength(1);
    expect(records[0]).toEqual({ bucket, key, eventName: 'ObjectCreated:Put' });
  });
});

describe('uniqueName', () => {
  it('makes distinct names valid for S3 buckets, SQS queues and OpenSearch indices', () => {
    const names = ['t-smoke', 'Recordings_Bucket', '-x-', '', 'a'.repeat(80)].map(uniqueName);
    for (const name of names) {
      expect(name).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
      expect(name).not.toContain('--');
    }
    expect(new Set(names).size).toBe(names.length);
    expect(uniqueName('t-smoke')).not.toBe(uniqueName('t-smoke'));
  });
});

/** S3 event records of one SQS body; the s3:TestEvent sent on configuration yields none. */
function parseS3Event(body: string): { bucket: string; key: string; eventName: string }[] {
  const parsed = JSON.parse(body) as {
    Event?: string;
    Records?: { eventName: string; s3: { bucket: { name: string }; object: { key: string } } }[];
  };
  if (parsed.Event === 's3:TestEvent') return [];
  // Keys arrive URL-encoded with '+' for spaces, as AWS sends them.
  return (parsed.Records ?? []).map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')),
    eventName: r.eventName,
  }));
}
