import type { AlertDraft } from './alert.js';
import { offHoursIntervals } from './hours.js';
import { accessQuery, aggregate, exists, F, groups, range, recordingRead, str, term, terms, type CompositeSource, type Group, type Q } from './query.js';
import { collect, draft, inBucket, precisionFor, ruleWindows, who, win, type RuleContext } from './rule-kit.js';

/** Rules that count: many recordings in a window (against the requester's own usual peak), reads off hours, bursts of refusals. */

export async function bulkAccess(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
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

export async function offHours(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
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

export async function deniedBurst(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
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
