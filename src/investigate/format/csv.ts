import { agentNames, actorLabel, sourceLabel, type AccessRow } from '../row.js';
import { zonedIso } from './time.js';

/**
 * The CSV of `query --format csv` and `report --format csv`. The columns are a contract: they are
 * added only at the end, never renamed, reordered or removed (docs/investigations.md lists them,
 * and a test checks that list against this one). Lists inside a cell are joined with `;`.
 */
export interface CsvColumn {
  readonly name: string;
  readonly description: string;
  readonly value: (row: AccessRow, zone: string) => string | number | boolean | undefined;
}

const list = (values: readonly string[]): string => values.join(';');

export const CSV_COLUMNS: readonly CsvColumn[] = [
  { name: 'timestamp_utc', description: 'Time of the request (`@timestamp`), ISO 8601 UTC.', value: (r) => r.timestamp },
  { name: 'timestamp_local', description: 'The same time in `--tz` (UTC without it), ISO 8601 with offset.', value: (r, z) => zonedIso(r.timestamp, z) },
  {
    name: 'actor',
    description: 'Who, as shown in the table: `actor.email`, else `role/session`, else the Requester, else `anonymous`.',
    value: (r) => actorLabel(r),
  },
  { name: 'actor_kind', description: '`actor.kind`: human, service, self, anonymous or unknown (by configuration).', value: (r) => r.actorKind },
  { name: 'actor_email', description: '`actor.email`: the session name when it is an email address.', value: (r) => r.actorEmail },
  {
    name: 'requester',
    description: '`aws.s3access.requester`: the Requester exactly as S3 logged it (an ARN, canonical id or service).',
    value: (r) => r.requester,
  },
  {
    name: 'principal_type',
    description: '`aws.principal.type`: AssumedRole, IAMUser, FederatedUser, Root, AWSService, AWSAccount, Anonymous.',
    value: (r) => r.principalType,
  },
  { name: 'account_id', description: '`aws.principal.account_id`.', value: (r) => r.accountId },
  { name: 'role_name', description: '`aws.principal.role_name`.', value: (r) => r.roleName },
  { name: 'session_name', description: '`aws.principal.session_name`.', value: (r) => r.sessionName },
  { name: 'operation', description: '`event.action`: the S3 operation, e.g. REST.GET.OBJECT.', value: (r) => r.operation },
  {
    name: 'access',
    description: 'What the operation did to the object: read, head_only (metadata only, no content), write, delete, list or other.',
    value: (r) => r.access,
  },
  { name: 'outcome', description: '`event.outcome`: success, failure or unknown.', value: (r) => r.outcome },
  { name: 'http_status', description: '`aws.s3access.http_status`.', value: (r) => r.httpStatus },
  { name: 'error_code', description: '`aws.s3access.error_code`, e.g. AccessDenied.', value: (r) => r.errorCode },
  { name: 'source_ip', description: '`aws.s3access.remote_ip` (the Remote IP; `client.ip` and `source.ip` in queries).', value: (r) => r.sourceIp },
  { name: 'bucket', description: '`aws.s3access.bucket`.', value: (r) => r.bucket },
  { name: 'key', description: '`aws.s3.object.key`: the object key, decoded.', value: (r) => r.key },
  { name: 'version_id', description: "`aws.s3.object.version_id`: a DELETE's versionId (a permanent version delete).", value: (r) => r.versionId },
  { name: 'bytes_sent', description: '`aws.s3access.bytes_sent`: bytes of the response body.', value: (r) => r.bytesSent },
  { name: 'user_agent', description: '`aws.s3access.user_agent`, credentials redacted.', value: (r) => r.userAgent },
  { name: 'presigned', description: 'true when the request was signed in the query string (a presigned URL).', value: (r) => r.presigned },
  { name: 'presigned_access_key_id', description: '`aws.s3.presigned.access_key_id`: whose key signed the URL.', value: (r) => r.presignedAccessKeyId },
  { name: 'presigned_expires_at', description: '`aws.s3.presigned.expires_at`.', value: (r) => r.presignedExpiresAt },
  { name: 'self', description: '`event.self`: true for recording-audit’s own requests (only with --include-self).', value: (r) => r.self },
  { name: 'conversation_id', description: '`genesys.conversation.id`.', value: (r) => r.conversationId },
  { name: 'recording_id', description: '`genesys.recording.id`.', value: (r) => r.recordingId },
  { name: 'recording_file', description: '`genesys.recording.file`: media or metadata (the sidecar).', value: (r) => r.recordingFile },
  { name: 'agent_user_ids', description: '`genesys.agent.user_ids`, `;`-separated.', value: (r) => list(r.agentUserIds) },
  {
    name: 'agent_names',
    description: 'The names of those agents from `genesys.participants` (the user id where no name is known), `;`-separated.',
    value: (r) => list(agentNames(r)),
  },
  {
    name: 'enrichment_status',
    description: '`enrichment.status`: resolved, partial, pending, not_found, not_a_recording or skipped.',
    value: (r) => r.enrichmentStatus,
  },
  { name: 'log_file', description: 'Evidence: `log.file.path`, the S3 access log object the line is in.', value: (r) => r.logFile },
  { name: 'log_line', description: 'Evidence: `log.offset`, the 1-based line number in that object.', value: (r) => r.logLine },
  { name: 'event_hash', description: 'Evidence: `event.hash`, sha256 of the raw log line.', value: (r) => r.hash },
  { name: 'document_id', description: 'Evidence: the document `_id`, sha256(log bucket + newline + event_hash).', value: (r) => r.id },
  { name: 'index', description: 'The monthly index that holds the document.', value: (r) => r.index },
  {
    name: 'source',
    description:
      'Which record the row is: `s3` (an S3 server access log line), `ct` (a CloudTrail S3 data event, `event.dataset: aws.cloudtrail`), `s3+ct` (one request both recorded: the access-log line, with the CloudTrail event in `twin_document_ids`) or `genesys` (a Genesys Cloud audit message, `event.dataset: genesys.audit`).',
    value: (r) => sourceLabel(r),
  },
  { name: 'actor_name', description: '`actor.name`: the Genesys user behind the actor.', value: (r) => r.actorName },
  { name: 'actor_genesys_user_id', description: '`actor.genesys_user_id`: that Genesys user’s id.', value: (r) => r.actorUserId },
  { name: 'request_id', description: '`event.id`: the S3 request id (the access log’s Request ID, CloudTrail’s requestID).', value: (r) => r.requestId },
  {
    name: 'twin_document_ids',
    description: 'For an `s3+ct` row: the document ids of the CloudTrail events of the same request, `;`-separated.',
    value: (r) => (r.twinIds === undefined ? undefined : list(r.twinIds)),
  },
];

/**
 * Spreadsheet applications run a cell that starts with = + - @ (or a tab / carriage return) as a
 * formula. Keys, user agents and session names are chosen by whoever made the request, so such a
 * cell gets a leading `'` (OWASP's CSV-injection advice): shown as text, the original still legible.
 */
export function neutralizeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, and quotes inside it are doubled. */
export function csvField(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  const text = neutralizeFormula(String(value));
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 records end in CRLF. */
export const CSV_EOL = '\r\n';

export function csvHeader(): string {
  return CSV_COLUMNS.map((c) => c.name).join(',') + CSV_EOL;
}

export function csvRecord(row: AccessRow, zone: string): string {
  return CSV_COLUMNS.map((c) => csvField(c.value(row, zone))).join(',') + CSV_EOL;
}
