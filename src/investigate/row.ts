import { z } from 'zod';

/**
 * One search hit as the investigation outputs see it, parsed at the boundary. Every field but the
 * id is optional and a value of an unexpected type reads as absent: a document written by an older
 * worker, or a field that became a query-only alias (not in `_source`), must not stop a report.
 * Where v2 keeps a field only as an alias, the raw `aws.s3access.*` value it points to is read.
 */

const str = z.string().optional().catch(undefined);
const num = z.number().optional().catch(undefined);
const bool = z.boolean().optional().catch(undefined);

const ParticipantSchema = z.object({ user_id: str, name: str, purpose: str });

const SourceSchema = z.object({
  '@timestamp': str,
  event: z
    .object({ dataset: str, action: str, outcome: str, hash: str, self: bool, parser_version: num, id: str, code: str })
    .partial()
    .optional()
    .catch(undefined),
  actor: z.object({ kind: str, email: str, name: str, genesys_user_id: str }).optional().catch(undefined),
  source: z.object({ ip: str }).optional().catch(undefined),
  client: z.object({ ip: str }).optional().catch(undefined),
  user_agent: z.object({ original: str }).optional().catch(undefined),
  aws: z
    .object({
      s3access: z
        .object({
          requester: str,
          operation: str,
          remote_ip: str,
          bucket: str,
          key: str,
          http_status: num,
          error_code: str,
          bytes_sent: num,
          object_size: num,
          user_agent: str,
          authentication_type: str,
          request_id: str,
        })
        .optional()
        .catch(undefined),
      principal: z.object({ type: str, account_id: str, role_name: str, session_name: str }).optional().catch(undefined),
      s3: z
        .object({
          bucket: z.object({ name: str }).optional().catch(undefined),
          object: z.object({ key: str, version_id: str }).optional().catch(undefined),
          presigned: z.object({ access_key_id: str, signed_at: str, expires_at: str }).optional().catch(undefined),
        })
        .optional()
        .catch(undefined),
    })
    .optional()
    .catch(undefined),
  log: z
    .object({ file: z.object({ path: str }).optional().catch(undefined), offset: num })
    .optional()
    .catch(undefined),
  genesys: z
    .object({
      conversation: z.object({ id: str }).optional().catch(undefined),
      audit: z.object({ client_id: str }).optional().catch(undefined),
      recording: z.object({ id: str, file: str }).optional().catch(undefined),
      participants: z.array(ParticipantSchema).optional().catch(undefined),
      agent: z
        .object({ user_ids: z.array(z.string()).optional().catch(undefined) })
        .optional()
        .catch(undefined),
    })
    .optional()
    .catch(undefined),
  enrichment: z.object({ status: str }).optional().catch(undefined),
});

const HitSchema = z.object({
  _id: z.string(),
  _index: z.string().optional().catch(undefined),
  _source: z.record(z.string(), z.unknown()).optional().catch(undefined),
  sort: z.array(z.unknown()).optional().catch(undefined),
});

export interface Participant {
  readonly userId?: string;
  readonly name?: string;
  readonly purpose?: string;
}

/** What kind of access an operation is, in an auditor's words. */
export type AccessKind = 'read' | 'head_only' | 'write' | 'delete' | 'list' | 'other';

