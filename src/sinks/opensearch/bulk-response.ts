/**
 * Reading OpenSearch answers into our own shapes at the boundary. A response that does not line up
 * with the request (wrong item count, unexpected types) returns undefined: the caller retries
 * rather than guessing which item an answer belongs to.
 */

export interface BulkItemResult {
  status: number;
  errorType?: string;
  errorReason?: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Items of a `_bulk` response (filter_path errors,items.*.status,items.*.error.*), in request order. */
export function readBulkItems(body: unknown, expected: number): BulkItemResult[] | undefined {
  if (!isObject(body) || !Array.isArray(body.items) || body.items.length !== expected) return undefined;
  const out: BulkItemResult[] = new Array<BulkItemResult>(expected);
  for (let i = 0; i < expected; i += 1) {
    const wrapper: unknown = body.items[i];
    if (!isObject(wrapper)) return undefined;
    const op = wrapper.create ?? wrapper.index;
    if (!isObject(op) || typeof op.status !== 'number') return undefined;
    const result: BulkItemResult = { status: op.status };
    if (isObject(op.error)) {
      if (typeof op.error.type === 'string') result.errorType = op.error.type;
      if (typeof op.error.reason === 'string') result.errorReason = op.error.reason;
    }
    out[i] = result;
  }
  return out;
}

export type StoredHash = { found: true; hash: string | undefined } | { found: false };

/**
 * `event.hash` of each document of an `_mget` response, in request order; undefined for a
 * per-document error. Throws when the response does not line up with the request.
 */
export function readMgetHashes(body: unknown, expected: number): (StoredHash | undefined)[] {
  if (!isObject(body) || !Array.isArray(body.docs) || body.docs.length !== expected) {
    throw new Error('mget response does not match the request');
  }
  return body.docs.map((doc: unknown): StoredHash | undefined => {
    if (!isObject(doc) || doc.error !== undefined) return undefined;
    if (doc.found !== true) return { found: false };
    const source = doc._source;
    const event = isObject(source) ? source.event : undefined;
    const hash = isObject(event) && typeof event.hash === 'string' ? event.hash : undefined;
    return { found: true, hash };
  });
}
