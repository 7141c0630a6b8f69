/**
 * Server-access-log object keys and the time they carry.
 *
 * Simple:      <prefix>YYYY-mm-DD-HH-MM-SS-<unique>                       (delivery time, UTC)
 * Partitioned: <prefix><account>/<region>/<source-bucket>/YYYY/MM/DD/YYYY-MM-DD-HH-MM-SS-<unique>
 *   PartitionDateSource=DeliveryTime: the time is the delivery time.
 *   PartitionDateSource=EventTime (AWS's default): the object holds events of that UTC day only and
 *   the time part is 00-00-00. Such a key is read as an "event-day" key covering the whole day.
 */

/** `cloudtrail`: a CloudTrail log file key (src/sources/cloudtrail-keys.ts), listed by replay beside the access logs. */
export type KeyFormat = 'simple' | 'partitioned' | 'cloudtrail';
/** `delivery`: records are older than the key time. `event-day`: records lie in [key day, key day + 1 d). */
export type KeyKind = 'delivery' | 'event-day';

export const DAY_MS = 86_400_000;

export interface PartitionSource {
  readonly account: string;
  readonly region: string;
  readonly sourceBucket: string;
}

export interface ParsedKey {
  readonly format: KeyFormat;
  readonly kind: KeyKind;
  /** Key time in ms since the epoch (UTC, whole seconds). */
  readonly timeMs: number;
  readonly source?: PartitionSource;
}

const STAMP = String.raw`(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-([^/]+)`;
const SIMPLE_REST = new RegExp(`^${STAMP}$`);
const PARTITIONED_REST = new RegExp(String.raw`^(\d{12})/([a-z0-9-]+)/([^/]+)/(\d{4})/(\d{2})/(\d{2})/${STAMP}$`);
/** What follows the destination prefix in a partitioned source prefix. */
const SOURCE_PREFIX_TAIL = /(\d{12})\/([a-z0-9-]+)\/([^/]+)\/$/;

function utc(y: string, mo: string, d: string, h: string, mi: string, s: string): number | undefined {
  const [Y, M, D, H, I, S] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(Y, M - 1, D, H, I, S);
  const back = new Date(ms);
  // Date.UTC rolls 2024-02-30 over to March; a key like that is not a log key.
  if (back.getUTCFullYear() !== Y || back.getUTCMonth() !== M - 1 || back.getUTCDate() !== D) return undefined;
  if (H > 23 || I > 59 || S > 59) return undefined;
  return ms;
}

/** A simple-format key's time, or undefined if `rest` (the key without the prefix) is not one. */
export function parseSimpleRest(rest: string): ParsedKey | undefined {
  const m = SIMPLE_REST.exec(rest);
  if (!m) return undefined;
  const timeMs = utc(m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!);
  return timeMs === undefined ? undefined : { format: 'simple', kind: 'delivery', timeMs };
}

/** A partitioned key's time and source, or undefined. The folder date must match the file date. */
export function parsePartitionedRest(rest: string): ParsedKey | undefined {
  const m = PARTITIONED_REST.exec(rest);
  if (!m) return undefined;
  const [, account, region, sourceBucket, fy, fm, fd, y, mo, d, h, mi, s] = m as unknown as string[];
  if (fy !== y || fm !== mo || fd !== d) return undefined;
  const timeMs = utc(y!, mo!, d!, h!, mi!, s!);
  if (timeMs === undefined) return undefined;
  const kind: KeyKind = h === '00' && mi === '00' && s === '00' ? 'event-day' : 'delivery';
  return { format: 'partitioned', kind, timeMs, source: { account: account!, region: region!, sourceBucket: sourceBucket! } };
}

const STAMP_AT_END = new RegExp(`${STAMP}$`);

/**
 * The time in a log object's file name, in either format and under any prefix (the worker does not
 * know the prefix); undefined when the name carries none. The name of an event-day object gives
 * the start of its day.
 */
export function logKeyTimeMs(key: string): number | undefined {
  const m = STAMP_AT_END.exec(key.slice(key.lastIndexOf('/') + 1));
  return m === null ? undefined : utc(m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!);
}

/** Parses a key under `prefix` in either format (or the forced one). */
export function parseLogKey(key: string, prefix: string, format: KeyFormat | 'auto' = 'auto'): ParsedKey | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  if (format !== 'partitioned') {
    const simple = parseSimpleRest(rest);
    if (simple) return simple;
  }
  if (format !== 'simple') return parsePartitionedRest(rest);
  return undefined;
}

/**
 * When the prefix given is already one source's folder (`<dest><account>/<region>/<bucket>/`),
 * returns the destination prefix and the source, so replay can list that source only.
 */
export function splitSourcePrefix(prefix: string): { destination: string; source: PartitionSource } | undefined {
  const m = SOURCE_PREFIX_TAIL.exec(prefix);
  if (!m) return undefined;
  return { destination: prefix.slice(0, m.index), source: { account: m[1]!, region: m[2]!, sourceBucket: m[3]! } };
}

export function sourcePrefix(destination: string, s: PartitionSource): string {
  return `${destination}${s.account}/${s.region}/${s.sourceBucket}/`;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `YYYY-mm-DD-HH-MM-SS` of a time, as the key format writes it (the seconds are truncated). */
export function formatKeyStamp(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
}

/** `YYYY/MM/DD/` day folder of a partitioned source. */
export function formatDayFolder(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/`;
}

/** `YYYY-MM-DD` (UTC). */
export function formatDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function floorDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export function floorSec(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

export function ceilSec(ms: number): number {
  return Math.ceil(ms / 1000) * 1000;
}

export function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  return a.slice(0, i);
}
