/**
 * `npm run bench -- size --levers [--events N]`: each size lever alone, then combined, on the same
 * documents in the same run, against the template as it is (`product`). For each: primary store
 * bytes per event after a force merge, `_source` bytes per event as stored, and the time to index
 * (bulk + refresh) and to force-merge, which is where index sorting costs.
 *
 * The times are wall clock on whatever else the machine is doing: compare them within one run,
 * and run twice before believing a difference under ~15%.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { IndexableEvent } from '../../src/event/types.js';
import { uniqueName } from '../support/stack-env.js';
import { rawBulkLoad } from './raw-bulk.js';

type Json = Record<string, unknown>;

export interface Lever {
  readonly name: string;
  /** Settings added to `index` of the template's settings. */
  readonly settings?: Json;
  /** A change to a copy of the template's mappings. */
  readonly mappings?: (m: Json) => void;
  /** A change to a copy of each document before it is sent. */
  readonly doc?: (d: Json) => void;
  /** Another document id (the short form a month from the id cutover has: src/event/document-id.ts). */
  readonly id?: (id: string) => string;
  /** `_source.excludes` of the mapping (what-if levers: fields indexed but not kept in `_source`). */
  readonly sourceExcludes?: readonly string[];
}

export interface LeverResult {
  readonly name: string;
  readonly diskPerEvent: number;
  readonly sourcePerEvent: number;
  readonly indexMs: number;
  readonly mergeMs: number;
  readonly files: string;
}

const clone = <T>(v: T): T => structuredClone(v);

/**
 * Replaces the field at a dotted path of a mapping with itself patched (`undefined` removes a
 * parameter). Replaced, not changed in place: the mapping's field objects are shared constants
 * (src/event/field-types.ts), and a clone keeps them shared.
 */
export function nodeAt(m: Json, path: string): Json {
  let node = m;
  for (const part of path.split('.')) node = (node.properties as Json)[part] as Json;
  return node;
}

export function patchMapping(m: Json, path: string, patch: Json): void {
  const parts = path.split('.');
  let node = m;
  for (const part of parts.slice(0, -1)) node = (node.properties as Json)[part] as Json;
  const props = node.properties as Json;
  const last = parts.at(-1)!;
  props[last] = { ...(props[last] ?? {}), ...patch };
}

function deletePath(d: Json, path: string): void {
  const parts = path.split('.');
  let node: unknown = d;
  for (const p of parts.slice(0, -1)) node = (node as Json | undefined)?.[p];
  if (typeof node === 'object' && node !== null) Reflect.deleteProperty(node, parts.at(-1)!);
}

/** The JSON `_source` keeps when the mapping excludes `paths` (exact leaf or object paths, or `x.*`). */
function storedSource(d: Json, excludes: readonly string[]): Json {
  if (excludes.length === 0) return d;
  const out = clone(d);
  for (const p of excludes) deletePath(out, p.endsWith('.*') ? p.slice(0, -2) : p);
  return out;
}

async function req(client: Client, method: string, path: string, body?: Record<string, unknown>, querystring?: Record<string, unknown>): Promise<unknown> {
  return (await client.transport.request({ method, path, ...(body === undefined ? {} : { body }), ...(querystring ? { querystring } : {}) })).body;
}

export async function measureLever(
  client: Client,
  lever: Lever,
  template: { settings: { index: Json }; mappings: Json },
  docs: readonly IndexableEvent[],
): Promise<LeverResult> {
  const mappings = clone(template.mappings);
  lever.mappings?.(mappings);
  if (lever.sourceExcludes !== undefined) mappings._source = { excludes: lever.sourceExcludes };
  const settings = { index: { ...template.settings.index, ...(lever.settings ?? {}) } };
  const sent: IndexableEvent[] = docs.map((d) => {
    const id = lever.id?.(d.id) ?? d.id;
    if (lever.doc === undefined) return { id, event: d.event };
    const e = clone(d.event) as unknown as Json;
    lever.doc(e);
    return { id, event: e as unknown as IndexableEvent['event'] };
  });
  let sourceBytes = 0;
  for (const d of sent) sourceBytes += Buffer.byteLength(JSON.stringify(storedSource(d.event as unknown as Json, lever.sourceExcludes ?? [])));

  const prefix = uniqueName(`bench-lever-${lever.name}`);
  const index = `${prefix}-2024.03`;
  await req(client, 'PUT', `/${index}`, { settings, mappings });
  try {
    const t0 = performance.now();
    const summary = await rawBulkLoad(client, sent, 2000, prefix, false);
    if (summary.itemErrors > 0) throw new Error(`lever ${lever.name}: ${summary.itemErrors} of ${sent.length} documents refused`);
    await req(client, 'POST', `/${index}/_refresh`);
    const t1 = performance.now();
    await req(client, 'POST', `/${index}/_forcemerge`, undefined, { max_num_segments: 1 });
    const t2 = performance.now();
    await req(client, 'POST', `/${index}/_refresh`);
    await req(client, 'POST', `/${index}/_flush`, undefined, { force: true });
    const stats = (await req(client, 'GET', `/${index}/_stats/store,segments`, undefined, { include_segment_file_sizes: true })) as {
      _all: { primaries: { store: { size_in_bytes: number }; segments: { file_sizes?: Record<string, { size_in_bytes: number; description: string }> } } };
    };
    const count = ((await req(client, 'GET', `/${index}/_count`)) as { count: number }).count;
    const files = Object.values(stats._all.primaries.segments.file_sizes ?? {})
      .filter((f) => f.size_in_bytes / count >= 1)
      .sort((a, b) => b.size_in_bytes - a.size_in_bytes)
      .map((f) => `${f.description} ${(f.size_in_bytes / count).toFixed(0)}`)
      .join(', ');
    return {
      name: lever.name,
      diskPerEvent: stats._all.primaries.store.size_in_bytes / count,
      sourcePerEvent: sourceBytes / sent.length,
      indexMs: t1 - t0,
      mergeMs: t2 - t1,
      files,
    };
  } finally {
    await client.transport.request({ method: 'DELETE', path: `/${index}` }, { ignore: [404] });
  }
}

export function leverTable(results: readonly LeverResult[]): string {
  const base = results[0]!;
  const rows = results.map(
    (r) =>
      `  ${r.name.padEnd(22)} ${r.diskPerEvent.toFixed(0).padStart(6)} ${((r.diskPerEvent / base.diskPerEvent - 1) * 100).toFixed(1).padStart(7)}%` +
      ` ${r.sourcePerEvent.toFixed(0).padStart(8)} ${(r.indexMs / 1000).toFixed(1).padStart(8)} ${(r.mergeMs / 1000).toFixed(1).padStart(8)}   ${r.files}`,
  );
  return (
    [
      `  ${'lever'.padEnd(22)} ${'disk B'.padStart(6)} ${'vs base'.padStart(8)} ${'_source'.padStart(8)} ${'index s'.padStart(8)} ${'merge s'.padStart(8)}   by Lucene file (B/event)`,
      ...rows,
    ].join('\n') + '\n'
  );
}
