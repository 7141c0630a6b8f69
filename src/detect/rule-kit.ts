import type { Client } from '@opensearch-project/opensearch';
import type { AlertDraft, AlertWindow, SubjectKind } from './alert.js';
import { evidenceIds, range, type Group, type Q } from './query.js';
import type { RuleId, RulesConfig, Severity } from './rules.js';

/** What every rule of evaluate.ts's RULES is given, and the helpers they share to group, window and cite evidence. */

export const DAY_MS = 86_400_000;
/** Keys per history lookup: one `filters` aggregation with this many named queries. */
export const HISTORY_BATCH = 200;

export interface RuleContext {
  readonly client: Client;
  /** The events' read alias (INDEX_PREFIX). */
  readonly index: string;
  readonly rules: RulesConfig;
  /** The detection window, epoch ms [start, end). */
  readonly start: number;
  readonly end: number;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const win = (start: number, end: number): AlertWindow => ({ start: iso(start), end: iso(end) });

/** An alert waiting for its evidence: the group's filters narrow the rule's query to its events. */
export interface Hit {
  readonly filters: Q[];
  readonly make: (eventIds: readonly string[]) => AlertDraft;
}

/** Fetches the evidence of a page's hits in one multi-search and adds their alerts. */
export async function emit(ctx: RuleContext, query: Q, hits: readonly Hit[], out: AlertDraft[]): Promise<void> {
  const ids = await evidenceIds(
    ctx.client,
    ctx.index,
    hits.map((h) => ({ bool: { filter: [query, ...h.filters] } })),
    ctx.rules.evidenceMax,
  );
  hits.forEach((h, i) => out.push(h.make(ids[i] ?? [])));
}

export const inBucket = (t: number, secs: number): Q => range(t, t + secs * 1000);

export function draft(
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

export const who = (requester: string | undefined, g: Group): string => g.email ?? requester ?? 'an anonymous client';

/**
 * Rule windows of `windowSecs` aligned to the epoch whose end falls in (start, end]: each is
 * evaluated exactly once, by the detection window its end falls in; it may reach back before it.
 */
export function ruleWindows(ctx: RuleContext, windowSecs: number): { from: number; to: number } | undefined {
  const w = windowSecs * 1000;
  const from = Math.floor(ctx.start / w) * w;
  const to = Math.floor(ctx.end / w) * w;
  return to > from ? { from, to } : undefined;
}

export async function collect(
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
export const precisionFor = (threshold: number): number => Math.min(40_000, Math.max(1000, threshold * 4));