export interface AccessRow {
  readonly id: string;
  readonly index?: string;
  /** `event.dataset`: aws.s3access (an S3 access log record) or genesys.audit (Genesys's own audit trail). */
  readonly dataset?: string;
  readonly timestamp?: string;
  readonly actorKind?: string;
  readonly actorEmail?: string;
  /** The Genesys user behind the actor: `actor.name`, `actor.genesys_user_id`. */
  readonly actorName?: string;
  readonly actorUserId?: string;
  /** `genesys.audit.client_id`: the OAuth client of a Genesys action. */
  readonly genesysClientId?: string;
  readonly requester?: string;
  readonly principalType?: string;
  readonly accountId?: string;
  readonly roleName?: string;
  readonly sessionName?: string;
  readonly self: boolean;
  readonly operation?: string;
  readonly access: AccessKind;
  readonly outcome?: string;
  readonly httpStatus?: number;
  readonly errorCode?: string;
  readonly sourceIp?: string;
  readonly bucket?: string;
  readonly key?: string;
  readonly versionId?: string;
  readonly bytesSent?: number;
  readonly userAgent?: string;
  readonly presigned: boolean;
  readonly presignedAccessKeyId?: string;
  readonly presignedExpiresAt?: string;
  readonly conversationId?: string;
  readonly recordingId?: string;
  readonly recordingFile?: string;
  readonly agentUserIds: readonly string[];
  readonly participants: readonly Participant[];
  readonly enrichmentStatus?: string;
  readonly logFile?: string;
  readonly logLine?: number;
  readonly hash?: string;
  readonly parserVersion?: number;
  /** The S3 request id (`event.id`): an access-log record's Request ID, a CloudTrail event's requestID. */
  readonly requestId?: string;
  /**
   * Set on a row that stands for one request recorded by both sources (src/investigate/twins.ts):
   * the datasets, and the other records' document ids.
   */
  readonly sources?: readonly string[];
  readonly twinIds?: readonly string[];
}

/** A hit: its parsed row, the raw `_source` (for ndjson) and its sort values (for search_after). */
export interface Hit {
  readonly row: AccessRow;
  readonly source: Readonly<Record<string, unknown>>;
  readonly sort?: readonly unknown[];
}

export function accessKindOf(operation: string | undefined): AccessKind {
  if (operation === undefined) return 'other';
  if (operation === 'REST.HEAD.OBJECT') return 'head_only';
  if (operation === 'REST.GET.OBJECT' || operation === 'REST.COPY.OBJECT_GET' || operation === 'REST.COPY.PART_GET' || operation === 'REST.GET.OBJECT_TORRENT')
    return 'read';
  if (operation === 'REST.GET.BUCKET' || operation === 'REST.GET.BUCKETVERSIONS' || operation === 'REST.GET.UPLOADS') return 'list';
  if (
    operation === 'REST.DELETE.OBJECT' ||
    operation === 'BATCH.DELETE.OBJECT' ||
    operation === 'S3.EXPIRE.OBJECT' ||
    operation === 'S3.CREATE.DELETEMARKER' ||
    operation === 'REST.POST.MULTI_OBJECT_DELETE'
  ) {
    return 'delete';
  }
  if (/^REST\.(PUT|POST|COPY)\./.test(operation) || operation.startsWith('S3.')) return 'write';
  return 'other';
}

/** What a Genesys audit action did to the recording, in the same words as the S3 operations. */
export function auditAccessKindOf(action: string | undefined): AccessKind {
  switch (action) {
    case 'Read':
    case 'View':
    case 'Download':
    case 'Export':
      return 'read';
    case 'Delete':
    case 'Abandon':
      return 'delete';
    case 'Create':
    case 'Update':
    case 'UpdateRetention':
    case 'ApplyProtection':
    case 'RevokeProtection':
    case 'Archive':
    case 'RestoreRequest':
    case 'RestoreComplete':
      return 'write';
    default:
      return 'other';
  }
}

/** Which source an event came from, as the outputs label it. */
export function sourceLabel(row: AccessRow): string {
  if (row.sources !== undefined && row.sources.length > 1) return row.sources.map(shortSource).join('+');
  if (row.dataset === 'genesys.audit') return 'genesys';
  if (row.dataset === 'aws.cloudtrail') return 'ct';
  return row.dataset === undefined || row.dataset === 'aws.s3access' ? 's3' : row.dataset;
}

const shortSource = (dataset: string): string =>
  dataset === 'aws.s3access' ? 's3' : dataset === 'aws.cloudtrail' ? 'ct' : dataset === 'genesys.audit' ? 'genesys' : dataset;

