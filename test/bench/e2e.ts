/**
 * npm run bench -- e2e [--lines N] [--objects M] [--big-object-mb MB] [--skip-big | --only-big]
 *                      [--worker-env NAME=VALUE ...]   (worker settings to try, e.g. OBJECT_CONCURRENCY=8)
 *                      [--pin]   (OpenSearch on CPU 0; moto, this process and its children on CPU 1)
 *
 * The live worker, end to end through moto (SQS + S3) into the local OpenSearch, against the raw
 * bulk limit of the same documents loaded directly with the same client and bulk size, in the same
 * run. Then peak RSS of the worker for one large log object.
 */
import pLimit from 'p-limit';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { createMetrics } from '../../src/core/metrics.js';
import { createLogPipeline, putLogObject, type LogPipelineResources } from '../../src/sim/s3-logs/log-pipeline.js';
import { logObjectKey } from '../../src/sim/s3-logs/scenario.js';
import { createEnricher } from '../../src/enrich/enricher.js';
import { buildEvent } from '../../src/event/build.js';
import type { IndexableEvent } from '../../src/event/types.js';
import { createOpenSearchClient } from '../../src/sinks/opensearch/client.js';
import { rawBulkLoad } from './raw-bulk.js';
import { ensureIndexSetup } from '../../src/sinks/opensearch/setup.js';
import { applyStackEnv, stackEnvPath, uniqueName } from '../support/stack-env.js';
import { cpuSecondsOf, rssOf } from './proc.js';
import { countDocuments, deleteIndices, lineSplitter, openSearch, setupIndices, spawnWorker, waitForEmptyQueue, workerEnv } from '../support/worker-harness.js';
import { corpusLines } from './e2e-corpus.js';

const stackDir = dirname(stackEnvPath);

interface ObjectSpan {
  start: number;
  end: number;
  lines: number;
  indexed: number;
}

interface WorkerRun {
  seconds: number;
  peakRssMb: number;
  /** user+sys of the worker process and its waited-for children, from /proc, when the queue was drained. */
  cpuSeconds: number;
  lines: number;
  /** One per "Log object accounted for." line, in completion order. */
  spans: ObjectSpan[];
}

