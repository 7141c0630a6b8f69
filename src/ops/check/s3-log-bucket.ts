import { GetBucketNotificationConfigurationCommand, GetBucketPolicyCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describeAwsError, fixForAwsError, isAccessDenied, isNotFound } from './aws-errors.js';
import { parsePolicy, type Statement } from './bucket-policy.js';
import { LOG_DELIVERY_SERVICE, logBucketDenyStatements, logDeliveryOnlyDeny, logDeliverySourceBinding, otherWriters, tlsOnlyDeny } from './guard-policy.js';
import { immutabilityCheck } from './log-immutability.js';
import { Rows, type CheckContext, type CheckGroup, type CheckResult } from './types.js';

/** Whether an S3 event name pattern delivers ObjectCreated:Put/Post/Copy/CompleteMultipartUpload. */
export function coversObjectCreated(events: readonly string[]): boolean {
  return events.some((e) => e === 's3:ObjectCreated:*' || e === 's3:*' || e === 's3:ObjectCreated:Put');
}

async function readable(rows: Rows, s3: S3Client, bucket: string): Promise<void> {
  let key: string | undefined;
  try {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }));
    key = res.Contents?.[0]?.Key;
  } catch (err) {
    const missing = isNotFound(err, 'NoSuchBucket');
    rows.fail(
      `${bucket} readable`,
      `ListObjectsV2 failed: ${describeAwsError(err)}`,
      missing ? `The bucket does not exist: correct LOG_BUCKETS or create the bucket.` : fixForAwsError(err, 's3:ListBucket', `arn:aws:s3:::${bucket}`),
    );
    return;
  }
  if (key === undefined) {
    rows.pass(`${bucket} readable`, 'listed; the bucket is empty so far (no log delivered yet)');
    return;
  }
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    rows.pass(`${bucket} readable`, 'listed, and a log object can be read');
  } catch (err) {
    rows.fail(
      `${bucket} readable`,
      `listing works but reading a log object does not: ${describeAwsError(err)}`,
      fixForAwsError(err, 's3:GetObject', `arn:aws:s3:::${bucket}/*`),
    );
  }
}

/**
 * Anyone who can write a log object can forge access records (or flood the index with them): the
 * bucket policy must refuse PutObject by every principal but S3 log delivery (issue 20).
 */
