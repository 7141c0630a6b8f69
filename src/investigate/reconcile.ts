import type { Client } from '@opensearch-project/opensearch';
import { z } from 'zod';
import { AuditError } from '../core/errors.js';
import { asQueryError } from './search.js';

/**
 * `reconcile`: the completeness proof across the two sources of the same S3 requests. Per hour,
 * the request ids of requests on recording objects that CloudTrail recorded and no access-log
 * record has, and the reverse. A read-time join on `event.id` (the S3 request id in both
 * families) through the read alias: right whether or not the linker has run, and never writing.
 *
 * `event.id` of the access events is an alias of `aws.s3access.request_id`, which has no doc
 * values (it is looked up, never aggregated), so the join cannot be an aggregation: each hour's
 * in-scope documents of both families are paged with `search_after` (one page in memory), their
 * ids kept in two maps of that hour only, and the ids one side lacks are looked up in the other
 * family over the neighbouring hours with batched `terms` queries (a request at 10:59:59 in one
 * source may be 11:00:00 in the other).
 */

export const ACCESS_DATASET = 'aws.s3access';
export const CLOUDTRAIL_DATASET = 'aws.cloudtrail';

/**
 * Access-log records of requests CloudTrail never logs, left out of the access side: requests that
 * failed authentication (CloudTrail logs authorization failures, not these) by their S3 error code.
 * Lifecycle and other S3-internal operations (`S3.*`) are left out by operation.
 */
export const AUTHENTICATION_FAILURE_CODES: readonly string[] = [
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
  'AuthorizationQueryParametersError',
  'MissingSecurityHeader',
  'InvalidSecurity',
];

/** How far around an hour a one-sided id is looked for in the other source. */
export const NEIGHBOUR_MS = 3_600_000;
const HOUR_MS = 3_600_000;
const PAGE_SIZE = 5000;
const LOOKUP_BATCH = 1000;

export type Source = 'cloudtrail' | 'access_log';

/** A request only one source has. */
export interface OneSided {
  readonly request_id: string;
  /** The first document's time (ISO, UTC). */
  readonly time: string;
  /** Operation (access log) or eventName (CloudTrail). */
  readonly action: string;
  readonly bucket?: string;
  readonly key?: string;
}

export interface HourResult {
  /** Start of the hour, ISO UTC. */
  readonly hour: string;
  /** `pending`: the hour ended less than the grace period ago; its gaps are not counted. */
  readonly status: 'settled' | 'pending';
  /** Distinct in-scope request ids CloudTrail has in the hour. */
  readonly cloudtrail: number;
  /** Distinct in-scope request ids the access logs have in the hour. */
  readonly access_log: number;
  /** Of the hour's ids (either source), those both sources have. */
  readonly matched: number;
  /** In CloudTrail, in no access-log record: the access log lost them (or has not delivered them yet). */
  readonly cloudtrail_only: readonly OneSided[];
  /** In the access logs, not in CloudTrail. */
  readonly access_log_only: readonly OneSided[];
}

export interface ReconcileOptions {
  readonly client: Client;
  /** The read alias (both families behind it). */
  readonly index: string;
  /** Start, rounded down to the hour. */
  readonly from: Date;
  /** End (exclusive), rounded up to the hour. */
  readonly to: Date;
  /** Audited buckets; empty: every bucket. */
  readonly buckets: readonly string[];
  readonly graceSecs: number;
  readonly now: Date;
  readonly pageSize?: number;
}

type Clause = Record<string, unknown>;

/** Hours [from, to) aligned to UTC hours. */
export function hoursOf(from: Date, to: Date): Date[] {
  const start = Math.floor(from.getTime() / HOUR_MS) * HOUR_MS;
  const end = Math.ceil(to.getTime() / HOUR_MS) * HOUR_MS;
  const out: Date[] = [];
  for (let t = start; t < end; t += HOUR_MS) out.push(new Date(t));
  return out;
}

export function hourStatus(hour: Date, now: Date, graceSecs: number): 'settled' | 'pending' {
  return hour.getTime() + HOUR_MS + graceSecs * 1000 > now.getTime() ? 'pending' : 'settled';
}

const bucketFilter = (buckets: readonly string[]): Clause[] => (buckets.length > 0 ? [{ terms: { 'aws.s3.bucket.name': [...buckets] } }] : []);

