import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNotification, type NotificationRecord } from '../../../src/sources/notification.js';
import { openObject } from '../../../src/sources/s3-object.js';
import { uniqueName } from '../../support/stack-env.js';
import { newS3, newSqs, TestQueues } from './aws.js';

// Keys a log prefix could plausibly hold, and the characters S3 form-encodes in notifications.
const KEYS = ['logs/2026-01-26-00-43-18-0123456789ABCDEF', 'odd prefix/a+b c.log', 'unicode/café-日本-🎧.log', 'pct/100%25 done=yes&x;y.log'];

let s3: S3Client;
let sqs: SQSClient;
let queues: TestQueues;
const bucket = uniqueName('t-src-notif');
let queueUrl = '';
const bodies: string[] = [];

async function drain(expected: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (bodies.length < expected && Date.now() < deadline) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of out.Messages ?? []) bodies.push(m.Body ?? '');
  }
}

beforeAll(async () => {
  s3 = newS3();
  sqs = newSqs();
  queues = new TestQueues(sqs);
  queueUrl = await queues.create();
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: { QueueConfigurations: [{ QueueArn: attrs.Attributes!.QueueArn!, Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'] }] },
    }),
  );
  for (const key of KEYS) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `content of ${key}\n` }));
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: KEYS[0] }));
  // TestEvent + one per put + one delete.
  await drain(KEYS.length + 2);
});

afterAll(async () => {
  for (const key of KEYS) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  await queues.deleteAll();
  s3.destroy();
  sqs.destroy();
});

describe('notifications moto sends through S3 → SQS', () => {
  it('parses every body: the TestEvent, each ObjectCreated with its key decoded, the ObjectRemoved', async () => {
    const records: NotificationRecord[] = [];
    for (const body of bodies) {
      const parsed = parseNotification(body);
      if (!parsed.ok) throw new Error(`${parsed.reason}: ${parsed.detail}`);
      expect(parsed.wrapper).toBe('direct');
      records.push(...parsed.records);
    }
    expect(records.filter((r) => r.kind === 'test_event')).toEqual([{ kind: 'test_event', bucket }]);
    const created = records.filter((r) => r.kind === 'object_created');
    expect(created.map((r) => r.key).sort()).toEqual([...KEYS].sort());
    expect(created.every((r) => r.bucket === bucket && r.eventName.startsWith('ObjectCreated:') && typeof r.size === 'number')).toBe(true);
    // moto form-encodes with Python's quote_plus: space as '+', '+' as %2B, and also '/' as %2F
    // (as S3 itself did in 2015; S3 today keeps '/').
    expect(created.find((r) => r.key === 'odd prefix/a+b c.log')?.rawKey).toMatch(/^odd\+prefix(\/|%2F)a%2Bb\+c\.log$/);
    expect(records.filter((r) => r.kind === 'ignored')).toEqual([
      { kind: 'ignored', reason: 'not_object_created', eventName: expect.stringMatching(/^ObjectRemoved:/) as string, bucket, key: KEYS[0] },
    ]);

    // The decoded key is the real key: every object that still exists opens.
    for (const r of created) {
      if (r.kind !== 'object_created' || r.key === KEYS[0]) continue;
      const opened = await openObject(s3, { bucket: r.bucket, key: r.key }, { idleTimeoutMs: 5000 });
      expect(opened.found).toBe(true);
    }
  });
});
