/** `2024-05-14 00:02:15Z`: UTC to the second, for a terminal column. */
export function utcText(iso: string | undefined): string {
  if (iso === undefined) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Whether the runtime knows this IANA time zone (`Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** ISO 8601 local time with its offset in `zone`: `2024-05-14T02:02:15+02:00`. */
export function zonedIso(iso: string | undefined, zone: string): string {
  if (iso === undefined) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    formatters.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
  // longOffset is `GMT+02:00`, or `GMT` for a zero offset.
  const name = parts.timeZoneName ?? 'GMT';
  const offset = name === 'GMT' ? '+00:00' : name.slice(3);
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/** The zoned time for a terminal column: `2024-05-14 02:02:15+02:00`. */
export function zonedText(iso: string | undefined, zone: string): string {
  return iso === undefined ? '-' : zonedIso(iso, zone).replace('T', ' ');
}
