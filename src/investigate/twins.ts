import type { AccessRow, Hit } from './row.js';

/**
 * One request, one row: an access-log record and the CloudTrail event of the same request (same
 * `event.id`, bucket and object key) are shown as one access whose SOURCE is `s3+ct`, at read
 * time, whether or not the linker has run. The access-log record stands for the pair (it has the
 * Requester, the HTTP status, the bytes); the CloudTrail event's id is kept as its twin.
 *
 * The hits come oldest first; the two records of one request are seconds apart at most (both
 * stamp the time S3 received the request), so a row waits at most `windowMs` of event time for its
 * twin before it is passed on: memory holds one window of rows, never the whole answer. Rows keep
 * the order of their first record.
 */

export const TWIN_WINDOW_MS = 60_000;

const ACCESS = 'aws.s3access';
const CLOUDTRAIL = 'aws.cloudtrail';

interface Entry {
  hit: Hit;
  readonly firstMs: number;
  readonly key: string | undefined;
  /** Datasets already in the row. */
  readonly datasets: Set<string>;
  readonly twins: Hit[];
}

const twinKey = (row: AccessRow): string | undefined =>
  (row.dataset === ACCESS || row.dataset === CLOUDTRAIL) && row.requestId !== undefined && row.requestId !== '-' && row.key !== undefined
    ? `${row.requestId}\n${row.bucket ?? ''}\n${row.key}`
    : undefined;

/** The row of a pair: the access record with both sources and its twin's id; the ndjson line names the twin at its end. */
function merged(e: Entry): Hit {
  if (e.twins.length === 0) return e.hit;
  const twinIds = e.twins.map((t) => t.row.id);
  return {
    row: { ...e.hit.row, sources: [ACCESS, CLOUDTRAIL], twinIds },
    source: { ...e.hit.source, _sources: [ACCESS, CLOUDTRAIL], _twins: e.twins.map((t) => ({ _id: t.row.id, _index: t.row.index })) },
    ...(e.hit.sort !== undefined ? { sort: e.hit.sort } : {}),
  };
}

export interface CollapseStats {
  /** Records shown inside another's row (the CloudTrail twins of access records). */
  collapsed: number;
}

export async function* collapseTwins(hits: AsyncIterable<Hit>, stats: CollapseStats = { collapsed: 0 }, windowMs = TWIN_WINDOW_MS): AsyncGenerator<Hit> {
  const queue: Entry[] = [];
  // Rows still waiting, by request: a copy's two access records share a request id, so several.
  const open = new Map<string, Entry[]>();
  const release = function* (untilMs: number): Generator<Hit> {
    while (queue.length > 0 && queue[0]!.firstMs < untilMs) {
      const e = queue.shift()!;
      if (e.key !== undefined) {
        const rest = (open.get(e.key) ?? []).filter((o) => o !== e);
        if (rest.length > 0) open.set(e.key, rest);
        else open.delete(e.key);
      }
      yield merged(e);
    }
  };
  for await (const hit of hits) {
    const t = Date.parse(hit.row.timestamp ?? '');
    const ms = Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
    const key = twinKey(hit.row);
    const dataset = hit.row.dataset ?? ACCESS;
    const entry = key === undefined ? undefined : open.get(key)?.find((o) => !o.datasets.has(dataset) && ms - o.firstMs <= windowMs);
    if (entry !== undefined) {
      entry.datasets.add(dataset);
      stats.collapsed++;
      if (dataset === ACCESS) {
        // The access record stands for the pair; the CloudTrail event seen first becomes the twin.
        entry.twins.push(entry.hit);
        entry.hit = hit;
      } else entry.twins.push(hit);
    } else {
      const e: Entry = { hit, firstMs: ms, key, datasets: new Set([dataset]), twins: [] };
      queue.push(e);
      if (key !== undefined) open.set(key, [...(open.get(key) ?? []), e]);
    }
    yield* release(ms - windowMs);
  }
  yield* release(Number.POSITIVE_INFINITY);
}
