import type { Client } from '@opensearch-project/opensearch';
import { errors as osErrors } from '@opensearch-project/opensearch';
import { z } from 'zod';
import { AuditError } from '../core/errors.js';

/**
 * The OpenSearch side of `verify`: which events a selection names, and reading them page by page
 * from a point in time in log object order, so each log object's events arrive together.
 */

/** Which access events to verify; at least a conversation or a time range. */
export interface VerifySelection {
  readonly conversationId?: string;
  /** [from, to), ISO. */
  readonly from?: string;
  readonly to?: string;
}

/** What pitPages needs of verify's options. */
export interface PitPageOptions {
  readonly client: Client;
  readonly index: string;
  readonly selection: VerifySelection;
  readonly pageSize?: number;
  readonly keepAlive?: string;
  readonly signal?: AbortSignal;
}

const HitSchema = z.object({
  _index: z.string(),
  _id: z.string(),
  _source: z.record(z.string(), z.unknown()),
  sort: z.array(z.unknown()).optional(),
});
/** A search hit as verify reads it: the concrete index, the id and the stored document. */
export type Hit = z.infer<typeof HitSchema>;
const PageSchema = z.object({
  pit_id: z.string().optional(),
  timed_out: z.boolean().optional(),
  _shards: z.object({ failed: z.number() }).optional(),
  hits: z.object({ hits: z.array(HitSchema) }),
});
const PitSchema = z.object({ pit_id: z.string() });

/** The query for a selection: access events only (pipeline_error documents share the index). */
export function selectionQuery(selection: VerifySelection): Record<string, unknown> {
  const filter: Record<string, unknown>[] = [{ term: { 'event.kind': 'event' } }];
  if (selection.conversationId !== undefined) filter.push({ term: { 'genesys.conversation.id': selection.conversationId } });
  if (selection.from !== undefined || selection.to !== undefined) {
    filter.push({
      range: {
        '@timestamp': { ...(selection.from !== undefined ? { gte: selection.from } : {}), ...(selection.to !== undefined ? { lt: selection.to } : {}) },
      },
    });
  }
  return { bool: { filter } };
}

// Log object order groups each object's events together. (path, line, _id) is unique within an
// index (event.hash has no doc values to sort on; the id is a hash of it); only a copy of the same
// document in a second index behind the alias ties, and a tie across a page boundary would lose one
// of the pair. OpenSearch has `_shard_doc`, the point in time's own tiebreaker, from 3.3 only: it
// is added where the node has it.
const SORT: readonly unknown[] = [{ 'log.file.path': { order: 'asc', missing: '_last' } }, { 'log.offset': 'asc' }, { _id: 'asc' }];
const SHARD_DOC_SINCE: readonly [number, number] = [3, 3];

const InfoSchema = z.object({ version: z.object({ number: z.string(), distribution: z.string().optional() }) });

/** Whether the node sorts on `_shard_doc` (OpenSearch 3.3 and later). */
export function hasShardDoc(info: unknown): boolean {
  const parsed = InfoSchema.safeParse(info);
  if (!parsed.success || parsed.data.version.distribution !== 'opensearch') return false;
  const [major = 0, minor = 0] = parsed.data.version.number.split('.').map(Number);
  return major > SHARD_DOC_SINCE[0] || (major === SHARD_DOC_SINCE[0] && minor >= SHARD_DOC_SINCE[1]);
}

/** Pages of hits from a point in time over the index; the point in time is deleted at the end. */
export async function* pitPages(options: PitPageOptions): AsyncGenerator<Hit[]> {
  const { client } = options;
  const keepAlive = options.keepAlive ?? '5m';
  const sort = hasShardDoc((await client.info()).body) ? [...SORT, { _shard_doc: 'asc' }] : SORT;
  const created = await client.createPit({ index: [options.index], keep_alive: keepAlive });
  let pitId = PitSchema.parse(created.body).pit_id;
  try {
    let after: unknown[] | undefined;
    for (;;) {
      if (options.signal?.aborted === true) return;
      const res = await client.search({
        body: {
          size: options.pageSize ?? 500,
          pit: { id: pitId, keep_alive: keepAlive },
          sort,
          track_total_hits: false,
          query: selectionQuery(options.selection),
          ...(after !== undefined ? { search_after: after } : {}),
        },
      } as never);
      const page = PageSchema.parse(res.body);
      const failed = page._shards?.failed ?? 0;
      if (failed > 0 || page.timed_out === true) {
        // Fewer hits than there are would read as fewer events to verify; stop instead.
        throw new AuditError(
          'SINK_UNAVAILABLE',
          `The search for events was incomplete (${failed} shard(s) failed${page.timed_out === true ? ', timed out' : ''}).`,
          {
            retryable: true,
            details: { failedShards: failed },
          },
        );
      }
      if (page.pit_id !== undefined) pitId = page.pit_id;
      const hits = page.hits.hits;
      if (hits.length === 0) return;
      yield hits;
      after = hits[hits.length - 1]?.sort;
      if (after === undefined) throw new AuditError('SINK_REJECTED', 'OpenSearch returned hits without sort values; cannot page on.');
    }
  } finally {
    await client.deletePit({ body: { pit_id: [pitId] } }).catch(() => undefined);
  }
}

/**
 * One line for a person when talking to OpenSearch failed (a missing index, an unreachable or
 * refusing node); undefined for anything else, which is a bug worth its stack trace.
 */
export function searchFailureLine(err: unknown, index: string, url: string): string | undefined {
  if (err instanceof osErrors.ResponseError) {
    const body = err.meta.body as { error?: { type?: string; reason?: string } } | undefined;
    const type = body?.error?.type;
    if (err.meta.statusCode === 404 || type === 'index_not_found_exception') {
      return `No index or alias "${index}" on ${url}: check INDEX_ALIAS / INDEX_PREFIX (or --index-prefix), and that setup has run.`;
    }
    return `OpenSearch at ${url} refused the search (${err.meta.statusCode ?? '?'} ${type ?? ''}${body?.error?.reason !== undefined ? `: ${body.error.reason}` : ''}).`;
  }
  if (err instanceof osErrors.ConnectionError || err instanceof osErrors.TimeoutError || err instanceof osErrors.NoLivingConnectionsError) {
    return `OpenSearch at ${url} did not answer (${err.message}).`;
  }
  if (err instanceof AuditError && (err.code === 'SINK_UNAVAILABLE' || err.code === 'SINK_REJECTED')) return err.message;
  return undefined;
}
