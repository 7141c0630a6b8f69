import { errors, type Client } from '@opensearch-project/opensearch';
import { AuditError } from '../core/errors.js';
import { searchBody, type Clause } from './queries.js';
import { parseHit, type Hit } from './row.js';

/** Hits per request: small enough for bounded memory, large enough for few round trips. */
export const PAGE_SIZE = 1000;
/** How long a point in time stays open between two pages. */
export const PIT_KEEP_ALIVE = '1m';

export interface SearchOptions {
  /** Index or read alias. */
  readonly index: string;
  readonly query: Clause;
  /** Stop after this many accepted hits; undefined: every hit, through a point in time. */
  readonly limit?: number;
  /** Hits the caller drops (the agent's own reads) do not count towards the limit. */
  readonly accept?: (hit: Hit) => boolean;
  readonly pageSize?: number;
}

export interface SearchProgress {
  /** Matching documents in the index (before `accept`); known after the first page. */
  total?: number;
  /** Hits `accept` dropped. */
  dropped: number;
  /** Hits given to the caller. */
  emitted: number;
}

const PageSchema = {
  parse(body: unknown): { total?: number; hits: unknown[]; pitId?: string } {
    const b = (body ?? {}) as { hits?: { total?: unknown; hits?: unknown }; pit_id?: unknown };
    const total = b.hits?.total;
    const value = typeof total === 'number' ? total : typeof total === 'object' && total !== null ? (total as { value?: unknown }).value : undefined;
    const hits = Array.isArray(b.hits?.hits) ? (b.hits.hits as unknown[]) : [];
    return { total: typeof value === 'number' ? value : undefined, hits, pitId: typeof b.pit_id === 'string' ? b.pit_id : undefined };
  },
};

/**
 * Every hit of a query, oldest first, one page in memory at a time. With a limit, plain
 * `search_after` pages on the index; without one, a point in time keeps the view fixed while a
 * million hits stream (closed afterwards, also on error or an early `return`).
 */
export async function* searchHits(client: Client, options: SearchOptions, progress: SearchProgress = { dropped: 0, emitted: 0 }): AsyncGenerator<Hit> {
  const pageSize = Math.max(1, Math.min(options.pageSize ?? PAGE_SIZE, options.limit ?? Number.MAX_SAFE_INTEGER, 10_000));
  const pitId = options.limit === undefined ? await openPit(client, options.index) : undefined;
  let after: readonly unknown[] | undefined;
  try {
    for (;;) {
      const body = searchBody(options.query, pageSize, after);
      const page = await runSearch(client, options.index, pitId === undefined ? body : { ...body, pit: { id: pitId, keep_alive: PIT_KEEP_ALIVE } });
      progress.total ??= page.total;
      let last: Hit | undefined;
      for (const raw of page.hits) {
        const hit = parseHit(raw);
        if (hit === undefined) continue;
        last = hit;
        if (options.accept !== undefined && !options.accept(hit)) {
          progress.dropped++;
          continue;
        }
        progress.emitted++;
        yield hit;
        if (options.limit !== undefined && progress.emitted >= options.limit) return;
      }
      if (page.hits.length < pageSize || last?.sort === undefined) return;
      after = last.sort;
    }
  } finally {
    if (pitId !== undefined) await closePit(client, pitId);
  }
}

/** The number of documents a query matches. */
export async function countHits(client: Client, index: string, query: Clause): Promise<number> {
  try {
    const res = await client.transport.request({ method: 'POST', path: `/${encodeURIComponent(index)}/_count`, body: { query } });
    const count = (res.body as { count?: unknown }).count;
    return typeof count === 'number' ? count : 0;
  } catch (err) {
    throw asQueryError(err, index, client);
  }
}

async function runSearch(client: Client, index: string, body: Clause): Promise<{ total?: number; hits: unknown[] }> {
  try {
    // With a point in time the index is in the PIT, and naming one in the path is an error.
    const path = body.pit === undefined ? `/${encodeURIComponent(index)}/_search` : '/_search';
    const res = await client.transport.request({ method: 'POST', path, body });
    return PageSchema.parse(res.body);
  } catch (err) {
    throw asQueryError(err, index, client);
  }
}

async function openPit(client: Client, index: string): Promise<string> {
  try {
    const res = await client.transport.request({
      method: 'POST',
      path: `/${encodeURIComponent(index)}/_search/point_in_time`,
      querystring: { keep_alive: PIT_KEEP_ALIVE },
    });
    const id = PageSchema.parse(res.body).pitId;
    if (id === undefined) throw new AuditError('SINK_REJECTED', `OpenSearch did not return a point in time for ${index}`);
    return id;
  } catch (err) {
    throw asQueryError(err, index, client);
  }
}

async function closePit(client: Client, pitId: string): Promise<void> {
  // Best effort: an unclosed point in time expires after PIT_KEEP_ALIVE anyway.
  await client.transport.request({ method: 'DELETE', path: '/_search/point_in_time', body: { pit_id: [pitId] } }, { ignore: [404] }).catch(() => undefined);
}

function nodeOf(client: Client): string {
  const conn = (client.connectionPool as { connections?: { url?: URL }[] }).connections?.[0];
  return conn?.url === undefined ? 'OpenSearch' : `OpenSearch at ${conn.url.origin}`;
}

/** A client error as one line an analyst can act on; the cause is kept for logs. */
export function asQueryError(err: unknown, index: string, client: Client): AuditError {
  if (err instanceof AuditError) return err;
  if (err instanceof errors.ResponseError) {
    const body = err.meta.body as { error?: { type?: unknown; reason?: unknown } } | undefined;
    const type = typeof body?.error?.type === 'string' ? body.error.type : undefined;
    const reason = typeof body?.error?.reason === 'string' ? body.error.reason : err.message;
    if (err.statusCode === 404 && type === 'index_not_found_exception') {
      return new AuditError(
        'INDEX_MISSING',
        `${nodeOf(client)} has no index or alias "${index}" (check INDEX_ALIAS / INDEX_PREFIX / --index; has the worker indexed anything yet?)`,
        {
          cause: err,
        },
      );
    }
    if (err.statusCode === 401 || err.statusCode === 403) {
      return new AuditError('SINK_REJECTED', `${nodeOf(client)} refused the query (${err.statusCode}): the identity may not read ${index}`, { cause: err });
    }
    return new AuditError('SINK_REJECTED', `${nodeOf(client)} refused the query (${err.statusCode}${type === undefined ? '' : ` ${type}`}): ${reason}`, {
      cause: err,
    });
  }
  if (err instanceof errors.ConnectionError || err instanceof errors.TimeoutError || err instanceof errors.NoLivingConnectionsError) {
    return new AuditError('SINK_UNAVAILABLE', `${nodeOf(client)} is not reachable: ${err.message}`, { cause: err, retryable: true });
  }
  return new AuditError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
}
