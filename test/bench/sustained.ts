/**
 * npm run bench -- sustained --minutes M --rate R [--objects-per-min N] [--seed S] [--sample-secs 10]
 *                            [--json FILE] [--worker-env NAME=VALUE ...] [--drain-timeout-secs 600]
 *                            [--max-rss-slope-mb-per-min 1] [--max-lag-slope-secs-per-min 3] [--lag-floor-secs 60]
 *                            [--no-enrich]   (no Genesys: the pipeline `bench -- e2e` measures, for its rate)
 *
 * Sustained load (issue 22): one compiled worker child process with the image's heap flags, moto
 * SQS and S3, the local OpenSearch under a fresh index prefix, and the Genesys simulator for
 * enrichment. A feeder writes real-format access-log objects (the e2e corpus, with keys from the
 * simulator's dataset so that enrichment resolves them) at R lines/s, N objects a minute, each
 * announced by the bucket's notification, for M minutes; then the bench waits for the drain.
 *
 * Every --sample-secs it prints a row: the worker's RSS (VmRSS from /proc) and heap, its CPU, the
 * event-loop delay p50/p99 since the previous sample (its /metrics; prom-client resets the
 * histogram at each scrape, and the bench is the only scraper; its monitor samples every 10 ms,
 * which the figures include: an idle loop reads 10.1 ms), the queue depth, and the lag: the age of
 * the oldest object written and not yet accounted for ('Log object accounted for.' is logged once
 * all its events are indexed), and the longest put-to-accounted time of the objects finished since
 * the previous sample; the larger of the two is the lag the verdict judges.
 *
 * It fails (non-zero exit) on growth or loss, by the rules of test/bench/growth.ts: RSS rising over
 * the second half of the load faster than the limit, a lag that keeps growing, or events missing
 * from the index after the drain. Accounted objects are deleted from moto after a minute, so that
 * a long run does not hold gigabytes of logs in its memory.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '../../src/core/log.js';
import { detectTemplates, ensureDetectSetup } from '../../src/detect/mapping.js';
import { exportKey, exportMetadataKey, generateDataset } from '../../src/sim/genesys/dataset.js';
import { startGenesysSimulator } from '../../src/sim/genesys/server.js';
import { createLogPipeline, putLogObject } from '../../src/sim/s3-logs/log-pipeline.js';
import { logObjectKey } from '../../src/sim/s3-logs/scenario.js';
import { applyStackEnv, uniqueName } from '../support/stack-env.js';
import { cpuSecondsOf, rssOf } from './proc.js';
import { countDocuments, deleteIndices, lineSplitter, openSearch, queueDepth, setupIndices, spawnWorker, workerEnv } from '../support/worker-harness.js';
import { corpusLines } from './e2e-corpus.js';
import { DEFAULT_GROWTH_LIMITS, judgeGrowth, type GrowthLimits, type GrowthSample, type GrowthVerdict } from './growth.js';

interface LogObject {
  readonly key: string;
  readonly lines: number;
  readonly putAt: number;
  accountedAt?: number;
  indexed?: number;
  /** Its lag is in a sample's done_lag_s. */
  sampled?: boolean;
  deleted?: boolean;
}

interface Sample extends GrowthSample {
  readonly rssMb: number;
  readonly heapUsedMb: number | undefined;
  /** Worker CPU over the interval, % of one core. */
  readonly cpuPct: number;
  readonly loopP50Ms: number | undefined;
  readonly loopP99Ms: number | undefined;
  readonly loopMaxMs: number | undefined;
  readonly queueVisible: number;
  readonly queueInFlight: number;
  readonly pendingObjects: number;
  /** Age of the oldest object written and not yet accounted for. */
  readonly oldestPendingSecs: number;
  /** Longest put-to-accounted time of the objects accounted since the previous sample. */
  readonly doneLagMaxSecs: number | undefined;
  readonly eventsFed: number;
  readonly eventsAccounted: number;
}

