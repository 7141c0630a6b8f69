import { LRUCache } from 'lru-cache';
import type { AccessEvent } from '../event/types.js';

/**
 * Recording key resolution: which Genesys organization, conversation and recording an S3 object
 * key names, from the key alone. Patterns are regular expressions with named groups
 * (org, cid, rid, ext, year, month, day, hour, meta); the configured ones are tried first, then
 * the built-in ones below.
 */

export type RecordingFile = 'media' | 'metadata';

export interface KeyMatch {
  /** Which pattern matched: `custom:<n>` or a built-in name. */
  readonly layout: string;
  readonly orgId?: string;
  readonly conversationId?: string;
  readonly recordingId?: string;
  /** File extension without the dot (`opus`), when the key has one. */
  readonly ext?: string;
  readonly file: RecordingFile;
  /** Conversation start from the year/month/day/hour partition, ISO UTC. */
  readonly conversationStart?: string;
  /** The key with `_metadata.json` appended, or the key itself for a metadata file: where the sidecar is. */
  readonly sidecarKey?: string;
}

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

/**
 * The Genesys "AWS S3 recording bulk actions" export layout (genesys-api.md §4):
 * `{orgId}/year=Y/month=M/day=D/hour=H/conversation_id={cid}/{rid}.{ext}` with its
 * `{rid}.{ext}_metadata.json` sidecar. Partitions are accepted padded or not; a prefix before the
 * org id is tolerated because an integration can be pointed at a folder of a shared bucket.
 */
const EXPORT_PARTITIONS = `(?<org>${UUID})/year=(?<year>\\d{4})/month=(?<month>\\d{1,2})/day=(?<day>\\d{1,2})/hour=(?<hour>\\d{1,2})/conversation_id=(?<cid>${UUID})/`;

export const BUILTIN_KEY_PATTERNS: readonly { readonly name: string; readonly pattern: string }[] = [
  {
    name: 'genesys-export',
    pattern: `(?:^|/)${EXPORT_PARTITIONS}(?<rid>${UUID})(?:\\.(?<ext>[A-Za-z0-9]{1,10}))?(?<meta>_metadata\\.json)?$`,
  },
  {
    // Other files of an exported conversation folder (`{cid}.opus_call_metadata.json`,
    // transcripts): they hold the same protected information, so they are attributed to the
    // conversation even though no recording id can be read from them.
    name: 'genesys-export-conversation-file',
    pattern: `(?:^|/)${EXPORT_PARTITIONS}[^/]+$`,
  },
  {
    // Recording id only, e.g. `recordings/2023/10/25/{rid}.mp3`: the date is when the file was
    // written, not necessarily when the conversation began, so it is not reported as the start.
    name: 'recording-id-only',
    pattern: `(?:^|/)recordings/\\d{4}/\\d{2}/\\d{2}/(?<rid>${UUID})(?:\\.(?<ext>[A-Za-z0-9]{1,10}))?(?<meta>_metadata\\.json)?$`,
  },
];

export interface KeyResolver {
  resolve(key: string): KeyMatch | undefined;
  readonly patterns: readonly { readonly name: string; readonly regex: RegExp }[];
}

/** Builds the resolver; configured patterns (already validated by the config loader) come first. */
export function createKeyResolver(customPatterns: readonly string[] = [], options: { memoEntries?: number } = {}): KeyResolver {
  const patterns = [
    ...customPatterns.map((p, i) => ({ name: `custom:${i + 1}`, regex: new RegExp(p) })),
    ...BUILTIN_KEY_PATTERNS.map((b) => ({ name: b.name, regex: new RegExp(b.pattern) })),
  ];
  // Access is skewed: the same popular keys come back in every batch.
  const memo = new LRUCache<string, { match: KeyMatch | undefined }>({ max: options.memoEntries ?? 10_000 });
  const starts = new Map<string, string | undefined>();
  function resolveUncached(rawKey: string): KeyMatch | undefined {
    const key = normalizeKey(rawKey);
    for (const { name, regex } of patterns) {
      const m = regex.exec(key);
      if (m === null) continue;
      return fromGroups(name, key, m.groups ?? {}, starts);
    }
    return undefined;
  }
  return {
    patterns,
    resolve(rawKey: string): KeyMatch | undefined {
      const hit = memo.get(rawKey);
      if (hit !== undefined) return hit.match;
      const match = resolveUncached(rawKey);
      memo.set(rawKey, { match });
      return match;
    },
  };
}

/** `%3D` can survive in a key that was decoded once too few times; partition names need `=`. */
function normalizeKey(key: string): string {
  return key.replace(/%3D/gi, '=');
}

function fromGroups(layout: string, key: string, g: Record<string, string | undefined>, starts: Map<string, string | undefined>): KeyMatch {
  const isMeta = g.meta !== undefined || key.endsWith('_metadata.json');
  const ext = g.ext?.toLowerCase();
  const rid = g.rid?.toLowerCase();
  const partition = `${g.year ?? ''}/${g.month ?? ''}/${g.day ?? ''}/${g.hour ?? ''}`;
  let start: string | undefined;
  if (starts.has(partition)) start = starts.get(partition);
  else {
    start = partitionStart(g.year, g.month, g.day, g.hour);
    // Partitions are hours: a few thousand a year at most, but bound it anyway.
    if (starts.size > 100_000) starts.clear();
    starts.set(partition, start);
  }
  const file: RecordingFile = isMeta || (rid === undefined && key.endsWith('.json')) ? 'metadata' : 'media';
  let sidecarKey: string | undefined;
  if (rid !== undefined) sidecarKey = isMeta ? key : `${key}_metadata.json`;
  return {
    layout,
    file,
    ...(g.org !== undefined ? { orgId: g.org.toLowerCase() } : {}),
    ...(g.cid !== undefined ? { conversationId: g.cid.toLowerCase() } : {}),
    ...(rid !== undefined ? { recordingId: rid } : {}),
    ...(ext !== undefined ? { ext } : {}),
    ...(start !== undefined ? { conversationStart: start } : {}),
    ...(sidecarKey !== undefined ? { sidecarKey } : {}),
  };
}

/** The partition as an ISO instant, or undefined when a part is missing or out of range. */
export function partitionStart(year?: string, month?: string, day?: string, hour?: string): string | undefined {
  if (year === undefined || month === undefined || day === undefined) return undefined;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = hour === undefined ? 0 : Number(hour);
  if (![y, mo, d, h].every(Number.isInteger) || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23) return undefined;
  const t = new Date(Date.UTC(y, mo - 1, d, h));
  // Date.UTC rolls 31 February over into March; a partition that does so is not a date.
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  return t.toISOString();
}

/** The decoded object key of an event: the parser's decoded key, else the raw log key decoded here. */
export function eventObjectKey(event: AccessEvent): string | undefined {
  const decoded = event.aws.s3.object.key;
  if (decoded !== undefined && decoded !== '') return decoded;
  const raw = event.aws.s3access.key;
  if (raw === undefined || raw === '') return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
