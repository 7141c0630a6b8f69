import { isAscii, isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { redactCredentials, redactRequestUri } from '../core/redact-text.js';
import type { RawLine } from '../decode/lines.js';
import { parseAccessLogLine, type RejectReason } from '../decode/s3-access-log.js';
import { bucketRegionOf, decodeKey, extensionOf, outcomeOf, splitRequestLine, tlsVersionOf, typesOf } from './ecs.js';
import { emailOf, principalOf } from './principal.js';
import { presignedOf, queryParams, versionIdOf } from './request-params.js';
import type { AccessEvent, ActorKind, IndexableEvent } from './types.js';

export type { RejectReason } from '../decode/s3-access-log.js';

/** Where a line came from. */
export interface SourceContext {
  /** The bucket the log object is in; part of every document id. The CLI's default is ''. */
  readonly logBucket: string;
  /** `s3://<log-bucket>/<log-key>` or a local path: log.file.path. */
  readonly filePath: string;
}

/** A line that did not become an event, with everything the quarantine needs. */
export interface Rejection {
  readonly reason: RejectReason;
  /** 1-based line number in the object. */
  readonly line: number;
  /** The raw bytes (a copy; for line_too_long only the first maxLineBytes). */
  readonly raw: Buffer;
  /** sha256 of the whole raw line, hex (over the full line even when `raw` is a preview). */
  readonly hash: string;
  /** The document id the line would have had (documentId(logBucket, hash)). */
  readonly id: string;
  readonly detail: string;
}

export type LineResult = { ok: true; doc: IndexableEvent } | { ok: false; rejection: Rejection };

/**
 * Bumped whenever the same input line would produce a different event. A stored document with an
 * older parser version may differ from a fresh parse without that being an integrity alarm.
 */
export const PARSER_VERSION = 5;

/** The ECS version the field names follow (Elastic's aws_s3access integration writes the same). */
export const ECS_VERSION = '8.11.0';

/** sha256 of the raw line bytes, hex: event.hash, the evidence fingerprint. */
export function lineHash(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'hex');
}

/**
 * The document id: sha256 over the UTF-8 bytes of `<log bucket name>` + `\n` + event.hash (the hex
 * sha256 of the raw line bytes). A commitment to the bucket and the raw bytes, like hashing them
 * together, with two properties: anyone can recompute it from a stored document (bucket from
 * log.file.path, event.hash) without the raw line, and an over-long line that was streamed
 * through a hash, never held whole, still gets its id. The same record delivered again, in any log
 * object of the same bucket, has the same id; the log object key and line number are provenance,
 * not identity, because a copy writes two records with one Request ID. In an index, the id has its
 * month's form: this hex, or its first 128 bits (src/event/document-id.ts).
 */
export function documentId(logBucket: string, hashHex: string): string {
  return hash('sha256', `${logBucket}\n${hashHex}`, 'hex');
}

function reject(line: RawLine, ctx: SourceContext, reason: RejectReason, detail: string, hashHex?: string): { ok: false; rejection: Rejection } {
  const h = hashHex ?? lineHash(line.bytes);
  return {
    ok: false,
    rejection: { reason, line: line.number, raw: Buffer.from(line.bytes), hash: h, id: documentId(ctx.logBucket, h), detail },
  };
}

/** The line as text: ASCII as is; otherwise UTF-8, invalid sequences replaced by U+FFFD (flagged). */
function decodeText(bytes: Buffer): { text: string; invalid: boolean } {
  if (isAscii(bytes)) return { text: bytes.toString('latin1'), invalid: false };
  const text = bytes.toString('utf8');
  return { text, invalid: text.indexOf('\uFFFD') >= 0 && !isUtf8(bytes) };
}

/**
 * One raw line to one indexable event, or a rejection with a stable reason. Never throws.
 * Credential values are redacted from Request-URI, Referer and User-Agent before anything is
 * derived from them (url.*); event.hash and the id stay over the raw bytes, the evidence.
 */
