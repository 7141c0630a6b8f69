/**
 * npm run soak -- [--iterations N] [--workers K] [--seed S] [--minutes M | --iteration-ms MS]
 *                 [--report FILE] [--kill-opensearch]
 *
 * The fleet soak (issue 22): K CLI workers (child processes) on one SQS queue in moto, a log bucket
 * fed with real-format access-log objects all along, the Genesys simulator in front of the real SDK,
 * and OpenSearch behind a TCP proxy (network cuts) behind an HTTP fault proxy (bulk 429 storms).
 * Each iteration injects one seeded fault: SIGKILL or SIGTERM of a random worker (restarted), a
 * network cut, a bulk 429 storm, a Genesys 429 storm or outage, a replay over the same window, and
 * with --kill-opensearch (or SOAK_OWNS_OPENSEARCH=1) a SIGKILL and restart of the OpenSearch node
 * this checkout started (.stack/opensearch.pid; never a node someone else runs).
 *
 * After the last iteration it drains and checks: the index holds exactly the documents the written
 * lines make (ids and event.hash, computed here with the product's builder), the DLQ holds exactly
 * the planted bad objects, and every worker life's books reconcile. Exit 1 on any failure; the JSON
 * report (--report) lists iterations, faults by kind, events, duplicates avoided, max lag, failures.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildEvent } from '../../src/event/build.js';
import { ALL_MONTHS_SHORT, shortDocumentId } from '../../src/event/document-id.js';
import { pipelineErrorId } from '../../src/event/pipeline-error.js';
import { installedIdCutover } from '../../src/sinks/opensearch/document-ids.js';
import { parseNotification } from '../../src/sources/notification.js';
import { s3EventBody } from '../../src/replay/enqueue.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../src/sim/genesys/server.js';
import { seededRandom } from '../../src/sim/s3-logs/access-log-writer.js';
import { createLogPipeline, putLogObject, type LogPipelineResources } from '../../src/sim/s3-logs/log-pipeline.js';
import { logObjectKey } from '../../src/sim/s3-logs/scenario.js';
import { generateCorpus } from '../fixtures/corpus.js';
import { FaultProxy } from '../integration/sinks/fault-proxy.js';
import { applyStackEnv, awsClientConfig, stackEnvPath, uniqueName } from '../support/stack-env.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { allDocuments, deleteIndices, lineSplitter, openSearch, queueDepth, setupIndices, spawnWorker, workerEnv } from '../support/worker-harness.js';
import { emptyBooks, readLogLine, reconcile, type LifeBooks } from './books.js';

export const FAULT_KINDS = [
  'worker_sigkill',
  'worker_sigterm',
  'network_cut',
  'bulk_429_storm',
  'genesys_429_storm',
  'genesys_outage',
  'replay',
  'opensearch_kill',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Relative weights; an OpenSearch restart costs 20-40 s, so it is rare. */
const WEIGHTS: Record<FaultKind, number> = {
  worker_sigkill: 5,
  worker_sigterm: 3,
  network_cut: 3,
  bulk_429_storm: 3,
  genesys_429_storm: 2,
  genesys_outage: 2,
  replay: 1,
  opensearch_kill: 0.4,
};

/**
 * The fault of each iteration, from the seed alone: every allowed kind once (when there are at
 * least as many iterations), the rest by weight, in a seeded order.
 */
