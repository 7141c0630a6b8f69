/**
 * npm run bench -- cpu [--lines 200000] [--objects 40] [--rounds 2] [--gzip true|false] [--skip-opensearch]
 *
 * The worker's CPU per event, in-process, from a local corpus (the e2e corpus, held as log-object
 * bytes in memory): no S3, no SQS. Two passes per target:
 *
 * - staged: the worker's stages run one after the other on each object, each timed with the main
 *   thread's CPU clock (process.threadCpuUsage; compress gzips on this thread to be seen by it):
 *   decode (decodeLines), parse (parseAccessLogLine), build (buildEvent minus its parse, plus the
 *   admission rules), enrich (the keys-only enricher), serialise (the sink's bulk line encoder),
 *   compress (the bulk body encoding), send (the `_bulk` request and reading its answer), account
 *   (the object's tally).
 * - whole: the same real classes as src/pipeline/object.ts, in its order (decode, build, admit,
 *   enrich, BulkIndexer.write, sendNow, tally.drained): µs of CPU per event of the whole process
 *   (every thread), which includes what no stage owns (promises, timers, the garbage collector's
 *   threads). "unstaged" is whole minus the stages' sum.
 *
 * Targets: a sink that discards (a child process that answers every item 201 at once; its CPU is
 * not counted), then the real OpenSearch of the local stack. The baseline, measured in the same
 * run: the naive Athena regex writing the 27 fields as JSON (test/fixtures/athena-baseline.ts).
 * Medians over rounds. Numbers for comparison only, never for assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { loadConfigOrThrow } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/log.js';
import { createMetrics } from '../../src/core/metrics.js';
import { decodeLines, type RawLine } from '../../src/decode/lines.js';
import { parseAccessLogLine } from '../../src/decode/s3-access-log.js';
import { createEnricher, type Enricher } from '../../src/enrich/enricher.js';
import { buildEvent, type SourceContext } from '../../src/event/build.js';
import type { IndexableEvent } from '../../src/event/types.js';
import { admissionOf, admissionRulesFrom } from '../../src/pipeline/admission.js';
import { ObjectTally } from '../../src/pipeline/tally.js';
import { BulkIndexer, bulkOptionsFrom } from '../../src/sinks/opensearch/bulk.js';
import { BULK_GZIP_LEVEL, BulkLineEncoder } from '../../src/sinks/opensearch/bulk-body.js';
import { readBulkItems } from '../../src/sinks/opensearch/bulk-response.js';
import { createOpenSearchClient } from '../../src/sinks/opensearch/client.js';
import { indexNameFor } from '../../src/sinks/opensearch/index-name.js';
import { ensureIndexSetup } from '../../src/sinks/opensearch/setup.js';
import { classifyItem } from '../../src/sinks/opensearch/retry.js';
import type { QuarantineStore } from '../../src/sinks/quarantine/record.js';
import { athenaParse } from '../fixtures/athena-baseline.js';
import { applyStackEnv, uniqueName } from '../support/stack-env.js';
import { deleteIndices, openSearch, workerEnv } from '../support/worker-harness.js';
import { corpusLines } from './e2e-corpus.js';

const STAGES = ['decode', 'parse', 'build', 'enrich', 'serialise', 'compress', 'send', 'account'] as const;
type Stage = (typeof STAGES)[number];
type Breakdown = Record<Stage, number>;

/** Events per enrich call and sink hand-off, as src/pipeline/object.ts (EVENT_BATCH). */
const EVENT_BATCH = 500;
const LOG_BUCKET = 'bench-cpu-logs';

const noQuarantine: QuarantineStore = { put: () => Promise.reject(new Error('unexpected quarantine in the cpu bench')), close: () => Promise.resolve() };

/** CPU of the whole process (every thread): what the whole pipeline costs. */
function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * CPU of the main thread only, for the stages: V8's concurrent marking runs on other threads while
 * the main thread waits (for zlib, for the answer), and counted process-wide it lands on whichever
 * stage waits longest.
 */
