import type { Client } from '@opensearch-project/opensearch';
import { z } from 'zod';
import { AuditError } from '../core/errors.js';

/** Query DSL fragments; OpenSearch checks them, the types here only keep the shapes readable. */
export type Q = Record<string, unknown>;

export const F = {
  time: '@timestamp',
  requester: 'aws.s3access.requester',
  actorKind: 'actor.kind',
  actorEmail: 'actor.email',
  ip: 'source.ip',
  action: 'event.action',
  outcome: 'event.outcome',
  status: 'aws.s3access.http_status',
  authType: 'aws.s3access.authentication_type',
  accessKey: 'aws.s3.presigned.access_key_id',
  key: 'aws.s3.object.key',
  recording: 'genesys.recording.id',
  conversation: 'genesys.conversation.id',
  actorUser: 'actor.genesys_user_id',
  participants: 'genesys.participants',
  participantUser: 'genesys.participants.user_id',
} as const;

export const term = (field: string, value: string | number | boolean): Q => ({ term: { [field]: value } });
export const terms = (field: string, values: readonly (string | number)[]): Q => ({ terms: { [field]: values } });
export const range = (from: number, to: number): Q => ({
  range: { [F.time]: { gte: new Date(from).toISOString(), lt: new Date(to).toISOString(), format: 'strict_date_optional_time' } },
});
export const exists = (field: string): Q => ({ exists: { field } });

/**
 * Accesses only: the worker's own requests (event.self) and pipeline_error documents (which share
 * the index) never count, and exempt requesters are left out of every rule.
 */
export function accessQuery(filter: Q[], exemptRequesters: readonly string[], mustNot: Q[] = []): Q {
  return {
    bool: {
      filter: [term('event.kind', 'event'), ...filter],
      must_not: [term('event.self', true), ...(exemptRequesters.length > 0 ? [terms(F.requester, exemptRequesters)] : []), ...mustNot],
    },
  };
}

/** A successful read of a recording or its sidecar. */
export const recordingRead: Q[] = [term(F.action, 'REST.GET.OBJECT'), term(F.outcome, 'success'), exists(F.recording)];

const ShardsSchema = z.object({ failed: z.number() }).optional();
const SearchEnvelope = z.object({ timed_out: z.boolean().optional(), _shards: ShardsSchema, aggregations: z.record(z.string(), z.unknown()).optional() });

/**
 * One aggregation search. An answer that lost shards or timed out is an error, never a smaller
 * result: a rule that counted half the events would call the window clean and the watermark
 * would move past it.
 */
