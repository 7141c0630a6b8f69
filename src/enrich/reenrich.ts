import { every } from '../core/time.js';
import type { Client } from '@opensearch-project/opensearch';
import { z } from 'zod';
import { AuditError, describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AccessEvent, EnrichmentStatus } from '../event/types.js';
import type { Enricher } from './enricher.js';

/**
 * Completes events written with `enrichment.status: pending`. The test OpenSearch has no reindex
 * module, and `_update_by_query` would need a script anyway, so: scroll over the pending events
 * of the time range, enrich them again, and write back partial documents with `update` guarded by
 * `if_seq_no`/`if_primary_term`. Only genesys.*, actor.* and enrichment.* are written (actor.kind
 * and actor.email come back as they were stored; what enrichment adds is the person); the
 * evidence (the raw fields, event.hash, everything else) is never touched. A document changed by
 * someone else meanwhile fails the guard and is left alone (counted as a conflict).
 */

export interface ReenrichOptions {
  readonly client: Client;
  readonly enricher: Enricher;
  readonly logger: Logger;
  readonly indexPrefix: string;
  /** Event time range [from, to), ISO. Defaults: 35 days ago until now. */
  readonly from?: string;
  readonly to?: string;
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
  /** Make the updates visible to search before returning (tests, CLI). */
  readonly refresh?: boolean;
}

export interface ReenrichResult {
  readonly scanned: number;
  readonly updated: number;
  readonly stillPending: number;
  readonly conflicts: number;
  readonly failed: number;
  readonly byStatus: Readonly<Partial<Record<EnrichmentStatus, number>>>;
}

const HitSchema = z.object({
  _index: z.string(),
  _id: z.string(),
  _seq_no: z.number(),
  _primary_term: z.number(),
  _source: z.record(z.string(), z.unknown()),
});
const SearchSchema = z.object({
  _scroll_id: z.string().optional(),
  timed_out: z.boolean().optional(),
  _shards: z.object({ failed: z.number() }).optional(),
  hits: z.object({ hits: z.array(HitSchema) }),
});

/**
 * OpenSearch answers a search that lost shards (an index closed or moved, a context expired, a
 * rejected execution) with 200 and fewer hits. A pass that went on would call the rest "none
 * pending"; it stops instead, and what it has not reached stays pending for the next one.
 */
function completePage(body: unknown): z.infer<typeof SearchSchema> {
  const page = SearchSchema.parse(body);
  const failed = page._shards?.failed ?? 0;
  if (failed > 0 || page.timed_out === true) {
    throw new AuditError(
      'SINK_UNAVAILABLE',
      `The scan for pending events was incomplete (${failed} shard(s) failed${page.timed_out === true ? ', timed out' : ''}); run reenrich again.`,
      {
        retryable: true,
        details: { failedShards: failed },
      },
    );
  }
  return page;
}
const BulkSchema = z.object({
  items: z.array(z.record(z.string(), z.object({ status: z.number(), error: z.unknown().optional() }))),
});

const SCROLL_KEEP_ALIVE = '5m';
/** Monthly indices named explicitly below this many months; a wildcard beyond. */
const MAX_NAMED_MONTHS = 120;

export async function reenrichPending(options: ReenrichOptions): Promise<ReenrichResult> {
  const { client, logger } = options;
  const to = options.to ?? new Date().toISOString();
  const from = options.from ?? new Date(Date.parse(to) - 35 * 86_400_000).toISOString();
  const result = { scanned: 0, updated: 0, stillPending: 0, conflicts: 0, failed: 0, byStatus: {} as Partial<Record<EnrichmentStatus, number>> };
  const index = monthlyIndices(options.indexPrefix, from, to);

  let scrollId: string | undefined;
  try {
    const first = await client.search({
      index,
      scroll: SCROLL_KEEP_ALIVE,
      ignore_unavailable: true,
      allow_no_indices: true,
      body: {
        size: options.pageSize ?? 500,
        seq_no_primary_term: true,
        sort: [{ '@timestamp': 'asc' }],
        query: { bool: { filter: [{ term: { 'enrichment.status': 'pending' } }, { range: { '@timestamp': { gte: from, lt: to } } }] } },
      },
    });
    let page = completePage(first.body);
    scrollId = page._scroll_id;
    while (page.hits.hits.length > 0) {
      if (options.signal?.aborted === true) break;
      await processPage(page.hits.hits, options, result);
      if (scrollId === undefined) break;
      const next = await client.scroll({ scroll_id: scrollId, scroll: SCROLL_KEEP_ALIVE });
      page = completePage(next.body);
      scrollId = page._scroll_id ?? scrollId;
    }
  } finally {
    if (scrollId !== undefined) {
      await client
        .clearScroll({ scroll_id: scrollId })
        .catch((err: unknown) => logger.debug({ err: describeError(err) }, 'Clearing the re-enrichment scroll failed; it expires by itself.'));
    }
  }
  if (options.refresh === true && result.updated > 0) await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
  logger.info({ ...result, from, to, indexPrefix: options.indexPrefix }, 'Re-enrichment pass finished.');
  return result;
}

