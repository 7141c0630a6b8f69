/**
 * npm run bench -- size [--events 20000] [--seed 7] [--breakdown]
 *
 * Bytes per event as stored, the figure that decides the cost of keeping six years of evidence.
 * The e2e corpus (test/bench/e2e-corpus.ts), with its keys taken from a Genesys simulator dataset
 * so that enrichment resolves them, is built, enriched through the real SDK against the
 * simulator, and loaded into fresh indices; each is force-merged to one segment, and the bench
 * prints the average `_source` (the JSON sent, byte for byte what `_source` keeps) and the primary
 * store bytes per event.
 *
 * Three indices, the same documents, in the same run:
 *  - product: the index template `setup` installs on this cluster (src/event/mapping.ts), with the
 *    document ids a fresh prefix writes (short: src/event/document-id.ts);
 *  - revision 6: the mapping as the release before this one shipped it
 *    (test/fixtures/mappings/revision-6.json), sorted where the cluster sorts, with hex ids: the
 *    "before" of this revision;
 *  - baseline: the product's mappings with every size setting undone (default codec, every field
 *    indexed with doc values, no sort, hex ids): what the size settings buy.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Client } from '@opensearch-project/opensearch';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { createMetrics } from '../../src/core/metrics.js';
import { createEnricher } from '../../src/enrich/enricher.js';
import { buildEvent } from '../../src/event/build.js';
import { shortDocumentId } from '../../src/event/document-id.js';
import { INDEX_MAPPINGS } from '../../src/event/mapping.js';
import type { IndexableEvent } from '../../src/event/types.js';
import { createOpenSearchClient } from '../../src/sinks/opensearch/client.js';
import { indexSortFor, indexTemplateBody } from '../../src/sinks/opensearch/template.js';
import { exportKey, exportMetadataKey, generateDataset } from '../../src/sim/genesys/dataset.js';
import { startGenesysSimulator } from '../../src/sim/genesys/server.js';
import { applyStackEnv, stackSettings, uniqueName } from '../support/stack-env.js';
import { corpusLines } from './e2e-corpus.js';
import { rawBulkLoad } from './raw-bulk.js';
import { leverTable, measureLever, nodeAt, patchMapping, type Lever, type LeverResult } from './size-levers.js';

interface Measured {
  readonly docs: number;
  readonly storeBytes: number;
  readonly segments: number;
  /** Bytes by Lucene file kind (stored fields, terms, postings, doc values, points...). */
  readonly files: readonly { ext: string; bytes: number; description: string }[];
}

/** A mapping with the size settings undone: every field indexed and with doc values. */
function unTuned(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(unTuned);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'index' || k === 'doc_values') && v === false) continue;
    out[k] = unTuned(v);
  }
  return out;
}

const REVISION_6 = JSON.parse(readFileSync(new URL('../fixtures/mappings/revision-6.json', import.meta.url), 'utf8')) as Record<string, unknown>;

export async function load(client: Client, index: string, body: { settings: unknown; mappings: unknown }, docs: readonly IndexableEvent[]): Promise<Measured> {
  await client.transport.request({ method: 'PUT', path: `/${index}`, body });
  // rawBulkLoad names the monthly index from the prefix; one month keeps them in one index.
  const prefix = index.slice(0, index.lastIndexOf('-'));
  const summary = await rawBulkLoad(client, docs, 2000, prefix, false);
  if (summary.itemErrors > 0) throw new Error(`${summary.itemErrors} of ${docs.length} documents were refused by ${index}`);
  await client.transport.request({ method: 'POST', path: `/${index}/_refresh` });
  await client.transport.request({ method: 'POST', path: `/${index}/_forcemerge`, querystring: { max_num_segments: 1 } });
  // The merged segment replaces the old ones in the stats only after a refresh.
  await client.transport.request({ method: 'POST', path: `/${index}/_refresh` });
  await client.transport.request({ method: 'POST', path: `/${index}/_flush`, querystring: { force: true } });
  const stats = (await client.transport.request({ method: 'GET', path: `/${index}/_stats/store,segments`, querystring: { include_segment_file_sizes: true } }))
    .body as {
    _all: {
      primaries: { store: { size_in_bytes: number }; segments: { count: number; file_sizes?: Record<string, { size_in_bytes: number; description: string }> } };
    };
  };
  const count = (await client.transport.request({ method: 'GET', path: `/${index}/_count` })).body as { count: number };
  const files = Object.entries(stats._all.primaries.segments.file_sizes ?? {}).map(([ext, f]) => ({ ext, bytes: f.size_in_bytes, description: f.description }));
  return { docs: count.count, storeBytes: stats._all.primaries.store.size_in_bytes, segments: stats._all.primaries.segments.count, files };
}

