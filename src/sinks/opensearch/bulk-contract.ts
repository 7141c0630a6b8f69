import type { Config } from '../../config/schema.js';
import type { AuditError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { IndexableDocument } from '../../event/types.js';
import type { Metrics } from '../../core/metrics.js';
import type { QuarantineStore } from '../quarantine/record.js';

/** The bulk writer's contract with the pipeline: outcomes, options, dependencies. */

export type ItemOutcome =
  | { status: 'indexed' }
  /** 409 and the stored event.hash equals ours. */
  | { status: 'duplicate' }
  /** Written to quarantine durably before this is reported. */
  | { status: 'quarantined'; reason: string }
  /** Retries exhausted or the quarantine write failed: the object must not be acknowledged. */
  | { status: 'failed'; error: AuditError };

/**
 * A write as the sink holds it until OpenSearch answers: the bytes it sent and the few facts the
 * answer is judged by, not the event object (which would live, and be copied by the collector,
 * for a whole request round trip).
 */
export interface SettledWrite {
  /** The id in the index: the document's own, or its short form in a month from the id cutover (src/event/document-id.ts). */
  readonly id: string;
  /** event.hash as sent: what a 409 is compared by. */
  readonly hash: string;
  /** `@timestamp` as sent. */
  readonly timestamp: string;
  /** The document as handed over (its own id), parsed back from the bytes held: a JSON.parse, for the rare paths (quarantine, its trace). */
  document(): IndexableDocument;
}

export interface WriteTracker {
  onOutcome(outcome: ItemOutcome, write: SettledWrite): void;
}

export interface BulkOptions {
  prefix: string;
  /** Flush at this many NDJSON body bytes (before gzip). */
  maxBytes: number;
  maxDocs: number;
  flushIntervalMs: number;
  /** Bulk requests in flight at once. */
  concurrency: number;
  gzip: boolean;
  retryBaseMs: number;
  retryMaxMs: number;
  retryMaxAttempts: number;
  /** Cap of bytes held: open batch + in flight + awaiting retry. Default 3 × maxBytes. */
  maxBufferedBytes?: number;
  /** Timeout of an availability probe. Default 5 s. */
  probeTimeoutMs?: number;
  /**
   * The access events' indexer: ids take their month's form (src/event/document-id.ts), and no
   * write is accepted before BulkIndexer.useIdCutover. Other families keep the hex id.
   */
  idsByMonth?: boolean;
}

export function bulkOptionsFrom(cfg: Config): BulkOptions {
  return {
    prefix: cfg.INDEX_PREFIX,
    maxBytes: cfg.BULK_MAX_BYTES,
    maxDocs: cfg.BULK_MAX_DOCS,
    flushIntervalMs: cfg.BULK_FLUSH_INTERVAL_MS,
    concurrency: cfg.BULK_CONCURRENCY,
    gzip: cfg.BULK_GZIP,
    retryBaseMs: cfg.BULK_RETRY_BASE_MS,
    retryMaxMs: cfg.BULK_RETRY_MAX_MS,
    retryMaxAttempts: cfg.BULK_RETRY_MAX_ATTEMPTS,
  };
}

export interface BulkDeps {
  logger: Logger;
  metrics: Metrics;
  quarantine: QuarantineStore;
  /** Where a quarantined document came from; default: its log.file.path. */
  sourceOf?: (doc: IndexableDocument) => { source: string; line?: number };
  /** Jitter source (tests). */
  random?: () => number;
}