/** Parses one search hit; undefined when it is not a hit at all (no `_id`). */
export function parseHit(raw: unknown): Hit | undefined {
  const hit = HitSchema.safeParse(raw);
  if (!hit.success) return undefined;
  const source = hit.data._source ?? {};
  const s = SourceSchema.parse(source);
  const a3 = s.aws?.s3access;
  const operation = s.event?.action ?? a3?.operation;
  const dataset = s.event?.dataset;
  const audit = dataset === 'genesys.audit';
  const participants = (s.genesys?.participants ?? []).map((p) => ({ userId: p.user_id, name: p.name, purpose: p.purpose }));
  const row: AccessRow = {
    id: hit.data._id,
    index: hit.data._index,
    dataset,
    timestamp: s['@timestamp'],
    actorKind: s.actor?.kind,
    actorEmail: s.actor?.email,
    actorName: s.actor?.name,
    actorUserId: s.actor?.genesys_user_id,
    genesysClientId: s.genesys?.audit?.client_id,
    requester: a3?.requester,
    principalType: s.aws?.principal?.type,
    accountId: s.aws?.principal?.account_id,
    roleName: s.aws?.principal?.role_name,
    sessionName: s.aws?.principal?.session_name,
    self: s.event?.self === true,
    operation,
    access: audit ? auditAccessKindOf(operation) : accessKindOf(operation),
    outcome: s.event?.outcome,
    httpStatus: a3?.http_status,
    errorCode: a3?.error_code ?? s.event?.code,
    sourceIp: s.client?.ip ?? s.source?.ip ?? a3?.remote_ip,
    bucket: a3?.bucket ?? s.aws?.s3?.bucket?.name,
    key: s.aws?.s3?.object?.key ?? a3?.key,
    versionId: s.aws?.s3?.object?.version_id,
    bytesSent: a3?.bytes_sent,
    userAgent: a3?.user_agent ?? s.user_agent?.original,
    presigned: a3?.authentication_type === 'QueryString',
    presignedAccessKeyId: s.aws?.s3?.presigned?.access_key_id,
    presignedExpiresAt: s.aws?.s3?.presigned?.expires_at,
    conversationId: s.genesys?.conversation?.id,
    recordingId: s.genesys?.recording?.id,
    recordingFile: s.genesys?.recording?.file,
    agentUserIds: s.genesys?.agent?.user_ids ?? [],
    participants,
    enrichmentStatus: s.enrichment?.status,
    logFile: s.log?.file?.path,
    logLine: s.log?.offset,
    hash: s.event?.hash,
    parserVersion: s.event?.parser_version,
    requestId: a3?.request_id ?? (dataset === 'aws.cloudtrail' ? s.event?.id : undefined),
  };
  return { row, source, sort: hit.data.sort };
}

/**
 * Who did it, shortest first: the person's email, their Genesys name, the role and session, the
 * raw Requester, or anonymous.
 */
export function actorLabel(row: AccessRow): string {
  if (row.actorEmail !== undefined) return row.actorEmail;
  if (row.actorName !== undefined) return row.actorName;
  if (row.actorUserId !== undefined) return row.actorUserId;
  // A Genesys action by an OAuth client without a user.
  if (row.genesysClientId !== undefined) return `oauth client ${row.genesysClientId}`;
  if (row.roleName !== undefined) return row.sessionName === undefined ? row.roleName : `${row.roleName}/${row.sessionName}`;
  if (row.requester !== undefined && row.requester !== '-') return row.requester;
  return row.actorKind === 'anonymous' || row.requester === undefined || row.requester === '-' ? 'anonymous' : row.requester;
}

/** The agents of the recording, by name where a participant with that user id has one. */
export function agentNames(row: AccessRow): string[] {
  return row.agentUserIds.map((id) => row.participants.find((p) => p.userId === id && p.name !== undefined)?.name ?? id);
}

/** The operation as a person reads it; a HEAD is labelled, because it reads metadata only. */
export function operationLabel(row: AccessRow): string {
  const op = row.operation ?? '-';
  return row.access === 'head_only' ? `${op} (HEAD only)` : op;
}
