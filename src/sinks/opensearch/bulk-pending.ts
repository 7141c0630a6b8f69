import type { IndexableDocument, IndexedDocument } from '../../event/types.js';
import type { QuarantineRecord } from '../quarantine/record.js';
import type { BulkDeps, SettledWrite, WriteTracker } from './bulk-contract.js';
import type { StoredHash } from './bulk-response.js';

const NEWLINE = 0x0a;

/**
 * One write from admission until its outcome: the serialised bytes and the facts an answer is
 * judged by (SettledWrite). The event object itself is not kept: held for a whole round trip it
 * would be promoted to the old generation, and a response, a retry and a quarantine record all
 * work from what was sent.
 */
export class Pending implements SettledWrite {
  attempts = 0;
  settled = false;

  constructor(
    readonly seq: number,
    readonly id: string,
    readonly hash: string,
    readonly timestamp: string,
    readonly tracker: WriteTracker,
    readonly index: string,
    /** Action line + source line, serialised once, as UTF-8. */
    readonly line: Buffer,
    /** Bytes held in the budget (0 for documents refused before admission). */
    readonly bytes: number,
    /** Only a document that could not be serialised keeps its object: there are no bytes to read it back from. */
    private readonly unsent: IndexableDocument | undefined,
    /** The document's own (hex) id, when `id`, its id in the index's month, is the short form (src/event/document-id.ts). */
    private readonly documentId?: string,
  ) {}

  /** The document as the pipeline handed it over: its own id, whatever form the index gives it. */
  document(): IndexableDocument {
    if (this.unsent !== undefined) return this.unsent;
    // Our own serialisation of an IndexedDocument (BulkLineEncoder): the source line follows the action line.
    const event = JSON.parse(this.line.toString('utf8', this.line.indexOf(NEWLINE) + 1)) as IndexedDocument;
    return { id: this.documentId ?? this.id, event };
  }
}

export interface Retry {
  p: Pending;
  /** Metric label: 429, 5xx, connection, timeout, mget, ... */
  status: string;
  why: string;
  /** The request never got an answer (SINK_UNAVAILABLE when attempts run out). */
  connection: boolean;
}

export interface Reject {
  p: Pending;
  reason: string;
  detail?: string;
}

/** The quarantine records of documents OpenSearch refused, read back from the bytes that were sent. */
export function quarantineRecords(rejects: readonly Reject[], sourceOf: BulkDeps['sourceOf'], at: string): QuarantineRecord[] {
  return rejects.map(({ p, reason, detail }): QuarantineRecord => {
    const doc = p.document();
    const origin = sourceOf?.(doc) ?? { source: doc.event.log.file.path };
    return {
      reason,
      stage: 'index',
      source: origin.source,
      ...(origin.line !== undefined ? { line: origin.line } : {}),
      id: p.id,
      hash: p.hash,
      document: doc.event,
      ...(detail !== undefined ? { detail } : {}),
      at,
    };
  });
}

/**
 * 409s judged by the stored hash: equal is a duplicate delivery; different is an integrity
 * mismatch whose new record goes to quarantine (the stored document is never overwritten); a
 * document gone since, or an mget error, is tried again.
 */
export function judgeConflicts(
  conflicts: readonly Pending[],
  /** What `_mget` found under each id; undefined where it answered with an error. */
  hashes: readonly (StoredHash | undefined)[],
): { duplicates: Pending[]; retries: Retry[]; mismatches: (Reject & { storedHash: string | null })[] } {
  const duplicates: Pending[] = [];
  const retries: Retry[] = [];
  const mismatches: (Reject & { storedHash: string | null })[] = [];
  for (let i = 0; i < conflicts.length; i += 1) {
    const p = conflicts[i]!;
    const stored = hashes[i];
    if (stored === undefined) {
      retries.push({ p, status: 'mget', why: 'mget returned an error for this document', connection: false });
    } else if (!stored.found) {
      // Deleted between the create and the mget: create it again.
      retries.push({ p, status: '409', why: 'conflicting document vanished', connection: false });
    } else if (stored.hash === p.hash) {
      duplicates.push(p);
    } else {
      mismatches.push({
        p,
        reason: 'integrity_mismatch',
        detail: `stored event.hash ${stored.hash ?? '(none)'} differs from ${p.hash}`,
        storedHash: stored.hash ?? null,
      });
    }
  }
  return { duplicates, retries, mismatches };
}