function threadUs(): number {
  const u = process.threadCpuUsage();
  return u.user + u.system;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Log objects as bytes, split in 64 KiB chunks as an S3 stream delivers them. */
function corpus(lines: number, objects: number): Buffer[][] {
  const per = Math.ceil(lines / objects);
  const gen = corpusLines(lines, 1);
  const out: Buffer[][] = [];
  for (let o = 0; o < objects; o += 1) {
    const chunk: string[] = [];
    for (let i = 0; i < per; i += 1) {
      const next = gen.next();
      if (next.done === true) break;
      chunk.push(next.value);
    }
    if (chunk.length === 0) break;
    const bytes = Buffer.from(`${chunk.join('\n')}\n`);
    const parts: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 65_536) parts.push(bytes.subarray(at, at + 65_536));
    out.push(parts);
  }
  return out;
}

// eslint-disable-next-line @typescript-eslint/require-await -- an async source, as the S3 body is
async function* stream(parts: readonly Buffer[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

const DISCARD_NODE = `
const { createServer } = require('node:http');
const { gunzipSync } = require('node:zlib');
createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    let lines = 0;
    for (const b of body) if (b === 10) lines += 1;
    const text = req.url.startsWith('/_bulk') ? '{"errors":false,"items":[' + new Array(lines / 2).fill('{"create":{"status":201}}').join(',') + ']}' : '{}';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;

async function startDiscard(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', DISCARD_NODE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}`, child };
}

interface Target {
  readonly name: string;
  readonly cfg: Config;
}

/** The stages one after the other, each on a whole object (or its batches), each timed alone. */
async function staged(objects: readonly Buffer[][], target: Target, enricher: Enricher): Promise<{ breakdown: Breakdown; events: number }> {
  const { cfg } = target;
  const client = createOpenSearchClient(cfg);
  const encoder = new BulkLineEncoder();
  const rules = admissionRulesFrom(cfg);
  const t: Breakdown = { decode: 0, parse: 0, build: 0, enrich: 0, serialise: 0, compress: 0, send: 0, account: 0 };
  let events = 0;
  for (const [o, parts] of objects.entries()) {
    const ctx: SourceContext = { logBucket: LOG_BUCKET, filePath: `s3://${LOG_BUCKET}/cpu/${o}` };
    let c = threadUs();
    const raws: RawLine[] = [];
    const lines = decodeLines(stream(parts));
    for (;;) {
      const next = await lines.next();
      if (next.done === true) break;
      for (const l of next.value) raws.push(l);
    }
    t.decode += threadUs() - c;

    c = threadUs();
    let ok = 0;
    for (const l of raws) if (parseAccessLogLine(l.bytes.toString('latin1')).ok) ok += 1;
    const parseUs = threadUs() - c;
    t.parse += parseUs;

    c = threadUs();
    const docs: IndexableEvent[] = [];
    for (const l of raws) {
      const r = buildEvent(l, ctx);
      if (r.ok && admissionOf(r.doc.event, rules, Date.UTC(2024, 4, 1)) === undefined) docs.push(r.doc);
    }
    // buildEvent parses too: its own share is what it costs beyond the parse.
    t.build += threadUs() - c - parseUs;
    if (docs.length !== ok || docs.length !== raws.length) throw new Error(`cpu bench: ${raws.length} lines, ${ok} parsed, ${docs.length} admitted`);

    c = threadUs();
    for (let i = 0; i < docs.length; i += EVENT_BATCH) {
      const batch = docs.slice(i, i + EVENT_BATCH);
      await enricher.enrich(batch.map((d) => d.event));
      const ingested = new Date().toISOString();
      for (const d of batch) d.event.event.ingested = ingested;
    }
    t.enrich += threadUs() - c;

    const tally = new ObjectTally();
    for (let i = 0; i < docs.length; i += cfg.BULK_MAX_DOCS) {
      const batch = docs.slice(i, i + cfg.BULK_MAX_DOCS);
      c = threadUs();
      // As the sink: each line's bytes at write time, one copy into the request body at send time.
      const text = Buffer.concat(batch.map((d) => encoder.bytes(indexNameFor(cfg.INDEX_PREFIX, d.event['@timestamp']), d)));
      t.serialise += threadUs() - c;

      c = threadUs();
      // The sink gzips on zlib's thread pool (encodeBulkBody); here on this thread, the same level,
      // so that the main thread's clock sees it.
      const body = cfg.BULK_GZIP ? gzipSync(text, { level: BULK_GZIP_LEVEL }) : text;
      const headers: Record<string, string> = cfg.BULK_GZIP ? { 'content-encoding': 'gzip' } : {};
      t.compress += threadUs() - c;

      c = threadUs();
      const res = await client.transport.request(
        { method: 'POST', path: '/_bulk', bulkBody: body, querystring: { filter_path: 'errors,items.*.status,items.*.error.type,items.*.error.reason' } },
        { headers },
      );
      const items = readBulkItems(res.body, batch.length);
      if (items === undefined) throw new Error('cpu bench: the bulk answer does not match the request');
      let created = 0;
      for (const item of items) if (classifyItem(item.status, item.errorType, item.errorReason).kind === 'indexed') created += 1;
      t.send += threadUs() - c;
      if (created !== batch.length) throw new Error(`cpu bench: ${batch.length - created} of ${batch.length} items not created`);

      // What the sink hands its trackers (it holds these from the write on); not the tally's cost.
      const written = batch.map((d) => ({ id: d.id, hash: d.event.event.hash, timestamp: d.event['@timestamp'], document: () => d }));
      c = threadUs();
      tally.expect(batch.length);
      for (const w of written) tally.onOutcome({ status: 'indexed' }, w);
      t.account += threadUs() - c;
    }
    events += docs.length;
  }
  await client.close();
  return { breakdown: t, events };
}

