import type { AuditError } from '../core/errors.js';

/** One log object to process. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly size?: number;
  /** From the notification; with the key and size it names one immutable version of the object. */
  readonly eTag?: string;
}

/**
 * What became of every line of one log object. Invariant (checked before a message is deleted):
 * lines === indexed + duplicates + quarantined, and errorEvents === quarantined.
 */
export interface ObjectResult {
  readonly ref: ObjectRef;
  /** 'missing': the object no longer exists (404) and MISSING_OBJECT_POLICY said skip. */
  readonly status: 'done' | 'missing';
  readonly bytes: number;
  readonly lines: number;
  readonly blankLines: number;
  readonly indexed: number;
  readonly duplicates: number;
  readonly quarantined: number;
  /** Quarantined lines by reason code. */
  readonly quarantinedByReason: Readonly<Record<string, number>>;
  /**
   * pipeline_error events in the index for this object's quarantined lines (written now or found
   * there already): equal to `quarantined` when the object is done. Not lines, so not in the sum.
   */
  readonly errorEvents: number;
  /** Events per UTC day (YYYY-MM-DD of @timestamp), for replay's reconciliation report. */
  readonly linesByDay: Readonly<Record<string, { lines: number; indexed: number; duplicates: number; quarantined: number }>>;
  readonly durationMs: number;
  /**
   * CloudTrail files only: records counted and not indexed on purpose (not an S3 data event, or for
   * a bucket outside AUDITED_BUCKETS), by reason. They are in `lines`, so for these files
   * lines === indexed + duplicates + quarantined + skipped.
   */
  readonly skipped?: number;
  readonly skippedByReason?: Readonly<Record<string, number>>;
  /** CloudTrail digest, Insights and other non-event files: skipped by their key, nothing read. */
  readonly skippedFile?: string;
}

/** Processes log objects end to end: read, decode, parse, enrich, index, account. */
export interface ObjectProcessor {
  /**
   * Resolves only when every line is accounted for (indexed, confirmed duplicate or durably
   * quarantined). Rejects with an AuditError when that cannot be guaranteed (read failure,
   * truncated gzip, sink retries exhausted, aborted): the caller must not acknowledge the object.
   */
  process(ref: ObjectRef, signal?: AbortSignal): Promise<ObjectResult>;
}

export type ObjectFailure = AuditError;
