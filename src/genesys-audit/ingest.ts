import { AuditError, describeError, isAuditError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import type { LRUCache } from 'lru-cache';
import { fetchAudits, type AuditApi, type AuditFetchOptions, type AuditMessage, type AuditQuerySpec } from '../enrich/genesys/audits.js';
import type { GenesysClient } from '../enrich/genesys/client.js';
import type { GenesysAuditEvent } from '../event/genesys-audit.js';
import type { IndexableDocument } from '../event/types.js';
import type { BulkIndexer, ItemOutcome, WriteTracker } from '../sinks/opensearch/bulk.js';
import type { QuarantineRecord, QuarantineStore } from '../sinks/quarantine/record.js';
import { buildGenesysAuditEvent, type AuditPerson } from './build.js';
import type { EvidenceWriter } from './evidence.js';

/**
 * Reads one window of the Genesys audit trail into the index. A window is complete only when every
 * message of every page has an outcome (indexed, duplicate or quarantined); anything less throws,
 * and the caller does not move its watermark. Pages are written one at a time: the next page is
 * asked for only after the previous one is in OpenSearch, so memory holds one page (≤ 500
 * messages) and a kill between pages loses nothing that a re-read of the window does not restore.
 */

export interface AuditIngestDeps {
  readonly client: GenesysClient;
  /** Users already looked up, by lowercased id (bounded, with a TTL): most pages name the same few people. */
  readonly people: LRUCache<string, { found: true; name?: string; email?: string } | { found: false }>;
  /** A bulk indexer whose prefix is the audit family's (`<prefix>.genesys`). */
  readonly bulk: Pick<BulkIndexer, 'write' | 'flush'>;
  /** With EVIDENCE_BUCKET: each page is stored there before its events are written. */
  readonly evidence?: EvidenceWriter;
  /** Poll interval and page size of the audit queries (defaults: fetchAudits'). */
  readonly fetch?: Pick<AuditFetchOptions, 'pollIntervalMs' | 'pageSize' | 'maxWaitMs'>;
  readonly quarantine: QuarantineStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface WindowTally {
  messages: number;
  indexed: number;
  duplicate: number;
  quarantined: number;
  pages: number;
  /** Times the query was started again after its cursor expired. */
  restarts: number;
}

export const emptyTally = (): WindowTally => ({ messages: 0, indexed: 0, duplicate: 0, quarantined: 0, pages: 0, restarts: 0 });

export function addTally(into: WindowTally, t: WindowTally): void {
  into.messages += t.messages;
  into.indexed += t.indexed;
  into.duplicate += t.duplicate;
  into.quarantined += t.quarantined;
  into.pages += t.pages;
  into.restarts += t.restarts;
}

/** A query whose cursor expired is started again this many times before the window is given up for this run. */
const CURSOR_RESTARTS = 3;

export async function ingestWindow(deps: AuditIngestDeps, spec: AuditQuerySpec, signal: AbortSignal): Promise<WindowTally> {
  // One tally over every attempt: what a broken attempt wrote is counted, and its second read
  // counts as duplicates, so indexed + duplicate + quarantined still equals messages read.
  const tally = emptyTally();
  for (let attempt = 0; ; attempt++) {
    try {
      await readOnce(deps, spec, signal, tally);
      return tally;
    } catch (err) {
      const expired = isAuditError(err) && err.details.reason === 'cursor_expired';
      if (!expired || attempt >= CURSOR_RESTARTS || signal.aborted) throw err;
      tally.restarts++;
      // Every message already written is recognised by its id on the second read.
      deps.logger.warn({ api: spec.api, from: spec.from, to: spec.to, attempt: attempt + 1 }, 'The audit results cursor expired; reading the window again.');
    }
  }
}

async function readOnce(deps: AuditIngestDeps, spec: AuditQuerySpec, signal: AbortSignal, tally: WindowTally): Promise<void> {
  let position = 0;
  for await (const page of fetchAudits(deps.client, spec, { ...deps.fetch, signal })) {
    tally.pages++;
    const outcomes: ItemOutcome[] = [];
    const tracker: WriteTracker = { onOutcome: (o) => void outcomes.push(o) };
    const writes: Promise<void>[] = [];
    // The page is evidence before any of its events is: a failed put fails the window.
    const stored =
      deps.evidence !== undefined
        ? await deps.evidence.putPage(spec.api, spec.from, page.transactionId, page.pageNumber, [
            ...page.messages.map((m) => m.raw),
            ...page.rejected.map((r) => r.raw),
          ])
        : undefined;
    const people = await lookupPeople(deps, page.messages, signal);
    for (const [i, m] of page.messages.entries()) {
      position++;
      const from = stored !== undefined ? { path: stored.path, position: i + 1 } : { path: `genesys-audit:${spec.api}/${page.transactionId}`, position };
      let doc: IndexableDocument<GenesysAuditEvent>;
      try {
        doc = buildGenesysAuditEvent(m, from, m.user !== undefined ? people(m.user.id) : undefined);
      } catch (err) {
        // buildGenesysAuditEvent only fails on a date the client's parser let through.
        await quarantineRaw(deps, spec.api, [{ reason: 'invalid_message', raw: m.raw, detail: describeError(err).message }]);
        tally.quarantined++;
        continue;
      }
      // When the worker wrote it: the audit-to-index lag is event.ingested − @timestamp.
      doc.event.event.ingested = new Date().toISOString();
      writes.push(deps.bulk.write(doc, tracker));
    }
    tally.messages += page.messages.length + page.rejected.length;
    if (page.rejected.length > 0) {
      await quarantineRaw(deps, spec.api, page.rejected);
      tally.quarantined += page.rejected.length;
      deps.metrics.genesysAuditMessages.inc({ api: spec.api, outcome: 'quarantined' }, page.rejected.length);
    }
    await Promise.all(writes);
    await deps.bulk.flush();
    let failed: AuditError | undefined;
    for (const o of outcomes) {
      if (o.status === 'failed') failed ??= o.error;
      else if (o.status === 'indexed') tally.indexed++;
      else if (o.status === 'duplicate') tally.duplicate++;
      else tally.quarantined++;
      deps.metrics.genesysAuditMessages.inc({ api: spec.api, outcome: o.status });
    }
    if (failed !== undefined) throw failed;
  }
}

/** Users API calls take at most this many ids (GENESYS_BATCH_MAX_IDS's ceiling). */
const USER_BATCH = 100;
const USER_LOOKUP_WAIT_MS = 60_000;

/**
 * The people behind a page's messages, by the batched users API. A failed lookup does not hold the
 * window back: the events are written without the email and say `user_lookup_failed`.
 */
async function lookupPeople(deps: AuditIngestDeps, messages: readonly AuditMessage[], signal: AbortSignal): Promise<(id: string) => AuditPerson> {
  const wanted = [...new Set(messages.flatMap((m) => (m.user !== undefined ? [m.user.id.toLowerCase()] : [])))].filter((id) => !deps.people.has(id));
  let failed = false;
  for (let i = 0; i < wanted.length && !failed; i += USER_BATCH) {
    const ids = wanted.slice(i, i + USER_BATCH);
    try {
      const found = await deps.client.users(ids, { deadline: Date.now() + USER_LOOKUP_WAIT_MS, signal });
      for (const id of ids) {
        const u = found.get(id);
        deps.people.set(
          id,
          u === undefined
            ? { found: false }
            : { found: true, ...(u.name !== undefined ? { name: u.name } : {}), ...(u.email !== undefined ? { email: u.email } : {}) },
        );
      }
    } catch (err) {
      failed = true;
      deps.logger.warn(
        { err: describeError(err), users: wanted.length },
        'Genesys user lookup for audit messages failed; their events are written without the email.',
      );
    }
  }
  return (id) => deps.people.get(id.toLowerCase()) ?? 'lookup_failed';
}

async function quarantineRaw(deps: AuditIngestDeps, api: AuditApi, rejected: readonly { reason: string; raw: unknown; detail?: string }[]): Promise<void> {
  const at = new Date().toISOString();
  const records: QuarantineRecord[] = rejected.map((r) => ({
    reason: r.reason,
    stage: 'decode',
    // Without the query's transaction id: a second read of the window quarantines under the same key.
    source: `genesys-audit:${api}`,
    raw: Buffer.from(JSON.stringify(r.raw) ?? 'null').toString('base64'),
    ...(r.detail !== undefined ? { detail: r.detail } : {}),
    at,
  }));
  await deps.quarantine.put(records);
}

/** [from, to) cut into consecutive windows of at most `windowMs`. */
export function windowsOf(fromMs: number, toMs: number, windowMs: number): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (let a = fromMs; a < toMs; a += windowMs) out.push({ from: a, to: Math.min(toMs, a + windowMs) });
  return out;
}

/** The quality API's services that record recording actions (playback and download; the rest). */
export const QUALITY_RECORDING_SERVICES = ['RecordingPlaybackService', 'RecordingService'] as const;
/** The general API's recording entity types when the service mapping cannot be read. */
export const DEFAULT_RECORDING_ENTITY_TYPES = ['Recording', 'ScreenRecording'] as const;

/**
 * The queries that together read every recording action of one API over [from, to), each with one
 * filter, so no message is in two of them: per recording service in the interaction audit trail;
 * per recording entity type of the service `Quality` in the general audits (`entityTypes`, from the
 * org's service mapping).
 */
export function recordingAuditSpecs(
  api: AuditApi,
  from: number,
  to: number,
  entityTypes: readonly string[] = DEFAULT_RECORDING_ENTITY_TYPES,
): AuditQuerySpec[] {
  const interval = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  return api === 'quality'
    ? QUALITY_RECORDING_SERVICES.map((service) => ({ api, ...interval, filters: [{ property: 'ServiceName', value: service }] }))
    : entityTypes.map((entityType) => ({ api, ...interval, serviceName: 'Quality', filters: [{ property: 'EntityType', value: entityType }] }));
}