async function writers(rows: Rows, s3: S3Client, bucket: string, sourceBuckets: readonly string[]): Promise<void> {
  const check = `${bucket} accepts log objects from S3 log delivery only`;
  const tls = `${bucket} TLS only`;
  const fix = `Add to the bucket policy (config/cloudformation/recording-audit.yaml does): ${JSON.stringify(logBucketDenyStatements(bucket, sourceBuckets))}`;
  let text: string | undefined;
  try {
    text = (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy;
  } catch (err) {
    if (isNotFound(err, 'NoSuchBucketPolicy')) text = undefined;
    else if (isAccessDenied(err)) {
      rows.skip(check, 'cannot read the bucket policy (s3:GetBucketPolicy); run `check` with an operator role to verify');
      rows.skip(tls, 'cannot read the bucket policy');
      return;
    } else {
      rows.fail(check, `GetBucketPolicy failed: ${describeAwsError(err)}`, fixForAwsError(err, 's3:GetBucketPolicy', `arn:aws:s3:::${bucket}`));
      rows.skip(tls, 'the bucket policy could not be read');
      return;
    }
  }
  const parsed = text === undefined ? { ok: true as const, statements: [] } : parsePolicy(text);
  if (!parsed.ok) {
    rows.fail(check, parsed.problem, fix);
    rows.skip(tls, 'the bucket policy could not be parsed');
    return;
  }
  const deny = logDeliveryOnlyDeny(parsed.statements, bucket);
  if (deny === undefined) {
    const others = otherWriters(parsed.statements, bucket);
    const why = others.length > 0 ? `, and ${others.map((o) => o.sid ?? '(no Sid)').join(', ')} allows others to write` : '';
    rows.fail(
      check,
      `no Deny refuses s3:PutObject by principals other than ${LOG_DELIVERY_SERVICE}${why}: anyone with s3:PutObject can write forged access records`,
      fix,
    );
  } else {
    const by = `Deny ${deny.sid ?? '(no Sid)'} refuses s3:PutObject by every principal but ${LOG_DELIVERY_SERVICE}`;
    const binding = logDeliverySourceBinding(parsed.statements, bucket);
    if (binding !== undefined) rows.pass(check, `${by}; ${binding.sid ?? '(no Sid)'} ties it to your source buckets or account`);
    else
      rows.warn(
        check,
        `${by}, but for any bucket of any account: no aws:SourceAccount or aws:SourceArn condition binds it to yours`,
        `Add to the Allow for ${LOG_DELIVERY_SERVICE}: ${JSON.stringify({ Condition: { StringEquals: { 'aws:SourceAccount': '<account id>' }, ArnLike: { 'aws:SourceArn': sourceBuckets.length > 0 ? sourceBuckets.map((b) => `arn:aws:s3:::${b}`) : 'arn:aws:s3:::<recordings bucket>' } } })}`,
      );
  }
  tlsCheck(rows, tls, parsed.statements, bucket);
}

/** The storage guide's "TLS 1.2 in transit", held by the bucket rather than by each client. */
export function tlsCheck(rows: Rows, check: string, statements: readonly Statement[], bucket: string): void {
  const deny = tlsOnlyDeny(statements, bucket);
  if (deny !== undefined) {
    rows.pass(check, `Deny ${deny.sid ?? '(no Sid)'} refuses requests without TLS`);
    return;
  }
  rows.fail(
    check,
    'no Deny refuses object reads and writes without TLS (aws:SecureTransport false): a client may read or write in clear',
    `Add to the bucket policy: ${JSON.stringify({ Sid: 'DenyWithoutTls', Effect: 'Deny', Principal: '*', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'], Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } })}`,
  );
}

async function notifies(rows: Rows, s3: S3Client, bucket: string, queueArn: string | undefined): Promise<void> {
  const check = `${bucket} notifies the queue`;
  if (queueArn === undefined) {
    rows.skip(check, 'the queue ARN is unknown (SQS_QUEUE_URL unset or unreachable)');
    return;
  }
  let config;
  try {
    config = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
  } catch (err) {
    if (isAccessDenied(err)) {
      // The worker's role deliberately lacks s3:GetBucketNotification; an operator role has it.
      rows.skip(check, 'cannot read the notification configuration (s3:GetBucketNotification); run `check` with an operator role to verify');
    } else {
      rows.fail(
        check,
        `GetBucketNotificationConfiguration failed: ${describeAwsError(err)}`,
        fixForAwsError(err, 's3:GetBucketNotification', `arn:aws:s3:::${bucket}`),
      );
    }
    return;
  }
  const direct = (config.QueueConfigurations ?? []).filter((q) => q.QueueArn === queueArn);
  if (direct.some((q) => coversObjectCreated(q.Events ?? []) && q.Filter === undefined)) {
    rows.pass(check, `s3:ObjectCreated:* goes to ${queueArn}`);
    return;
  }
  if (direct.length > 0) {
    rows.warn(
      check,
      `the bucket notifies the queue, but only for ${direct.flatMap((q) => q.Events ?? []).join(', ')}${direct.some((q) => q.Filter) ? ' with a key filter' : ''}`,
      'Notify for s3:ObjectCreated:* without a key filter, so no log object is missed.',
    );
    return;
  }
  if (config.EventBridgeConfiguration !== undefined) {
    rows.warn(
      check,
      'the bucket sends events to EventBridge; the rule that forwards them to the queue cannot be verified from here',
      'Make sure an EventBridge rule forwards "Object Created" events of this bucket to the queue.',
    );
    return;
  }
  if ((config.TopicConfigurations ?? []).length > 0) {
    rows.warn(
      check,
      'the bucket notifies an SNS topic; the subscription of the queue cannot be verified from here',
      'Make sure the queue is subscribed to the topic (raw message delivery or not: the worker reads both).',
    );
    return;
  }
  rows.fail(
    check,
    `no notification of this bucket goes to ${queueArn}: new log objects are never processed`,
    `Add a QueueConfiguration for s3:ObjectCreated:* to ${queueArn} (config/cloudformation/recording-audit.yaml), and allow s3.amazonaws.com to send to the queue.`,
  );
}

async function queueArnOf(ctx: CheckContext): Promise<string | undefined> {
  const url = ctx.config.SQS_QUEUE_URL;
  if (url === undefined) return undefined;
  try {
    const res = await ctx.sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    return res.Attributes?.QueueArn;
  } catch {
    return undefined;
  }
}

async function run(ctx: CheckContext): Promise<CheckResult[]> {
  const rows = new Rows('s3-log-bucket');
  const buckets = ctx.config.LOG_BUCKETS ?? [];
  if (buckets.length === 0) {
    rows.skip('log buckets readable', 'LOG_BUCKETS is not set');
    return rows.rows;
  }
  const s3 = ctx.s3();
  const queueArn = await queueArnOf(ctx);
  const audited = ctx.config.AUDITED_BUCKETS ?? (ctx.config.RECORDINGS_BUCKET !== undefined ? [ctx.config.RECORDINGS_BUCKET] : []);
  for (const bucket of buckets) {
    await readable(rows, s3, bucket);
    await notifies(rows, s3, bucket, queueArn);
    await writers(rows, s3, bucket, audited);
    await immutabilityCheck(rows, s3, bucket, ctx.config.LOG_RETENTION_DAYS);
  }
  return rows.rows;
}

export const s3LogBucketChecks: CheckGroup = {
  name: 's3-log-bucket',
  summary:
    'Each log bucket can be listed and read, notifies the queue, takes log objects from S3 log delivery only, over TLS only, and keeps them immutable (Object Lock).',
  needs: ['LOG_BUCKETS'],
  run,
};