/** The real classes in src/pipeline/object.ts's order, with the worker's settings; CPU of the whole. */
async function whole(objects: readonly Buffer[][], target: Target, enricher: Enricher): Promise<{ us: number; events: number }> {
  const { cfg } = target;
  const client = createOpenSearchClient(cfg);
  const logger = createLogger('error');
  const sink = new BulkIndexer(client, bulkOptionsFrom(cfg), { logger, metrics: createMetrics({ defaultMetrics: false }), quarantine: noQuarantine });
  const rules = admissionRulesFrom(cfg);
  let events = 0;
  const c = cpuUs();
  // As the worker: OBJECT_CONCURRENCY objects at once.
  let next = 0;
  const one = async (): Promise<void> => {
    for (let o = next++; o < objects.length; o = next++) {
      const tally = new ObjectTally();
      const ctx: SourceContext = { logBucket: LOG_BUCKET, filePath: `s3://${LOG_BUCKET}/cpu/${o}` };
      let batch: IndexableEvent[] = [];
      const write = async (docs: IndexableEvent[]): Promise<void> => {
        if (docs.length === 0) return;
        await enricher.enrich(docs.map((d) => d.event));
        const ingested = new Date().toISOString();
        for (const d of docs) {
          d.event.event.ingested = ingested;
          tally.expect();
          await sink.write(d, tally);
        }
      };
      const lines = decodeLines(stream(objects[o]!));
      let lineCount = 0;
      for (;;) {
        const n = await lines.next();
        if (n.done === true) break;
        for (const l of n.value) {
          const r = buildEvent(l, ctx);
          if (!r.ok || admissionOf(r.doc.event, rules, Date.UTC(2024, 4, 1)) !== undefined) throw new Error('cpu bench: a corpus line was refused');
          batch.push(r.doc);
        }
        lineCount += n.value.length;
        if (batch.length >= EVENT_BATCH) {
          await write(batch);
          batch = [];
        }
      }
      await write(batch);
      sink.sendNow();
      await tally.drained();
      if (tally.failure) throw tally.failure;
      if (tally.indexed !== lineCount) throw new Error(`cpu bench: object ${o}: ${lineCount} lines, ${tally.indexed} indexed`);
      events += tally.indexed;
    }
  };
  await Promise.all(Array.from({ length: cfg.OBJECT_CONCURRENCY }, one));
  await sink.close();
  const us = cpuUs() - c;
  await client.close();
  return { us, events };
}

/** The naive Athena-regex script: parse each line and write its 27 fields as JSON. */
function baseline(objects: readonly Buffer[][]): { us: number; events: number } {
  let events = 0;
  let bytes = 0;
  const c = cpuUs();
  for (const parts of objects) {
    const text = Buffer.concat(parts).toString('latin1');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const r = athenaParse(line);
      if (r.ok) bytes += JSON.stringify(r.fields).length;
      events += 1;
    }
  }
  const us = cpuUs() - c;
  if (bytes === 0) throw new Error('cpu bench: the baseline parsed nothing');
  return { us, events };
}

