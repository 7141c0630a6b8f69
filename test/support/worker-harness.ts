import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Client } from '@opensearch-project/opensearch';
import { loadConfigOrThrow } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/log.js';
import { createMetrics, type Metrics } from '../../src/core/metrics.js';
import { createRuntime, type Runtime } from '../../src/pipeline/runtime.js';
import { Worker } from '../../src/pipeline/worker.js';
import { createOpenSearchClient } from '../../src/sinks/opensearch/client.js';
import { ensureIndexSetup, type SetupReport } from '../../src/sinks/opensearch/setup.js';
import { createSqsClient } from '../../src/core/aws-clients.js';
import { stackEnv, stackSettings } from './stack-env.js';
import { ensureDetectSetup } from '../../src/detect/mapping.js';

/** The environment a worker needs against the local stack, plus test-specific settings. */
export function workerEnv(settings: Record<string, string>): Record<string, string> {
  return {
    ...stackSettings(),
    LOG_LEVEL: 'warn',
    HEALTH_PORT: '0',
    SQS_WAIT_TIME_SECS: '1',
    SQS_VISIBILITY_TIMEOUT_SECS: '30',
    SQS_HEARTBEAT_INTERVAL_SECS: '10',
    BULK_FLUSH_INTERVAL_MS: '100',
    INDEX_REPLICAS: '0',
    QUARANTINE_URL: `file://${mkdtempSync(join(tmpdir(), 'quarantine-'))}`,
    // The fixtures put 2024 records under log keys named now or not named by a time; the tests of
    // the time rule set their own.
    RECORD_TIME_SKEW_DAYS: '36500',
    ...settings,
  };
}

export interface InProcessWorker {
  readonly cfg: Config;
  readonly worker: Worker;
  readonly runtime: Runtime;
  readonly metrics: Metrics;
  readonly sqs: SQSClient;
  stop(graceMs?: number): Promise<void>;
}

/**
 * What `recording-audit setup` does, for the settings in `env` (template, alias, ISM policy): the
 * worker only verifies them and refuses to start without. Call it before spawnWorker.
 */
export async function setupIndices(env: Record<string, string>): Promise<SetupReport> {
  const cfg = loadConfigOrThrow({ env, required: ['OPENSEARCH_URL'], retentionFloor: true });
  const client = createOpenSearchClient(cfg);
  try {
    const report = await ensureIndexSetup(client, cfg, createLogger('warn'));
    // As `recording-audit setup` does: the detect-state index (watermarks) and the alerts index.
    await ensureDetectSetup(client, cfg.INDEX_PREFIX, createLogger('warn'));
    return report;
  } finally {
    await client.close();
  }
}

/**
 * Runs the real worker (same classes as the CLI) inside the test process, after setup as a
 * deployment does it; `setup: false` starts it against whatever the cluster holds.
 */
