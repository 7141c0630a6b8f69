import { z } from 'zod';

/**
 * One record of an S3 notification, in our own terms. Only `object_created` leads to work; the
 * other kinds are acknowledged without work (and counted by the caller).
 */
export type NotificationRecord =
  | {
      kind: 'object_created';
      bucket: string;
      /** The object key, decoded once from the notification's form encoding (`+` is a space, `%XX`). */
      key: string;
      /** The key exactly as the notification carried it, for provenance and diagnostics. */
      rawKey: string;
      size?: number;
      eTag?: string;
      versionId?: string;
      sequencer?: string;
      eventTime?: string;
      /** S3 naming (`ObjectCreated:Put`); EventBridge reasons are mapped onto it. */
      eventName: string;
    }
  | { kind: 'test_event'; bucket?: string }
  | { kind: 'ignored'; reason: 'not_object_created'; eventName: string; bucket?: string; key?: string };

export type NotificationWrapper = 'direct' | 'sns' | 'eventbridge';

/** Stable reason codes of a body that is not a notification we understand. */
export type NotificationRejection =
  | 'BODY_NOT_JSON'
  | 'BODY_NOT_OBJECT'
  | 'UNKNOWN_SHAPE'
  | 'SNS_UNSUPPORTED_TYPE'
  | 'SNS_MESSAGE_NOT_JSON'
  | 'NO_RECORDS'
  | 'TOO_MANY_RECORDS'
  | 'NOT_S3_EVENT'
  | 'UNSUPPORTED_EVENT_VERSION'
  | 'INVALID_RECORD'
  | 'INVALID_EVENTBRIDGE_EVENT'
  | 'KEY_NOT_DECODABLE';

export type ParsedNotification =
  { ok: true; records: NotificationRecord[]; wrapper: NotificationWrapper } | { ok: false; reason: NotificationRejection; detail: string };

/**
 * S3 puts one record in each message; a body listing more than this is not from S3 and would make
 * one message hold an unbounded amount of work.
 */
export const MAX_RECORDS_PER_MESSAGE = 100;

// Optional fields: null is what some producers write for "absent" (the AWS doc template shows
// `versionId: null` for unversioned buckets).
const optString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);
const optSize = z
  .number()
  .int()
  .nonnegative()
  .nullish()
  .transform((v) => v ?? undefined);

/** Only what we use is declared; unknown fields are dropped ("applications should ignore new fields"). */
const S3RecordSchema = z.object({
  eventVersion: z.string(),
  eventSource: z.string(),
  eventTime: optString,
  eventName: z.string().min(1),
  s3: z
    .object({
      bucket: z.object({ name: z.string().min(1) }).optional(),
      object: z.object({ key: z.string().optional(), size: optSize, eTag: optString, versionId: optString, sequencer: optString }).optional(),
    })
    .optional(),
});

const TestEventSchema = z.object({ Event: z.literal('s3:TestEvent'), Bucket: optString });

const EventBridgeSchema = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.string().min(1),
  time: optString,
  detail: z
    .object({
      bucket: z.object({ name: z.string().min(1) }).optional(),
      object: z
        .object({
          key: z.string().optional(),
          size: optSize,
          etag: optString,
          'version-id': optString,
          sequencer: optString,
        })
        .optional(),
      reason: optString,
    })
    .optional(),
});

type Result = ParsedNotification;
const fail = (reason: NotificationRejection, detail: string): Result => ({ ok: false, reason, detail });

function firstIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (!issue) return `${prefix}: invalid`;
  const path = issue.path.map(String).join('.');
  return `${prefix}${path ? `.${path}` : ''}: ${issue.message}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; detail: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : 'unparseable' };
  }
}

/**
 * Decodes an S3 notification key exactly once: form decoding, so `+` becomes a space first and a
 * literal `+` (sent as `%2B`) survives. Returns undefined for malformed escapes or bytes that are
 * not UTF-8, which no real S3 notification contains.
 */
export function decodeS3EventKey(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** Whether a bucket is on the allow-list (exact match; an empty list allows nothing). */
export function isAllowedBucket(bucket: string, allowList: Iterable<string>): boolean {
  for (const allowed of allowList) if (allowed === bucket) return true;
  return false;
}

function s3Records(value: Record<string, unknown>): { ok: true; records: NotificationRecord[] } | { ok: false; result: Result } {
  const list = value.Records;
  if (!Array.isArray(list)) return { ok: false, result: fail('INVALID_RECORD', 'Records: expected array') };
  if (list.length === 0) return { ok: false, result: fail('NO_RECORDS', 'Records is empty') };
  if (list.length > MAX_RECORDS_PER_MESSAGE) {
    return { ok: false, result: fail('TOO_MANY_RECORDS', `${list.length} records, at most ${MAX_RECORDS_PER_MESSAGE}`) };
  }
  const records: NotificationRecord[] = [];
  for (const [i, item] of list.entries()) {
    const at = `Records[${i}]`;
    const parsed = S3RecordSchema.safeParse(item);
    if (!parsed.success) return { ok: false, result: fail('INVALID_RECORD', firstIssue(parsed.error, at)) };
    const r = parsed.data;
    // Checked before the version: a CloudTrail log file also has Records[] (eventVersion 1.x).
    if (r.eventSource !== 'aws:s3') {
      return { ok: false, result: fail('NOT_S3_EVENT', `${at}.eventSource is ${JSON.stringify(r.eventSource.slice(0, 64))}`) };
    }
    // AWS: same major version, any minor (2.0 to 2.3 seen).
    if (!/^2\.\d+$/.test(r.eventVersion)) {
      return { ok: false, result: fail('UNSUPPORTED_EVENT_VERSION', `${at}.eventVersion is ${JSON.stringify(r.eventVersion.slice(0, 16))}`) };
    }
    const bucket = r.s3?.bucket?.name;
    const rawKey = r.s3?.object?.key;
    if (!r.eventName.startsWith('ObjectCreated:')) {
      const key = rawKey === undefined ? undefined : decodeS3EventKey(rawKey);
      records.push({ kind: 'ignored', reason: 'not_object_created', eventName: r.eventName, bucket, key });
      continue;
    }
    if (bucket === undefined) return { ok: false, result: fail('INVALID_RECORD', `${at}.s3.bucket.name: missing`) };
    if (rawKey === undefined || rawKey === '') return { ok: false, result: fail('INVALID_RECORD', `${at}.s3.object.key: missing`) };
    const key = decodeS3EventKey(rawKey);
    if (key === undefined) return { ok: false, result: fail('KEY_NOT_DECODABLE', `${at}.s3.object.key has a malformed escape`) };
    const o = r.s3?.object;
    records.push({
      kind: 'object_created',
      bucket,
      key,
      rawKey,
      size: o?.size,
      eTag: o?.eTag,
      versionId: o?.versionId,
      sequencer: o?.sequencer,
      eventTime: r.eventTime,
      eventName: r.eventName,
    });
  }
  return { ok: true, records };
}

/** EventBridge `reason` values of "Object Created", mapped to the S3 notification event names. */
const EVENTBRIDGE_REASONS: Readonly<Record<string, string>> = {
  PutObject: 'ObjectCreated:Put',
  'POST Object': 'ObjectCreated:Post',
  CopyObject: 'ObjectCreated:Copy',
  CompleteMultipartUpload: 'ObjectCreated:CompleteMultipartUpload',
};

function eventBridgeRecord(value: unknown): { ok: true; record: NotificationRecord } | { ok: false; result: Result } {
  const parsed = EventBridgeSchema.safeParse(value);
  if (!parsed.success) return { ok: false, result: fail('INVALID_EVENTBRIDGE_EVENT', firstIssue(parsed.error, 'event')) };
  const e = parsed.data;
  const bucket = e.detail?.bucket?.name;
  const rawKey = e.detail?.object?.key;
  if (e['detail-type'] !== 'Object Created') {
    const key = rawKey === undefined ? undefined : decodeS3EventKey(rawKey);
    return { ok: true, record: { kind: 'ignored', reason: 'not_object_created', eventName: e['detail-type'], bucket, key } };
  }
  if (bucket === undefined) return { ok: false, result: fail('INVALID_EVENTBRIDGE_EVENT', 'event.detail.bucket.name: missing') };
  if (rawKey === undefined || rawKey === '') return { ok: false, result: fail('INVALID_EVENTBRIDGE_EVENT', 'event.detail.object.key: missing') };
  // EventBridge keys are decoded like the classic notification's: AWS's own consumers (Powertools'
  // S3EventBridgeNotificationObject, Data Prepper's S3EventBridgeNotification) form-decode them.
  // Log-object keys (`prefix/YYYY-mm-DD-HH-MM-SS-HEX`) read the same either way.
  const key = decodeS3EventKey(rawKey);
  if (key === undefined) return { ok: false, result: fail('KEY_NOT_DECODABLE', 'event.detail.object.key has a malformed escape') };
  const o = e.detail?.object;
  const reason = e.detail?.reason;
  return {
    ok: true,
    record: {
      kind: 'object_created',
      bucket,
      key,
      rawKey,
      size: o?.size,
      eTag: o?.etag,
      versionId: o?.['version-id'],
      sequencer: o?.sequencer,
      eventTime: e.time,
      eventName: (reason !== undefined ? EVENTBRIDGE_REASONS[reason] : undefined) ?? `ObjectCreated:${reason ?? 'Unknown'}`,
    },
  };
}

/** Parses an S3 notification or a TestEvent or an EventBridge event (no SNS here). */
function parseInner(value: Record<string, unknown>, wrapper: NotificationWrapper): Result {
  if ('Records' in value) {
    const parsed = s3Records(value);
    return parsed.ok ? { ok: true, records: parsed.records, wrapper } : parsed.result;
  }
  if (value.Event === 's3:TestEvent') {
    const parsed = TestEventSchema.safeParse(value);
    if (!parsed.success) return fail('INVALID_RECORD', firstIssue(parsed.error, 'testEvent'));
    return { ok: true, records: [{ kind: 'test_event', bucket: parsed.data.Bucket }], wrapper };
  }
  if ('detail-type' in value || value.source === 'aws.s3') {
    const parsed = eventBridgeRecord(value);
    return parsed.ok ? { ok: true, records: [parsed.record], wrapper: wrapper === 'sns' ? 'sns' : 'eventbridge' } : parsed.result;
  }
  return fail('UNKNOWN_SHAPE', `no Records, Event or detail-type (keys: ${Object.keys(value).slice(0, 8).join(', ')})`);
}

/**
 * Parses the body of an SQS message into notification records. Accepts an S3 event notification
 * (direct, or through SNS with raw message delivery), an SNS envelope holding one, an EventBridge
 * S3 event, and s3:TestEvent in either form. Anything else is a value with a stable reason code:
 * nothing here throws. `detail` never contains the body itself.
 */
export function parseNotification(body: string): ParsedNotification {
  const json = parseJson(body);
  if (!json.ok) return fail('BODY_NOT_JSON', json.detail);
  const value = json.value;
  if (!isPlainObject(value)) return fail('BODY_NOT_OBJECT', `body is ${Array.isArray(value) ? 'an array' : typeof value}`);

  if ('Type' in value && ('TopicArn' in value || 'Message' in value)) {
    if (value.Type !== 'Notification') return fail('SNS_UNSUPPORTED_TYPE', `SNS Type ${JSON.stringify(String(value.Type).slice(0, 40))}`);
    if (typeof value.Message !== 'string') return fail('SNS_MESSAGE_NOT_JSON', 'SNS Message is not a string');
    const inner = parseJson(value.Message);
    if (!inner.ok) return fail('SNS_MESSAGE_NOT_JSON', inner.detail);
    if (!isPlainObject(inner.value)) return fail('SNS_MESSAGE_NOT_JSON', 'SNS Message is not a JSON object');
    if ('TopicArn' in inner.value) return fail('UNKNOWN_SHAPE', 'SNS envelope inside an SNS envelope');
    return parseInner(inner.value, 'sns');
  }
  return parseInner(value, 'direct');
}