/** Runs the CLI worker as a child until `expected` documents are in and the queue is empty. */
async function runWorker(res: LogPipelineResources, sqs: SQSClient, prefix: string, expected: number, extra: Record<string, string> = {}): Promise<WorkerRun> {
  const env = workerEnv({
    SQS_QUEUE_URL: res.queueUrl,
    LOG_BUCKETS: res.logBucket,
    INDEX_PREFIX: prefix,
    LOG_LEVEL: 'info',
    SQS_VISIBILITY_TIMEOUT_SECS: '120',
    SQS_HEARTBEAT_INTERVAL_SECS: '30',
    BULK_FLUSH_INTERVAL_MS: '500',
    ...extra,
  });
  // As deployed: `setup` first, outside the measured process; the worker only verifies it.
  await setupIndices(env);
  const child = spawnWorker(env, { built: true });
  const pid = child.pid ?? 0;
  let peak = 0;
  const sampler = setInterval(() => {
    const m = rssOf(pid);
    peak = Math.max(peak, m.hwm, m.rss);
  }, 200);
  const objectSpans: ObjectSpan[] = [];
  child.stdout?.on(
    'data',
    lineSplitter((line) => {
      if (!line.includes('Log object accounted for.')) return;
      const rec = JSON.parse(line) as { time: string; durationMs: number; lines: number; indexed: number };
      const end = Date.parse(rec.time);
      objectSpans.push({ start: end - rec.durationMs, end, lines: rec.lines, indexed: rec.indexed });
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const os = openSearch();
  let cpuSeconds = 0;
  try {
    // A worker that dies (bad flag, crash) fails the run now, not after the drain timeout.
    const died = new Promise<never>((_, reject) =>
      child.once('exit', (code, sig) => reject(new Error(`The worker exited early (${String(code ?? sig)}). ${stderr.slice(-2000)}`))),
    );
    died.catch(() => undefined); // the kill in `finally` ends it too
    await Promise.race([waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 3_600_000, quietMs: 2000 }), died]);
    const got = await countDocuments(os, `${prefix}-*`);
    if (got !== expected) throw new Error(`Expected ${expected} documents, found ${got}. ${stderr.slice(-2000)}`);
    // Read while the worker still runs: it includes startup (module loading, setup checks), which is
    // a fixed cost that a longer run amortises.
    cpuSeconds = cpuSecondsOf(pid);
  } finally {
    clearInterval(sampler);
    const m = rssOf(pid);
    peak = Math.max(peak, m.hwm, m.rss);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await os.close();
  }
  const first = Math.min(...objectSpans.map((s) => s.start));
  const last = Math.max(...objectSpans.map((s) => s.end));
  return { seconds: (last - first) / 1000, peakRssMb: peak / 1024 / 1024, cpuSeconds, lines: objectSpans.reduce((n, s) => n + s.lines, 0), spans: objectSpans };
}

async function uploadCorpus(s3: S3Client, res: LogPipelineResources, lines: number, objects: number, seed: number): Promise<string[][]> {
  const perObject = Math.ceil(lines / objects);
  const gen = corpusLines(lines, seed);
  const sem = pLimit(8);
  const all: string[][] = [];
  const uploads: Promise<void>[] = [];
  for (let o = 0; o < objects; o += 1) {
    const chunk: string[] = [];
    for (let i = 0; i < perObject; i += 1) {
      const next = gen.next();
      if (next.done === true) break;
      chunk.push(next.value);
    }
    if (chunk.length === 0) break;
    all.push(chunk);
    const key = logObjectKey(res.logPrefix, new Date(Date.UTC(2024, 4, 1) + o * 60_000), `B${seed}X${o}`);
    uploads.push(sem(() => putLogObject(s3, res.logBucket, key, `${chunk.join('\n')}\n`)));
  }
  await Promise.all(uploads);
  return all;
}

async function rawBaseline(objects: string[][], logBucket: string, prefix: string, bulkDocs: number, settings: Record<string, string>): Promise<number> {
  // The worker's settings too: BULK_GZIP=false measured against a raw loader that still gzips would flatter the worker.
  const env = workerEnv({ ...settings, INDEX_PREFIX: prefix });
  const cfg = loadConfigOrThrow({ env });
  const client = createOpenSearchClient(cfg);
  await ensureIndexSetup(client, cfg, createLogger('warn'));
  let seconds = 0;
  let batch: IndexableEvent[] = [];
  const timed = async (): Promise<void> => {
    const t0 = performance.now();
    await rawBulkLoad(client, batch, bulkDocs, prefix, cfg.BULK_GZIP);
    seconds += (performance.now() - t0) / 1000;
    batch = [];
  };
  // The same documents the worker writes: built, enriched by the same enricher and settings, and
  // stamped with event.ingested. Only the bulk loading is timed.
  const enricher = createEnricher(cfg, { logger: createLogger('warn'), metrics: createMetrics({ defaultMetrics: false }) });
  for (const lines of objects) {
    let n = 0;
    const built: IndexableEvent[] = [];
    for (const line of lines) {
      n += 1;
      const r = buildEvent({ number: n, bytes: Buffer.from(line) }, { logBucket, filePath: `s3://${logBucket}/baseline` });
      if (r.ok) built.push(r.doc);
    }
    await enricher.enrich(built.map((d) => d.event));
    const ingested = new Date().toISOString();
    for (const d of built) {
      d.event.event.ingested = ingested;
      batch.push(d);
    }
    if (batch.length >= 100_000) await timed();
  }
  if (batch.length > 0) await timed();
  await enricher.close();
  await client.close();
  return seconds;
}

async function bigObject(s3: S3Client, sqs: SQSClient, megabytes: number, settings: Record<string, string>): Promise<WorkerRun & { bytes: number }> {
  const res = await createLogPipeline(s3, sqs, {
    recordingsBucket: uniqueName('bench-rec'),
    logBucket: uniqueName('bench-big'),
    queue: uniqueName('bench-big'),
    visibilityTimeoutSecs: 120,
  });
  const key = logObjectKey(res.logPrefix, new Date(Date.UTC(2024, 5, 1)), 'BIG');
  const upload = await s3.send(new CreateMultipartUploadCommand({ Bucket: res.logBucket, Key: key }));
  const partBytes = 64 * 1024 * 1024;
  const gen = corpusLines(Number.MAX_SAFE_INTEGER, 4242);
  let total = 0;
  let lines = 0;
  const parts: { ETag: string; PartNumber: number }[] = [];
  while (total < megabytes * 1024 * 1024) {
    const chunks: string[] = [];
    let size = 0;
    while (size < partBytes && total + size < megabytes * 1024 * 1024) {
      const line = `${gen.next().value as string}\n`;
      chunks.push(line);
      size += line.length;
      lines += 1;
    }
    const body = Buffer.from(chunks.join(''));
    const part = await s3.send(new UploadPartCommand({ Bucket: res.logBucket, Key: key, UploadId: upload.UploadId, PartNumber: parts.length + 1, Body: body }));
    parts.push({ ETag: part.ETag ?? '', PartNumber: parts.length + 1 });
    total += body.length;
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: res.logBucket, Key: key, UploadId: upload.UploadId, MultipartUpload: { Parts: parts } }));
  const prefix = uniqueName('bench-big');
  try {
    const run = await runWorker(res, sqs, prefix, lines, settings);
    return { ...run, bytes: total };
  } finally {
    const os = openSearch();
    await deleteIndices(os, prefix);
    await os.close();
  }
}