export function faultSchedule(iterations: number, seed: number, kinds: readonly FaultKind[]): FaultKind[] {
  const rand = seededRandom(seed);
  const out: FaultKind[] = iterations >= kinds.length ? [...kinds] : [];
  const total = kinds.reduce((n, k) => n + WEIGHTS[k], 0);
  while (out.length < iterations) {
    let pick = rand() * total;
    let chosen: FaultKind = kinds[0] ?? 'worker_sigkill';
    for (const k of kinds) {
      pick -= WEIGHTS[k];
      if (pick <= 0) {
        chosen = k;
        break;
      }
    }
    out.push(chosen);
  }
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Options {
  iterations: number;
  workers: number;
  seed: number;
  iterationMs: number;
  report: string | undefined;
  killOpenSearch: boolean;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      iterations: { type: 'string', default: '20' },
      workers: { type: 'string', default: '3' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      minutes: { type: 'string' },
      'iteration-ms': { type: 'string', default: '2500' },
      report: { type: 'string' },
      'kill-opensearch': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const int = (name: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, not ${v}`);
    return n;
  };
  const iterations = int('iterations', values.iterations, 1);
  const minutes = values.minutes === undefined ? undefined : Number(values.minutes);
  if (minutes !== undefined && !(minutes > 0)) throw new Error('--minutes must be positive');
  return {
    iterations,
    workers: int('workers', values.workers, 1),
    seed: int('seed', values.seed, 0),
    // --minutes spreads the iterations over that time (the faults' own time included).
    iterationMs: minutes !== undefined ? Math.max(500, Math.floor((minutes * 60_000) / iterations)) : int('iteration-ms', values['iteration-ms'], 200),
    report: values.report,
    killOpenSearch: values['kill-opensearch'] || process.env.SOAK_OWNS_OPENSEARCH === '1',
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface WrittenObject {
  readonly key: string;
  readonly putAt: number;
  /** The iteration running when it was written. */
  readonly iteration: number;
  /** Non-blank lines, as written. */
  readonly lines: readonly string[];
}

interface Life {
  readonly n: number;
  readonly slot: number;
  readonly child: ChildProcess;
  readonly books: LifeBooks;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** How we ended it; undefined while running or when it ended on its own. */
  endedBy: 'sigkill' | 'sigterm' | 'sigterm-early' | undefined;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

interface ReplayRun {
  readonly iteration: number;
  readonly books: LifeBooks;
  readonly done: Promise<number | null>;
  code: number | null | undefined;
}

interface Failure {
  readonly seed: number;
  readonly iteration?: number;
  readonly what: string;
}

/** The soak's own OpenSearch node, killed and restarted by stack.sh; only when it is ours. */
class OwnNode {
  private readonly pidFile = join(stackEnvPath, '..', 'opensearch.pid');

  constructor(
    private readonly url: URL,
    private readonly version: string,
    private readonly ism: boolean,
  ) {}

  available(): string | undefined {
    if (!existsSync(this.pidFile)) return `${this.pidFile} is missing: this checkout did not start the OpenSearch node`;
    return undefined;
  }

  async killAndRestart(downMs: number): Promise<void> {
    const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) throw new Error(`bad pid in ${this.pidFile}`);
    process.kill(pid, 'SIGKILL');
    await sleep(downMs);
    const port = this.url.port;
    const transport = process.env.OPENSEARCH_TRANSPORT_PORT ?? String(Number(port) + 100);
    await new Promise<void>((resolve, reject) => {
      execFile(
        'bash',
        ['test/stack/stack.sh', 'up', 'opensearch'],
        {
          // The same node again: its ports, version and plugins, on its data.
          env: {
            ...process.env,
            OPENSEARCH_PORT: port,
            OPENSEARCH_TRANSPORT_PORT: transport,
            OPENSEARCH_VERSION: this.version,
            ...(this.ism ? {} : { STACK_ISM: '0' }),
          },
          timeout: 300_000,
        },
        (err, _stdout, stderr) => (err ? reject(new Error(`stack.sh up opensearch failed: ${err.message} ${stderr.slice(-1000)}`)) : resolve()),
      );
    });
  }
}

/** Objects (one a minute of key time) a replay reads again: the most recent ones. */
const REPLAY_WINDOW_OBJECTS = 20;

/** A garbage line among the good ones: quarantined, and a pipeline_error event with its id. */
const badLine = (seed: number, n: number): string => `not an access log record ${seed} ${n} \u0001`;

export async function soak(opts: Options): Promise<{ report: Record<string, unknown>; failures: Failure[] }> {
  const t0 = Date.now();
  const stack = applyStackEnv();
  const s3 = new S3Client(awsClientConfig());
  const sqs = new SQSClient(awsClientConfig());
  const os = openSearch();
  const failures: Failure[] = [];
  const fail = (what: string, iteration?: number): void => {
    failures.push({ seed: opts.seed, ...(iteration !== undefined ? { iteration } : {}), what });
    process.stderr.write(`soak: FAILURE${iteration !== undefined ? ` (iteration ${iteration})` : ''}: ${what}\n`);
  };
  const say = (text: string): void => {
    process.stderr.write(`soak [${Math.round((Date.now() - t0) / 1000)}s] ${text}\n`);
  };

  const node = new URL(stack.opensearchUrl);
  const own = new OwnNode(node, stack.opensearchVersion, stack.ism);
  const kinds: FaultKind[] = FAULT_KINDS.filter((k) => k !== 'opensearch_kill');
  let opensearchKill = 'off (no --kill-opensearch)';
  if (opts.killOpenSearch) {
    const why = own.available();
    if (why === undefined) {
      kinds.push('opensearch_kill');
      opensearchKill = 'on';
    } else opensearchKill = `off (${why})`;
  }
  say(`seed ${opts.seed}, ${opts.iterations} iterations of ${opts.iterationMs} ms, ${opts.workers} workers; OpenSearch kill ${opensearchKill}`);

  const maxReceiveCount = 6;
  const res: LogPipelineResources = await createLogPipeline(s3, sqs, {
    recordingsBucket: uniqueName('soak-recordings'),
    logBucket: uniqueName('soak-logs'),
    queue: uniqueName('soak-queue'),
    maxReceiveCount,
    visibilityTimeoutSecs: 8,
    // moto's own access-log objects for the recordings bucket are not S3's format and not ours to predict.
    accessLogging: false,
  });
  const prefix = uniqueName('soak');

  // workers → TCP proxy (network cuts) → HTTP fault proxy (429 storms) → the node.
  let bulkStorm = false;
  let bulk429s = 0;
  const faultProxy = new FaultProxy(node);
  faultProxy.plan = (req) => {
    if (bulkStorm && req.path.includes('_bulk')) {
      bulk429s += 1;
      return { status: 429, body: { error: { type: 'rejected_execution_exception', reason: 'soak: bulk 429 storm' }, status: 429 } };
    }
    return 'pass';
  };
  const faultUrl = new URL(await faultProxy.start());
  // The proxy keeps every request it saw; the soak has no use for them.
  const seenTrim = setInterval(() => faultProxy.seen.splice(0), 1000);
  const tcp = new TcpProxy(faultUrl.hostname, Number(faultUrl.port));
  await tcp.up();
  const sim: GenesysSimulator = await startGenesysSimulator({ seed: opts.seed });

  const quarantineDir = mkdtempSync(join(tmpdir(), 'soak-quarantine-'));
  const env = workerEnv({
    SQS_QUEUE_URL: res.queueUrl,
    LOG_BUCKETS: res.logBucket,
    INDEX_PREFIX: prefix,
    OPENSEARCH_URL: tcp.url,
    LOG_LEVEL: 'info',
    QUARANTINE_URL: `file://${quarantineDir}`,
    SQS_VISIBILITY_TIMEOUT_SECS: '8',
    SQS_HEARTBEAT_INTERVAL_SECS: '2',
    SHUTDOWN_GRACE_SECS: '2',
    OBJECT_CONCURRENCY: '2',
    BULK_RETRY_BASE_MS: '100',
    BULK_RETRY_MAX_MS: '2000',
    OPENSEARCH_REQUEST_TIMEOUT_MS: '5000',
    GENESYS_CLIENT_ID: 'sim-client',
    GENESYS_CLIENT_SECRET: 'sim-secret',
    GENESYS_API_URL: sim.url,
    GENESYS_REQUEST_TIMEOUT_MS: '2000',
    GENESYS_WAIT_BUDGET_MS: '3000',
  });
  await setupIndices({ ...env, OPENSEARCH_URL: stack.opensearchUrl });

  // --- the fleet ---
  const lives: Life[] = [];
  const current = new Map<number, Life>();
  let draining = false;
  const startLife = (slot: number): Life => {
    const child = spawnWorker(env);
    const books = emptyBooks();
    const onLine = lineSplitter((l) => readLogLine(books, l));
    child.stdout?.on('data', onLine);
    child.stderr?.on(
      'data',
      lineSplitter((l) => readLogLine(books, l)),
    );
    const life: Life = {
      n: lives.length,
      slot,
      child,
      books,
      endedBy: undefined,
      exit: undefined,
      exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    };
    void life.exited.then((exit) => {
      life.exit = exit;
      if (life.endedBy === undefined && !draining) {
        // The worker must never end on its own: that is what issue 22 found at startup.
        fail(`worker life ${life.n} (slot ${slot}) exited on its own: ${JSON.stringify(exit)}; ${[...books.fatal, ...books.other].slice(-3).join(' | ')}`);
        if (current.get(slot) === life) current.set(slot, startLife(slot));
      }
    });
    lives.push(life);
    current.set(slot, life);
    return life;
  };
  for (let slot = 0; slot < opts.workers; slot += 1) startLife(slot);

  const stopLife = async (life: Life, how: 'sigkill' | 'sigterm'): Promise<void> => {
    life.endedBy = how;
    life.child.kill(how === 'sigkill' ? 'SIGKILL' : 'SIGTERM');
    const exit = await Promise.race([life.exited, sleep(30_000).then(() => undefined)]);
    if (exit === undefined) {
      fail(`worker life ${life.n} did not exit within 30 s of ${how.toUpperCase()} (grace 2 s)`);
      life.child.kill('SIGKILL');
      await life.exited;
    } else if (how === 'sigterm' && exit.code !== 0) {
      // SIGTERM before the process installed its handler (still loading modules) ends it by the
      // signal: harmless, it held nothing. Once it receives, it must stop cleanly.
      const early = exit.signal === 'SIGTERM' && !life.books.receiving && life.books.accounted.length === 0;
      if (early) life.endedBy = 'sigterm-early';
      else fail(`worker life ${life.n} exited ${JSON.stringify(exit)} after SIGTERM`);
    }
  };

  // --- the feed: real-format objects all along, a few garbage lines, planted bad objects ---
  const written: WrittenObject[] = [];
  const planted = new Set<string>();
  const feedRand = seededRandom(opts.seed ^ 0xfeed);
  const keyBase = Date.UTC(2024, 2, 2);
  let objectNo = 0;
  let iterationNow = -1;
  const writeObject = async (): Promise<void> => {
    const n = objectNo;
    objectNo += 1;
    const count = 40 + Math.floor(feedRand() * 260);
    const lines = generateCorpus(count, opts.seed * 100_000 + n).map((r) => r.line);
    if (feedRand() < 0.3) lines.splice(Math.floor(feedRand() * lines.length), 0, badLine(opts.seed, n));
    const key = logObjectKey(res.logPrefix, new Date(keyBase + n * 60_000), `SOAK${opts.seed}N${n}`);
    const body = `${lines.join('\n')}\n`;
    await putLogObject(s3, res.logBucket, key, feedRand() < 0.3 ? gzipSync(body) : body);
    written.push({ key, putAt: Date.now(), iteration: iterationNow, lines });
  };
  const plantBad = async (n: number): Promise<void> => {
    // Out of the replay window (2020): only the live notification names them.
    const when = new Date(Date.UTC(2020, 0, 1) + n * 60_000);
    const corrupt = logObjectKey(res.logPrefix, when, `SOAKBAD${opts.seed}G${n}`);
    // A gzip header, then bytes that inflate to nothing: OBJECT_TRUNCATED before any line.
    await putLogObject(s3, res.logBucket, corrupt, Buffer.concat([Buffer.from('1f8b0800000000000003', 'hex'), Buffer.from('this is not deflate data at all')]));
    planted.add(corrupt);
    const missing = logObjectKey(res.logPrefix, when, `SOAKBAD${opts.seed}M${n}`);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: res.queueUrl,
        MessageBody: s3EventBody({ bucket: res.logBucket, key: missing, size: 1234, etag: 'f'.repeat(32) }, stack.region, new Date()),
      }),
    );
    planted.add(missing);
  };
  let feeding = true;
  const feedEveryMs = Math.max(300, Math.floor(opts.iterationMs / 1.5));
  const feeder = (async () => {
    while (feeding) {
      try {
        await writeObject();
      } catch (err) {
        fail(`writing a log object failed: ${(err as Error).message}`);
      }
      await sleep(feedEveryMs);
    }
  })();

  // --- faults ---
  const schedule = faultSchedule(opts.iterations, opts.seed, kinds);
  const rand = seededRandom(opts.seed ^ 0xfa17);
  const faultsByKind: Partial<Record<FaultKind, number>> = {};
  const replays: ReplayRun[] = [];
  const checkpointDir = mkdtempSync(join(tmpdir(), 'soak-replay-'));
  const startReplay = (iteration: number): void => {
    const to = new Date(keyBase + Math.max(1, objectNo) * 60_000);
    const books = emptyBooks();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'replay',
        '--bucket',
        res.logBucket,
        '--prefix',
        res.logPrefix,
        '--from',
        // The window the live fleet is working on: the most recent objects, read a second time.
        new Date(keyBase + Math.max(0, objectNo - REPLAY_WINDOW_OBJECTS) * 60_000).toISOString(),
        '--to',
        to.toISOString(),
        '--margin-secs',
        '0',
        '--format',
        'simple',
        '--restart',
        '--checkpoint',
        `file://${join(checkpointDir, `replay-${iteration}.json`)}`,
        '--report',
        join(checkpointDir, `replay-${iteration}.report.json`),
        '--progress-secs',
        '3600',
      ],
      { cwd: process.cwd(), env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on(
      'data',
      lineSplitter((l) => readLogLine(books, l)),
    );
    child.stderr.on(
      'data',
      lineSplitter((l) => readLogLine(books, l)),
    );
    const run: ReplayRun = {
      iteration,
      books,
      code: undefined,
      done: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    };
    void run.done.then((code) => (run.code = code));
    replays.push(run);
  };
  const randomSlot = (): number => Math.floor(rand() * opts.workers);
  const span = (minMs: number, maxMs: number): number => minMs + Math.floor(rand() * (maxMs - minMs));

  const inject = async (kind: FaultKind, iteration: number): Promise<void> => {
    switch (kind) {
      case 'worker_sigkill':
      case 'worker_sigterm': {
        const slot = randomSlot();
        const life = current.get(slot);
        if (life !== undefined) await stopLife(life, kind === 'worker_sigkill' ? 'sigkill' : 'sigterm');
        startLife(slot);
        return;
      }
      case 'network_cut':
        await tcp.down();
        await sleep(span(1000, 4000));
        await tcp.up();
        return;
      case 'bulk_429_storm':
        bulkStorm = true;
        await sleep(span(2000, 6000));
        bulkStorm = false;
        return;
      case 'genesys_429_storm':
        sim.setFaults({ errorRate: 1, errorStatus: 429 });
        await sleep(span(2000, 6000));
        sim.setFaults({ errorRate: 0 });
        return;
      case 'genesys_outage':
        sim.setFaults({ down: true });
        await sleep(span(2000, 6000));
        sim.setFaults({ down: false });
        return;
      case 'replay':
        startReplay(iteration);
        return;
      case 'opensearch_kill':
        await own.killAndRestart(span(1000, 3000));
        return;
    }
  };

  for (let i = 0; i < opts.iterations; i += 1) {
    const started = Date.now();
    iterationNow = i;
    if (i === 0 || i === Math.floor(opts.iterations / 2)) await plantBad(i);
    const kind = schedule[i]!;
    await sleep(Math.floor(rand() * opts.iterationMs * 0.5));
    try {
      await inject(kind, i);
      faultsByKind[kind] = (faultsByKind[kind] ?? 0) + 1;
    } catch (err) {
      fail(`injecting ${kind} failed: ${(err as Error).message}`, i);
    }
    const left = opts.iterationMs - (Date.now() - started);
    if (left > 0) await sleep(left);
    if ((i + 1) % 10 === 0 || i + 1 === opts.iterations)
      say(`iteration ${i + 1}/${opts.iterations}; ${written.length} objects written; faults ${JSON.stringify(faultsByKind)}`);
  }

  // --- drain ---
  feeding = false;
  await feeder;
  bulkStorm = false;
  sim.setFaults({ errorRate: 0, down: false });
  await tcp.up();
  for (const r of replays) {
    const code = await Promise.race([r.done, sleep(300_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') fail(`replay of iteration ${r.iteration} still running 300 s after the last iteration`, r.iteration);
    // 1: some object failed (an OpenSearch outage during the replay); the live fleet has them anyway.
    else if (code !== 0 && code !== 1) fail(`replay of iteration ${r.iteration} exited ${String(code)}`, r.iteration);
  }
  say('draining');
  const drainStart = Date.now();
  let drained = false;
  let quietSince: number | undefined;
  while (Date.now() - drainStart < 600_000) {
    const depth = await queueDepth(sqs, res.queueUrl).catch(() => ({ visible: -1, inFlight: -1 }));
    if (depth.visible === 0 && depth.inFlight === 0) {
      quietSince ??= Date.now();
      if (Date.now() - quietSince >= 5000) {
        drained = true;
        break;
      }
    } else quietSince = undefined;
    await sleep(500);
  }
  if (!drained) fail(`queue not drained within 600 s: ${JSON.stringify(await queueDepth(sqs, res.queueUrl))}`);
  draining = true;
  await Promise.all([...current.values()].map((l) => stopLife(l, 'sigterm')));
  clearInterval(seenTrim);

  // --- checks ---
  say('checking');
  const expected = new Map<string, string>();
  let expectedLines = 0;
  // A fresh prefix: setup gave it the short ids in every month (src/event/document-id.ts).
  const { cutover } = await installedIdCutover(os, prefix);
  if (cutover?.shortFrom !== ALL_MONTHS_SHORT.shortFrom) fail(`the fresh prefix's id cutover is ${JSON.stringify(cutover)}, not every month`);
  for (const o of written) {
    const ctx = { logBucket: res.logBucket, filePath: `s3://${res.logBucket}/${o.key}` };
    o.lines.forEach((line, i) => {
      // The product's builder, in this process: an event's id, or for a rejected line the id of its pipeline_error event.
      const r = buildEvent({ number: i + 1, bytes: Buffer.from(line) }, ctx);
      if (r.ok) expected.set(shortDocumentId(r.doc.id), r.doc.event.event.hash);
      else expected.set(shortDocumentId(pipelineErrorId(r.rejection.id, r.rejection.reason)), r.rejection.hash);
      expectedLines += 1;
    });
  }
  const docs = await allDocuments(os, `${prefix}*`);
  let missing = 0;
  let extra = 0;
  let altered = 0;
  const examples: string[] = [];
  for (const [id, h] of expected) {
    const doc = docs.get(id);
    if (doc === undefined) {
      missing += 1;
      if (missing <= 3) examples.push(`missing ${id}`);
    } else if ((doc.event as { hash?: unknown } | undefined)?.hash !== h) {
      altered += 1;
      if (altered <= 3) examples.push(`hash differs for ${id}`);
    }
  }
  for (const id of docs.keys())
    if (!expected.has(id)) {
      extra += 1;
      if (extra <= 3) examples.push(`unexpected ${id}: ${JSON.stringify(docs.get(id)).slice(0, 600)}`);
    }
  if (missing + extra + altered > 0)
    fail(`index != expected: ${missing} missing, ${extra} unexpected, ${altered} with another event.hash; ${examples.join('; ')}`);

  const dead = new Map<string, number>();
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: res.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
    const msgs = out.Messages ?? [];
    if (msgs.length === 0) break;
    for (const m of msgs) {
      const parsed = parseNotification(m.Body ?? '');
      const keys = parsed.ok ? parsed.records.flatMap((r) => (r.kind === 'object_created' ? [r.key] : [])) : [`unparsable: ${(m.Body ?? '').slice(0, 100)}`];
      for (const k of keys) dead.set(k, (dead.get(k) ?? 0) + 1);
    }
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: res.dlqUrl, Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  const deadNotPlanted = [...dead.keys()].filter((k) => !planted.has(k));
  const plantedNotDead = [...planted].filter((k) => !dead.has(k));
  if (deadNotPlanted.length > 0) fail(`DLQ holds ${deadNotPlanted.length} object(s) that were not planted: ${deadNotPlanted.slice(0, 5).join(', ')}`);
  if (plantedNotDead.length > 0) fail(`planted bad object(s) not in the DLQ: ${plantedNotDead.join(', ')}`);

  // Books: every life's objects; totals for those that stopped cleanly; every written object accounted for.
  let sigkilled = 0;
  const firstAccounted = new Map<string, number>();
  let duplicates = 0;
  let indexedReported = 0;
  let quarantinedReported = 0;
  const allBooks: { name: string; books: LifeBooks; totals: boolean }[] = [
    ...lives.map((l) => ({ name: `worker life ${l.n}`, books: l.books, totals: l.endedBy === 'sigterm' && l.exit?.code === 0 })),
    ...replays.map((r) => ({ name: `replay of iteration ${r.iteration}`, books: r.books, totals: false })),
  ];
  for (const l of lives) if (l.endedBy === 'sigkill') sigkilled += 1;
  const notices = new Map<string, number>();
  for (const { books } of allBooks) for (const [k, n] of books.notices) notices.set(k, (notices.get(k) ?? 0) + n);
  for (const { name, books, totals } of allBooks) {
    // A replay is a one-shot command: one that met a fault exits 1 with a fatal line and is run
    // again (its checkpoint resumes it); its report says so. Its finished objects still reconcile.
    const replay = name.startsWith('replay');
    for (const p of reconcile(books, totals)) if (!(replay && p.includes('fatal log line'))) fail(`${name}: ${p}`);
    for (const a of books.accounted) {
      const key = a.object.replace(`s3://${res.logBucket}/`, '');
      firstAccounted.set(key, Math.min(firstAccounted.get(key) ?? Infinity, a.at));
      duplicates += a.duplicates;
      indexedReported += a.indexed;
      quarantinedReported += a.quarantined;
    }
  }
  let unaccounted = 0;
  const lags: { ms: number; o: WrittenObject }[] = [];
  for (const o of written) {
    const at = firstAccounted.get(o.key);
    if (at === undefined) unaccounted += 1;
    else lags.push({ ms: at - o.putAt, o });
  }
  lags.sort((a, b) => a.ms - b.ms);
  const lagAt = (q: number): number => Math.round((lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]?.ms ?? 0) / 100) / 10;
  const worst = lags[lags.length - 1];
  const maxLagMs = worst?.ms ?? 0;
  if (unaccounted > 0) fail(`${unaccounted} written object(s) never logged as accounted for`);
  // Each document is created once, by whoever got there first; an attempt cut short (SIGKILL,
  // a failed object) created some it never reported, so the reports can only be fewer.
  if (indexedReported > expected.size) fail(`the books report ${indexedReported} documents created, the index holds ${expected.size} distinct ones`);

  const report = {
    seed: opts.seed,
    command: `npm run soak -- ${process.argv.slice(2).join(' ')}`,
    equivalent: `--iterations ${opts.iterations} --workers ${opts.workers} --seed ${opts.seed} --iteration-ms ${opts.iterationMs}${opts.killOpenSearch ? ' --kill-opensearch' : ''}`,
    ok: failures.length === 0,
    iterations: opts.iterations,
    iterationMs: opts.iterationMs,
    workers: opts.workers,
    seconds: Math.round((Date.now() - t0) / 1000),
    opensearchKill: opensearchKill,
    faultsByKind,
    objects: written.length,
    lines: expectedLines,
    events: docs.size,
    expectedDocuments: expected.size,
    missing,
    unexpected: extra,
    altered,
    duplicatesAvoided: duplicates,
    bulk429sAnswered: bulk429s,
    indexedReported,
    quarantinedReported,
    plantedBad: planted.size,
    deadLettered: [...dead.values()].reduce((n, c) => n + c, 0),
    maxLagSecs: Math.round(maxLagMs / 100) / 10,
    lagSecs: { p50: lagAt(0.5), p95: lagAt(0.95), p99: lagAt(0.99) },
    // Put to first "accounted for": the object and the faults of the iterations around it.
    maxLagObject:
      worst === undefined
        ? undefined
        : { key: worst.o.key, iteration: worst.o.iteration, faults: schedule.slice(Math.max(0, worst.o.iteration), worst.o.iteration + 3) },
    workerLives: lives.length,
    sigtermBeforeHandler: lives.filter((l) => l.endedBy === 'sigterm-early').length,
    warningsAndErrors: Object.fromEntries([...notices].sort((a, b) => b[1] - a[1]).slice(0, 25)),
    sigkilledLives: sigkilled,
    sigkilledNote: 'a SIGKILLed life has no closing totals: only its finished objects are checked (lines = indexed + duplicates + quarantined each)',
    replays: replays.map((r) => ({ iteration: r.iteration, exit: r.code, objects: r.books.accounted.length, fatal: r.books.fatal[0]?.slice(0, 300) })),
    failures,
  };

  // --- cleanup ---
  await tcp.down();
  await faultProxy.stop();
  await sim.close();
  await deleteIndices(os, prefix).catch(() => undefined);
  await os.close();
  s3.destroy();
  sqs.destroy();
  return { report, failures };
}

export function summaryLine(r: Record<string, unknown>): string {
  const faults = Object.entries((r.faultsByKind ?? {}) as Record<string, number>)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return (
    `soak ${r.ok === true ? 'OK' : 'FAILED'}: ${String(r.iterations)} iterations, ${String(r.workers)} workers, seed ${String(r.seed)}, ${String(r.seconds)} s; ` +
    `faults: ${faults}; ${String(r.events)}/${String(r.expectedDocuments)} documents (${String(r.missing)} missing, ${String(r.unexpected)} unexpected, ${String(r.altered)} altered), ` +
    `${String(r.duplicatesAvoided)} duplicates avoided, DLQ ${String(r.deadLettered)}/${String(r.plantedBad)} planted, max lag ${String(r.maxLagSecs)} s, ` +
    `${(r.failures as unknown[]).length} failure(s)`
  );
}

async function main(argv: string[]): Promise<number> {
  const opts = options(argv);
  const { report, failures } = await soak(opts);
  const text = `${JSON.stringify(report, null, 2)}\n`;
  if (opts.report !== undefined) writeFileSync(opts.report, text);
  else process.stdout.write(text);
  process.stdout.write(`${summaryLine(report)}\n`);
  return failures.length === 0 ? 0 : 1;
}

// Imported by the unit test for faultSchedule and summaryLine; run only as the entry point.
if (process.argv[1]?.endsWith('soak/main.ts') === true) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(2);
    },
  );
}
