import { randomBytes } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describeError } from '../core/errors.js';

/** userIdentity.principalId of every synthetic notification: how an operator tells replay from S3. */
export const REPLAY_PRINCIPAL = 'recording-audit-replay';
/** SendMessageBatch takes at most 10 entries. */
export const SQS_BATCH_MAX = 10;

/**
 * Object keys as S3 writes them into event notifications: form encoding (space becomes '+', a
 * literal '+' becomes %2B) with '/' kept. Java's URLEncoder set: letters, digits and . - * _ stay.
 */
export function encodeS3EventKey(key: string): string {
  let out = '';
  for (const byte of Buffer.from(key, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-*_/]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex').toUpperCase();

export interface EnqueueObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
}

/**
 * The body of a direct S3 → SQS ObjectCreated:Put notification (event structure 2.1) for one
 * object, as the worker receives them live; `principalId` and `configurationId` mark it synthetic.
 */
export function s3EventBody(obj: EnqueueObject, region: string, now: Date): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: now.toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: REPLAY_PRINCIPAL },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': hex(8), 'x-amz-id-2': randomBytes(48).toString('base64') },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: REPLAY_PRINCIPAL,
          bucket: { name: obj.bucket, ownerIdentity: { principalId: REPLAY_PRINCIPAL }, arn: `arn:aws:s3:::${obj.bucket}` },
          object: { key: encodeS3EventKey(obj.key), size: obj.size, ...(obj.etag ? { eTag: obj.etag } : {}), sequencer: hex(9) },
        },
      },
    ],
  });
}

export type EnqueueResult = { ok: true } | { ok: false; code: string; message: string; retryable: boolean };

/** Sends one notification per object, up to 10 per SendMessageBatch; reports each entry's fate. */
export async function sendNotifications(
  sqs: SQSClient,
  queueUrl: string,
  objects: readonly EnqueueObject[],
  opts: { region: string; now?: Date; signal?: AbortSignal },
): Promise<EnqueueResult[]> {
  if (objects.length > SQS_BATCH_MAX) throw new Error(`at most ${SQS_BATCH_MAX} objects per batch`);
  const now = opts.now ?? new Date();
  try {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: objects.map((o, i) => ({ Id: String(i), MessageBody: s3EventBody(o, opts.region, now) })),
      }),
      opts.signal ? { abortSignal: opts.signal } : {},
    );
    const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
    return objects.map((_, i) => {
      const f = failed.get(String(i));
      if (!f) return { ok: true };
      return { ok: false, code: f.Code ?? 'SQS_ERROR', message: f.Message ?? 'entry refused', retryable: f.SenderFault !== true };
    });
  } catch (err) {
    const d = describeError(err);
    return objects.map(() => ({ ok: false, code: d.code, message: d.message, retryable: true }));
  }
}
