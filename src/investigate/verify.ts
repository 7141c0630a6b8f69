import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@opensearch-project/opensearch';
import { z } from 'zod';
import { describeError } from '../core/errors.js';
import { decodeLines, type RawLine } from '../decode/lines.js';
import { buildEvent, documentId, lineHash, PARSER_VERSION } from '../event/build.js';
import { documentIdIn, type IdCutover } from '../event/document-id.js';
import { NOT_FROM_THE_LINE_FIELDS } from '../event/mapping.js';
import { idCutoversOfIndices } from '../sinks/opensearch/document-ids.js';
import { openObject } from '../sources/s3-object.js';
import { compareDocuments, type FieldDifference } from './compare.js';
import { auditDifferences, isGenesysAuditSource } from './verify-audit.js';
import { cloudTrailDifferences, isCloudTrailSource } from './verify-cloudtrail.js';
import { readCloudTrailFile } from '../decode/cloudtrail-file.js';
import { pitPages, type Hit, type VerifySelection } from './verify-search.js';

export { hasShardDoc, searchFailureLine, selectionQuery, type VerifySelection } from './verify-search.js';

/**
 * Chain of custody: for each access event, re-read the log object its log.file.path names, take
 * the line at log.offset, and check that the index says what S3 wrote: the line's sha256 against
 * event.hash, the document id recomputed from the log bucket and that hash, and every field a
 * fresh parse of the line gives against the stored document (fields enrichment and the sink write
 * are not from the line and are not compared).
 *
 * Memory is bounded by one page of hits plus the events of the log objects being read: events are
 * paged in log object order (point in time + search_after), each object is read once, streaming,
 * with at most `concurrency` objects open at a time (and at most maxEventsPerRead events held per
 * read).
 */

/**
 * - `verified`: hash, id and every field from the line match.
 * - `parser_changed`: hash and id match, but the document was written by another parser version,
 *   whose fields may legitimately differ from this one's; only the hash and id were compared.
 * - `altered`: the index does not say what the line says (`differences` names the fields).
 * - `source_missing`: the log object is gone (NoSuchKey, NoSuchBucket).
 * - `source_unreadable`: any other reason the line could not be read (access denied, a read
 *   error, a line number past the end, a local file path).
 */
export type VerifyStatus = 'verified' | 'parser_changed' | 'altered' | 'source_missing' | 'source_unreadable';

export const VERIFY_STATUSES: readonly VerifyStatus[] = ['verified', 'parser_changed', 'altered', 'source_missing', 'source_unreadable'];

export interface VerifyOutcome {
  readonly status: VerifyStatus;
  /** The document id (_id) and the concrete index it is in. */
  readonly id: string;
  readonly index: string;
  readonly timestamp: string | undefined;
  /** log.file.path and log.offset as stored. */
  readonly source: string | undefined;
  readonly line: number | undefined;
  /** Why the event is not verified, for people. */
  readonly reason?: string;
  /** altered: each field whose stored value differs from the line's. */
  readonly differences?: readonly FieldDifference[];
}

export interface VerifySummary {
  /** Access events examined. */
  examined: number;
  counts: Record<VerifyStatus, number>;
  /** Log object reads (one per object, more for an object with over maxEventsPerRead events selected). */
  objects: number;
  /** For altered events: how many had each field differ. */
  alteredFields: Record<string, number>;
  /** Stopped by the signal before every event was examined. */
  aborted: boolean;
}

export interface VerifyOptions {
  readonly client: Client;
  readonly s3: S3Client;
  /** The read alias (INDEX_PREFIX) or an index pattern. */
  readonly index: string;
  readonly selection: VerifySelection;
  readonly pageSize?: number;
  /** Log objects read at once. */
  readonly concurrency?: number;
  readonly objectReadTimeoutMs: number;
  /** Point-in-time keep-alive between pages, e.g. `5m`. */
  readonly keepAlive?: string;
  /**
   * Most events held for one read of a log object. An object with more events in the selection is
   * read again for the next ones (each read stops at the last line it needs): memory stays bounded
   * whatever the object's size. Default 5000.
   */
  readonly maxEventsPerRead?: number;
  readonly signal?: AbortSignal;
  /** Called once per examined event, in no particular order across log objects. */
  onOutcome(outcome: VerifyOutcome): void;
}

