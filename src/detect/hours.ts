const MINUTE_MS = 60_000;
const WEEKDAYS: Readonly<Record<string, number>> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

export interface BusinessHours {
  readonly timeZone: string;
  /** ISO weekdays, 1 = Monday. */
  readonly businessDays: readonly number[];
  /** Local `HH:MM`, start inclusive, end exclusive. */
  readonly businessHours: { readonly start: string; readonly end: string };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether the minute starting at `ms` is inside business hours, in the zone's own clock (DST included). */
export function isBusinessMinute(ms: number, b: BusinessHours): boolean {
  let weekday = 0;
  let hh = '';
  let mm = '';
  for (const p of formatter(b.timeZone).formatToParts(ms)) {
    if (p.type === 'weekday') weekday = WEEKDAYS[p.value] ?? 0;
    else if (p.type === 'hour') hh = p.value;
    else if (p.type === 'minute') mm = p.value;
  }
  const local = `${hh}:${mm}`;
  return b.businessDays.includes(weekday) && local >= b.businessHours.start && local < b.businessHours.end;
}

/**
 * The parts of [from, to) outside business hours, as UTC intervals [start, end) in epoch ms. The
 * zone's clock is read minute by minute (offsets and DST changes fall on whole minutes), so the
 * query that follows needs no script: a handful of plain time ranges.
 */
export function offHoursIntervals(from: number, to: number, b: BusinessHours): [number, number][] {
  const out: [number, number][] = [];
  let minute = Math.floor(from / MINUTE_MS) * MINUTE_MS;
  while (minute < to) {
    const next = minute + MINUTE_MS;
    if (!isBusinessMinute(minute, b)) {
      const start = Math.max(minute, from);
      const end = Math.min(next, to);
      const last = out[out.length - 1];
      if (last !== undefined && last[1] === start) last[1] = end;
      else out.push([start, end]);
    }
    minute = next;
  }
  return out;
}
