import { createHash } from 'node:crypto';
import { redactRawLine } from '../../core/redact-line.js';
import { redactSecretsInText } from '../../core/redact-text.js';

/**
 * One line or document that did not become an indexed event, with why. Together with the indexed
 * events these account for every input line (lines = indexed + duplicates + quarantined).
 */
export interface QuarantineRecord {
  /** Stable reason code, e.g. `line_truncated`, `mapper_parsing_exception`, `integrity_mismatch`. */
  reason: string;
  stage: 'decode' | 'parse' | 'admission' | 'index';
  /** The log object the line came from (log.file.path: s3://bucket/key). */
  source: string;
  /** 1-based line number within the object, when known. */
  line?: number;
  /** Deterministic event id, when one was computed. */
  id?: string;
  /** sha256 of the raw line bytes, hex. */
  hash?: string;
  /** Base64 of the raw line bytes, for decode/parse rejects. */
  raw?: string;
  /** The rejected document, for index rejects. */
  document?: unknown;
  /** Human-readable detail (OpenSearch error reason, parser message). May quote line content. */
  detail?: string;
  /** Set by the store when it removed credential values from `raw` or `detail`. */
  redacted?: boolean;
  /** When the record was made, ISO 8601 UTC. */
  at: string;
}

/** A record as stored: with its idempotency key. */
export interface StoredQuarantineRecord extends QuarantineRecord {
  /**
   * sha256 over what identifies the rejection (stage, reason, source, line, id, hash, raw), not
   * over `at` or `detail`. Redelivery of a log object quarantines the same line again under the
   * same key: readers deduplicate by it.
   */
  key: string;
}

export interface QuarantineStore {
  /** Durable when resolved (fsync'd file or acknowledged PutObject). Concurrent calls are batched. */
  put(records: QuarantineRecord[]): Promise<void>;
  /** Waits for writes in progress, then releases files. */
  close(): Promise<void>;
}

export function quarantineKey(r: QuarantineRecord): string {
  const h = createHash('sha256');
  for (const part of [r.stage, r.reason, r.source, r.line ?? '', r.id ?? '', r.hash ?? '', r.raw ?? '']) {
    h.update(String(part));
    h.update('\u0000');
  }
  return h.digest('hex');
}

/**
 * The record as it may be stored: credential values (presigned URL signatures, session tokens,
 * passwords) removed from the raw line and the detail. A quarantine copy must not be a way to read
 * a still-valid presigned URL; `hash` stays the original's, and the original stays in the log
 * bucket. The key is over the redacted record, which is as deterministic as the original.
 */
export function redactRecord(r: QuarantineRecord): QuarantineRecord {
  let out = r;
  if (r.raw !== undefined) {
    const line = redactRawLine(Buffer.from(r.raw, 'base64'));
    if (line.redacted) out = { ...out, raw: line.bytes.toString('base64'), redacted: true };
  }
  if (r.detail !== undefined) {
    const detail = redactSecretsInText(r.detail);
    if (detail !== r.detail) out = { ...out, detail, redacted: true };
  }
  return out;
}

/** The stored form: redacted, with its idempotency key first. */
export function storedRecord(r: QuarantineRecord): StoredQuarantineRecord {
  const redacted = redactRecord(r);
  return { key: quarantineKey(redacted), ...redacted };
}

/** One NDJSON line per record, built with the JSON serializer (never by string templates). */
export function toNdjsonLine(r: QuarantineRecord): string {
  return JSON.stringify(storedRecord(r)) + '\n';
}
