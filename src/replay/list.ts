import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  formatDay,
  parsePartitionedRest,
  parseSimpleRest,
  sourcePrefix,
  splitSourcePrefix,
  type KeyFormat,
  type KeyKind,
  type ParsedKey,
  type PartitionSource,
} from '../sources/log-keys.js';
import { cloudTrailKeyKind, cloudTrailKeyTimeMs } from '../sources/cloudtrail-keys.js';
import { mergeSorted } from './merge.js';
import { inWindow, planPartitionedDays, planSimple, type ListPlan, type Window } from './plan.js';

/** One log object selected for replay. */
export interface ListedObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
  readonly format: KeyFormat;
  readonly kind: KeyKind;
  /** Key time (ms, UTC). Objects are listed in (keyTimeMs, key) order. */
  readonly keyTimeMs: number;
  /** UTC day (YYYY-MM-DD) of the key time. */
  readonly keyDay: string;
}

export interface ListStats {
  requests: number;
  /** Keys returned by S3 under the planned prefixes. */
  keysSeen: number;
  selected: number;
  /** Keys under the planned prefixes that are not access-log keys (other files, other formats). */
  notLogKeys: number;
  /** Log keys listed (bounds are conservative) whose time is outside the window. */
  outsideWindow: number;
  formats: KeyFormat[];
  sources: string[];
}

export function emptyListStats(): ListStats {
  return { requests: 0, keysSeen: 0, selected: 0, notLogKeys: 0, outsideWindow: 0, formats: [], sources: [] };
}

export interface ListOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly window: Window;
  readonly format: KeyFormat | 'auto';
  /** Keys per ListObjectsV2 page (S3's maximum is 1000). */
  readonly pageSize?: number;
  readonly signal?: AbortSignal;
}

interface Page {
  readonly keys: { key: string; size: number; etag?: string }[];
  readonly prefixes: string[];
  readonly next?: string;
}

async function listPage(
  s3: S3Client,
  o: ListOptions,
  stats: ListStats,
  params: { prefix: string; startAfter?: string; delimiter?: string; token?: string },
): Promise<Page> {
  stats.requests += 1;
  const out = await s3.send(
    new ListObjectsV2Command({
      Bucket: o.bucket,
      Prefix: params.prefix,
      MaxKeys: o.pageSize ?? 1000,
      ...(params.delimiter ? { Delimiter: params.delimiter } : {}),
      ...(params.token ? { ContinuationToken: params.token } : params.startAfter ? { StartAfter: params.startAfter } : {}),
    }),
    o.signal ? { abortSignal: o.signal } : {},
  );
  const keys = (out.Contents ?? []).flatMap((c) =>
    c.Key === undefined ? [] : [{ key: c.Key, size: c.Size ?? 0, ...(c.ETag ? { etag: c.ETag.replaceAll('"', '') } : {}) }],
  );
  const prefixes = (out.CommonPrefixes ?? []).flatMap((p) => (p.Prefix === undefined ? [] : [p.Prefix]));
  return { keys, prefixes, ...(out.IsTruncated && out.NextContinuationToken ? { next: out.NextContinuationToken } : {}) };
}

/** Keys of one plan, in S3's (lexicographic) order, stopping at `stopAt`. */
async function* walk(
  s3: S3Client,
  o: ListOptions,
  stats: ListStats,
  plan: ListPlan,
  delimiter?: string,
): AsyncGenerator<{ key: string; size: number; etag?: string }> {
  let token: string | undefined;
  do {
    const page = await listPage(s3, o, stats, {
      prefix: plan.prefix,
      ...(plan.startAfter ? { startAfter: plan.startAfter } : {}),
      ...(delimiter ? { delimiter } : {}),
      ...(token ? { token } : {}),
    });
    for (const entry of page.keys) {
      if (plan.stopAt !== undefined && entry.key >= plan.stopAt) return;
      stats.keysSeen += 1;
      yield entry;
    }
    // Folders rolled up by the delimiter are not simple-format keys; they only show we walked past them.
    token = page.next;
  } while (token !== undefined);
}