/**
 * In production OpenSearch runs on its own nodes; on one small machine the worker (or the raw
 * loader) takes CPU from it, and the ratio then measures CPU sharing rather than the worker's own
 * overhead. --pin gives OpenSearch CPU 0 and everything else CPU 1, for both runs alike.
 */
function pinCpus(): () => void {
  const pid = (name: string): string => readFileSync(join(stackDir, `${name}.pid`), 'utf8').trim();
  const set = (cpus: string, p: string): void => {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, p], { stdio: 'ignore' });
  };
  set('0', pid('opensearch'));
  set('1', pid('moto'));
  set('1', String(process.pid));
  process.stdout.write('e2e: pinned OpenSearch to CPU 0; moto, the bench and the worker to CPU 1\n');
  // The stack outlives the bench: give its servers every CPU back.
  // cpus(), not availableParallelism(): the latter already counts only this process's one CPU.
  const all = `0-${cpus().length - 1}`;
  return () => {
    set(all, pid('opensearch'));
    set(all, pid('moto'));
  };
}

/**
 * moto sends two notifications for one multipart upload (ObjectCreated:Put from its internal
 * put_object, then ObjectCreated:CompleteMultipartUpload); real S3 sends one. The worker reads the
 * object twice and the second pass finds every record already stored. The rate is the first pass's;
 * peak RSS covers both.
 */
function bigReport(big: WorkerRun & { bytes: number }): Record<string, number> {
  const first = big.spans[0];
  return {
    big_object_mb: Math.round(big.bytes / 1024 / 1024),
    big_object_lines: first?.lines ?? 0,
    big_object_passes: big.spans.length,
    big_object_events_per_sec: first === undefined ? 0 : Math.round(first.lines / ((first.end - first.start) / 1000)),
    big_object_peak_rss_mb: Math.round(big.peakRssMb),
  };
}

