/**
 * The causal rules a believable access history keeps, per object key: the upload comes first,
 * nothing happens to a key after its deletion, and a presigned URL is used after it was signed and
 * before it expired. The demo's scenario is checked against them, both as generated and as indexed.
 */
export interface TimelineEvent {
  /** Anything that names the event in a violation (a document id, a log line number). */
  readonly ref: string;
  readonly key: string;
  readonly timeMs: number;
  /** S3 access log operation, e.g. REST.PUT.OBJECT. */
  readonly operation: string;
  readonly httpStatus?: number;
  readonly presigned?: { readonly signedAtMs?: number; readonly expiresAtMs?: number };
}

const UPLOADS = new Set(['REST.PUT.OBJECT', 'REST.POST.OBJECT', 'REST.COPY.OBJECT', 'REST.POST.UPLOAD', 'REST.COMPLETE.UPLOAD']);
const succeeded = (e: TimelineEvent): boolean => e.httpStatus === undefined || (e.httpStatus >= 200 && e.httpStatus < 300);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Every broken rule, one sentence each; empty when the history is causal. */
export function timelineViolations(events: readonly TimelineEvent[]): string[] {
  const out: string[] = [];
  const byKey = new Map<string, TimelineEvent[]>();
  for (const e of events) {
    const list = byKey.get(e.key);
    if (list === undefined) byKey.set(e.key, [e]);
    else list.push(e);
    const p = e.presigned;
    if (p !== undefined) {
      if (p.signedAtMs === undefined || !(p.signedAtMs < e.timeMs)) out.push(`${e.ref}: presigned URL used at ${iso(e.timeMs)}, not after its signing time`);
      if (p.expiresAtMs === undefined || !(e.timeMs < p.expiresAtMs)) out.push(`${e.ref}: presigned URL used at ${iso(e.timeMs)}, not before its expiry`);
    }
  }
  for (const [key, list] of byKey) {
    const uploads = list.filter((e) => UPLOADS.has(e.operation) && succeeded(e));
    if (uploads.length === 0) {
      out.push(`${key}: ${list.length} event(s) and no upload`);
      continue;
    }
    const uploaded = Math.min(...uploads.map((e) => e.timeMs));
    for (const e of list) {
      if (e.timeMs < uploaded || (e.timeMs === uploaded && !UPLOADS.has(e.operation)))
        out.push(`${e.ref}: ${e.operation} of ${key} at ${iso(e.timeMs)}, before its upload at ${iso(uploaded)}`);
    }
    const deletes = list.filter((e) => e.operation === 'REST.DELETE.OBJECT' && succeeded(e));
    if (deletes.length > 0) {
      const deleted = Math.min(...deletes.map((e) => e.timeMs));
      for (const e of list) {
        if (e.timeMs > deleted || (e.timeMs === deleted && e.operation !== 'REST.DELETE.OBJECT'))
          out.push(`${e.ref}: ${e.operation} of ${key} at ${iso(e.timeMs)}, after its deletion at ${iso(deleted)}`);
      }
    }
  }
  return out;
}