export async function aggregate(client: Client, index: string, query: Q, aggs: Q): Promise<Record<string, unknown>> {
  let res;
  try {
    res = await client.transport.request({
      method: 'POST',
      path: `/${encodeURIComponent(index)}/_search`,
      querystring: { ignore_unavailable: true, allow_no_indices: true },
      body: { size: 0, track_total_hits: false, query, aggs },
    });
  } catch (cause) {
    throw new AuditError('SINK_UNAVAILABLE', `detection query failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, retryable: true });
  }
  const body = SearchEnvelope.parse(res.body);
  const failed = body._shards?.failed ?? 0;
  if (failed > 0 || body.timed_out === true) {
    throw new AuditError('SINK_UNAVAILABLE', `detection query incomplete (${failed} shard(s) failed${body.timed_out === true ? ', timed out' : ''})`, {
      retryable: true,
    });
  }
  return body.aggregations ?? {};
}

const CompositeBucket = z.looseObject({
  key: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
  doc_count: z.number(),
  first: z.object({ value: z.number().nullable() }).optional(),
  distinct: z.object({ value: z.number() }).optional(),
  kind: z.object({ buckets: z.array(z.object({ key: z.string() })) }).optional(),
  email: z.object({ buckets: z.array(z.object({ key: z.string() })) }).optional(),
});
const CompositeSchema = z.object({ buckets: z.array(CompositeBucket), after_key: z.record(z.string(), z.unknown()).optional() });

export interface Group {
  readonly key: Readonly<Record<string, string | number | null>>;
  readonly count: number;
  /** Epoch ms of the first event of the group. */
  readonly first: number;
  /** Distinct recordings (when asked for). */
  readonly distinct?: number;
  readonly kind?: string;
  readonly email?: string;
}

export type CompositeSource = Record<string, Q>;

/**
 * Groups of a composite aggregation, page by page (after_key), each with its first event time,
 * the actor's kind and email, and optionally a distinct count (exact below distinctPrecision).
 */
export async function* groups(
  client: Client,
  index: string,
  query: Q,
  sources: CompositeSource[],
  options: { distinctField?: string; distinctPrecision?: number; pageSize?: number },
): AsyncGenerator<Group[]> {
  let after: Record<string, unknown> | undefined;
  for (;;) {
    // No top_hits here: fetching evidence for every group costs more than the rule itself; the
    // few groups that become alerts get theirs afterwards (evidenceIds).
    const sub: Q = {
      first: { min: { field: F.time } },
      kind: { terms: { field: F.actorKind, size: 1 } },
      email: { terms: { field: F.actorEmail, size: 1 } },
      ...(options.distinctField !== undefined
        ? { distinct: { cardinality: { field: options.distinctField, precision_threshold: options.distinctPrecision ?? 1000 } } }
        : {}),
    };
    const aggs = await aggregate(client, index, query, {
      g: { composite: { size: options.pageSize ?? 500, sources, ...(after !== undefined ? { after } : {}) }, aggs: sub },
    });
    const page = CompositeSchema.parse(aggs.g ?? { buckets: [] });
    yield page.buckets.map((b) => ({
      key: b.key,
      count: b.doc_count,
      first: b.first?.value ?? 0,
      ...(b.distinct !== undefined ? { distinct: b.distinct.value } : {}),
      ...(b.kind?.buckets[0] !== undefined ? { kind: b.kind.buckets[0].key } : {}),
      ...(b.email?.buckets[0] !== undefined ? { email: b.email.buckets[0].key } : {}),
    }));
    if (page.after_key === undefined || page.buckets.length === 0) return;
    after = page.after_key;
  }
}

export const str = (v: string | number | null | undefined): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

const MsearchSchema = z.object({
  responses: z.array(
    z.object({
      error: z.unknown().optional(),
      timed_out: z.boolean().optional(),
      _shards: ShardsSchema,
      hits: z.object({ hits: z.array(z.object({ _id: z.string() })) }).optional(),
    }),
  ),
});

/** The first `max` event ids (by time) of each query, in one multi-search. */
export async function evidenceIds(client: Client, index: string, queries: readonly Q[], max: number): Promise<string[][]> {
  if (queries.length === 0) return [];
  const body = queries.flatMap((query) => [
    { index, ignore_unavailable: true, allow_no_indices: true },
    { size: max, _source: false, track_total_hits: false, sort: [{ [F.time]: 'asc' }, { 'log.file.path': 'asc' }, { 'log.offset': 'asc' }], query },
  ]);
  let res;
  try {
    res = await client.transport.request({ method: 'POST', path: '/_msearch', body: `${body.map((l) => JSON.stringify(l)).join('\n')}\n` });
  } catch (cause) {
    throw new AuditError('SINK_UNAVAILABLE', `evidence query failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, retryable: true });
  }
  const parsed = MsearchSchema.parse(res.body);
  return parsed.responses.map((r) => {
    if (r.error !== undefined || (r._shards?.failed ?? 0) > 0 || r.timed_out === true || r.hits === undefined) {
      throw new AuditError('SINK_UNAVAILABLE', 'evidence query incomplete', { retryable: true, details: { error: r.error } });
    }
    return r.hits.hits.map((h) => h._id);
  });
}

const TermsSchema: z.ZodType<{ buckets: { key: string | number; key_as_string?: string; inner?: { buckets: { key: string | number }[] } }[] }> = z.object({
  buckets: z.array(
    z.object({
      key: z.union([z.string(), z.number()]),
      key_as_string: z.string().optional(),
      inner: z.object({ buckets: z.array(z.object({ key: z.union([z.string(), z.number()]) })) }).optional(),
    }),
  ),
});

/**
 * Which of `outer` values (and, with `inner`, which outer/inner pairs) have events under `base`:
 * a terms aggregation over just those values, so its size bounds are exact. Pairs come back as
 * `outer + '\u0000' + inner`.
 */
export async function seen(
  client: Client,
  index: string,
  base: Q,
  outer: { field: string; values: readonly string[] },
  inner?: { field: string; values: readonly string[] },
): Promise<Set<string>> {
  const out = new Set<string>();
  if (outer.values.length === 0) return out;
  const o = [...new Set(outer.values)];
  const filter: Q[] = [base, terms(outer.field, o)];
  let i: string[] = [];
  if (inner !== undefined) {
    i = [...new Set(inner.values)];
    filter.push(terms(inner.field, i));
  }
  const aggs = await aggregate(
    client,
    index,
    { bool: { filter } },
    {
      o: {
        terms: { field: outer.field, size: o.length },
        ...(inner !== undefined ? { aggs: { inner: { terms: { field: inner.field, size: i.length } } } } : {}),
      },
    },
  );
  for (const b of TermsSchema.parse(aggs.o).buckets) {
    const key = String(b.key);
    if (inner === undefined) out.add(key);
    else for (const ib of b.inner?.buckets ?? []) out.add(`${key}\u0000${String(ib.key)}`);
  }
  return out;
}
