import { hash } from 'node:crypto';
import { redactRawLine } from '../core/redact-line.js';
import { redactSecretsInText } from '../core/redact-text.js';
import { PARSER_VERSION } from './build.js';
import { decodeKey } from './ecs.js';
import type { IndexableDocument, PipelineErrorEvent, RecoveredField } from './types.js';
import type { S3AccessFields } from '../decode/s3-access-log.js';

/**
 * The pipeline_error document's id: derived from the id the line's own event has (or would have)
 * and the reason, never equal to it. Redelivery writes the same id (a 409 with the same hash is a
 * duplicate), and a later parser that accepts the line still gets to create the real event.
 */
export function pipelineErrorId(eventId: string, reason: string): string {
  return hash('sha256', `pipeline_error\n${eventId}\n${reason}`, 'hex');
}

const RECOVERED: readonly RecoveredField[] = [
  'bucket_owner',
  'bucket',
  'remote_ip',
  'requester',
  'request_id',
  'operation',
  'key',
  'request_uri',
  'error_code',
  'referrer',
  'user_agent',
  'version_id',
  'host_id',
  'signature_version',
  'cipher_suite',
  'authentication_type',
  'host_header',
  'tls_version',
  'access_point_arn',
  'acl_required',
  'source_region',
];

/** Only string values of keyword fields: a number out of a long's range is what gets a document refused. */
function recoveredFrom(fields: object): PipelineErrorEvent['aws'] | undefined {
  const s3access: Partial<Record<RecoveredField, string>> = {};
  let any = false;
  for (const name of RECOVERED) {
    const v: unknown = (fields as Record<string, unknown>)[name];
    if (typeof v === 'string' && v !== '' && v !== '-') {
      s3access[name] = v;
      any = true;
    }
  }
  if (!any) return undefined;
  const key = s3access.key === undefined ? undefined : decodeKey(s3access.key).key;
  return {
    s3access,
    s3: { object: key === undefined ? {} : { key } },
  };
}

/**
 * The leading fields of a line the parser refused, where they line up: owner, bucket, `[time]`,
 * remote IP, requester, request id, operation, key. Nothing after the key is guessed at: the
 * quoted fields are what make a line unparseable.
 */
function leadingFields(text: string): Record<string, string> {
  const t = text.split(' ', 10);
  const out: Record<string, string> = {};
  if (t[0] !== undefined) out.bucket_owner = t[0];
  if (t[1] !== undefined) out.bucket = t[1];
  if (!(t[2]?.startsWith('[') === true && t[3]?.endsWith(']') === true)) return out;
  const rest: RecoveredField[] = ['remote_ip', 'requester', 'request_id', 'operation', 'key'];
  rest.forEach((name, i) => {
    const v = t[4 + i];
    if (v !== undefined) out[name] = v;
  });
  return out;
}

/** Longest error.message kept; an OpenSearch reason can quote a whole document. */
const MAX_MESSAGE = 2000;

export interface LineErrorInput {
  readonly reason: string;
  readonly stage: PipelineErrorEvent['error']['type'];
  /** The id the line's event has or would have (documentId). */
  readonly id: string;
  /** sha256 of the original raw line, hex. */
  readonly hash: string;
  /** The raw bytes (or the preview of an over-long line). */
  readonly raw: Uint8Array;
  readonly line: number;
  readonly detail?: string;
  /** Fields already parsed (an admission reject); otherwise the leading fields are read from the raw line. */
  readonly fields?: S3AccessFields;
}

export interface ErrorContext {
  /** log.file.path: s3://bucket/key. */
  readonly source: string;
  /** The log object's time, ISO 8601. */
  readonly objectTime: string;
}

/** The pipeline_error document for a rejected line. The stored line is redacted; event.hash is the original's. */
export function lineErrorEvent(input: LineErrorInput, ctx: ErrorContext): IndexableDocument<PipelineErrorEvent> {
  const { bytes, redacted } = redactRawLine(input.raw);
  const original = bytes.toString('utf8');
  const recovered = recoveredFrom(input.fields ?? leadingFields(original));
  return errorDocument(input.id, input.reason, input.stage, input.hash, input.line, input.detail, ctx, recovered, original, redacted);
}

/** The pipeline_error document for an access event OpenSearch refused (or whose id held another hash). */
export function documentErrorEvent(doc: IndexableDocument, reason: string, ctx: ErrorContext, detail?: string): IndexableDocument<PipelineErrorEvent> {
  const aws = (doc.event as { aws?: { s3access?: object } }).aws;
  const recovered = aws?.s3access === undefined ? undefined : recoveredFrom(aws.s3access);
  return errorDocument(doc.id, reason, 'index', doc.event.event.hash, doc.event.log.offset, detail, ctx, recovered, undefined, false);
}

function errorDocument(
  id: string,
  reason: string,
  stage: PipelineErrorEvent['error']['type'],
  hashHex: string,
  line: number,
  detail: string | undefined,
  ctx: ErrorContext,
  aws: PipelineErrorEvent['aws'] | undefined,
  original: string | undefined,
  redacted: boolean,
): IndexableDocument<PipelineErrorEvent> {
  const message = detail === undefined ? undefined : redactSecretsInText(detail.length > MAX_MESSAGE ? `${detail.slice(0, MAX_MESSAGE)}…` : detail);
  const event: PipelineErrorEvent = {
    '@timestamp': ctx.objectTime,
    event: {
      kind: 'pipeline_error',
      dataset: 'aws.s3access',
      outcome: 'unknown',
      category: ['file'],
      type: ['error'],
      hash: hashHex,
      original,
      redacted,
      parser_version: PARSER_VERSION,
    },
    error: { code: reason, type: stage, message },
    aws,
    log: { file: { path: ctx.source }, offset: line },
  };
  return { id: pipelineErrorId(id, reason), event };
}
