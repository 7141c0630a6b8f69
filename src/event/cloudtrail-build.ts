import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { ECS_VERSION } from './build.js';
import { tlsVersionOf } from './ecs.js';
import { CLOUDTRAIL_DATASET, type CloudTrailEvent, type CloudTrailUserIdentity } from './cloudtrail.js';
import { emailOf, principalOf, type PrincipalFields, type PrincipalType } from './principal.js';
import type { IndexableDocument } from './types.js';

/**
 * One CloudTrail record to an `aws.cloudtrail` event, or the reason it is not one. S3 data events
 * for the audited buckets are kept; other records are skipped with a reason (counted, never
 * quarantined: a trail that logs more than S3 is not an error); an S3 record without the ids the
 * document needs, or with a field of the wrong type, is refused whole (quarantined), never indexed
 * in part.
 */

export type CloudTrailSkipReason = 'not_s3_data_event' | 'other_bucket';
export type CloudTrailRefusal = 'ct_missing_event_id' | 'ct_missing_request_id' | 'ct_bad_record';

export type CloudTrailBuild =
  | { readonly kind: 'event'; readonly doc: IndexableDocument<CloudTrailEvent> }
  | { readonly kind: 'skip'; readonly reason: CloudTrailSkipReason; readonly detail: string }
  | { readonly kind: 'refused'; readonly reason: CloudTrailRefusal; readonly detail: string; readonly hash: string; readonly canonical: string };

export interface CloudTrailContext {
  /** `s3://<bucket>/<key>` of the CloudTrail file. */
  readonly filePath: string;
  /** Buckets whose events are kept; undefined keeps every bucket. */
  readonly audited: ReadonlySet<string> | undefined;
}

const S3_SOURCE = 's3.amazonaws.com';

const str = z.string();
const optStr = z.string().nullish();
const Issuer = z.object({ type: optStr, principalId: optStr, arn: optStr, accountId: optStr, userName: optStr });
const Identity = z.object({
  type: optStr,
  principalId: optStr,
  arn: optStr,
  accountId: optStr,
  accessKeyId: optStr,
  userName: optStr,
  invokedBy: optStr,
  sessionContext: z
    .object({
      sessionIssuer: Issuer.nullish(),
      sourceIdentity: optStr,
      attributes: z.object({ mfaAuthenticated: z.union([z.string(), z.boolean()]).nullish() }).nullish(),
    })

    .nullish(),
});
const Resource = z.object({ type: optStr, ARN: optStr });
const num = z.union([z.number(), z.string().regex(/^\d+(?:\.0+)?$/)]).nullish();
const Record = z.object({
  eventVersion: optStr,
  userIdentity: Identity.nullish(),
  eventTime: str.refine((t) => !Number.isNaN(Date.parse(t)), 'not a time'),
  eventSource: str,
  eventName: str,
  awsRegion: optStr,
  sourceIPAddress: optStr,
  userAgent: optStr,
  errorCode: optStr,
  errorMessage: optStr,
  requestParameters: z.object({ bucketName: optStr, key: optStr, versionId: optStr }).nullish(),
  responseElements: z.object({ 'x-amz-version-id': optStr }).nullish(),
  additionalEventData: z
    .object({ SignatureVersion: optStr, CipherSuite: optStr, AuthenticationMethod: optStr, bytesTransferredIn: num, bytesTransferredOut: num })

    .nullish(),
  requestID: optStr,
  eventID: optStr,
  readOnly: z.boolean().nullish(),
  resources: z.array(Resource).nullish(),
  eventType: optStr,
  recipientAccountId: optStr,
  eventCategory: optStr,
  vpcEndpointId: optStr,
  sharedEventID: optStr,
  tlsDetails: z.object({ tlsVersion: optStr, cipherSuite: optStr }).nullish(),
});
type ParsedRecord = z.infer<typeof Record>;

/** JSON with object keys sorted at every level: the same record always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The document id of a CloudTrail event: its eventID is unique, so a redelivered file gives the same ids. */
export function cloudTrailDocumentId(eventId: string): string {
  return sha256(`${CLOUDTRAIL_DATASET}\n${eventId}`);
}

