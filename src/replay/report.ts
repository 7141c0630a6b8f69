import type { ObjectResult } from '../pipeline/types.js';
import type { ListedObject, ListStats } from './list.js';
import type { FailedObject } from './watermark.js';

export interface KeyDayTotals {
  objects: number;
  missing: number;
  failed: number;
  bytes: number;
  lines: number;
  indexed: number;
  duplicates: number;
  quarantined: number;
}

export interface EventDayTotals {
  lines: number;
  indexed: number;
  duplicates: number;
  quarantined: number;
}

export interface Totals {
  /** Objects accounted for: processed (or, with --enqueue, enqueued; with --dry-run, listed). */
  objects: number;
  /** Objects gone (404) when their turn came, skipped under MISSING_OBJECT_POLICY=skip. */
  missing: number;
  bytes: number;
  lines: number;
  blankLines: number;
  indexed: number;
  duplicates: number;
  quarantined: number;
  quarantinedByReason: Record<string, number>;
  /** CloudTrail records counted and not indexed on purpose (ObjectResult.skipped); absent when none. */
  skipped?: number;
}

/** One processed object's counts, into the run's totals or one key day's. */
function addObject(into: Pick<KeyDayTotals, 'objects' | 'bytes' | 'lines' | 'indexed' | 'duplicates' | 'quarantined'>, r: ObjectResult): void {
  into.objects += 1;
  into.bytes += r.bytes;
  into.lines += r.lines;
  into.indexed += r.indexed;
  into.duplicates += r.duplicates;
  into.quarantined += r.quarantined;
}

/** Counters that survive a resume: they travel in the checkpoint. */
export interface ReportState {
  totals: Totals;
  byKeyDay: Record<string, KeyDayTotals>;
  byEventDay: Record<string, EventDayTotals>;
}

export function emptyReportState(): ReportState {
  return {
    totals: { objects: 0, missing: 0, bytes: 0, lines: 0, blankLines: 0, indexed: 0, duplicates: 0, quarantined: 0, quarantinedByReason: {} },
    byKeyDay: {},
    byEventDay: {},
  };
}

const emptyKeyDay = (): KeyDayTotals => ({ objects: 0, missing: 0, failed: 0, bytes: 0, lines: 0, indexed: 0, duplicates: 0, quarantined: 0 });

/** Accumulates what happened to every object, by the key's day and by the events' day. */
export class ReportAccumulator {
  readonly state: ReportState;

  constructor(initial?: ReportState) {
    this.state = initial ? structuredClone<ReportState>(initial) : emptyReportState();
  }

  private day(d: string): KeyDayTotals {
    const existing = this.state.byKeyDay[d];
    if (existing) return existing;
    const created = emptyKeyDay();
    this.state.byKeyDay[d] = created;
    return created;
  }

  /** --dry-run and --enqueue: the object is counted with its listed size. */
  addListed(obj: ListedObject): void {
    const t = this.state.totals;
    t.objects += 1;
    t.bytes += obj.size;
    const d = this.day(obj.keyDay);
    d.objects += 1;
    d.bytes += obj.size;
  }

  addResult(obj: ListedObject, r: ObjectResult): void {
    const t = this.state.totals;
    const d = this.day(obj.keyDay);
    if (r.status === 'missing') {
      t.missing += 1;
      d.missing += 1;
      return;
    }
    addObject(t, r);
    t.blankLines += r.blankLines;
    if (r.skipped !== undefined && r.skipped > 0) t.skipped = (t.skipped ?? 0) + r.skipped;
    for (const [reason, n] of Object.entries(r.quarantinedByReason)) t.quarantinedByReason[reason] = (t.quarantinedByReason[reason] ?? 0) + n;
    addObject(d, r);
    for (const [day, v] of Object.entries(r.linesByDay)) {
      const e = (this.state.byEventDay[day] ??= { lines: 0, indexed: 0, duplicates: 0, quarantined: 0 });
      e.lines += v.lines;
      e.indexed += v.indexed;
      e.duplicates += v.duplicates;
      e.quarantined += v.quarantined;
    }
  }
}