/** Fields verify never compares with the line: written by enrichment or the sink, or checked on their own first. */
const SKIPPED_FIELDS: ReadonlySet<string> = new Set([...NOT_FROM_THE_LINE_FIELDS, 'event.hash']);

/** The evidence fields of a stored document, read defensively: anyone with write access could have changed their types. */
const StoredSchema = z.object({
  '@timestamp': z.string().optional().catch(undefined),
  event: z
    .object({ hash: z.string().optional().catch(undefined), parser_version: z.number().optional().catch(undefined) })
    .optional()
    .catch(undefined),
  log: z
    .object({
      file: z
        .object({ path: z.string().optional().catch(undefined) })
        .optional()
        .catch(undefined),
      offset: z.number().optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
});

interface Stored {
  readonly hit: Hit;
  /** The id cutover the document's index records (src/event/document-id.ts): which id form the line's id has there. */
  readonly idCutover: IdCutover | undefined;
  readonly timestamp: string | undefined;
  readonly hash: string | undefined;
  readonly parserVersion: number | undefined;
  readonly path: string | undefined;
  readonly offset: number | undefined;
}

function storedOf(hit: Hit, idCutover: IdCutover | undefined): Stored {
  const s = StoredSchema.parse(hit._source);
  return {
    hit,
    idCutover,
    timestamp: s['@timestamp'],
    hash: s.event?.hash,
    parserVersion: s.event?.parser_version,
    path: s.log?.file?.path,
    offset: s.log?.offset,
  };
}

/** `s3://bucket/key` → its parts; anything else (a local path given to `parse` or `replay`) → undefined. */
export function s3LocationOf(path: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/s.exec(path);
  return m === null ? undefined : { bucket: m[1]!, key: m[2]! };
}

/** A search hit as verify reads it: the concrete index, the id and the stored document. */
export type StoredHit = Hit;

/**
 * Compares one stored document with the raw line its log.offset names, read from the object in
 * `logBucket` at `filePath`. `idCutover`: the one the document's index records (undefined: hex ids).
 */
export function checkDocument(hit: StoredHit, line: RawLine, logBucket: string, filePath: string, idCutover?: IdCutover): VerifyOutcome {
  return checkLine(storedOf(hit, idCutover), line, logBucket, filePath);
}

function checkLine(stored: Stored, line: RawLine, logBucket: string, filePath: string): VerifyOutcome {
  const base = outcomeBase(stored);
  if (isGenesysAuditSource(stored.hit._source)) {
    const differences = auditDifferences(stored.hit._source, stored.hit._id, stored.hash, line, filePath, stored.offset ?? 0);
    if (differences.length === 0) return { ...base, status: 'verified' };
    return { ...base, status: 'altered', reason: `differs from the audit message in ${differences.map((d) => d.field).join(', ')}`, differences };
  }
  const hash = line.truncated?.sha256 ?? lineHash(line.bytes);
  const differences: FieldDifference[] = [];
  if (stored.hash !== hash) differences.push({ field: 'event.hash', stored: stored.hash, fromLine: hash });
  // The form the index's month has: the same line under the other form would be a second document.
  const id = documentIdIn(stored.idCutover, stored.hit._index, documentId(logBucket, hash));
  if (stored.hit._id !== id) differences.push({ field: '_id', stored: stored.hit._id, fromLine: id });
  // Every document the product has written records its parser version, 1 up to this one. An
  // older one may legitimately parse differently: only hash and id can be held against it. Any
  // other value (absent, newer, not a version) is itself an edit and buys no escape from the
  // field comparison, which then names event.parser_version among the differences.
  const v = stored.parserVersion;
  if (v !== undefined && Number.isInteger(v) && v >= 1 && v < PARSER_VERSION) {
    if (differences.length > 0)
      return { ...base, status: 'altered', reason: `differs from the line in ${differences.map((d) => d.field).join(', ')}`, differences };
    return {
      ...base,
      status: 'parser_changed',
      reason: `written by parser version ${v}, this is version ${PARSER_VERSION}: only event.hash and the id were compared`,
    };
  }
  const built = buildEvent(line, { logBucket, filePath });
  if (!built.ok) {
    differences.push({ field: '(line)', stored: 'an access event', fromLine: `no event: ${built.rejection.reason}` });
  } else {
    const fresh: unknown = JSON.parse(JSON.stringify(built.doc.event));
    differences.push(...compareDocuments(stored.hit._source, fresh, SKIPPED_FIELDS));
  }
  if (differences.length === 0) return { ...base, status: 'verified' };
  return { ...base, status: 'altered', reason: `differs from the line in ${differences.map((d) => d.field).join(', ')}`, differences };
}

function outcomeBase(s: Stored): Omit<VerifyOutcome, 'status'> {
  return { id: s.hit._id, index: s.hit._index, timestamp: s.timestamp, source: s.path, line: s.offset };
}

/** Reads one log object once and settles every event of the group. Never throws. */
async function checkObject(path: string | undefined, group: Stored[], options: VerifyOptions, emit: (o: VerifyOutcome) => void): Promise<boolean> {
  const settleAll = (items: Iterable<Stored>, status: VerifyStatus, reason: string): void => {
    for (const s of items) emit({ ...outcomeBase(s), status, reason });
  };
  if (path === undefined) {
    settleAll(group, 'source_unreadable', 'the document has no log.file.path');
    return false;
  }
  const loc = s3LocationOf(path);
  if (loc === undefined) {
    settleAll(
      group,
      'source_unreadable',
      path.startsWith('genesys-audit:')
        ? 'a Genesys audit message indexed without an evidence page (EVIDENCE_BUCKET was not set): not checked'
        : 'log.file.path is a local file (parse or replay of a file), not an S3 object: not checked',
    );
    return false;
  }
  const wanted = new Map<number, Stored[]>();
  for (const s of group) {
    if (s.offset === undefined || !Number.isInteger(s.offset) || s.offset < 1) {
      settleAll([s], 'source_unreadable', `log.offset ${String(s.offset)} is not a line number`);
      continue;
    }
    const list = wanted.get(s.offset);
    if (list === undefined) wanted.set(s.offset, [s]);
    else list.push(s);
  }
  if (wanted.size === 0) return false;
  const remaining = (): Stored[] => [...wanted.values()].flat();
  let lastLine = 0;
  try {
    const opened = await openObject(options.s3, loc, { idleTimeoutMs: options.objectReadTimeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
    if (!opened.found) {
      if (opened.reason === 'not_found') settleAll(remaining(), 'source_missing', 'the log object is gone (S3 answered 404: NoSuchKey or NoSuchBucket)');
      else settleAll(remaining(), 'source_unreadable', opened.reason === 'access_denied' ? 'access denied reading the log object' : 'the log object changed');
      return true;
    }
    if (isCloudTrailSource(group[0]!.hit._source)) {
      lastLine = await checkCloudTrailRecords(opened.body, wanted, path, emit);
      for (const [n, items] of wanted) settleAll(items, 'source_unreadable', `record ${n} is not in the CloudTrail file (it has ${lastLine} readable records)`);
      return true;
    }
    // Leaving the loop early (every wanted line found) closes the stream and frees the connection.
    outer: for await (const batch of decodeLines(opened.body)) {
      for (const line of batch) {
        lastLine = line.number;
        const hits = wanted.get(line.number);
        if (hits === undefined) continue;
        wanted.delete(line.number);
        for (const s of hits) emit(checkLine(s, line, loc.bucket, path));
        if (wanted.size === 0) break outer;
      }
    }
  } catch (err) {
    // Stopped by the caller: what was not reached is not examined, not unreadable.
    if (options.signal?.aborted === true) return true;
    settleAll(remaining(), 'source_unreadable', `reading the log object failed: ${describeError(err).message}`);
    return true;
  }
  for (const [n, items] of wanted) {
    settleAll(items, 'source_unreadable', n > lastLine ? `line ${n} is past the last line of the object (${lastLine})` : `line ${n} of the object is blank`);
  }
  return true;
}

/** A CloudTrail event's record bytes are not part of its hash: any record size the worker read is read here. */
const VERIFY_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Streams a CloudTrail file and settles the events whose record index is wanted; returns the last record index read. */
async function checkCloudTrailRecords(
  body: AsyncIterable<Uint8Array>,
  wanted: Map<number, Stored[]>,
  path: string,
  emit: (o: VerifyOutcome) => void,
): Promise<number> {
  let last = 0;
  for await (const batch of readCloudTrailFile(body, { maxRecordBytes: VERIFY_MAX_RECORD_BYTES })) {
    for (const item of batch) {
      if (item.kind === 'file_error') return last;
      last = item.index;
      const hits = wanted.get(item.index);
      if (hits === undefined) continue;
      wanted.delete(item.index);
      for (const s of hits) {
        const base = outcomeBase(s);
        if (item.kind === 'bad_record') {
          emit({ ...base, status: 'source_unreadable', reason: `record ${item.index} of the CloudTrail file cannot be read: ${item.reason}` });
          continue;
        }
        const differences = cloudTrailDifferences(s.hit._source, s.hit._id, s.hash, item.value, item.index, path);
        emit(
          differences.length === 0
            ? { ...base, status: 'verified' }
            : { ...base, status: 'altered', reason: `differs from the CloudTrail record in ${differences.map((d) => d.field).join(', ')}`, differences },
        );
      }
      if (wanted.size === 0) return last;
    }
  }
  return last;
}

/**
 * Verifies every access event of the selection. Throws on OpenSearch failures (see
 * searchFailureLine for a one-line description); every event it examined was passed to onOutcome.
 */
export async function verifyEvidence(options: VerifyOptions): Promise<VerifySummary> {
  const summary: VerifySummary = {
    examined: 0,
    counts: { verified: 0, parser_changed: 0, altered: 0, source_missing: 0, source_unreadable: 0 },
    objects: 0,
    alteredFields: {},
    aborted: false,
  };
  const emit = (o: VerifyOutcome): void => {
    summary.examined += 1;
    summary.counts[o.status] += 1;
    if (o.status === 'altered') for (const d of o.differences ?? []) summary.alteredFields[d.field] = (summary.alteredFields[d.field] ?? 0) + 1;
    options.onOutcome(o);
  };
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const maxEventsPerRead = Math.max(1, options.maxEventsPerRead ?? 5000);
  const running = new Set<Promise<void>>();
  const submit = async (path: string | undefined, group: Stored[]): Promise<void> => {
    while (running.size >= concurrency) await Promise.race(running);
    const job = checkObject(path, group, options, emit).then((opened) => {
      if (opened) summary.objects += 1;
    });
    const tracked = job.finally(() => running.delete(tracked));
    running.add(tracked);
  };

  let path: string | undefined;
  let group: Stored[] = [];
  // Each concrete index's id cutover, read from its mapping once (a handful of monthly indices).
  const cutovers = new Map<string, IdCutover | undefined>();
  try {
    for await (const hits of pitPages(options)) {
      const unknown = [...new Set(hits.map((h) => h._index))].filter((i) => !cutovers.has(i));
      for (const [index, cutover] of await idCutoversOfIndices(options.client, unknown)) cutovers.set(index, cutover);
      for (const hit of hits) {
        const s = storedOf(hit, cutovers.get(hit._index));
        if (group.length > 0 && (s.path !== path || group.length >= maxEventsPerRead)) {
          await submit(path, group);
          group = [];
        }
        path = s.path;
        group.push(s);
      }
    }
    if (group.length > 0 && options.signal?.aborted !== true) await submit(path, group);
  } finally {
    await Promise.all(running);
  }
  summary.aborted = options.signal?.aborted === true;
  return summary;
}