/** Bucket and key of the object the event is about: requestParameters first, else the object resource ARN. */
function target(r: ParsedRecord): { bucket?: string; key?: string } {
  const rp = r.requestParameters;
  let bucket = rp?.bucketName ?? undefined;
  let key = rp?.key ?? undefined;
  for (const res of r.resources ?? []) {
    const arn = res.ARN;
    if (typeof arn !== 'string' || !arn.startsWith('arn:aws')) continue;
    const path = arn.slice(arn.indexOf(':::') + 3);
    if (res.type === 'AWS::S3::Object' && path.includes('/')) {
      bucket ??= path.slice(0, path.indexOf('/'));
      key ??= path.slice(path.indexOf('/') + 1);
    } else if (res.type === 'AWS::S3::Bucket') bucket ??= path;
  }
  return { ...(bucket ? { bucket } : {}), ...(key !== undefined && key !== '' ? { key } : {}) };
}

const PRINCIPAL_TYPES = new Set<PrincipalType>(['IAMUser', 'AssumedRole', 'FederatedUser', 'Root', 'AWSService', 'AWSAccount']);
const ACCOUNT = /^\d{12}$/;

/** The access events' principal model, from userIdentity (its own type and account win over what the ARN says). */
export function principalFromIdentity(id: ParsedRecord['userIdentity']): PrincipalFields | undefined {
  if (id === undefined || id === null) return undefined;
  // An anonymous request: CloudTrail names the account ANONYMOUS_PRINCIPAL.
  if (id.accountId === 'ANONYMOUS_PRINCIPAL' || id.principalId === 'ANONYMOUS_PRINCIPAL') return { type: 'Anonymous' };
  const fromArn = id.arn ? principalOf(id.arn) : {};
  const type = id.type !== undefined && id.type !== null && PRINCIPAL_TYPES.has(id.type as PrincipalType) ? (id.type as PrincipalType) : fromArn.type;
  const account = id.accountId && ACCOUNT.test(id.accountId) ? id.accountId : fromArn.account_id;
  const role = id.sessionContext?.sessionIssuer?.userName ?? fromArn.role_name;
  const out: PrincipalFields = {
    ...(type ? { type } : {}),
    ...(account ? { account_id: account } : {}),
    ...(role && type === 'AssumedRole' ? { role_name: role } : {}),
    ...(fromArn.session_name ? { session_name: fromArn.session_name } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

function userIdentity(id: ParsedRecord['userIdentity']): CloudTrailUserIdentity | undefined {
  if (id === undefined || id === null) return undefined;
  const issuer = id.sessionContext?.sessionIssuer;
  const mfa = id.sessionContext?.attributes?.mfaAuthenticated;
  const pick = <T extends Record<string, unknown>>(o: T): Partial<T> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== '')) as Partial<T>;
  const issuerOut = issuer
    ? pick({ type: issuer.type, principal_id: issuer.principalId, arn: issuer.arn, account_id: issuer.accountId, user_name: issuer.userName })
    : {};
  const out = pick({
    type: id.type,
    principal_id: id.principalId,
    arn: id.arn,
    account_id: id.accountId,
    access_key_id: id.accessKeyId,
    user_name: id.userName,
    invoked_by: id.invokedBy,
    source_identity: id.sessionContext?.sourceIdentity,
    mfa_authenticated: mfa === undefined || mfa === null ? undefined : mfa === true || mfa === 'true',
  });
  return { ...out, ...(Object.keys(issuerOut).length > 0 ? { session_issuer: issuerOut } : {}) } as CloudTrailUserIdentity;
}

/** ECS event.type of an S3 API action. */
function typesOf(action: string): string[] {
  if (/^(?:Delete|PutObjectRetention|PutObjectLegalHold)/.test(action)) return action.startsWith('Delete') ? ['deletion'] : ['change'];
  if (/^(?:Put|Copy|CompleteMultipart|CreateMultipart|UploadPart|Restore)/.test(action)) return ['creation'];
  return ['access'];
}

const toNumber = (v: number | string | null | undefined): number | undefined => (v === undefined || v === null ? undefined : Math.round(Number(v)));

export function buildCloudTrailEvent(raw: Record<string, unknown>, index: number, ctx: CloudTrailContext): CloudTrailBuild {
  const source = raw.eventSource;
  if (source !== S3_SOURCE) return { kind: 'skip', reason: 'not_s3_data_event', detail: `eventSource ${typeof source === 'string' ? source : '-'}` };
  const canonical = canonicalJson(raw);
  const hash = sha256(canonical);
  const parsed = Record.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'refused', reason: 'ct_bad_record', detail: `${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`, hash, canonical };
  }
  const r = parsed.data;
  const { bucket, key } = target(r);
  if (ctx.audited !== undefined && (bucket === undefined || !ctx.audited.has(bucket))) {
    return { kind: 'skip', reason: 'other_bucket', detail: `bucket ${bucket ?? '-'}` };
  }
  if (r.eventID === undefined || r.eventID === null || r.eventID === '')
    return { kind: 'refused', reason: 'ct_missing_event_id', detail: 'no eventID', hash, canonical };
  if (r.requestID === undefined || r.requestID === null || r.requestID === '') {
    return { kind: 'refused', reason: 'ct_missing_request_id', detail: 'no requestID', hash, canonical };
  }
  const ip = r.sourceIPAddress ?? undefined;
  const clientIp = ip !== undefined && isIP(ip) !== 0 ? ip : undefined;
  const principal = principalFromIdentity(r.userIdentity);
  const identity = userIdentity(r.userIdentity);
  const email = emailOf(identity?.source_identity) ?? emailOf(principal?.session_name);
  const versionId = r.requestParameters?.versionId ?? r.responseElements?.['x-amz-version-id'] ?? undefined;
  const extra = r.additionalEventData;
  const bytesIn = toNumber(extra?.bytesTransferredIn);
  const bytesOut = toNumber(extra?.bytesTransferredOut);
  const tls = r.tlsDetails;
  const event: CloudTrailEvent = {
    '@timestamp': new Date(Date.parse(r.eventTime)).toISOString(),
    event: {
      kind: 'event',
      dataset: CLOUDTRAIL_DATASET,
      module: 'aws',
      provider: r.eventSource,
      action: r.eventName,
      id: r.requestID,
      ...(r.errorCode ? { code: r.errorCode } : {}),
      outcome: r.errorCode ? 'failure' : 'success',
      category: ['file'],
      // As the access events: a refusal of authorization is also `denied`.
      type: r.errorCode === 'AccessDenied' ? [...typesOf(r.eventName), 'denied'] : typesOf(r.eventName),
      hash,
    },
    ecs: { version: ECS_VERSION },
    cloud: { provider: 'aws', ...(r.awsRegion ? { region: r.awsRegion } : {}) },
    ...(clientIp ? { client: { ip: clientIp }, related: { ip: [clientIp] } } : {}),
    ...(r.userAgent ? { user_agent: { original: r.userAgent } } : {}),
    ...(tls && (tls.tlsVersion || tls.cipherSuite)
      ? {
          tls: {
            ...(tls.tlsVersion && tlsVersionOf(tls.tlsVersion) ? { version: tlsVersionOf(tls.tlsVersion) } : {}),
            ...(tls.cipherSuite ? { cipher: tls.cipherSuite } : {}),
          },
        }
      : {}),
    // actor.kind is decided by configuration in enrichment; until then nothing is claimed.
    actor: { kind: principal?.type === 'Anonymous' ? 'anonymous' : 'unknown', ...(email ? { email } : {}) },
    aws: {
      ...(principal ? { principal } : {}),
      s3: {
        ...(bucket ? { bucket: { name: bucket } } : {}),
        ...(key !== undefined || versionId ? { object: { ...(key !== undefined ? { key } : {}), ...(versionId ? { version_id: versionId } : {}) } } : {}),
      },
      cloudtrail: {
        event_id: r.eventID,
        ...(r.eventVersion ? { event_version: r.eventVersion } : {}),
        ...(r.eventType ? { event_type: r.eventType } : {}),
        ...(r.eventCategory ? { event_category: r.eventCategory } : {}),
        ...(typeof r.readOnly === 'boolean' ? { read_only: r.readOnly } : {}),
        ...(ip ? { source_ip_address: ip } : {}),
        ...(r.errorMessage ? { error_message: r.errorMessage } : {}),
        ...(r.recipientAccountId ? { recipient_account_id: r.recipientAccountId } : {}),
        ...(r.vpcEndpointId ? { vpc_endpoint_id: r.vpcEndpointId } : {}),
        ...(r.sharedEventID ? { shared_event_id: r.sharedEventID } : {}),
        ...(extra?.AuthenticationMethod ? { authentication_method: extra.AuthenticationMethod } : {}),
        ...(extra?.SignatureVersion ? { signature_version: extra.SignatureVersion } : {}),
        ...(bytesIn !== undefined ? { bytes_transferred_in: bytesIn } : {}),
        ...(bytesOut !== undefined ? { bytes_transferred_out: bytesOut } : {}),
        ...(identity ? { user_identity: identity } : {}),
        original: canonical,
      },
    },
    log: { file: { path: ctx.filePath }, offset: index },
    enrichment: { status: 'not_a_recording' },
  };
  return { kind: 'event', doc: { id: cloudTrailDocumentId(r.eventID), event } };
}