export function buildEvent(line: RawLine, ctx: SourceContext): LineResult {
  try {
    return build(line, ctx);
  } catch (err) {
    // A parser bug must not lose the line: it is quarantined with the error as its detail.
    return reject(line, ctx, 'bad_field', `internal parser error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function build(line: RawLine, ctx: SourceContext): LineResult {
  if (line.truncated !== undefined) {
    return reject(
      line,
      ctx,
      'line_too_long',
      `line of ${line.truncated.totalBytes} bytes is longer than the ${line.bytes.length}-byte cap`,
      line.truncated.sha256,
    );
  }
  const { text, invalid } = decodeText(line.bytes);
  const parsed = parseAccessLogLine(text);
  if (!parsed.ok) return reject(line, ctx, parsed.reason, parsed.detail);
  const f = parsed.fields;
  const h = lineHash(line.bytes);

  // Read before redaction: only values of a checked shape are copied (src/event/request-params.ts).
  const operation = f.operation ?? '';
  let presigned: AccessEvent['aws']['s3']['presigned'];
  let versionId: string | undefined;
  const presign = f.authentication_type === 'QueryString';
  const del = operation === 'REST.DELETE.OBJECT';
  if ((presign || del) && f.request_uri !== undefined) {
    const params = queryParams(splitRequestLine(f.request_uri).target);
    if (presign) presigned = presignedOf(params);
    if (del) versionId = versionIdOf(params);
  }

  let redacted = false;
  if (f.request_uri !== undefined) {
    const r = redactRequestUri(f.request_uri);
    if (r !== f.request_uri) {
      f.request_uri = r;
      redacted = true;
    }
  }
  if (f.referrer !== undefined) {
    const r = redactCredentials(f.referrer, 0, true);
    if (r !== f.referrer) {
      f.referrer = r;
      redacted = true;
    }
  }
  if (f.user_agent !== undefined) {
    const r = redactCredentials(f.user_agent);
    if (r !== f.user_agent) {
      f.user_agent = r;
      redacted = true;
    }
  }

  let http: AccessEvent['http'];
  if (f.request_uri !== undefined) {
    const rl = splitRequestLine(f.request_uri);
    if (rl.method !== undefined || rl.version !== undefined)
      http = { request: rl.method === undefined ? undefined : { method: rl.method }, version: rl.version };
  }
  const tlsVersion = f.tls_version === undefined ? undefined : tlsVersionOf(f.tls_version);
  const key = f.key === undefined ? undefined : decodeKey(f.key);
  const extension = key === undefined ? undefined : extensionOf(key.key);
  const principal = principalOf(f.requester);
  const email = emailOf(principal.session_name);
  // Without configuration: only what the requester itself says. Enrichment decides the rest.
  const kind: ActorKind = principal.type === 'Anonymous' ? 'anonymous' : principal.type === 'AWSService' ? 'service' : 'unknown';

  // One literal in a fixed order: every event has the same shape, and JSON omits the undefined.
  // What repeats a raw value (client.ip, event.action, url.domain, ...) is an alias in the mapping.
  const event: AccessEvent = {
    '@timestamp': parsed.timestamp,
    event: {
      kind: 'event',
      dataset: 'aws.s3access',
      module: 'aws',
      outcome: outcomeOf(f.http_status),
      category: ['file'],
      type: typesOf(operation, f.http_status),
      hash: h,
      redacted,
      invalid_utf8: invalid,
      parser_version: PARSER_VERSION,
      self: false,
      duration: f.total_time === undefined ? undefined : f.total_time * 1_000_000,
    },
    ecs: { version: ECS_VERSION },
    cloud: { provider: 'aws', region: bucketRegionOf(f.host_header, f.access_point_arn) },
    http,
    tls: tlsVersion === undefined ? undefined : { version: tlsVersion },
    url: extension === undefined ? undefined : { extension },
    actor: email === undefined ? { kind } : { kind, email },
    aws: {
      s3access: f,
      principal,
      s3: {
        object: { key: key?.key, key_decode_failed: key?.failed === true, version_id: versionId },
        presigned,
      },
    },
    log: { file: { path: ctx.filePath }, offset: line.number },
  };

  return { ok: true, doc: { id: documentId(ctx.logBucket, h), event } };
}
