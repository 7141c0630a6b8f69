/**
 * The demo's second source: CloudTrail S3 data events for the same requests its access-log day
 * records, as a trail would deliver them (gzip JSON `{"Records":[...]}` under
 * `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`), and a few access-log records "lost" on
 * purpose (S3 server access logging is best effort) for `reconcile` to find.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { buildEvent } from '../event/build.js';
import { AUTHENTICATION_FAILURE_CODES } from '../investigate/reconcile.js';
import type { LogObject } from '../sim/s3-logs/scenario.js';

/** Requests CloudTrail never logs, which `reconcile` leaves out too: authentication failures. */
const AUTHENTICATION_FAILURES = new Set(AUTHENTICATION_FAILURE_CODES);

const EVENT_NAMES: Record<string, string> = {
  'REST.GET.OBJECT': 'GetObject',
  'REST.HEAD.OBJECT': 'HeadObject',
  'REST.PUT.OBJECT': 'PutObject',
  'REST.DELETE.OBJECT': 'DeleteObject',
  'REST.COPY.OBJECT': 'CopyObject',
  'REST.COPY.OBJECT_GET': 'CopyObject',
  'REST.POST.MULTI_OBJECT_DELETE': 'DeleteObjects',
  'BATCH.DELETE.OBJECT': 'DeleteObjects',
  'REST.POST.UPLOADS': 'CreateMultipartUpload',
  'REST.PUT.PART': 'UploadPart',
  'REST.POST.UPLOAD': 'CompleteMultipartUpload',
  'REST.GET.ACL': 'GetObjectAcl',
  'REST.PUT.ACL': 'PutObjectAcl',
};

/** The S3 API action of an access-log operation (`REST.GET.OBJECT` → `GetObject`). */
export function eventNameOf(operation: string): string {
  const known = EVENT_NAMES[operation];
  if (known !== undefined) return known;
  const [, method = 'GET', resource = 'OBJECT'] = operation.split('.');
  const cap = (w: string): string => w.charAt(0) + w.slice(1).toLowerCase();
  return `${cap(method)}${resource.split('_').map(cap).join('')}`;
}

export interface LostRecord {
  readonly requestId: string;
  readonly time: string;
  readonly operation: string;
  readonly key: string;
}