/** Average `_source` bytes per event by second-level field (`--breakdown`): where the bytes are. */
function breakdown(docs: readonly IndexableEvent[]): string {
  const sums = new Map<string, number>();
  for (const d of docs) {
    for (const [k, v] of Object.entries(d.event)) {
      const inner: [string, unknown][] = typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.entries(v as object) : [['', v]];
      for (const [k2, v2] of inner) {
        const name = k2 === '' ? k : `${k}.${k2}`;
        sums.set(name, (sums.get(name) ?? 0) + Buffer.byteLength(JSON.stringify({ [k2 || k]: v2 })) - 2);
      }
    }
  }
  return [...sums]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `    ${k.padEnd(28)} ${(v / docs.length).toFixed(0).padStart(6)}`)
    .join('\n')
    .concat('\n');
}

/** The e2e corpus with simulator-dataset keys, built and enriched as the worker would, in one month. */
export async function buildDocs(events: number, seed: number, lines?: string[]): Promise<IndexableEvent[]> {
  const dataset = generateDataset({ seed, conversations: 4000, users: 300 });
  const keyOf = (conversation: number, variant: number): string => {
    const rec = dataset.recordings[(conversation * 3 + variant) % dataset.recordings.length]!;
    return variant === 2 ? exportMetadataKey(dataset, rec) : exportKey(dataset, rec);
  };
  const sim = await startGenesysSimulator({ dataset, rateLimitPerMin: 1_000_000 });
  const logBucket = 'example-health-access-logs';
  const docs: IndexableEvent[] = [];
  let n = 0;
  for (const line of corpusLines(events, seed, keyOf)) {
    n += 1;
    lines?.push(line);
    const r = buildEvent(
      { number: n, bytes: Buffer.from(line) },
      { logBucket, filePath: `s3://${logBucket}/logs/2024-03-01-00-00-00-${String(seed).padStart(16, '0')}` },
    );
    if (r.ok) docs.push(r.doc);
  }
  const cfg = loadConfigOrThrow({
    env: {
      ...stackSettings(),
      INDEX_PREFIX: uniqueName('bench-size'),
      GENESYS_CLIENT_ID: 'sim-client',
      GENESYS_CLIENT_SECRET: 'sim-secret',
      GENESYS_API_URL: sim.url,
      GENESYS_REQUESTS_PER_MINUTE: '100000',
      GENESYS_LOOKUPS_PER_REQUESTER_PER_MIN: '0',
    },
  });
  const enricher = createEnricher(cfg, { logger: createLogger('silent'), metrics: createMetrics({ defaultMetrics: false }) });
  for (let i = 0; i < docs.length; i += 500) await enricher.enrich(docs.slice(i, i + 500).map((d) => d.event));
  await enricher.close();
  await sim.close();
  const ingested = new Date().toISOString();
  for (const d of docs) d.event.event.ingested = ingested;
  // All in one month, so each variant is one index.
  for (const d of docs) d.event['@timestamp'] = `2024-03${d.event['@timestamp'].slice(7)}`;

  return docs;
}

