import { DAY_MS, ceilSec, commonPrefix, floorDay, floorSec, formatDayFolder, formatKeyStamp, type ParsedKey } from '../sources/log-keys.js';

/**
 * The selection window [fromMs, endMs) with endMs = to + margin.
 *
 * A delivery-time key (simple format, or partitioned with DeliveryTime) is selected when its time
 * lies in the window: it holds records written before its time (usually within a few hours), so
 * records of [from, to) are found in keys of [from, to + margin). A key before `from` cannot hold a
 * record at or after `from`, so the lower bound is exact; the upper bound is as good as the margin.
 *
 * An event-day key (partitioned with EventTime, time 00:00:00) holds records of its whole UTC day; it
 * is selected when that day overlaps the window. Late records of an event day go into that day's
 * folder, so these keys need no margin: use --margin-secs 0 to avoid replaying the day after `to`.
 */
export interface Window {
  readonly fromMs: number;
  readonly toMs: number;
  readonly marginMs: number;
}

export function windowEnd(w: Window): number {
  return w.toMs + w.marginMs;
}

export function inWindow(parsed: ParsedKey, w: Window): boolean {
  const end = windowEnd(w);
  if (parsed.kind === 'event-day') return parsed.timeMs + DAY_MS > w.fromMs && parsed.timeMs < end;
  return parsed.timeMs >= w.fromMs && parsed.timeMs < end;
}

/** One ListObjectsV2 walk: keys under `prefix`, after `startAfter`, stopping at the first key >= `stopAt`. */
export interface ListPlan {
  readonly prefix: string;
  readonly startAfter?: string;
  readonly stopAt?: string;
}

/**
 * The simple format's keys sort by time, so one walk covers the window: it starts after
 * `<prefix><from>` and stops at `<prefix><end>`; the prefix is narrowed to the longest common
 * date prefix of the two bounds (a range inside one day lists `<prefix>2024-01-05-` only).
 */
export function planSimple(prefix: string, w: Window): ListPlan {
  const lo = formatKeyStamp(floorSec(w.fromMs));
  // Key times are whole seconds: t < end <=> t <= ceilSec(end) - 1 s.
  const hiExclusive = ceilSec(windowEnd(w));
  const hi = formatKeyStamp(hiExclusive - 1000);
  const narrowed = prefix + commonPrefix(lo, hi);
  return { prefix: narrowed, startAfter: prefix + lo, stopAt: prefix + formatKeyStamp(hiExclusive) };
}

/**
 * A partitioned source's walks: one per day folder that can hold a selected key, oldest first.
 * The first day's event-day keys (time 00-00-00) are listed on their own so the rest of that day can
 * start after `from`; the last day stops at the window's end.
 */
export function planPartitionedDays(sourcePrefix: string, w: Window): ListPlan[] {
  const end = windowEnd(w);
  if (end <= w.fromMs) return [];
  const plans: ListPlan[] = [];
  const firstDay = floorDay(w.fromMs);
  const lastDay = floorDay(end - 1);
  const stopAt = sourcePrefix + formatDayFolder(lastDay) + formatKeyStamp(ceilSec(end));
  for (let day = firstDay; day <= lastDay; day += DAY_MS) {
    const dayPrefix = sourcePrefix + formatDayFolder(day);
    const last = day === lastDay ? { stopAt } : {};
    const fromSec = floorSec(w.fromMs);
    if (day === firstDay && fromSec > day) {
      const midnight = dayPrefix + formatKeyStamp(day);
      plans.push({ prefix: `${midnight}-` });
      // Keys after `from` in the first day; StartAfter excludes every midnight key already listed.
      plans.push({ prefix: dayPrefix, startAfter: dayPrefix + formatKeyStamp(fromSec), ...last });
    } else {
      plans.push({ prefix: dayPrefix, ...last });
    }
  }
  return plans;
}

/** Days (YYYY/MM/DD/) that a partitioned listing visits, for logs and tests. */
export function plannedDayCount(w: Window): number {
  const end = windowEnd(w);
  if (end <= w.fromMs) return 0;
  return (floorDay(end - 1) - floorDay(w.fromMs)) / DAY_MS + 1;
}