export async function startWorker(env: Record<string, string>, options: { setup?: boolean } = {}): Promise<InProcessWorker> {
  if (options.setup !== false) await setupIndices(env);
  const cfg = loadConfigOrThrow({ env, required: ['SQS_QUEUE_URL', 'LOG_BUCKETS', 'OPENSEARCH_URL'] });
  const logger = createLogger(cfg.LOG_LEVEL);
  const metrics = createMetrics({ defaultMetrics: false });
  // The AWS SDK reads its endpoint from the environment, as in production.
  for (const [k, v] of Object.entries(env)) if (k.startsWith('AWS_')) process.env[k] = v;
  const sqs = createSqsClient(cfg);
  const runtime = await createRuntime(cfg, { logger, metrics });
  const worker = new Worker(cfg, runtime, sqs, { logger, metrics });
  const running = worker.run();
  let stopped = false;
  return {
    cfg,
    worker,
    runtime,
    metrics,
    sqs,
    async stop(graceMs = 10_000) {
      if (stopped) return;
      stopped = true;
      await worker.stop(graceMs);
      await running;
      await runtime.close();
      sqs.destroy();
    },
  };
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return {
    visible: Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** Waits until the queue has stayed empty (nothing visible, nothing in flight) for `quietMs`. */
export async function waitForEmptyQueue(sqs: SQSClient, queueUrl: string, options: { timeoutMs: number; quietMs?: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const quiet = options.quietMs ?? 1500;
  let emptySince: number | undefined;
  while (Date.now() < deadline) {
    const depth = await queueDepth(sqs, queueUrl);
    if (depth.visible === 0 && depth.inFlight === 0) {
      emptySince ??= Date.now();
      if (Date.now() - emptySince >= quiet) return;
    } else {
      emptySince = undefined;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const depth = await queueDepth(sqs, queueUrl);
  throw new Error(`Queue not drained within ${options.timeoutMs} ms: ${JSON.stringify(depth)}`);
}

export function openSearch(): Client {
  return new Client({ node: stackEnv().opensearchUrl });
}

/**
 * Every document under an index pattern, as id → source. A scroll in index order: schema v2 keeps
 * no doc values for event.hash or _id that a sort for search_after could use.
 */
export async function allDocuments(client: Client, index: string): Promise<Map<string, Record<string, unknown>>> {
  await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
  const docs = new Map<string, Record<string, unknown>>();
  type Page = { _scroll_id?: string; hits: { hits: { _id: string; _source: Record<string, unknown> }[] } };
  let res = (
    await client.search({
      index,
      scroll: '1m',
      ignore_unavailable: true,
      allow_no_indices: true,
      body: { size: 5000, sort: ['_doc'], query: { match_all: {} } },
    } as never)
  ).body as Page;
  try {
    while (res.hits.hits.length > 0) {
      for (const h of res.hits.hits) {
        if (docs.has(h._id)) throw new Error(`Document ${h._id} returned twice`);
        docs.set(h._id, h._source);
      }
      if (res._scroll_id === undefined) break;
      res = (await client.scroll({ body: { scroll: '1m', scroll_id: res._scroll_id } } as never)).body as Page;
    }
  } finally {
    if (res._scroll_id !== undefined) await client.clearScroll({ body: { scroll_id: res._scroll_id } } as never).catch(() => undefined);
  }
  return docs;
}

/** Counts documents (after a refresh) under an index pattern. */
export async function countDocuments(client: Client, index: string): Promise<number> {
  await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
  const res = await client.count({ index, ignore_unavailable: true, allow_no_indices: true } as never);
  return (res.body as { count: number }).count;
}

export async function deleteIndices(client: Client, prefix: string): Promise<void> {
  await client.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
  await client.indices.deleteIndexTemplate({ name: prefix }).catch(() => undefined);
  // The other families' indices and templates (`<prefix>.genesys`, `<prefix>.cloudtrail`).
  for (const family of ['genesys', 'cloudtrail']) {
    await client.indices.delete({ index: `${prefix}.${family}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
    await client.indices.deleteIndexTemplate({ name: `${prefix}.${family}` }).catch(() => undefined);
  }
}

/**
 * Spawns the real CLI worker as a child process (for kill and signal tests). `built` runs the
 * compiled dist/ with the production heap cap, as the image does (benchmarks: no TypeScript
 * loader in the measured process).
 */
export function spawnWorker(env: Record<string, string>, options: { built?: boolean } = {}): ChildProcess {
  // The built worker gets the image's heap settings (Dockerfile NODE_OPTIONS); WORKER_NODE_ARGS
  // come after them, so a later flag can override one (V8 takes the last).
  // WORKER_NODE_ARGS (for example `--cpu-prof --cpu-prof-dir=/tmp/prof`, which NODE_OPTIONS refuses)
  // profiles the child.
  const extra = (process.env.WORKER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const args =
    options.built === true
      ? ['--max-old-space-size=192', '--max-semi-space-size=16', ...extra, 'dist/src/cli/main.js', 'worker']
      : [...extra, '--import', 'tsx', 'src/cli/main.ts', 'worker'];
  return spawn(process.execPath, args, {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Splits a stream of chunks (a worker's stdout) into lines: `child.stdout.on('data', lineSplitter(onLine))`. */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let buffered = '';
  return (chunk) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  };
}