/** The unlabelled series of a Prometheus text exposition, by name. */
export function parsePromText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)/.exec(line);
    if (m === null) continue;
    const value = Number(m[2]);
    if (Number.isFinite(value)) out.set(m[1]!, value);
  }
  return out;
}

async function scrape(port: number): Promise<Map<string, number>> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
    return parsePromText(await res.text());
  } catch {
    return new Map();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

function percentile(xs: readonly number[], p: number): number | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const fmt = (n: number | undefined, digits = 0, width = 7): string => (n === undefined ? '-' : n.toFixed(digits)).padStart(width);

const HEADER = `${'t_s'.padStart(6)} ${'phase'.padEnd(5)} ${'rss_mb'.padStart(7)} ${'heap_mb'.padStart(7)} ${'cpu_%'.padStart(6)} ${'el_p50_ms'.padStart(9)} ${'el_p99_ms'.padStart(9)} ${'q_vis'.padStart(5)} ${'q_infl'.padStart(6)} ${'pend'.padStart(4)} ${'oldest_s'.padStart(8)} ${'done_lag_s'.padStart(10)} ${'fed'.padStart(10)} ${'accounted'.padStart(10)}`;

function row(s: Sample): string {
  return `${fmt(s.tSecs, 0, 6)} ${s.phase.padEnd(5)} ${fmt(s.rssMb, 1)} ${fmt(s.heapUsedMb, 1)} ${fmt(s.cpuPct, 0, 6)} ${fmt(s.loopP50Ms, 1, 9)} ${fmt(s.loopP99Ms, 1, 9)} ${fmt(s.queueVisible, 0, 5)} ${fmt(s.queueInFlight, 0, 6)} ${fmt(s.pendingObjects, 0, 4)} ${fmt(s.oldestPendingSecs, 1, 8)} ${fmt(s.doneLagMaxSecs, 1, 10)} ${fmt(s.eventsFed, 0, 10)} ${fmt(s.eventsAccounted, 0, 10)}`;
}

export async function bench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      minutes: { type: 'string', default: '30' },
      rate: { type: 'string' },
      'objects-per-min': { type: 'string', default: '12' },
      seed: { type: 'string', default: '1' },
      'sample-secs': { type: 'string', default: '10' },
      json: { type: 'string' },
      'worker-env': { type: 'string', multiple: true, default: [] },
      'drain-timeout-secs': { type: 'string', default: '600' },
      // Without the Genesys simulator and its settings: the pipeline `bench -- e2e` measures.
      'no-enrich': { type: 'boolean', default: false },
      'max-rss-slope-mb-per-min': { type: 'string', default: String(DEFAULT_GROWTH_LIMITS.maxRssSlopeMbPerMin) },
      'max-lag-slope-secs-per-min': { type: 'string', default: String(DEFAULT_GROWTH_LIMITS.maxLagSlopeSecsPerMin) },
      'lag-floor-secs': { type: 'string', default: String(DEFAULT_GROWTH_LIMITS.lagFloorSecs) },
    },
    strict: true,
  });
  if (values.rate === undefined)
    throw new Error('--rate R (lines per second) is required; 80% of `npm run bench -- e2e` worker_events_per_sec is the issue-22 run.');
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  const objectsPerMin = Number(values['objects-per-min']);
  const seed = Number(values.seed);
  const sampleMs = Number(values['sample-secs']) * 1000;
  const drainTimeoutMs = Number(values['drain-timeout-secs']) * 1000;
  for (const [name, v] of Object.entries({ minutes, rate, objectsPerMin, seed, sampleMs, drainTimeoutMs })) {
    if (!Number.isFinite(v) || v < 0 || (name !== 'seed' && v === 0)) throw new Error(`Bad value for ${name}: ${String(v)}`);
  }
  const limits: GrowthLimits = {
    ...DEFAULT_GROWTH_LIMITS,
    maxRssSlopeMbPerMin: Number(values['max-rss-slope-mb-per-min']),
    maxLagSlopeSecsPerMin: Number(values['max-lag-slope-secs-per-min']),
    lagFloorSecs: Number(values['lag-floor-secs']),
  };
  const workerSettings = Object.fromEntries(values['worker-env'].map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

  // The measured worker is the compiled one, as in the image.
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  applyStackEnv();
  const s3 = new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const sqs = new SQSClient({});
  const dataset = generateDataset({ seed, conversations: 4000, users: 300 });
  const keyOf = (conversation: number, variant: number): string => {
    const rec = dataset.recordings[(conversation * 3 + variant) % dataset.recordings.length]!;
    return variant === 2 ? exportMetadataKey(dataset, rec) : exportKey(dataset, rec);
  };
  const enrich = !values['no-enrich'];
  const sim = enrich ? await startGenesysSimulator({ dataset }) : undefined;
  const res = await createLogPipeline(s3, sqs, {
    recordingsBucket: uniqueName('bench-sus-rec'),
    logBucket: uniqueName('bench-sus-logs'),
    queue: uniqueName('bench-sus-q'),
    visibilityTimeoutSecs: 120,
    accessLogging: false,
  });
  const prefix = uniqueName('bench-sustained');
  const healthPort = await freePort();
  const os = openSearch();
  const env = workerEnv({
    SQS_QUEUE_URL: res.queueUrl,
    LOG_BUCKETS: res.logBucket,
    INDEX_PREFIX: prefix,
    LOG_LEVEL: 'info',
    // The production defaults where the test harness shortens them.
    SQS_WAIT_TIME_SECS: '20',
    BULK_FLUSH_INTERVAL_MS: '1000',
    SQS_VISIBILITY_TIMEOUT_SECS: '120',
    SQS_HEARTBEAT_INTERVAL_SECS: '30',
    HEALTH_PORT: String(healthPort),
    HEALTH_HOST: '127.0.0.1',
    ...(sim === undefined ? {} : { GENESYS_CLIENT_ID: 'sim-client', GENESYS_CLIENT_SECRET: 'sim-secret', GENESYS_API_URL: sim.url }),
    ...workerSettings,
  });
  await setupIndices(env);
  // The rest of `recording-audit setup`: the state index's template. Without it the Genesys audit
  // source's watermark lands in an index made from the events' strict template and every run fails.
  await ensureDetectSetup(os, prefix, createLogger('warn'));
  const loadStart = loadavg();
  const child = spawnWorker(env, { built: true });
  const pid = child.pid ?? 0;
  const objects = new Map<string, LogObject>();
  const source = (key: string): string => `s3://${res.logBucket}/${key}`;
  let warnings = 0;
  const lastWarnings: string[] = [];
  child.stdout?.on(
    'data',
    lineSplitter((line) => {
      if (line.includes('"level":"warn"') || line.includes('"level":"error"') || line.includes('"level":"fatal"')) {
        warnings += 1;
        lastWarnings.push(line.slice(0, 400));
        if (lastWarnings.length > 5) lastWarnings.shift();
      }
      if (!line.includes('Log object accounted for.')) return;
      const rec = JSON.parse(line) as { time: string; object: string; indexed: number; duplicates: number };
      const obj = objects.get(rec.object);
      // A redelivered object is accounted for again (all duplicates); its first pass is the one that counts.
      if (obj === undefined || obj.accountedAt !== undefined) return;
      obj.accountedAt = Date.parse(rec.time);
      obj.indexed = rec.indexed;
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  let exited: string | undefined;
  // Set by the exit handler: read through a call, which control-flow narrowing does not see through.
  const exitStatus = (): string | undefined => exited;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, sig) => {
      exited = String(code ?? sig);
      resolve();
    }),
  );

  // Set when the run fails early: a feeder still writing would keep the process alive to the end.
  let stopFeeding = false;
  const samples: Sample[] = [];
  let verdict: GrowthVerdict | undefined;
  let report: Record<string, unknown> = {};
  try {
    // Ready before the clock starts: module loading and setup checks are not the load.
    const readyBy = Date.now() + 120_000;
    for (;;) {
      if (exitStatus() !== undefined) throw new Error(`The worker exited at start (${exitStatus() ?? ''}). ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${healthPort}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > readyBy) throw new Error(`The worker was not ready within 120 s. ${stderr}`);
      await sleep(500);
    }
    await scrape(healthPort); // resets the event-loop histogram: the first sample covers the load only

    const intervalMs = 60_000 / objectsPerMin;
    const linesPerObject = Math.max(1, Math.round((rate * intervalMs) / 1000));
    const start = Date.now();
    const feedEnd = start + minutes * 60_000;
    process.stdout.write(
      `sustained: ${minutes} min at ${rate} lines/s: ${linesPerObject} lines every ${(intervalMs / 1000).toFixed(1)} s; enrichment ${enrich ? 'on' : 'off'}; worker pid ${pid}, index prefix ${prefix}; load average ${loadStart.map((l) => l.toFixed(2)).join(' ')}\n`,
    );
    process.stdout.write(`${HEADER}\n`);

    let eventsFed = 0;
    let feedBehindMs = 0;
    let lastPutAt = start;
    const lines = corpusLines(Number.MAX_SAFE_INTEGER, seed, enrich ? keyOf : undefined);
    const feeder = (async () => {
      for (let k = 0; ; k += 1) {
        const due = start + k * intervalMs;
        if (due >= feedEnd || stopFeeding) return;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
        else feedBehindMs = Math.max(feedBehindMs, -wait);
        const chunk: string[] = [];
        for (let i = 0; i < linesPerObject; i += 1) chunk.push(lines.next().value as string);
        const key = logObjectKey(res.logPrefix, new Date(), `S${seed}X${k}`);
        // Registered before the put: the worker may account for it before the put call returns.
        const obj: LogObject = { key, lines: chunk.length, putAt: Date.now() };
        objects.set(source(key), obj);
        await putLogObject(s3, res.logBucket, key, `${chunk.join('\n')}\n`);
        eventsFed += chunk.length;
        lastPutAt = Date.now();
      }
    })();

    let lastCpu = cpuSecondsOf(pid);
    let lastAt = Date.now();
    let feeding = true;
    feeder.then(
      () => (feeding = false),
      () => (feeding = false),
    );
    const takeSample = async (phase: 'load' | 'drain'): Promise<Sample> => {
      const metrics = await scrape(healthPort);
      const depth = await queueDepth(sqs, res.queueUrl);
      // Read after the awaits: an object the feeder registered meanwhile must not look put in the future.
      const now = Date.now();
      const cpu = cpuSecondsOf(pid);
      let oldest: number | undefined;
      let doneLag: number | undefined;
      let accounted = 0;
      for (const o of objects.values()) {
        if (o.accountedAt === undefined) {
          oldest = Math.min(oldest ?? o.putAt, o.putAt);
          continue;
        }
        accounted += o.lines;
        if (o.sampled !== true) {
          o.sampled = true;
          doneLag = Math.max(doneLag ?? 0, (o.accountedAt - o.putAt) / 1000);
        }
        // A minute after it is accounted for, its message is long deleted: free moto's memory.
        if (o.deleted !== true && now - o.accountedAt > 60_000) {
          o.deleted = true;
          await s3.send(new DeleteObjectCommand({ Bucket: res.logBucket, Key: o.key })).catch(() => undefined);
        }
      }
      const rss = rssOf(pid).rss;
      const ms = (name: string): number | undefined => {
        const v = metrics.get(name);
        return v === undefined ? undefined : v * 1000;
      };
      const heap = metrics.get('recording_audit_nodejs_heap_size_used_bytes');
      const s: Sample = {
        tSecs: (now - start) / 1000,
        phase,
        rssBytes: rss,
        // The samples fall on the feed's grid, just as an object is put: the oldest waiting object
        // alone would read near 0 while every object takes seconds; the slowest finished one counts too.
        lagSecs: Math.max(oldest === undefined ? 0 : (now - oldest) / 1000, doneLag ?? 0),
        oldestPendingSecs: oldest === undefined ? 0 : (now - oldest) / 1000,
        rssMb: rss / 1024 / 1024,
        heapUsedMb: heap === undefined ? undefined : heap / 1024 / 1024,
        cpuPct: ((cpu - lastCpu) / Math.max(0.001, (now - lastAt) / 1000)) * 100,
        loopP50Ms: ms('recording_audit_nodejs_eventloop_lag_p50_seconds'),
        loopP99Ms: ms('recording_audit_nodejs_eventloop_lag_p99_seconds'),
        loopMaxMs: ms('recording_audit_nodejs_eventloop_lag_max_seconds'),
        queueVisible: depth.visible,
        queueInFlight: depth.inFlight,
        pendingObjects: [...objects.values()].filter((o) => o.accountedAt === undefined).length,
        doneLagMaxSecs: doneLag,
        eventsFed,
        eventsAccounted: accounted,
      };
      lastCpu = cpu;
      lastAt = now;
      samples.push(s);
      process.stdout.write(`${row(s)}\n`);
      return s;
    };

    // Load: sample on a fixed grid until the feeder has written its last object.
    for (let i = 1; feeding; i += 1) {
      await sleep(start + i * sampleMs - Date.now());
      const status = exitStatus();
      if (status !== undefined) throw new Error(`The worker exited during the load (${status}). ${stderr}`);
      await takeSample('load');
    }
    await feeder;
    // Drain: every object accounted for and the queue empty, or the drain timeout.
    const drainBy = Date.now() + drainTimeoutMs;
    for (;;) {
      const s = await takeSample('drain');
      if (s.pendingObjects === 0 && s.queueVisible === 0 && s.queueInFlight === 0) break;
      if (exitStatus() !== undefined || Date.now() > drainBy) break;
      await sleep(Math.min(sampleMs, 2000));
    }
    const drainedAt = Date.now();
    // The monthly access indices only: `<prefix>-detect-state` (watermarks) and `<prefix>-alerts` match `<prefix>-*` too.
    const eventsIndexed = await countDocuments(os, `${prefix}-2*`);
    const all = [...objects.values()];
    const accountedObjects = all.filter((o) => o.accountedAt !== undefined);
    verdict = judgeGrowth(samples, { eventsIn: eventsFed, eventsIndexed, objectsIn: all.length, objectsAccounted: accountedObjects.length }, limits);

    const load = samples.filter((s) => s.phase === 'load');
    const p99s = load.map((s) => s.loopP99Ms).filter((v): v is number => v !== undefined);
    const p50s = load.map((s) => s.loopP50Ms).filter((v): v is number => v !== undefined);
    const objectLags = accountedObjects.map((o) => ((o.accountedAt ?? 0) - o.putAt) / 1000);
    const loadEnd = loadavg();
    report = {
      minutes,
      rate_lines_per_sec: rate,
      objects_per_min: objectsPerMin,
      lines_per_object: linesPerObject,
      seed,
      enrichment: enrich ? 'Genesys simulator' : 'off (--no-enrich)',
      fed_lines_per_sec: Math.round(eventsFed / ((feedEnd - start) / 1000)),
      feeder_max_behind_ms: Math.round(feedBehindMs),
      objects_in: all.length,
      objects_accounted: accountedObjects.length,
      events_in: eventsFed,
      events_indexed: eventsIndexed,
      drained_secs_after_last_put: Number(((drainedAt - lastPutAt) / 1000).toFixed(1)),
      rss_start_mb: Number((load[0]?.rssMb ?? 0).toFixed(1)),
      rss_end_mb: Number((load[load.length - 1]?.rssMb ?? 0).toFixed(1)),
      rss_max_mb: Number(Math.max(0, ...samples.map((s) => s.rssMb)).toFixed(1)),
      rss_hwm_mb: Number((rssOf(pid).hwm / 1024 / 1024).toFixed(1)),
      rss_slope_second_half_mb_per_min: verdict.rssSlopeMbPerMin === undefined ? null : Number(verdict.rssSlopeMbPerMin.toFixed(3)),
      heap_used_start_mb: load[0]?.heapUsedMb === undefined ? null : Number(load[0].heapUsedMb.toFixed(1)),
      heap_used_end_mb: load[load.length - 1]?.heapUsedMb === undefined ? null : Number((load[load.length - 1]?.heapUsedMb ?? 0).toFixed(1)),
      event_loop_p99_ms_max_of_samples: p99s.length === 0 ? null : Number(Math.max(...p99s).toFixed(1)),
      event_loop_p99_ms_median_of_samples: p99s.length === 0 ? null : Number((percentile(p99s, 50) ?? 0).toFixed(1)),
      event_loop_p50_ms_median_of_samples: p50s.length === 0 ? null : Number((percentile(p50s, 50) ?? 0).toFixed(1)),
      event_loop_max_ms: Number(Math.max(0, ...load.map((s) => s.loopMaxMs ?? 0)).toFixed(1)),
      lag_max_secs: Number(Math.max(0, ...samples.map((s) => s.lagSecs), ...objectLags).toFixed(1)),
      object_lag_p50_secs: Number((percentile(objectLags, 50) ?? 0).toFixed(1)),
      object_lag_p99_secs: Number((percentile(objectLags, 99) ?? 0).toFixed(1)),
      lag_slope_second_half_secs_per_min: verdict.lagSlopeSecsPerMin === undefined ? null : Number(verdict.lagSlopeSecsPerMin.toFixed(3)),
      queue_max_visible: Math.max(0, ...samples.map((s) => s.queueVisible)),
      worker_cpu_pct_mean: Number((load.reduce((n, s) => n + s.cpuPct, 0) / Math.max(1, load.length)).toFixed(1)),
      worker_warnings: warnings,
      worker_last_warnings: lastWarnings,
      load_average_start: loadStart.map((l) => Number(l.toFixed(2))),
      load_average_end: loadEnd.map((l) => Number(l.toFixed(2))),
      limits,
      worker_settings: workerSettings,
      verdict: verdict.ok ? (verdict.inconclusive ? 'pass (growth inconclusive: too few samples)' : 'pass') : 'FAIL',
      failures: verdict.failures,
    };
  } finally {
    stopFeeding = true;
    if (exitStatus() === undefined) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exitPromise;
      clearTimeout(killer);
    }
    await deleteIndices(os, prefix);
    for (const t of detectTemplates(prefix)) {
      await os.transport.request({ method: 'DELETE', path: `/_index_template/${encodeURIComponent(t.name)}` }, { ignore: [404] }).catch(() => undefined);
    }
    await os.close();
    for (const o of objects.values()) {
      if (o.deleted !== true) await s3.send(new DeleteObjectCommand({ Bucket: res.logBucket, Key: o.key })).catch(() => undefined);
    }
    await sim?.close();
    s3.destroy();
    sqs.destroy();
  }
  const summary = `${JSON.stringify(report, null, 2)}\n`;
  process.stdout.write(summary);
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ ...report, samples }, null, 2));
  if (!verdict.ok) throw new Error(`sustained: FAIL: ${verdict.failures.join(' ')}`);
  process.stdout.write(
    `sustained: pass${verdict.inconclusive ? ' (growth not judged: fewer than ' + String(limits.minSamples) + ' samples in the second half)' : ''}\n`,
  );
}
