import { errors, type Client } from '@opensearch-project/opensearch';
import { z } from 'zod';
import { AuditError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { every, type PeriodicTask } from '../../core/time.js';

/**
 * The linker: one S3 request's two records, an access-log event and its CloudTrail event (same
 * request id, `event.id`, and bucket), get the correlation fields `link.sources`, `link.twin_id`
 * and `link.linked_at`, after the fact, whichever arrived first.
 *
 * Each pass pages through the CloudTrail events that have no link yet, looks up access events
 * with the same request ids (a batched `terms` query on `event.id`), and writes ONLY `link.*` with
 * partial-document updates guarded by `if_seq_no`/`if_primary_term`: no evidence field (the raw
 * fields, `event.hash`, `event.original`) is written, and a document changed meanwhile answers 409
 * and is left for the next pass. The access events are linked first and the CloudTrail event last,
 * so a CloudTrail event marked linked always has linked twins; one whose access record has not
 * arrived (S3 delivers hours late, or never) stays unlinked and is looked at again next pass.
 * `reconcile` and `query` join at read time and never depend on this.
 */

export const ACCESS_DATASET = 'aws.s3access';
export const CLOUDTRAIL_DATASET = 'aws.cloudtrail';
/** Both datasets, sorted: the value of `link.sources` on both sides. */
export const LINKED_SOURCES: readonly string[] = [CLOUDTRAIL_DATASET, ACCESS_DATASET];

/** How far around the CloudTrail events' times their access-log twins are looked for. */
const TWIN_WINDOW_MS = 3_600_000;
const PAGE_SIZE = 500;
const SORT = [{ '@timestamp': 'asc' }, { 'log.file.path': 'asc' }, { 'log.offset': 'asc' }, { _id: 'asc' }];

export interface LinkOptions {
  readonly client: Client;
  /** The read alias (both families behind it). */
  readonly index: string;
  /** CloudTrail event time range [from, to), ISO. */
  readonly from: string;
  readonly to: string;
  readonly logger: Logger;
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
  /** Make the updates visible to search before returning (tests, CLI). */
  readonly refresh?: boolean;
  readonly now?: () => Date;
}

export interface LinkResult {
  /** Unlinked CloudTrail events looked at. */
  scanned: number;
  /** CloudTrail events linked (with their access-log twins) in this pass. */
  linked: number;
  /** Access-log events that got (or extended) their link. */
  accessLinked: number;
  /** CloudTrail events without an access-log twin yet. */
  waiting: number;
  /** Updates refused by the seq_no guard (changed meanwhile): retried next pass. */
  conflicts: number;
  failed: number;
}

const LinkSchema = z.object({ sources: z.array(z.string()).optional(), twin_id: z.union([z.array(z.string()), z.string()]).optional() }).optional();
const HitSchema = z.object({
  _index: z.string(),
  _id: z.string(),
  _seq_no: z.number(),
  _primary_term: z.number(),
  _source: z.object({
    event: z.object({ id: z.string().optional() }).optional(),
    aws: z
      .object({
        s3access: z.object({ request_id: z.string().optional(), bucket: z.string().optional() }).optional(),
        s3: z.object({ bucket: z.object({ name: z.string() }).optional() }).optional(),
      })
      .optional(),
    '@timestamp': z.string(),
    link: LinkSchema,
  }),
  sort: z.array(z.unknown()).optional(),
});
type LinkHit = z.infer<typeof HitSchema>;
const PageSchema = z.object({
  timed_out: z.boolean().optional(),
  _shards: z.object({ failed: z.number() }).optional(),
  hits: z.object({ hits: z.array(HitSchema) }),
});
const BulkSchema = z.object({
  items: z.array(z.record(z.string(), z.object({ _id: z.string().optional(), status: z.number(), error: z.unknown().optional() }))),
});

const SOURCE = ['@timestamp', 'event.id', 'aws.s3access.request_id', 'aws.s3access.bucket', 'aws.s3.bucket', 'link'];

async function searchPage(client: Client, index: string, query: Record<string, unknown>, size: number, after: unknown[] | undefined): Promise<LinkHit[]> {
  let res;
  try {
    res = await client.transport.request({
      method: 'POST',
      path: `/${encodeURIComponent(index)}/_search`,
      body: {
        query,
        sort: SORT,
        size,
        seq_no_primary_term: true,
        track_total_hits: false,
        _source: SOURCE,
        ...(after !== undefined ? { search_after: after } : {}),
      },
    });
  } catch (err) {
    throw searchError(err, index);
  }
  const page = PageSchema.parse(res.body);
  const failed = page._shards?.failed ?? 0;
  if (failed > 0 || page.timed_out === true) {
    throw new AuditError('SINK_UNAVAILABLE', `The search for events to link was incomplete (${failed} shard(s) failed); the next pass retries.`, {
      retryable: true,
    });
  }
  return page.hits.hits;
}

function searchError(err: unknown, index: string): AuditError {
  if (err instanceof errors.ResponseError) {
    if (err.statusCode === 404)
      return new AuditError('INDEX_MISSING', `OpenSearch has no index or alias "${index}" (check INDEX_ALIAS / INDEX_PREFIX / --index)`, { cause: err });
    return new AuditError('SINK_REJECTED', `OpenSearch refused the search for events to link (${err.statusCode ?? '?'})`, { cause: err });
  }
  return new AuditError('SINK_UNAVAILABLE', `OpenSearch did not answer: ${err instanceof Error ? err.message : String(err)}`, { cause: err, retryable: true });
}

async function* scan(client: Client, index: string, query: Record<string, unknown>, size: number): AsyncGenerator<LinkHit[]> {
  let after: unknown[] | undefined;
  for (;;) {
    const hits = await searchPage(client, index, query, size, after);
    if (hits.length > 0) yield hits;
    if (hits.length < size) return;
    after = hits[hits.length - 1]!.sort;
    if (after === undefined) throw new AuditError('SINK_REJECTED', 'OpenSearch returned hits without sort values; cannot page on.');
  }
}

const requestIdOf = (h: LinkHit): string | undefined => h._source.aws?.s3access?.request_id ?? h._source.event?.id;
const bucketOf = (h: LinkHit): string | undefined => h._source.aws?.s3access?.bucket ?? h._source.aws?.s3?.bucket?.name;
const twinsOf = (h: LinkHit): string[] => {
  const t = h._source.link?.twin_id;
  return t === undefined ? [] : Array.isArray(t) ? t : [t];
};
const pairKey = (requestId: string, bucket: string | undefined): string => `${bucket ?? ''}\n${requestId}`;

/** The unlinked CloudTrail events of the range. */
export function unlinkedQuery(from: string, to: string): Record<string, unknown> {
  return {
    bool: {
      filter: [{ term: { 'event.kind': 'event' } }, { term: { 'event.dataset': CLOUDTRAIL_DATASET } }, { range: { '@timestamp': { gte: from, lt: to } } }],
      must_not: [{ exists: { field: 'link.linked_at' } }],
    },
  };
}

function twinQuery(ids: readonly string[], fromMs: number, toMs: number): Record<string, unknown> {
  return {
    bool: {
      filter: [
        { term: { 'event.kind': 'event' } },
        { term: { 'event.dataset': ACCESS_DATASET } },
        { terms: { 'event.id': [...ids] } },
        { range: { '@timestamp': { gte: new Date(fromMs - TWIN_WINDOW_MS).toISOString(), lt: new Date(toMs + TWIN_WINDOW_MS).toISOString() } } },
      ],
    },
  };
}

type Update = { readonly hit: LinkHit; readonly twins: readonly string[] };

/** Guarded partial updates of `link.*`; per document: ok, conflict (409) or failed. */
async function writeLinks(client: Client, updates: readonly Update[], linkedAt: string, logger: Logger): Promise<Map<string, 'ok' | 'conflict' | 'failed'>> {
  const out = new Map<string, 'ok' | 'conflict' | 'failed'>();
  if (updates.length === 0) return out;
  const body = updates.flatMap((u) => [
    { update: { _index: u.hit._index, _id: u.hit._id, if_seq_no: u.hit._seq_no, if_primary_term: u.hit._primary_term } },
    { doc: { link: { sources: [...LINKED_SOURCES], twin_id: [...u.twins], linked_at: linkedAt } } },
  ]);
  try {
    const res = await client.bulk({ body });
    const items = BulkSchema.parse(res.body).items;
    items.forEach((item, i) => {
      const r = Object.values(item)[0];
      const key = `${updates[i]!.hit._index}/${updates[i]!.hit._id}`;
      out.set(key, r === undefined ? 'failed' : r.status >= 200 && r.status < 300 ? 'ok' : r.status === 409 ? 'conflict' : 'failed');
    });
  } catch (err) {
    logger.warn({ err: describeError(err) }, 'Writing links failed; the next pass retries.');
    for (const u of updates) out.set(`${u.hit._index}/${u.hit._id}`, 'failed');
  }
  return out;
}

/** One page of unlinked CloudTrail events: find their twins, link the twins, then the CloudTrail events. */
async function linkPage(options: LinkOptions, trail: readonly LinkHit[], result: LinkResult): Promise<void> {
  const { client, logger } = options;
  const linkedAt = (options.now?.() ?? new Date()).toISOString();
  const ids = [...new Set(trail.map((h) => h._source.event?.id).filter((id): id is string => id !== undefined && id !== ''))];
  if (ids.length === 0) return;
  const times = trail.map((h) => Date.parse(h._source['@timestamp']));
  const twinsByKey = new Map<string, LinkHit[]>();
  for await (const page of scan(client, options.index, twinQuery(ids, Math.min(...times), Math.max(...times)), options.pageSize ?? PAGE_SIZE)) {
    for (const h of page) {
      const id = requestIdOf(h);
      if (id === undefined) continue;
      const key = pairKey(id, bucketOf(h));
      twinsByKey.set(key, [...(twinsByKey.get(key) ?? []), h]);
    }
  }
  const plans: { ct: LinkHit; access: LinkHit[] }[] = [];
  for (const ct of trail) {
    const id = ct._source.event?.id;
    const access = id === undefined ? [] : (twinsByKey.get(pairKey(id, bucketOf(ct))) ?? []);
    if (access.length === 0) result.waiting++;
    else plans.push({ ct, access });
  }
  // The access-log side first; a twin already naming this CloudTrail event is left as it is.
  const accessUpdates: Update[] = [];
  const seen = new Set<string>();
  for (const p of plans) {
    for (const a of p.access) {
      const key = `${a._index}/${a._id}`;
      const twins = twinsOf(a);
      if (twins.includes(p.ct._id) || seen.has(key)) continue;
      seen.add(key);
      accessUpdates.push({ hit: a, twins: [...twins, p.ct._id] });
    }
  }
  const accessState = await writeLinks(client, accessUpdates, linkedAt, logger);
  for (const s of accessState.values()) {
    if (s === 'ok') result.accessLinked++;
    else if (s === 'conflict') result.conflicts++;
    else result.failed++;
  }
  const ctUpdates: Update[] = [];
  for (const p of plans) {
    const ready = p.access.every((a) => twinsOf(a).includes(p.ct._id) || accessState.get(`${a._index}/${a._id}`) === 'ok');
    // A twin not written stays unlinked, and so does this event: the next pass finds both again.
    if (ready) ctUpdates.push({ hit: p.ct, twins: [...new Set(p.access.map((a) => a._id))] });
  }
  const ctState = await writeLinks(client, ctUpdates, linkedAt, logger);
  for (const s of ctState.values()) {
    if (s === 'ok') result.linked++;
    else if (s === 'conflict') result.conflicts++;
    else result.failed++;
  }
}

/** One pass over the CloudTrail events of [from, to) that have no link yet. */
export async function linkPass(options: LinkOptions): Promise<LinkResult> {
  const result: LinkResult = { scanned: 0, linked: 0, accessLinked: 0, waiting: 0, conflicts: 0, failed: 0 };
  for await (const page of scan(options.client, options.index, unlinkedQuery(options.from, options.to), options.pageSize ?? PAGE_SIZE)) {
    if (options.signal?.aborted === true) break;
    result.scanned += page.length;
    await linkPage(options, page, result);
  }
  if (options.refresh === true) await options.client.indices.refresh({ index: options.index, ignore_unavailable: true, allow_no_indices: true });
  options.logger.info({ ...result, from: options.from, to: options.to }, 'Link pass finished.');
  return result;
}

/**
 * The worker's periodic task (CLOUDTRAIL_BUCKETS set, LINK_INTERVAL_SECS > 0): one pass over the
 * last `lookbackSecs` of CloudTrail event time every interval, never two at once.
 */
export function startLinkTask(options: Omit<LinkOptions, 'from' | 'to' | 'signal'> & { intervalSecs: number; lookbackSecs: number }): PeriodicTask {
  return every(
    options.intervalSecs * 1000,
    (signal) => {
      const to = new Date();
      return linkPass({ ...options, from: new Date(to.getTime() - options.lookbackSecs * 1000).toISOString(), to: to.toISOString(), signal });
    },
    (err) => options.logger.warn({ err: describeError(err) }, 'Link pass failed; the next one retries.'),
  );
}