/**
 * The requests compared: events (not pipeline errors) of either family on an object key of an
 * audited bucket, without what only the access log can have (S3-internal operations,
 * authentication failures).
 */
export function scopeQuery(fromMs: number, toMs: number, buckets: readonly string[]): Clause {
  return {
    bool: {
      filter: [
        { term: { 'event.kind': 'event' } },
        { terms: { 'event.dataset': [ACCESS_DATASET, CLOUDTRAIL_DATASET] } },
        { range: { '@timestamp': { gte: new Date(fromMs).toISOString(), lt: new Date(toMs).toISOString() } } },
        { exists: { field: 'aws.s3.object.key' } },
        ...bucketFilter(buckets),
      ],
      must_not: [{ prefix: { 'event.action': 'S3.' } }, { terms: { 'event.code': [...AUTHENTICATION_FAILURE_CODES] } }],
    },
  };
}

/**
 * Whether the other source has the request at all: any of its events with the id, in the
 * bucket, near the hour, whatever the operation (a multi-object delete is one CloudTrail
 * `DeleteObjects` and per-key `BATCH.DELETE.OBJECT` records; either side may lack a key).
 */
export function lookupQuery(dataset: string, ids: readonly string[], fromMs: number, toMs: number, buckets: readonly string[]): Clause {
  return {
    bool: {
      filter: [
        { term: { 'event.kind': 'event' } },
        { term: { 'event.dataset': dataset } },
        { terms: { 'event.id': [...ids] } },
        { range: { '@timestamp': { gte: new Date(fromMs - NEIGHBOUR_MS).toISOString(), lt: new Date(toMs + NEIGHBOUR_MS).toISOString() } } },
        ...bucketFilter(buckets),
      ],
    },
  };
}

// Unique per document within a family (one line, one CloudTrail record); _id breaks the tie of a
// copy of one document in a second index behind the alias.
const SORT: readonly Clause[] = [{ '@timestamp': 'asc' }, { 'log.file.path': 'asc' }, { 'log.offset': 'asc' }, { _id: 'asc' }];
const SOURCE_FIELDS = [
  '@timestamp',
  'event.dataset',
  'event.id',
  'event.action',
  'aws.s3access.request_id',
  'aws.s3access.operation',
  'aws.s3access.bucket',
  'aws.s3',
];

const DocSchema = z.object({
  '@timestamp': z.string(),
  event: z.object({ dataset: z.string(), id: z.string().optional(), action: z.string().optional() }),
  aws: z
    .object({
      s3access: z.object({ request_id: z.string().optional(), operation: z.string().optional(), bucket: z.string().optional() }).optional(),
      s3: z.object({ bucket: z.object({ name: z.string() }).optional(), object: z.object({ key: z.string().optional() }).optional() }).optional(),
    })
    .optional(),
});
const PageSchema = z.object({
  timed_out: z.boolean().optional(),
  _shards: z.object({ failed: z.number() }).optional(),
  hits: z.object({ hits: z.array(z.object({ _source: z.unknown(), sort: z.array(z.unknown()).optional() })) }),
});

/** One stored event as reconcile reads it. */
export interface SeenEvent {
  readonly source: Source;
  readonly request: OneSided;
}

function seenOf(raw: unknown): SeenEvent | undefined {
  const p = DocSchema.safeParse(raw);
  if (!p.success) return undefined;
  const d = p.data;
  const access = d.event.dataset === ACCESS_DATASET;
  const id = access ? d.aws?.s3access?.request_id : d.event.id;
  if (id === undefined || id === '' || id === '-') return undefined;
  const bucket = access ? d.aws?.s3access?.bucket : d.aws?.s3?.bucket?.name;
  const key = d.aws?.s3?.object?.key;
  return {
    source: access ? 'access_log' : 'cloudtrail',
    request: {
      request_id: id,
      time: d['@timestamp'],
      action: (access ? d.aws?.s3access?.operation : d.event.action) ?? '-',
      ...(bucket !== undefined ? { bucket } : {}),
      ...(key !== undefined ? { key } : {}),
    },
  };
}