function toListed(
  o: ListOptions,
  entry: { key: string; size: number; etag?: string },
  parsed: { format: KeyFormat; kind: KeyKind; timeMs: number },
): ListedObject {
  return {
    bucket: o.bucket,
    key: entry.key,
    size: entry.size,
    ...(entry.etag ? { etag: entry.etag } : {}),
    format: parsed.format,
    kind: parsed.kind,
    keyTimeMs: parsed.timeMs,
    keyDay: formatDay(parsed.timeMs),
  };
}

/** Whether a key is a log key inside the window; what is not is counted in the listing stats. */
function listable(parsed: ParsedKey | undefined, o: ListOptions, stats: ListStats, format: KeyFormat): parsed is ParsedKey {
  if (!parsed) {
    stats.notLogKeys += 1;
    return false;
  }
  if (!inWindow(parsed, o.window)) {
    stats.outsideWindow += 1;
    return false;
  }
  if (!stats.formats.includes(format)) stats.formats.push(format);
  return true;
}

async function* listSimple(s3: S3Client, o: ListOptions, stats: ListStats): AsyncGenerator<ListedObject> {
  // Delimiter '/' rolls partitioned account folders that share the date prefix into one entry each.
  for await (const entry of walk(s3, o, stats, planSimple(o.prefix, o.window), '/')) {
    const parsed = parseSimpleRest(entry.key.slice(o.prefix.length));
    if (listable(parsed, o, stats, 'simple')) yield toListed(o, entry, parsed);
  }
}

/** Children folder names of `prefix` (Delimiter listing), each without the trailing slash. */
async function childFolders(s3: S3Client, o: ListOptions, stats: ListStats, prefix: string, accept: RegExp): Promise<string[]> {
  const found = new Set<string>();
  let token: string | undefined;
  let startAfter: string | undefined;
  for (;;) {
    const page = await listPage(s3, o, stats, { prefix, delimiter: '/', ...(token ? { token } : startAfter ? { startAfter } : {}) });
    for (const p of page.prefixes) {
      const name = p.slice(prefix.length, -1);
      if (accept.test(name)) found.add(name);
    }
    // Simple-format keys can sit beside the account folders (a bucket switched formats). A page of
    // them is skipped a year at a time: every `YYYY-...` key sorts before `YYYY.`, every account
    // folder starting with those digits after it.
    const simple = page.keys.map((k) => k.key.slice(prefix.length)).find((rest) => /^\d{4}-/.test(rest));
    if (simple !== undefined) {
      const next = `${prefix}${simple.slice(0, 4)}.`;
      if (startAfter === undefined || next > startAfter) {
        startAfter = next;
        token = undefined;
        continue;
      }
    }
    if (page.next === undefined) return [...found];
    token = page.next;
  }
}

/** The partitioned sources under the prefix: `<prefix><account>/<region>/<source-bucket>/`. */
export async function discoverSources(s3: S3Client, o: ListOptions, stats: ListStats): Promise<{ destination: string; sources: PartitionSource[] }> {
  const given = splitSourcePrefix(o.prefix);
  if (given) return { destination: given.destination, sources: [given.source] };
  const sources: PartitionSource[] = [];
  for (const account of await childFolders(s3, o, stats, o.prefix, /^\d{12}$/)) {
    for (const region of await childFolders(s3, o, stats, `${o.prefix}${account}/`, /^[a-z0-9-]+$/)) {
      for (const sourceBucket of await childFolders(s3, o, stats, `${o.prefix}${account}/${region}/`, /^.+$/)) {
        sources.push({ account, region, sourceBucket });
      }
    }
  }
  return { destination: o.prefix, sources };
}

async function* listSource(s3: S3Client, o: ListOptions, stats: ListStats, destination: string, source: PartitionSource): AsyncGenerator<ListedObject> {
  const base = sourcePrefix(destination, source);
  for (const plan of planPartitionedDays(base, o.window)) {
    for await (const entry of walk(s3, o, stats, plan)) {
      const parsed = parsePartitionedRest(entry.key.slice(destination.length));
      if (listable(parsed, o, stats, 'partitioned')) yield toListed(o, entry, parsed);
    }
  }
}

