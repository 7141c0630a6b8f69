import { every } from '../core/time.js';
import type { Client } from '@opensearch-project/opensearch';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { alertId, type Alert, type AlertDraft } from './alert.js';
import { RULES } from './evaluate.js';
import type { AlertNotifier } from './notify.js';
import { RULE_IDS, type RuleId, type RulesConfig } from './rules.js';
import { advanceWatermark, markNotified, pendingNotifications, readWatermark, writeAlerts, type Watermark } from './store.js';

/** Most windows one run covers; a run that is far behind catches up over the next ones. */
export const MAX_WINDOWS_PER_RUN = 24 * 7;
/** Most unpublished alerts one run retries. */
const NOTIFY_BATCH = 500;

export interface DetectOptions {
  readonly client: Client;
  readonly indexPrefix: string;
  readonly rules: RulesConfig;
  readonly windowSecs: number;
  readonly lagSecs: number;
  readonly firstLookbackSecs: number;
  readonly logger: Logger;
  /**
   * `watermark`: the closed windows after the stored watermark, which advances window by window.
   * `range`: the windows touching [from, to), the watermark neither read nor moved.
   */
  readonly mode: { readonly kind: 'watermark' } | { readonly kind: 'range'; readonly from: number; readonly to: number };
  /** Evaluate and report only: nothing written, nothing published. */
  readonly dryRun?: boolean;
  readonly notifier?: AlertNotifier;
  readonly now?: () => number;
  readonly maxWindows?: number;
  readonly signal?: AbortSignal;
  /** Called after each window's alerts are written, before its watermark moves (fault tests). */
  readonly afterWindowWritten?: (window: { start: number; end: number }) => Promise<void> | void;
}

export interface DetectResult {
  readonly windows: { readonly start: string; readonly end: string }[];
  /** Every alert the rules found, with its id, new or not. */
  readonly alerts: (Alert & { id: string })[];
  readonly created: number;
  readonly existing: number;
  readonly notified: number;
  readonly notifyFailed: number;
  readonly watermark?: string;
  readonly ruleMs: Readonly<Record<RuleId, number>>;
}

export function alignDown(ms: number, windowMs: number): number {
  return Math.floor(ms / windowMs) * windowMs;
}

/** Windows [start, end) aligned to windowMs, from `from` up to `to`; the first may be partial if `from` is not aligned. */
export function windowsBetween(from: number, to: number, windowMs: number, max: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = from;
  while (start < to && out.length < max) {
    const end = Math.min(alignDown(start, windowMs) + windowMs, to);
    out.push({ start, end });
    start = end;
  }
  return out;
}

/**
 * One detection run: for each window, every enabled rule runs its aggregations in OpenSearch, the
 * alerts are written with `create` under deterministic ids, and only then the watermark moves past
 * the window. A run that dies (or finds OpenSearch down) leaves the watermark at the last window it
 * finished; the next run does the window again and its alerts, already there, are not duplicated.
 */
export async function runDetect(o: DetectOptions): Promise<DetectResult> {
  const now = (o.now ?? Date.now)();
  const windowMs = o.windowSecs * 1000;
  const max = o.maxWindows ?? MAX_WINDOWS_PER_RUN;
  let mark: Watermark | undefined;
  let windows: { start: number; end: number }[];
  if (o.mode.kind === 'watermark') {
    const closedEnd = alignDown(now - o.lagSecs * 1000, windowMs);
    mark = await readWatermark(o.client, o.indexPrefix);
    const from = mark?.at ?? alignDown(closedEnd - o.firstLookbackSecs * 1000, windowMs);
    windows = windowsBetween(from, closedEnd, windowMs, max);
  } else {
    windows = windowsBetween(alignDown(o.mode.from, windowMs), Math.min(o.mode.to, now + windowMs), windowMs, Number.MAX_SAFE_INTEGER);
    windows = windows.map((w) => ({ start: w.start, end: alignDown(w.start, windowMs) + windowMs }));
  }

  const ruleMs = Object.fromEntries(RULE_IDS.map((r) => [r, 0])) as Record<RuleId, number>;
  const all: (Alert & { id: string })[] = [];
  let created = 0;
  let existing = 0;
  const fresh: (Alert & { id: string })[] = [];
  for (const w of windows) {
    if (o.signal?.aborted === true) break;
    const drafts: AlertDraft[] = [];
    for (const id of RULE_IDS) {
      if (!o.rules.rules[id].enabled) continue;
      const t0 = performance.now();
      await RULES[id]({ client: o.client, index: o.indexPrefix, rules: o.rules, start: w.start, end: w.end }, drafts);
      ruleMs[id] += performance.now() - t0;
    }
    const detectedAt = new Date().toISOString();
    const byId = new Map<string, Alert & { id: string }>();
    for (const d of drafts) {
      const id = alertId(d);
      byId.set(id, { id, ...d, detected_at: detectedAt, ...(o.notifier !== undefined ? { notified: false } : {}) });
    }
    const alerts = [...byId.values()];
    all.push(...alerts);
    if (o.dryRun === true) continue;
    const written = await writeAlerts(o.client, o.indexPrefix, alerts);
    created += written.created.length;
    existing += written.existing.length;
    const createdIds = new Set(written.created);
    fresh.push(...alerts.filter((a) => createdIds.has(a.id)));
    await o.afterWindowWritten?.(w);
    if (o.mode.kind === 'watermark') mark = await advanceWatermark(o.client, o.indexPrefix, mark, w.end, o.windowSecs);
    o.logger.info(
      { window: { start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() }, alerts: alerts.length, created: written.created.length },
      'Detection window done.',
    );
  }

  let notified = 0;
  let notifyFailed = 0;
  if (o.notifier !== undefined && o.dryRun !== true) {
    // The ones just created and any left unpublished by an earlier run: at least once, never dropped.
    const pending = await pendingNotifications(o.client, o.indexPrefix, NOTIFY_BATCH);
    for (const { id, alert } of pending) {
      try {
        await o.notifier.publish(id, alert);
        await markNotified(o.client, o.indexPrefix, id);
        notified++;
      } catch (err) {
        notifyFailed++;
        o.logger.warn({ alert: id, err: describeError(err) }, 'Publishing an alert failed; it stays notified: false and the next run retries.');
      }
    }
  }
  const result: DetectResult = {
    windows: windows.map((w) => ({ start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() })),
    alerts: all,
    created,
    existing,
    notified,
    notifyFailed,
    ...(mark !== undefined ? { watermark: new Date(mark.at).toISOString() } : {}),
    ruleMs,
  };
  o.logger.info(
    { windows: result.windows.length, alerts: all.length, created, existing, notified, notifyFailed, watermark: result.watermark },
    'Detection run finished.',
  );
  return result;
}

export interface DetectTask {
  stop(): Promise<void>;
}

/**
 * The worker's periodic run (DETECT_INTERVAL_SECS > 0): never two at once; a failed run is logged
 * and the next tick starts again from the watermark.
 */
export function startDetectTask(options: Omit<DetectOptions, 'mode' | 'signal' | 'dryRun'> & { intervalSecs: number }): DetectTask {
  return every(
    options.intervalSecs * 1000,
    (signal) => runDetect({ ...options, mode: { kind: 'watermark' }, signal }),
    (err) => options.logger.warn({ err: describeError(err) }, 'Detection run failed; the watermark did not move past the failed window, the next run retries.'),
  );
}