/** Every hit of a query, in SORT order, a page at a time; an incomplete answer is an error, never fewer ids. */
async function* scan(client: Client, index: string, query: Clause, pageSize: number): AsyncGenerator<SeenEvent> {
  let after: unknown[] | undefined;
  for (;;) {
    let body: unknown;
    try {
      const res = await client.transport.request({
        method: 'POST',
        path: `/${encodeURIComponent(index)}/_search`,
        body: { query, sort: SORT, size: pageSize, track_total_hits: false, _source: SOURCE_FIELDS, ...(after !== undefined ? { search_after: after } : {}) },
      });
      body = res.body;
    } catch (err) {
      throw asQueryError(err, index, client);
    }
    const page = PageSchema.parse(body);
    const failed = page._shards?.failed ?? 0;
    if (failed > 0 || page.timed_out === true) {
      // Fewer documents would read as requests one source lost.
      throw new AuditError('SINK_UNAVAILABLE', `The search was incomplete (${failed} shard(s) failed${page.timed_out === true ? ', timed out' : ''}).`, {
        retryable: true,
      });
    }
    const hits = page.hits.hits;
    for (const h of hits) {
      const seen = seenOf(h._source);
      if (seen !== undefined) yield seen;
    }
    if (hits.length < pageSize) return;
    after = hits[hits.length - 1]?.sort;
    if (after === undefined) throw new AuditError('SINK_REJECTED', 'OpenSearch returned hits without sort values; cannot page on.');
  }
}

/** Which of `ids` the `dataset` family has near the hour. */
async function presentIn(o: ReconcileOptions, dataset: string, ids: readonly string[], fromMs: number, toMs: number): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += LOOKUP_BATCH) {
    const batch = ids.slice(i, i + LOOKUP_BATCH);
    for await (const s of scan(o.client, o.index, lookupQuery(dataset, batch, fromMs, toMs, o.buckets), o.pageSize ?? PAGE_SIZE))
      found.add(s.request.request_id);
  }
  return found;
}

const byTime = (a: OneSided, b: OneSided): number => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.request_id < b.request_id ? -1 : 1);

/** One hour: both sources' ids, matched in the hour, then the rest looked up around it. */
export async function reconcileHour(o: ReconcileOptions, hour: Date): Promise<HourResult> {
  const fromMs = hour.getTime();
  const toMs = fromMs + HOUR_MS;
  const ct = new Map<string, OneSided>();
  const s3 = new Map<string, OneSided>();
  for await (const s of scan(o.client, o.index, scopeQuery(fromMs, toMs, o.buckets), o.pageSize ?? PAGE_SIZE)) {
    const m = s.source === 'cloudtrail' ? ct : s3;
    if (!m.has(s.request.request_id)) m.set(s.request.request_id, s.request);
  }
  const ctOnly = [...ct.keys()].filter((id) => !s3.has(id));
  const s3Only = [...s3.keys()].filter((id) => !ct.has(id));
  const inBoth = ct.size - ctOnly.length;
  const ctFound = ctOnly.length > 0 ? await presentIn(o, ACCESS_DATASET, ctOnly, fromMs, toMs) : new Set<string>();
  const s3Found = s3Only.length > 0 ? await presentIn(o, CLOUDTRAIL_DATASET, s3Only, fromMs, toMs) : new Set<string>();
  return {
    hour: hour.toISOString(),
    status: hourStatus(hour, o.now, o.graceSecs),
    cloudtrail: ct.size,
    access_log: s3.size,
    matched: inBoth + ctFound.size + s3Found.size,
    cloudtrail_only: ctOnly
      .filter((id) => !ctFound.has(id))
      .map((id) => ct.get(id)!)
      .sort(byTime),
    access_log_only: s3Only
      .filter((id) => !s3Found.has(id))
      .map((id) => s3.get(id)!)
      .sort(byTime),
  };
}

/** Hour by hour, oldest first; one hour's ids in memory at a time. */
export async function* reconcileHours(o: ReconcileOptions): AsyncGenerator<HourResult> {
  for (const hour of hoursOf(o.from, o.to)) yield await reconcileHour(o, hour);
}

/** The gap of an hour: requests one source has and the other does not, both ways. */
export const gapOf = (h: HourResult): number => h.cloudtrail_only.length + h.access_log_only.length;