async function processPage(
  hits: z.infer<typeof HitSchema>[],
  options: ReenrichOptions,
  result: { scanned: number; updated: number; stillPending: number; conflicts: number; failed: number; byStatus: Partial<Record<EnrichmentStatus, number>> },
): Promise<void> {
  result.scanned += hits.length;
  // The stored document is the event; only the fields enrichment owns are read back from it.
  const events = hits.map((h) => h._source as unknown as AccessEvent);
  await options.enricher.enrich(events, options.signal);

  const body: Record<string, unknown>[] = [];
  hits.forEach((hit, i) => {
    const event = events[i]!;
    const status = event.enrichment?.status ?? 'pending';
    result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
    if (status === 'pending') {
      result.stillPending++;
      return;
    }
    body.push({ update: { _index: hit._index, _id: hit._id, if_seq_no: hit._seq_no, if_primary_term: hit._primary_term } });
    body.push({
      doc: {
        ...(event.genesys !== undefined ? { genesys: event.genesys } : {}),
        // The person behind the principal (actor.genesys_user_id, name, ...), with kind and email as stored.
        ...(event.actor !== undefined ? { actor: event.actor } : {}),
        enrichment: event.enrichment,
      },
    });
  });
  if (body.length === 0) return;
  try {
    const res = await options.client.bulk({ body });
    const parsed = BulkSchema.parse(res.body);
    for (const item of parsed.items) {
      const r = Object.values(item)[0];
      if (r === undefined) continue;
      if (r.status >= 200 && r.status < 300) result.updated++;
      else if (r.status === 409) result.conflicts++;
      else result.failed++;
    }
  } catch (err) {
    result.failed += body.length / 2;
    options.logger.warn({ err: describeError(err) }, 'Writing re-enriched events failed; they stay pending for the next pass.');
  }
}

/** `<prefix>-YYYY.MM` for every month the range touches (the sink's monthly layout). */
export function monthlyIndices(prefix: string, from: string, to: string): string[] {
  const start = new Date(from);
  const end = new Date(to);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end < start) return [`${prefix}-*`];
  const names: string[] = [];
  let y = start.getUTCFullYear();
  let m = start.getUTCMonth();
  while (y < end.getUTCFullYear() || (y === end.getUTCFullYear() && m <= end.getUTCMonth())) {
    names.push(`${prefix}-${String(y).padStart(4, '0')}.${String(m + 1).padStart(2, '0')}`);
    if (names.length > MAX_NAMED_MONTHS) return [`${prefix}-*`];
    m++;
    if (m === 12) {
      m = 0;
      y++;
    }
  }
  return names;
}

export interface ReenrichTask {
  /** Stops the timer and waits for a pass in progress to end (it is aborted). */
  stop(): Promise<void>;
}

/**
 * The worker's optional periodic task (REENRICH_INTERVAL_SECS > 0): one pass over the last
 * `lookbackDays` of event time every interval, never two passes at once. A failed pass is logged
 * and retried at the next tick; pending events are never lost, only completed later.
 */
export function startReenrichTask(options: Omit<ReenrichOptions, 'from' | 'to' | 'signal'> & { intervalSecs: number; lookbackDays?: number }): ReenrichTask {
  return every(
    options.intervalSecs * 1000,
    (signal) => {
      const to = new Date();
      const from = new Date(to.getTime() - (options.lookbackDays ?? 35) * 86_400_000);
      return reenrichPending({ ...options, from: from.toISOString(), to: to.toISOString(), signal });
    },
    (err) => options.logger.warn({ err: describeError(err) }, 'Re-enrichment pass failed; the next one retries.'),
  );
}
