import type { Client } from '@opensearch-project/opensearch';
import { z } from 'zod';
import type { AlertDraft, AlertWindow, SubjectKind } from './alert.js';
import { offHoursIntervals } from './hours.js';
import {
  accessQuery,
  aggregate,
  seen,
  evidenceIds,
  exists,
  F,
  groups,
  range,
  recordingRead,
  str,
  term,
  terms,
  type CompositeSource,
  type Group,
  type Q,
} from './query.js';
import type { RuleId, RulesConfig, Severity } from './rules.js';

const DAY_MS = 86_400_000;
/** Keys per history lookup: one `filters` aggregation with this many named queries. */
const HISTORY_BATCH = 200;

export interface RuleContext {
  readonly client: Client;
  /** The events' read alias (INDEX_PREFIX). */
  readonly index: string;
  readonly rules: RulesConfig;
  /** The detection window, epoch ms [start, end). */
  readonly start: number;
  readonly end: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const win = (start: number, end: number): AlertWindow => ({ start: iso(start), end: iso(end) });

/** An alert waiting for its evidence: the group's filters narrow the rule's query to its events. */
interface Hit {
  readonly filters: Q[];
  readonly make: (eventIds: readonly string[]) => AlertDraft;
}

/** Fetches the evidence of a page's hits in one multi-search and adds their alerts. */
async function emit(ctx: RuleContext, query: Q, hits: readonly Hit[], out: AlertDraft[]): Promise<void> {
  const ids = await evidenceIds(
    ctx.client,
    ctx.index,
    hits.map((h) => ({ bool: { filter: [query, ...h.filters] } })),
    ctx.rules.evidenceMax,
  );
  hits.forEach((h, i) => out.push(h.make(ids[i] ?? [])));
}

const inBucket = (t: number, secs: number): Q => range(t, t + secs * 1000);

function draft(
  eventIds: readonly string[],
  rule: RuleId,
  severity: Severity,
  window: AlertWindow,
  g: Group,
  requester: string | undefined,
  subject: { kind: SubjectKind; value: string },
  message: string,
  measure?: { value: number; threshold?: number },
): AlertDraft {
  return {
    '@timestamp': iso(g.first),
    rule: { id: rule, severity },
    window,
    actor: {
      ...(requester !== undefined ? { requester } : {}),
      ...(g.kind !== undefined ? { kind: g.kind } : {}),
      ...(g.email !== undefined ? { email: g.email } : {}),
    },
    subject,
    evidence: { event_ids: eventIds, event_count: g.count },
    ...(measure !== undefined ? { measure } : {}),
    message,
  };
}

const who = (requester: string | undefined, g: Group): string => g.email ?? requester ?? 'an anonymous client';

/**
 * Rule windows of `windowSecs` aligned to the epoch whose end falls in (start, end]: each is
 * evaluated exactly once, by the detection window its end falls in; it may reach back before it.
 */
function ruleWindows(ctx: RuleContext, windowSecs: number): { from: number; to: number } | undefined {
  const w = windowSecs * 1000;
  const from = Math.floor(ctx.start / w) * w;
  const to = Math.floor(ctx.end / w) * w;
  return to > from ? { from, to } : undefined;
}

async function collect(
  it: AsyncGenerator<Group[]>,
  each: (page: Group[]) => Promise<Hit[]> | Hit[],
  ctx: RuleContext,
  query: Q,
  out: AlertDraft[],
): Promise<void> {
  for await (const page of it) {
    const hits = await each(page);
    if (hits.length > 0) await emit(ctx, query, hits, out);
  }
}

/** Exact distinct counts up to here (HyperLogLog above): comfortably past any threshold. */
const precisionFor = (threshold: number): number => Math.min(40_000, Math.max(1000, threshold * 4));

async function bulkAccess(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules['bulk-access'];
  const span = ruleWindows(ctx, r.windowSecs);
  if (span === undefined) return;
  const query = accessQuery([range(span.from, span.to), ...recordingRead, terms(F.actorKind, r.actorKinds), exists(F.requester)], ctx.rules.exemptRequesters);
  const sources: CompositeSource[] = [
    { t: { date_histogram: { field: F.time, fixed_interval: `${r.windowSecs}s` } } },
    { requester: { terms: { field: F.requester } } },
  ];
  const it = groups(ctx.client, ctx.index, query, sources, { distinctField: F.recording, distinctPrecision: precisionFor(r.threshold) });
  const baseline = r.baseline;
  await collect(
    it,
    async (page) => {
      const over = page.filter((g) => (g.distinct ?? 0) > r.threshold);
      const limits = new Map<Group, number>();
      for (const g of over) {
        const limit =
          baseline === undefined
            ? r.threshold
            : Math.max(r.threshold, baseline.multiplier * (await peakWindow(ctx, r, Number(g.key.t), str(g.key.requester) ?? '', baseline.days)));
        limits.set(g, limit);
      }
      return over
        .filter((g) => (g.distinct ?? 0) > (limits.get(g) ?? r.threshold))
        .map((g) => {
          const distinct = g.distinct ?? 0;
          const t = Number(g.key.t);
          const requester = str(g.key.requester) ?? '';
          const limit = limits.get(g) ?? r.threshold;
          return {
            filters: [inBucket(t, r.windowSecs), term(F.requester, requester)],
            make: (ids) =>
              draft(
                ids,
                'bulk-access',
                r.severity,
                win(t, t + r.windowSecs * 1000),
                g,
                requester,
                { kind: 'principal', value: requester },
                `${who(requester, g)} read ${distinct} distinct recordings in ${r.windowSecs / 60} minutes (more than ${r.threshold}${
                  limit > r.threshold
                    ? ` and more than ${Math.round(limit)}, ${baseline?.multiplier ?? 1}× their busiest window of the ${baseline?.days ?? 0} days before`
                    : ''
                }).`,
                { value: distinct, threshold: Math.round(limit) },
              ),
          };
        });
    },
    ctx,
    query,
    out,
  );
}

/**
 * The most distinct recordings `requester` read in one rule window during the `days` before the
 * window starting at `t`: their own busiest hour (or window) is what counts as usual for them.
 */
async function peakWindow(
  ctx: RuleContext,
  r: { windowSecs: number; actorKinds: readonly string[] },
  t: number,
  requester: string,
  days: number,
): Promise<number> {
  const query = accessQuery([range(t - days * 86_400_000, t), ...recordingRead, term(F.requester, requester)], []);
  const aggs = {
    windows: {
      date_histogram: { field: F.time, fixed_interval: `${r.windowSecs}s`, min_doc_count: 1 },
      aggs: { distinct: { cardinality: { field: F.recording } } },
    },
    peak: { max_bucket: { buckets_path: 'windows>distinct' } },
  };
  const res = await aggregate(ctx.client, ctx.index, query, aggs);
  const peak = (res.peak as { value?: unknown } | undefined)?.value;
  return typeof peak === 'number' && Number.isFinite(peak) ? peak : 0;
}

async function offHours(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules['off-hours'];
  const intervals = offHoursIntervals(ctx.start, ctx.end, r);
  if (intervals.length === 0) return;
  const during: Q = { bool: { should: intervals.map(([a, b]) => range(a, b)), minimum_should_match: 1 } };
  const query = accessQuery(
    [range(ctx.start, ctx.end), during, ...recordingRead, terms(F.actorKind, r.actorKinds), exists(F.requester)],
    ctx.rules.exemptRequesters,
  );
  const it = groups(ctx.client, ctx.index, query, [{ requester: { terms: { field: F.requester } } }], { distinctField: F.recording, distinctPrecision: 100 });
  await collect(
    it,
    (page) =>
      page
        .filter((g) => g.count >= r.minReads)
        .map((g) => {
          const requester = str(g.key.requester) ?? '';
          const local = new Date(g.first).toLocaleString('en-GB', { timeZone: r.timeZone, dateStyle: 'medium', timeStyle: 'short' });
          return {
            filters: [term(F.requester, requester)],
            make: (ids) =>
              draft(
                ids,
                'off-hours',
                r.severity,
                win(ctx.start, ctx.end),
                g,
                requester,
                { kind: 'principal', value: requester },
                `${who(requester, g)} read ${g.distinct ?? g.count} recording(s) outside business hours (${g.count} read(s), first at ${local} ${r.timeZone}).`,
                { value: g.count, threshold: r.minReads },
              ),
          };
        }),
    ctx,
    query,
    out,
  );
}

async function newSourceIp(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules['new-source-ip'];
  const query = accessQuery([range(ctx.start, ctx.end), terms(F.actorKind, r.actorKinds), exists(F.requester), exists(F.ip)], ctx.rules.exemptRequesters);
  const sources: CompositeSource[] = [{ requester: { terms: { field: F.requester } } }, { ip: { terms: { field: F.ip } } }];
  const history = accessQuery([range(ctx.start - r.lookbackDays * DAY_MS, ctx.start)], []);
  await collect(
    groups(ctx.client, ctx.index, query, sources, { pageSize: HISTORY_BATCH }),
    async (page) => {
      const requesters = page.map((g) => str(g.key.requester) ?? '');
      const ips = page.map((g) => str(g.key.ip) ?? '');
      const known = await seen(ctx.client, ctx.index, history, { field: F.requester, values: requesters });
      const pairs = await seen(ctx.client, ctx.index, history, { field: F.requester, values: requesters }, { field: F.ip, values: ips });
      // An actor with no history at all is new-principal's, not a new IP of a known actor.
      return page
        .filter((_, i) => known.has(requesters[i]!) && !pairs.has(`${requesters[i]!}\u0000${ips[i]!}`))
        .map((g) => {
          const requester = str(g.key.requester) ?? '';
          const ip = str(g.key.ip) ?? '';
          return {
            filters: [term(F.requester, requester), term(F.ip, ip)],
            make: (ids) =>
              draft(
                ids,
                'new-source-ip',
                r.severity,
                win(ctx.start, ctx.end),
                g,
                requester,
                { kind: 'ip', value: ip },
                `${who(requester, g)} made ${g.count} request(s) from ${ip}, an address not seen for them in the previous ${r.lookbackDays} days.`,
              ),
          };
        });
    },
    ctx,
    query,
    out,
  );
}

async function newPrincipal(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules['new-principal'];
  const query = accessQuery([range(ctx.start, ctx.end), ...recordingRead, exists(F.requester)], ctx.rules.exemptRequesters);
  const before = accessQuery([{ range: { [F.time]: { lt: iso(ctx.start), format: 'strict_date_optional_time' } } }], []);
  await collect(
    groups(ctx.client, ctx.index, query, [{ requester: { terms: { field: F.requester } } }], {
      distinctField: F.recording,
      distinctPrecision: 100,
      pageSize: HISTORY_BATCH,
    }),
    async (page) => {
      const requesters = page.map((g) => str(g.key.requester) ?? '');
      const known = await seen(ctx.client, ctx.index, before, { field: F.requester, values: requesters });
      return page
        .filter((_, i) => !known.has(requesters[i]!))
        .map((g) => {
          const requester = str(g.key.requester) ?? '';
          return {
            filters: [term(F.requester, requester)],
            make: (ids) =>
              draft(
                ids,
                'new-principal',
                r.severity,
                win(ctx.start, ctx.end),
                g,
                requester,
                { kind: 'principal', value: requester },
                `${who(requester, g)}, never seen before, read ${g.distinct ?? g.count} recording(s).`,
              ),
          };
        });
    },
    ctx,
    query,
    out,
  );
}

async function deletion(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules.deletion;
  const recordingOrSidecar: Q = { bool: { should: [exists(F.recording), exists(F.conversation)], minimum_should_match: 1 } };
  const query = accessQuery(
    [range(ctx.start, ctx.end), terms(F.action, r.actions), term(F.outcome, 'success'), recordingOrSidecar],
    ctx.rules.exemptRequesters,
  );
  const sources: CompositeSource[] = [{ key: { terms: { field: F.key } } }, { requester: { terms: { field: F.requester, missing_bucket: true } } }];
  await collect(
    groups(ctx.client, ctx.index, query, sources, {}),
    (page) =>
      page.map((g) => {
        const requester = str(g.key.requester);
        const key = str(g.key.key) ?? '';
        return {
          filters: [term(F.key, key), requester !== undefined ? term(F.requester, requester) : { bool: { must_not: [exists(F.requester)] } }],
          make: (ids) =>
            draft(
              ids,
              'deletion',
              r.severity,
              win(ctx.start, ctx.end),
              g,
              requester,
              { kind: 'recording', value: key },
              `${who(requester, g)} deleted ${key} (${g.count} delete request(s)).`,
            ),
        };
      }),
    ctx,
    query,
    out,
  );
}

async function deniedBurst(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules['denied-burst'];
  const span = ruleWindows(ctx, r.windowSecs);
  if (span === undefined) return;
  const hist: CompositeSource = { t: { date_histogram: { field: F.time, fixed_interval: `${r.windowSecs}s` } } };
  const mins = r.windowSecs / 60;
  for (const by of ['requester', 'ip'] as const) {
    const field = by === 'requester' ? F.requester : F.ip;
    const query = accessQuery([range(span.from, span.to), terms(F.status, [401, 403]), exists(field)], ctx.rules.exemptRequesters);
    await collect(
      groups(ctx.client, ctx.index, query, [hist, { v: { terms: { field } } }], {}),
      (page) =>
        page
          .filter((g) => g.count >= r.threshold)
          .map((g) => {
            const t = Number(g.key.t);
            const value = str(g.key.v) ?? '';
            return {
              filters: [inBucket(t, r.windowSecs), term(field, value)],
              make: (ids) =>
                draft(
                  ids,
                  'denied-burst',
                  r.severity,
                  win(t, t + r.windowSecs * 1000),
                  g,
                  by === 'requester' ? value : undefined,
                  { kind: by === 'requester' ? 'principal' : 'ip', value },
                  `${g.count} requests ${by === 'requester' ? `by ${g.email ?? value}` : `from ${value}`} were refused (401/403) within ${mins} minutes (threshold ${r.threshold}).`,
                  { value: g.count, threshold: r.threshold },
                ),
            };
          }),
      ctx,
      query,
      out,
    );
  }
}

async function presignedNewIp(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules['presigned-new-ip'];
  const query = accessQuery([range(ctx.start, ctx.end), term(F.authType, 'QueryString'), exists(F.ip)], ctx.rules.exemptRequesters);
  const sources: CompositeSource[] = [
    { requester: { terms: { field: F.requester, missing_bucket: true } } },
    { accessKey: { terms: { field: F.accessKey, missing_bucket: true } } },
    { ip: { terms: { field: F.ip } } },
  ];
  const history = accessQuery([range(ctx.start - r.lookbackDays * DAY_MS, ctx.start)], []);
  /** The signer: the access key in the URL and the principal S3 logged as the requester, either. */
  const signerOf = (g: Group): Q[] => {
    const requester = str(g.key.requester);
    const key = str(g.key.accessKey);
    return [...(requester !== undefined ? [term(F.requester, requester)] : []), ...(key !== undefined ? [term(F.accessKey, key)] : [])];
  };
  const exactly = (g: Group): Q[] => {
    const requester = str(g.key.requester);
    const key = str(g.key.accessKey);
    return [
      requester !== undefined ? term(F.requester, requester) : { bool: { must_not: [exists(F.requester)] } },
      key !== undefined ? term(F.accessKey, key) : { bool: { must_not: [exists(F.accessKey)] } },
      term(F.ip, str(g.key.ip) ?? ''),
    ];
  };
  await collect(
    groups(ctx.client, ctx.index, query, sources, { pageSize: HISTORY_BATCH }),
    async (page) => {
      const signed = page.filter((g) => signerOf(g).length > 0);
      const ips = signed.map((g) => str(g.key.ip) ?? '');
      const requesters = signed.map((g) => str(g.key.requester));
      const keys = signed.map((g) => str(g.key.accessKey));
      const defined = (v: (string | undefined)[]): string[] => v.filter((x): x is string => x !== undefined);
      const byRequester = await seen(ctx.client, ctx.index, history, { field: F.requester, values: defined(requesters) }, { field: F.ip, values: ips });
      const byKey = await seen(ctx.client, ctx.index, history, { field: F.accessKey, values: defined(keys) }, { field: F.ip, values: ips });
      const used = (i: number): boolean =>
        (requesters[i] !== undefined && byRequester.has(`${requesters[i]}\u0000${ips[i]!}`)) ||
        (keys[i] !== undefined && byKey.has(`${keys[i]}\u0000${ips[i]!}`));
      return signed
        .filter((_, i) => !used(i))
        .map((g) => {
          const requester = str(g.key.requester);
          const key = str(g.key.accessKey);
          const ip = str(g.key.ip) ?? '';
          const signer = key !== undefined ? `access key ${key}${requester !== undefined ? ` (${g.email ?? requester})` : ''}` : (g.email ?? requester ?? '');
          return {
            filters: exactly(g),
            make: (ids) =>
              draft(
                ids,
                'presigned-new-ip',
                r.severity,
                win(ctx.start, ctx.end),
                g,
                requester,
                { kind: 'ip', value: ip },
                `A presigned URL of ${signer} was used ${g.count} time(s) from ${ip}, an address its signer did not use in the previous ${r.lookbackDays} days.`,
              ),
          };
        });
    },
    ctx,
    query,
    out,
  );
}

const FiltersSchema = z.object({ buckets: z.record(z.string(), z.object({ doc_count: z.number() })) });

/**
 * A person (actor.genesys_user_id, from the attribution of S3 principals to Genesys users) reading
 * a recording of a conversation whose participants do not include them. Grouped by requester,
 * user and conversation; then, per page, one `filters` aggregation asks which groups have a read
 * whose nested participants name the reader (a field compared with another field of the same
 * document would need a script, which a bare node may not run). Reads of conversations without
 * participants (not resolved) are not judged. Reviewers (QA, compliance) are left out.
 */
async function notAParticipant(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules['not-a-participant'];
  const reviewers = [...new Set(r.reviewers.flatMap((v) => [v, v.toLowerCase()]))];
  // ignore_unmapped: the read alias also holds indices without participants (the Genesys audit events').
  const hasParticipants: Q = { nested: { path: F.participants, query: exists(F.participantUser), ignore_unmapped: true } };
  const query = accessQuery(
    [range(ctx.start, ctx.end), ...recordingRead, term(F.actorKind, 'human'), exists(F.actorUser), exists(F.conversation), hasParticipants],
    ctx.rules.exemptRequesters,
    reviewers.length > 0 ? [terms(F.actorUser, reviewers), terms(F.actorEmail, reviewers), terms(F.requester, reviewers)] : [],
  );
  const sources: CompositeSource[] = [
    { requester: { terms: { field: F.requester } } },
    { user: { terms: { field: F.actorUser } } },
    { conversation: { terms: { field: F.conversation } } },
  ];
  await collect(
    groups(ctx.client, ctx.index, query, sources, { pageSize: HISTORY_BATCH }),
    async (page) => {
      const filters = Object.fromEntries(
        page.map((g, i) => {
          const user = str(g.key.user) ?? '';
          return [
            String(i),
            {
              bool: {
                filter: [
                  term(F.requester, str(g.key.requester) ?? ''),
                  term(F.actorUser, user),
                  term(F.conversation, str(g.key.conversation) ?? ''),
                  { nested: { path: F.participants, query: term(F.participantUser, user), ignore_unmapped: true } },
                ],
              },
            },
          ];
        }),
      );
      const aggs = page.length > 0 ? await aggregate(ctx.client, ctx.index, query, { on: { filters: { filters } } }) : {};
      const on = FiltersSchema.parse(aggs.on ?? { buckets: {} }).buckets;
      return page
        .filter((_, i) => (on[String(i)]?.doc_count ?? 0) === 0)
        .map((g) => {
          const requester = str(g.key.requester) ?? '';
          const user = str(g.key.user) ?? '';
          const conversation = str(g.key.conversation) ?? '';
          return {
            filters: [term(F.requester, requester), term(F.actorUser, user), term(F.conversation, conversation)],
            make: (ids) =>
              draft(
                ids,
                'not-a-participant',
                r.severity,
                win(ctx.start, ctx.end),
                g,
                requester,
                { kind: 'conversation', value: conversation },
                `${who(requester, g)} (Genesys user ${user}) read recordings of conversation ${conversation} ${g.count} time(s) without having taken part in it.`,
              ),
          };
        });
    },
    ctx,
    query,
    out,
  );
}

export const RULES: Readonly<Record<RuleId, (ctx: RuleContext, out: AlertDraft[]) => Promise<void>>> = {
  'bulk-access': bulkAccess,
  'off-hours': offHours,
  'new-source-ip': newSourceIp,
  'new-principal': newPrincipal,
  deletion,
  'denied-burst': deniedBurst,
  'presigned-new-ip': presignedNewIp,
  'not-a-participant': notAParticipant,
};