export async function bench(args: string[]): Promise<void> {
  // The measured worker is the compiled one, as in the image.
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  const { values } = parseArgs({
    args,
    options: {
      lines: { type: 'string', default: '1000000' },
      objects: { type: 'string', default: '200' },
      'big-object-mb': { type: 'string', default: '1024' },
      'skip-big': { type: 'boolean', default: false },
      'only-big': { type: 'boolean', default: false },
      'worker-env': { type: 'string', multiple: true, default: [] },
      pin: { type: 'boolean', default: false },
    },
  });
  const workerSettings = Object.fromEntries(values['worker-env'].map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const unpin = values.pin ? pinCpus() : undefined;
  try {
    await run(values, workerSettings);
  } finally {
    unpin?.();
  }
}

async function run(
  values: { lines: string; objects: string; 'big-object-mb': string; 'skip-big': boolean; 'only-big': boolean; pin: boolean },
  workerSettings: Record<string, string>,
): Promise<void> {
  const lines = Number(values.lines);
  const objectCount = Number(values.objects);
  applyStackEnv();
  const s3 = new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const sqs = new SQSClient({});
  if (values['only-big']) {
    const big = await bigObject(s3, sqs, Number(values['big-object-mb']), workerSettings);
    process.stdout.write(`${JSON.stringify(bigReport(big), null, 2)}\n`);
    return;
  }
  const res = await createLogPipeline(s3, sqs, {
    recordingsBucket: uniqueName('bench-rec'),
    logBucket: uniqueName('bench-logs'),
    queue: uniqueName('bench-q'),
    visibilityTimeoutSecs: 120,
  });
  process.stdout.write(`e2e: writing ${lines} lines in ${objectCount} log objects to moto...\n`);
  const objects = await uploadCorpus(s3, res, lines, objectCount, 1);
  const workerPrefix = uniqueName('bench-worker');
  const rawPrefix = uniqueName('bench-raw');
  const os = openSearch();
  try {
    process.stdout.write('e2e: running the worker until the queue is drained...\n');
    const worker = await runWorker(res, sqs, workerPrefix, lines, workerSettings);
    process.stdout.write('e2e: bulk-loading the same documents directly (raw bulk limit)...\n');
    const rawSeconds = await rawBaseline(objects, res.logBucket, rawPrefix, 2000, workerSettings);
    const workerRate = worker.lines / worker.seconds;
    const rawRate = lines / rawSeconds;
    const report: Record<string, unknown> = {
      lines,
      objects: objects.length,
      worker_objects_accounted: worker.spans.length,
      worker_events_per_sec: Math.round(workerRate),
      worker_seconds_first_receive_to_last_delete: Number(worker.seconds.toFixed(2)),
      raw_bulk_events_per_sec: Math.round(rawRate),
      ratio_worker_to_raw: Number((workerRate / rawRate).toFixed(3)),
      worker_peak_rss_mb: Math.round(worker.peakRssMb),
      worker_cpu_seconds: Number(worker.cpuSeconds.toFixed(2)),
      worker_cpu_us_per_event: Number(((worker.cpuSeconds * 1e6) / worker.lines).toFixed(1)),
      worker_settings: workerSettings,
      worker_node_args: process.env.WORKER_NODE_ARGS ?? '',
      pinned: values.pin,
    };
    if (!values['skip-big']) {
      process.stdout.write(`e2e: one ${values['big-object-mb']} MB log object...\n`);
      const big = await bigObject(s3, sqs, Number(values['big-object-mb']), workerSettings);
      Object.assign(report, bigReport(big));
    }
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `targets: ratio >= 0.9 (${String(report.ratio_worker_to_raw)}), worker CPU <= 25 µs/event (${String(report.worker_cpu_us_per_event)}), peak RSS < 300 MB (${String(report.worker_peak_rss_mb)}${typeof report.big_object_peak_rss_mb === 'number' ? ` / big object ${report.big_object_peak_rss_mb}` : ''})\n`,
    );
  } finally {
    await deleteIndices(os, workerPrefix);
    await deleteIndices(os, rawPrefix);
    await os.close();
  }
}