/**
 * CloudTrail log files under `<prefix>AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/`,
 * selected by the delivery time in their name (records are older than it, like a simple-format access
 * log key: the same window and margin apply). Digest and Insights folders are not listed.
 */
async function* listCloudTrail(s3: S3Client, o: ListOptions, stats: ListStats): AsyncGenerator<ListedObject> {
  const root = `${o.prefix}AWSLogs/`;
  const accounts: string[] = [];
  for (const name of await childFolders(s3, o, stats, root, /^(?:\d{12}|o-[a-z0-9]+)$/)) {
    if (/^\d{12}$/.test(name)) accounts.push(`${root}${name}/`);
    else for (const account of await childFolders(s3, o, stats, `${root}${name}/`, /^\d{12}$/)) accounts.push(`${root}${name}/${account}/`);
  }
  const streams: AsyncGenerator<ListedObject>[] = [];
  for (const account of accounts) {
    for (const region of await childFolders(s3, o, stats, `${account}CloudTrail/`, /^[a-z0-9-]+$/)) {
      const base = `${account}CloudTrail/${region}/`;
      stats.sources.push(base.slice(o.prefix.length, -1));
      streams.push(listCloudTrailRegion(s3, o, stats, base));
    }
  }
  yield* mergeSorted(streams, compareListed);
}

async function* listCloudTrailRegion(s3: S3Client, o: ListOptions, stats: ListStats, base: string): AsyncGenerator<ListedObject> {
  const end = o.window.toMs + o.window.marginMs;
  // Day folders are UTC days of the delivery time; each is listed whole and sorted by key time.
  for (let day = Math.floor(o.window.fromMs / 86_400_000) * 86_400_000; day < end; day += 86_400_000) {
    const found: ListedObject[] = [];
    for await (const entry of walk(s3, o, stats, { prefix: `${base}${formatDayFolderOf(day)}` })) {
      const timeMs = cloudTrailKeyKind(entry.key) === 'log' ? cloudTrailKeyTimeMs(entry.key) : undefined;
      const parsed = timeMs === undefined ? undefined : { format: 'cloudtrail' as const, kind: 'delivery' as const, timeMs };
      if (listable(parsed, o, stats, 'cloudtrail')) found.push(toListed(o, entry, parsed));
    }
    found.sort(compareListed);
    yield* found;
  }
}

function formatDayFolderOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '/') + '/';
}

export function compareListed(a: { keyTimeMs: number; key: string }, b: { keyTimeMs: number; key: string }): number {
  if (a.keyTimeMs !== b.keyTimeMs) return a.keyTimeMs - b.keyTimeMs;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Streams the log objects of the window in (key time, key) order. `auto` lists both access-log
 * layouts and the CloudTrail files (`<prefix>AWSLogs/`) under the prefix and merges them (a bucket may have switched from simple to partitioned keys). Memory
 * is one page per source, whatever the number of objects.
 */
export async function* listLogObjects(s3: S3Client, o: ListOptions, stats: ListStats = emptyListStats()): AsyncGenerator<ListedObject> {
  if (o.window.toMs + o.window.marginMs <= o.window.fromMs) return;
  const streams: AsyncGenerator<ListedObject>[] = [];
  if (o.format === 'cloudtrail') streams.push(listCloudTrail(s3, o, stats));
  if (o.format === 'auto' && splitSourcePrefix(o.prefix) === undefined) streams.push(listCloudTrail(s3, o, stats));
  if ((o.format === 'auto' || o.format === 'simple') && splitSourcePrefix(o.prefix) === undefined) streams.push(listSimple(s3, o, stats));
  if (o.format === 'auto' || o.format === 'partitioned') {
    const { destination, sources } = await discoverSources(s3, o, stats);
    for (const source of sources) {
      stats.sources.push(`${source.account}/${source.region}/${source.sourceBucket}`);
      streams.push(listSource(s3, o, stats, destination, source));
    }
  }
  for await (const obj of mergeSorted(streams, compareListed)) {
    stats.selected += 1;
    yield obj;
  }
}