export async function bench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string', default: '20000' },
      seed: { type: 'string', default: '7' },
      breakdown: { type: 'boolean', default: false },
      levers: { type: 'boolean', default: false },
      only: { type: 'string' },
      rounds: { type: 'string', default: '1' },
    },
    strict: true,
  });
  const events = Number(values.events);
  const seed = Number(values.seed);
  applyStackEnv();
  const lines: string[] = [];
  const docs = await buildDocs(events, seed, lines);
  if (values.levers) return runLevers(docs, lines, values.only?.split(','), Number(values.rounds));
  const statuses = new Map<string, number>();
  let sourceBytes = 0;
  for (const d of docs) {
    sourceBytes += Buffer.byteLength(JSON.stringify(d.event));
    const s = d.event.enrichment?.status ?? 'none';
    statuses.set(s, (statuses.get(s) ?? 0) + 1);
  }

  if (values.breakdown) process.stdout.write(breakdown(docs));
  const cfg = loadConfigOrThrow({ env: { ...stackSettings(), INDEX_PREFIX: uniqueName('bench-size'), OPENSEARCH_REQUEST_TIMEOUT_MS: '600000' } });
  const client = createOpenSearchClient(cfg);
  const sort = await indexSortFor(client, INDEX_MAPPINGS, createLogger('silent'));
  const template = indexTemplateBody({ ...cfg, INDEX_SHARDS: 1, INDEX_REPLICAS: 0 }, INDEX_MAPPINGS, undefined, sort).template;
  const product = `${uniqueName('bench-size-p')}-2024.03`;
  const before = `${uniqueName('bench-size-r6')}-2024.03`;
  const baseline = `${uniqueName('bench-size-b')}-2024.03`;
  try {
    const { sort: _sorted, ...index } = template.settings.index;
    const b = await load(client, baseline, { settings: unTuned({ index: { ...index, codec: 'default' } }), mappings: unTuned(template.mappings) }, docs);
    const r6 = await load(client, before, { settings: template.settings, mappings: REVISION_6 }, docs);
    const shortIds = docs.map((d) => ({ ...d, id: shortDocumentId(d.id) }));
    const p = await load(client, product, { settings: template.settings, mappings: template.mappings }, shortIds);
    const per = (m: Measured): number => m.storeBytes / m.docs;
    process.stdout.write(
      [
        `size bench: ${docs.length.toLocaleString()} events (${[...statuses].map(([k, v]) => `${k} ${v}`).join(', ')}), one force-merged primary each`,
        `  _source:  ${(sourceBytes / docs.length).toFixed(0)} bytes/event (target <= 1,200)`,
        `  baseline: ${per(b).toFixed(0)} bytes/event on disk (${b.segments} segment, codec default, every field indexed with doc values)`,
        `  revision 6: ${per(r6).toFixed(0)} bytes/event on disk (the mapping before this revision, hex ids, same settings)`,
        `  product:  ${per(p).toFixed(0)} bytes/event on disk (${p.segments} segment, codec ${template.settings.index.codec}, sorted by ${sort?.field.join(', ') ?? 'nothing (cluster before 3.2)'}, 128-bit ids); target <= 500`,
        `  product/revision 6: ${(per(p) / per(r6)).toFixed(3)}`,
        `  product/baseline: ${(per(p) / per(b)).toFixed(3)}`,
        `  product by Lucene file (bytes/event): ${p.files
          .filter((f) => f.bytes / p.docs >= 1)
          .sort((x, y) => y.bytes - x.bytes)
          .map((f) => `${f.description} ${(f.bytes / p.docs).toFixed(0)}`)
          .join(', ')}`,
      ].join('\n') + '\n',
    );
  } finally {
    for (const index of [product, before, baseline]) await client.transport.request({ method: 'DELETE', path: `/${index}` }, { ignore: [404] });
    await client.close();
  }
}