export async function bench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      lines: { type: 'string', default: '200000' },
      objects: { type: 'string', default: '40' },
      rounds: { type: 'string', default: '2' },
      gzip: { type: 'string' },
      'skip-opensearch': { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  applyStackEnv();
  process.stdout.write(`cpu: generating ${values.lines} lines in ${values.objects} objects...\n`);
  const objects = corpus(Number(values.lines), Number(values.objects));
  const discard = await startDiscard();
  const prefix = uniqueName('bench-cpu');
  const settings = (url: string): Record<string, string> => ({
    INDEX_PREFIX: prefix,
    OPENSEARCH_URL: url,
    ...(values.gzip !== undefined ? { BULK_GZIP: values.gzip } : {}),
  });
  const targets: Target[] = [{ name: 'discard', cfg: loadConfigOrThrow({ env: workerEnv(settings(discard.url)) }) }];
  const os = openSearch();
  /** Each run writes the same ids: into OpenSearch, a fresh set of indices each time. */
  const fresh = async (cfg: Config): Promise<void> => {
    await deleteIndices(os, prefix);
    const client = createOpenSearchClient(cfg);
    await ensureIndexSetup(client, cfg, createLogger('warn'));
    await client.close();
  };
  if (!values['skip-opensearch']) {
    targets.push({ name: 'opensearch', cfg: loadConfigOrThrow({ env: workerEnv(settings(workerEnv({}).OPENSEARCH_URL ?? '')) }) });
  }
  try {
    const base: number[] = [];
    for (let r = 0; r < rounds; r += 1) {
      const b = baseline(objects);
      base.push(b.us / b.events);
    }
    const baseUs = median(base);
    process.stdout.write(`baseline (Athena regex + JSON of 27 fields): ${baseUs.toFixed(2)} µs/event (runs ${base.map((x) => x.toFixed(2)).join(' ')})\n`);
    for (const target of targets) {
      const enricher = createEnricher(target.cfg, { logger: createLogger('warn'), metrics: createMetrics({ defaultMetrics: false }) });
      if (enricher.mode !== 'keys-only') throw new Error('cpu bench: expected the keys-only enricher (no Genesys settings)');
      const stagedRuns: Breakdown[] = [];
      const wholeRuns: number[] = [];
      for (let r = 0; r < rounds; r += 1) {
        if (target.name === 'opensearch') await fresh(target.cfg);
        const { breakdown, events } = await staged(objects, target, enricher);
        stagedRuns.push(Object.fromEntries(STAGES.map((k) => [k, breakdown[k] / events])) as Breakdown);
        if (target.name === 'opensearch') await fresh(target.cfg);
        const w = await whole(objects, target, enricher);
        wholeRuns.push(w.us / w.events);
      }
      await enricher.close();
      const stages = Object.fromEntries(STAGES.map((k) => [k, median(stagedRuns.map((b) => b[k]))])) as Breakdown;
      const sum = STAGES.reduce((n, k) => n + stages[k], 0);
      const w = median(wholeRuns);
      process.stdout.write(`\n${target.name} (BULK_GZIP=${String(target.cfg.BULK_GZIP)}, OBJECT_CONCURRENCY=${target.cfg.OBJECT_CONCURRENCY}):\n`);
      for (const k of STAGES) {
        process.stdout.write(
          `  ${k.padEnd(10)} ${stages[k].toFixed(2).padStart(7)} µs/event  ${((100 * stages[k]) / sum).toFixed(0).padStart(3)}%  runs ${stagedRuns.map((b) => b[k].toFixed(2)).join(' ')}\n`,
        );
      }
      process.stdout.write(`  staged sum ${sum.toFixed(2).padStart(7)} µs/event  ${(sum / baseUs).toFixed(2)}x baseline\n`);
      process.stdout.write(
        `  whole      ${w.toFixed(2).padStart(7)} µs/event  ${(w / baseUs).toFixed(2)}x baseline  (unstaged share ${(w - sum).toFixed(2)} µs)  runs ${wholeRuns.map((x) => x.toFixed(2)).join(' ')}\n`,
      );
    }
  } finally {
    await deleteIndices(os, prefix);
    await os.close();
    discard.child.kill();
  }
}