export interface CloudTrailDay {
  /** The access-log objects without the lost records. */
  readonly objects: LogObject[];
  /** CloudTrail log files: key (without a prefix) and gzip body. */
  readonly files: { readonly key: string; readonly body: Buffer }[];
  readonly records: number;
  readonly lost: LostRecord[];
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function trailKey(account: string, region: string, delivered: Date, unique: string): string {
  const d = delivered;
  const day = `${pad(d.getUTCFullYear(), 4)}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
  const stamp = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
  return `AWSLogs/${account}/CloudTrail/${region}/${day}/${account}_CloudTrail_${region}_${stamp}_${unique}.json.gz`;
}

/** A stable UUID-shaped id from a seed string. */
function uuidOf(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function identityOf(requester: string | undefined, account: string): Record<string, unknown> {
  if (requester === undefined || requester === '-') return { type: 'AWSAccount', principalId: '', accountId: 'ANONYMOUS_PRINCIPAL' };
  const role = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(requester);
  if (role !== null) {
    return {
      type: 'AssumedRole',
      principalId: `AROADEMO${role[2]!.length}:${role[3]!}`,
      arn: requester,
      accountId: role[1],
      accessKeyId: 'ASIADEMOEXAMPLE00001',
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: 'AROADEMO', arn: `arn:aws:iam::${role[1]!}:role/${role[2]!}`, accountId: role[1], userName: role[2] },
        attributes: { mfaAuthenticated: 'false' },
      },
    };
  }
  const user = /^arn:aws:iam::(\d{12}):user\/(.+)$/.exec(requester);
  if (user !== null)
    return { type: 'IAMUser', principalId: 'AIDADEMO', arn: requester, accountId: user[1], accessKeyId: 'AKIADEMOEXAMPLE00001', userName: user[2] };
  return { type: 'AWSAccount', principalId: requester, accountId: account };
}

/**
 * CloudTrail records for the day's requests on recording objects (one per request id: a copy's or
 * multi-object delete's several access-log records are one API call), and `lose` access-log
 * records of single-record reads taken out of the objects, spread over the day.
 */
export function cloudTrailDay(
  objects: readonly LogObject[],
  options: { recordingsBucket: string; accountId: string; region?: string; lose: number },
): CloudTrailDay {
  const region = options.region ?? 'us-east-1';
  type Parsed = { readonly requestId: string; readonly record: Record<string, unknown>; readonly timeMs: number; readonly op: string; readonly key: string };
  const byRequest = new Map<string, Parsed>();
  const linesPerRequest = new Map<string, number>();
  const parsed: (Parsed | undefined)[][] = objects.map((o) =>
    o.lines.map((text, i) => {
      const built = buildEvent({ number: i + 1, bytes: Buffer.from(text) }, { logBucket: 'demo', filePath: 'demo' });
      if (!built.ok) return undefined;
      const e = built.doc.event;
      const a = e.aws.s3access;
      const key = e.aws.s3?.object?.key;
      const op = a.operation ?? '';
      if (a.request_id === undefined || key === undefined || a.bucket !== options.recordingsBucket || op.startsWith('S3.')) return undefined;
      if (a.error_code !== undefined && AUTHENTICATION_FAILURES.has(a.error_code)) return undefined;
      linesPerRequest.set(a.request_id, (linesPerRequest.get(a.request_id) ?? 0) + 1);
      const eventName = eventNameOf(op);
      const time = e['@timestamp'].replace(/\.\d{3}Z$/, 'Z');
      const record: Record<string, unknown> = {
        eventVersion: '1.10',
        userIdentity: identityOf(a.requester, options.accountId),
        eventTime: time,
        eventSource: 's3.amazonaws.com',
        eventName,
        awsRegion: region,
        sourceIPAddress: a.remote_ip ?? 's3.amazonaws.com',
        userAgent: a.user_agent ?? '[S3Console/0.4]',
        ...(a.error_code !== undefined ? { errorCode: a.error_code, errorMessage: a.error_code === 'AccessDenied' ? 'Access Denied' : a.error_code } : {}),
        requestParameters: { bucketName: options.recordingsBucket, Host: `${options.recordingsBucket}.s3.${region}.amazonaws.com`, key },
        responseElements: null,
        additionalEventData: {
          SignatureVersion: a.signature_version ?? 'SigV4',
          CipherSuite: a.cipher_suite ?? 'TLS_AES_128_GCM_SHA256',
          bytesTransferredIn: 0,
          AuthenticationMethod: a.authentication_type ?? 'AuthHeader',
          bytesTransferredOut: a.bytes_sent ?? 0,
        },
        requestID: a.request_id,
        eventID: uuidOf(`${a.request_id}\n${key}`),
        readOnly: /^(Get|Head)/.test(eventName),
        resources: [
          { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${options.recordingsBucket}/${key}` },
          { accountId: options.accountId, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${options.recordingsBucket}` },
        ],
        eventType: 'AwsApiCall',
        managementEvent: false,
        recipientAccountId: options.accountId,
        eventCategory: 'Data',
        tlsDetails: {
          tlsVersion: 'TLSv1.3',
          cipherSuite: a.cipher_suite ?? 'TLS_AES_128_GCM_SHA256',
          clientProvidedHostHeader: `${options.recordingsBucket}.s3.${region}.amazonaws.com`,
        },
      };
      const p: Parsed = { requestId: a.request_id, record, timeMs: Date.parse(e['@timestamp']), op, key };
      // A copy's GET half names the source object; CloudTrail's CopyObject names the destination.
      const seen = byRequest.get(a.request_id);
      if (seen === undefined || (seen.op === 'REST.COPY.OBJECT_GET' && op !== 'REST.COPY.OBJECT_GET')) byRequest.set(a.request_id, p);
      return p;
    }),
  );

  // The lost records: successful reads that are their request's only record, evenly spread.
  const candidates = parsed.flat().filter((p): p is Parsed => p !== undefined && p.op === 'REST.GET.OBJECT' && linesPerRequest.get(p.requestId) === 1);
  candidates.sort((a, b) => a.timeMs - b.timeMs || (a.requestId < b.requestId ? -1 : 1));
  const lost = new Set<string>();
  for (let i = 0; i < options.lose && candidates.length > 0; i++) lost.add(candidates[Math.floor(((i + 0.5) * candidates.length) / options.lose)]!.requestId);
  const kept = objects.map((o, oi) => ({ deliveredAt: o.deliveredAt, lines: o.lines.filter((_, li) => !lost.has(parsed[oi]![li]?.requestId ?? '')) }));

  // One file per hour of event time, delivered a few minutes after the hour (CloudTrail delivers within about 15 minutes).
  const hours = new Map<number, Record<string, unknown>[]>();
  for (const p of [...byRequest.values()].sort((a, b) => a.timeMs - b.timeMs)) {
    const h = Math.floor(p.timeMs / 3_600_000);
    hours.set(h, [...(hours.get(h) ?? []), p.record]);
  }
  const files = [...hours.entries()].map(([h, records]) => ({
    key: trailKey(
      options.accountId,
      region,
      new Date((h + 1) * 3_600_000 + 7 * 60_000),
      createHash('sha256').update(String(h)).digest('base64url').slice(0, 16),
    ),
    body: gzipSync(JSON.stringify({ Records: records })),
  }));
  const lostList = [...lost].map((id) => {
    const p = byRequest.get(id)!;
    return { requestId: id, time: new Date(p.timeMs).toISOString(), operation: p.op, key: p.key };
  });
  return { objects: kept, files, records: byRequest.size, lost: lostList.sort((a, b) => (a.time < b.time ? -1 : 1)) };
}