export type ReplayMode = 'process' | 'enqueue' | 'dry-run';
export type ReplayOutcome = 'completed' | 'failed' | 'interrupted' | 'too_many_failures';

export interface RunParamsDoc {
  readonly bucket: string;
  readonly prefix: string;
  readonly from: string;
  readonly to: string;
  readonly marginSecs: number;
  readonly format: string;
  readonly mode: ReplayMode;
}

export interface ReplayReport {
  readonly kind: 'recording-audit-replay-report';
  readonly version: 1;
  readonly mode: ReplayMode;
  readonly runKey: string;
  readonly params: RunParamsDoc;
  /** Selection window actually listed: [from, to + margin). */
  readonly window: { readonly from: string; readonly end: string };
  readonly checkpoint: string | null;
  /** 1 for a fresh run, n for the n-th resume of the same parameters. */
  readonly attempt: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: ReplayOutcome;
  readonly error?: { readonly code: string; readonly message: string };
  readonly listing: ListStats & { readonly skippedByCheckpoint: number };
  /** Totals over every attempt of this run (they travel in the checkpoint). */
  readonly totals: Totals & { readonly failed: number };
  /** lines === indexed + duplicates + quarantined over every processed object. */
  readonly reconciled: boolean;
  readonly byKeyDay: Record<string, KeyDayTotals>;
  readonly byEventDay: Record<string, EventDayTotals>;
  readonly failedObjects: readonly (Omit<FailedObject, 'keyTimeMs'> & { readonly keyTime: string })[];
}

export function buildReport(input: {
  mode: ReplayMode;
  runKey: string;
  params: RunParamsDoc;
  window: { from: string; end: string };
  checkpoint: string | null;
  attempt: number;
  startedAt: Date;
  finishedAt: Date;
  outcome: ReplayOutcome;
  error?: { code: string; message: string };
  listing: ListStats & { skippedByCheckpoint: number };
  state: ReportState;
  failures: readonly FailedObject[];
}): ReplayReport {
  const { state } = input;
  const byKeyDay = structuredClone(state.byKeyDay);
  for (const f of input.failures) {
    const day = new Date(f.keyTimeMs).toISOString().slice(0, 10);
    (byKeyDay[day] ??= emptyKeyDay()).failed += 1;
  }
  const t = state.totals;
  return {
    kind: 'recording-audit-replay-report',
    version: 1,
    mode: input.mode,
    runKey: input.runKey,
    params: input.params,
    window: input.window,
    checkpoint: input.checkpoint,
    attempt: input.attempt,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    outcome: input.outcome,
    ...(input.error ? { error: input.error } : {}),
    listing: input.listing,
    totals: { ...structuredClone(t), failed: input.failures.length },
    reconciled: t.lines === t.indexed + t.duplicates + t.quarantined + (t.skipped ?? 0),
    byKeyDay: Object.fromEntries(Object.entries(byKeyDay).sort(([a], [b]) => a.localeCompare(b))),
    byEventDay: Object.fromEntries(Object.entries(state.byEventDay).sort(([a], [b]) => a.localeCompare(b))),
    failedObjects: input.failures.map((f) => ({
      key: f.key,
      keyTime: new Date(f.keyTimeMs).toISOString(),
      code: f.code,
      message: f.message,
      attempts: f.attempts,
    })),
  };
}

/** A few lines for a person at the terminal. */
export function summarize(r: ReplayReport): string {
  const t = r.totals;
  const mb = (t.bytes / 1e6).toFixed(1);
  const head = `replay ${r.outcome}${r.error ? ` (${r.error.code}: ${r.error.message})` : ''}: ${t.objects} objects (${mb} MB)`;
  if (r.mode === 'dry-run') return `${head} would be replayed; ${Object.keys(r.byKeyDay).length} key days, ${r.listing.requests} list requests.\n`;
  if (r.mode === 'enqueue') return `${head} enqueued, ${t.failed} failed.\n`;
  return `${head}, ${t.lines} lines: ${t.indexed} indexed, ${t.duplicates} duplicates, ${t.quarantined} quarantined; ${t.missing} missing, ${t.failed} failed objects.\n`;
}