/** `--levers`: each size lever alone, then combined (test/bench/size-levers.ts). */
async function runLevers(docs: readonly IndexableEvent[], lines: readonly string[], only: readonly string[] | undefined, rounds: number): Promise<void> {
  const cfg = loadConfigOrThrow({ env: { ...stackSettings(), INDEX_PREFIX: uniqueName('bench-size'), OPENSEARCH_REQUEST_TIMEOUT_MS: '600000' } });
  const client = createOpenSearchClient(cfg);
  // The levers are measured against the template without the index sort and with hex ids: sorting and the short id are levers.
  const template = indexTemplateBody({ ...cfg, INDEX_SHARDS: 1, INDEX_REPLICAS: 0 }, INDEX_MAPPINGS).template as unknown as {
    settings: { index: Record<string, unknown> };
    mappings: Record<string, unknown>;
  };
  const sort = (...fields: string[]): Record<string, unknown> => ({ sort: { field: fields, order: fields.map(() => 'asc') } });
  const CONSTANTS: Record<string, string> = { 'event.dataset': 'aws.s3access', 'event.module': 'aws', 'ecs.version': '8.11.0', 'cloud.provider': 'aws' };
  const constants: Lever = {
    name: 'constant-keyword',
    mappings: (m) => {
      for (const [path, value] of Object.entries(CONSTANTS)) patchMapping(m, path, { type: 'constant_keyword', value, ignore_above: undefined });
    },
    doc: (d) => {
      for (const path of Object.keys(CONSTANTS)) {
        const [a, b] = path.split('.') as [string, string];
        const o = d[a] as Record<string, unknown> | undefined;
        if (o !== undefined) Reflect.deleteProperty(o, b);
      }
    },
  };
  const ids = [
    'genesys.conversation.id',
    'genesys.recording.id',
    'genesys.organization.id',
    'genesys.agent.user_ids',
    'aws.s3.object.key',
    'aws.s3access.requester',
  ];
  const noDvIds: Lever = {
    name: 'no-dv-ids',
    mappings: (m) => {
      for (const path of ids) patchMapping(m, path, { doc_values: false });
    },
  };
  const noNorms: Lever = {
    name: 'no-norms-names',
    mappings: (m) => {
      for (const path of ['genesys.participants.name', 'actor.name']) {
        const node = nodeAt(m, path);
        patchMapping(m, path, { fields: { ...(node.fields as object), text: { type: 'text', norms: false } } });
      }
    },
  };
  const lineOf = (d: Record<string, unknown>): string => lines[((d.log as { offset: number }).offset ?? 1) - 1] ?? '';
  const original: Lever = {
    name: 'what-if-original',
    mappings: (m) => {
      patchMapping(m, 'event.original', { type: 'keyword', index: false, doc_values: false, fields: undefined, ignore_above: undefined });
    },
    doc: (d) => {
      (d.event as Record<string, unknown>).original = lineOf(d);
    },
    sourceExcludes: ['aws.s3access.*', 'aws.s3.*', 'aws.principal.*', 'url.*', 'http.*', 'tls.*', 'cloud.*', 'ecs.*'],
  };
  // 128 bits as 22 base64url characters, which OpenSearch stores as 16 binary bytes (instead of 32 for 64 hex).
  const shortId = (id: string): string => shortDocumentId(id);
  const keyTime = sort('aws.s3.object.key', '@timestamp');
  const levers: Lever[] = [
    { name: 'product' },
    // The mapping before revision 7's points and doc values changes (NEW_MONTHS_ONLY in src/event/mapping.ts).
    {
      name: 'revision-6-mapping',
      mappings: (m) => {
        for (const k of Object.keys(m)) Reflect.deleteProperty(m, k);
        Object.assign(m, structuredClone(REVISION_6));
      },
    },
    { name: 'sort-file-offset', settings: sort('log.file.path', 'log.offset') },
    { name: 'sort-time', settings: sort('@timestamp') },
    { name: 'sort-key-time', settings: keyTime },
    { name: 'sort-requester-time', settings: sort('aws.s3access.requester', '@timestamp') },
    { name: 'short-id', id: shortId },
    // What a fresh prefix on OpenSearch 3.2+ writes: sorted and short ids.
    { name: 'as-shipped', settings: keyTime, id: shortId },
    constants,
    noDvIds,
    noNorms,
    { ...constants, name: 'const+as-shipped', settings: keyTime, id: shortId },
    original,
    { name: 'what-if-derived-source', settings: { derived_source: { enabled: true } } },
    { ...original, name: 'what-if-orig+sort-key', settings: keyTime },
  ];
  const results: LeverResult[] = [];
  try {
    // Rounds alternate the levers, so a slow minute of the machine falls on all of them.
    const chosen = levers.filter((l) => only === undefined || l.name === 'product' || only.includes(l.name));
    for (const lever of Array.from({ length: rounds }, () => chosen).flat()) {
      try {
        results.push(await measureLever(client, lever, template, docs));
        process.stderr.write(`  ${lever.name} done\n`);
      } catch (err) {
        process.stderr.write(`  ${lever.name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
    process.stdout.write(
      `size levers: ${docs.length.toLocaleString()} events, one force-merged primary each, codec ${String(template.settings.index.codec)}, ${rounds} round(s), medians\n`,
    );
    process.stdout.write(leverTable(medians(results)));
  } finally {
    await client.close();
  }
}

/** One row per lever: the median of its rounds (each figure on its own). */
function medians(results: readonly LeverResult[]): LeverResult[] {
  const byName = new Map<string, LeverResult[]>();
  for (const r of results) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return [...byName.values()].map((rs) => ({
    ...rs[0]!,
    diskPerEvent: median(rs.map((r) => r.diskPerEvent)),
    indexMs: median(rs.map((r) => r.indexMs)),
    mergeMs: median(rs.map((r) => r.mergeMs)),
  }));
}
