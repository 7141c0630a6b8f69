import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { createRuntime, type Runtime } from '../../../src/pipeline/runtime.js';
import { Worker } from '../../../src/pipeline/worker.js';
import { emptyListStats, listLogObjects } from '../../../src/replay/list.js';
import type { ReplayReport } from '../../../src/replay/report.js';
import { runReplay, type ReplayOptions } from '../../../src/replay/run.js';
import { corpusLines } from '../../bench/e2e-corpus.js';
import { allDocuments, setupIndices } from '../../support/worker-harness.js';
import { createBucket, partitionedKey, putObjects, quietLogger, s3Client, simpleKey } from './support.js';
import { stackEnv, stackSettings, uniqueName } from '../../support/stack-env.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { closedPort, TcpProxy } from '../../support/tcp-proxy.js';

const FROM = '2024-01-05T00:00:00Z';
const TO = '2024-01-07T00:00:00Z';
const MARGIN_SECS = 3 * 3600;
const LINES_PER_OBJECT = 15;
const SRC = '123456789012/us-east-1/example-health-recordings';

/** Objects in both layouts over 2024-01-04 .. 2024-01-08; `inside` says whether the window holds it. */
function layout(): { key: string; inside: boolean }[] {
  const out: { key: string; inside: boolean }[] = [];
  const base = Date.parse('2024-01-04T20:00:00Z');
  for (let i = 0; i < 24; i += 1) {
    const t = new Date(base + i * 3 * 3600_000 + 1000).toISOString(); // every 3 h from Jan 4 20:00 to Jan 7 17:00
    const ms = Date.parse(t);
    out.push({ key: simpleKey('logs/', t, `S${String(i).padStart(2, '0')}`), inside: ms >= Date.parse(FROM) && ms < Date.parse(TO) + MARGIN_SECS * 1000 });
  }
  for (const [day, inside] of [
    ['2024-01-04', false],
    ['2024-01-05', true],
    ['2024-01-06', true],
    ['2024-01-08', false],
  ] as const) {
    out.push({ key: partitionedKey('logs/', SRC, `${day}T00:00:00Z`, `P${day.slice(8)}`), inside });
  }
  // Boundary objects: one second either side of to + margin.
  out.push({ key: simpleKey('logs/', '2024-01-07T02:59:59Z', 'EDGEIN'), inside: true });
  out.push({ key: simpleKey('logs/', '2024-01-07T03:00:00Z', 'EDGEOUT'), inside: false });
  return out;
}

async function ids(os: Client, prefix: string): Promise<string[]> {
  return [...(await allDocuments(os, `${prefix}-*`)).keys()].sort();
}

async function filesIndexed(os: Client, prefix: string): Promise<Set<string>> {
  await os.indices.refresh({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true } as never);
  const res = await os.search({
    index: `${prefix}-*`,
    ignore_unavailable: true,
    allow_no_indices: true,
    body: { size: 0, aggs: { f: { terms: { field: 'log.file.path', size: 1000 } } } },
  } as never);
  const buckets = (res.body as { aggregations?: { f: { buckets: { key: string }[] } } }).aggregations?.f.buckets ?? [];
  return new Set(buckets.map((b) => b.key));
}

describe('replay through the real pipeline (moto S3 + OpenSearch)', () => {
  let s3: S3Client;
  let os: Client;
  const bucket = uniqueName('replay-e2e');
  const objects = layout();
  const inside = objects.filter((o) => o.inside);
  const prefixes: string[] = [];
  const runtimes: Runtime[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'replay-e2e-'));

  const settings = (indexPrefix: string): Record<string, string> => ({
    ...stackSettings(),
    INDEX_PREFIX: indexPrefix,
    INDEX_REPLICAS: '0',
    BULK_FLUSH_INTERVAL_MS: '100',
    QUARANTINE_URL: pathToFileURL(mkdtempSync(join(tmpdir(), 'replay-quarantine-'))).href,
    LOG_LEVEL: 'warn',
    LOG_BUCKETS: bucket,
    HEALTH_PORT: '0',
    // The corpus's record times are unrelated to the key times of this layout (issue 20's time
    // rule is tested in test/integration/worker/evidence.test.ts).
    RECORD_TIME_SKEW_DAYS: '36500',
  });
  // Each prefix gets what `recording-audit setup` installs: the runtime only verifies it.
  const newPrefix = async (options: { setup?: boolean } = {}): Promise<string> => {
    const p = uniqueName('t-replay');
    prefixes.push(p);
    if (options.setup !== false) await setupIndices(settings(p));
    return p;
  };
  async function runtimeFor(indexPrefix: string, extra: Record<string, string> = {}): Promise<{ cfg: Config; runtime: Runtime }> {
    const cfg = loadConfigOrThrow({ env: { ...settings(indexPrefix), ...extra } });
    const runtime = await createRuntime(cfg, { logger: quietLogger, metrics: createMetrics({ defaultMetrics: false }) });
    runtimes.push(runtime);
    return { cfg, runtime };
  }
  const options = (name: string, over: Partial<ReplayOptions> = {}): ReplayOptions => ({
    params: { bucket, prefix: 'logs/', fromMs: Date.parse(FROM), toMs: Date.parse(TO), marginSecs: MARGIN_SECS, format: 'auto' },
    mode: 'process',
    concurrency: 4,
    maxLinesPerSec: 0,
    enqueuePerSec: 100,
    checkpointUrl: pathToFileURL(join(dir, `${name}.json`)).href,
    restart: false,
    maxFailures: 10,
    progressSecs: 60,
    graceMs: 10_000,
    ...over,
  });
  const noTty = { isTTY: false, write: () => true };

  function cli(
    args: string[],
    env: Record<string, string>,
  ): {
    done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
    kill: (s: NodeJS.Signals) => void;
    output: () => string;
    exited: () => boolean;
  } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'replay', ...args], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
    );
    return { done, kill: (s) => child.kill(s), output: () => stdout + stderr, exited: () => child.exitCode !== null || child.signalCode !== null };
  }
  const rangeArgs = ['--bucket', bucket, '--prefix', 'logs/', '--from', FROM, '--to', TO, '--margin-secs', String(MARGIN_SECS)];

  let reference: { ids: string[]; report: ReplayReport };

  beforeAll(async () => {
    s3 = s3Client();
    os = new Client({ node: stackEnv().opensearchUrl });
    await createBucket(s3, bucket);
    const lines = [...corpusLines(objects.length * LINES_PER_OBJECT, 4242)];
    await putObjects(
      s3,
      bucket,
      objects.map((o, i) => ({ key: o.key, body: `${lines.slice(i * LINES_PER_OBJECT, (i + 1) * LINES_PER_OBJECT).join('\n')}\n` })),
    );
  });

  afterAll(async () => {
    for (const r of runtimes) await r.close().catch(() => undefined);
    for (const p of prefixes) {
      await os.indices.delete({ index: `${p}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
      await os.indices.deleteIndexTemplate({ name: p }).catch(() => undefined);
    }
    await emptyAndDeleteBucket(s3, bucket);
    await os.close();
    s3.destroy();
  });

  it('indexes exactly the window, both layouts, and replaying again only finds duplicates', async () => {
    const prefix = await newPrefix();
    const { runtime } = await runtimeFor(prefix);
    const first = await runReplay(options('ref'), { s3, logger: quietLogger, processor: runtime.processor, progress: noTty });
    expect(first.report.outcome).toBe('completed');
    expect(first.report.totals).toMatchObject({ objects: inside.length, lines: inside.length * LINES_PER_OBJECT, duplicates: 0, failed: 0 });
    expect(first.report.reconciled).toBe(true);
    expect(Object.keys(first.report.byKeyDay).sort()).toEqual(['2024-01-05', '2024-01-06', '2024-01-07']);
    const indexed = await ids(os, prefix);
    expect(indexed).toHaveLength(first.report.totals.indexed);
    expect(await filesIndexed(os, prefix)).toEqual(new Set(inside.map((o) => `s3://${bucket}/${o.key}`)));
    reference = { ids: indexed, report: first.report };

    const second = await runReplay(options('ref'), { s3, logger: quietLogger, processor: runtime.processor, progress: noTty });
    expect(second.report.totals).toMatchObject({
      objects: inside.length,
      indexed: 0,
      duplicates: first.report.totals.indexed,
      quarantined: first.report.totals.quarantined,
    });
    expect(await ids(os, prefix)).toEqual(indexed);
  });

  it('a replay over what the worker already indexed changes nothing', async () => {
    const prefix = await newPrefix();
    const { runtime } = await runtimeFor(prefix);
    // "The worker": the same pipeline, one object at a time as notifications would name them.
    for (const o of inside) await runtime.processor.process({ bucket, key: o.key });
    const byWorker = await ids(os, prefix);
    expect(byWorker).toEqual(reference.ids);
    const r = await runReplay(options('after-worker'), { s3, logger: quietLogger, processor: runtime.processor, progress: noTty });
    expect(r.report.totals).toMatchObject({ indexed: 0, duplicates: reference.report.totals.indexed });
    expect(await ids(os, prefix)).toEqual(byWorker);
  });

  it('SIGKILL mid-run, then resume: the index equals an uninterrupted run', async () => {
    const prefix = await newPrefix();
    const cpDir = mkdtempSync(join(tmpdir(), 'replay-kill-'));
    const env = settings(prefix);
    // Slow enough to be killed mid-way: one object at a time, about two objects a second.
    const args = [
      ...rangeArgs,
      '--concurrency',
      '1',
      '--max-lines-per-sec',
      '30',
      '--checkpoint',
      pathToFileURL(join(cpDir, 'cp.json')).href,
      '--progress-secs',
      '1',
    ];
    const run1 = cli(args, env);
    const deadline = Date.now() + 90_000;
    let done = 0;
    while (Date.now() < deadline) {
      const file = readdirSync(cpDir).find((f) => /^cp\.[0-9a-f]{16}\.json$/.test(f));
      if (file) done = (JSON.parse(readFileSync(join(cpDir, file), 'utf8')) as { report: { totals: { objects: number } } }).report.totals.objects;
      if (done >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(done).toBeGreaterThanOrEqual(3);
    run1.kill('SIGKILL');
    const killed = await run1.done;
    expect(killed.signal).toBe('SIGKILL');

    const run2 = await cli([...rangeArgs, '--concurrency', '4', '--checkpoint', pathToFileURL(join(cpDir, 'cp.json')).href], env).done;
    expect(run2.code, run2.stderr).toBe(0);
    const reportFile = readdirSync(cpDir).find((f) => f.endsWith('.report.json'))!;
    const report = JSON.parse(readFileSync(join(cpDir, reportFile), 'utf8')) as ReplayReport;
    expect(report).toMatchObject({ outcome: 'completed', attempt: 2 });
    expect(report.listing.skippedByCheckpoint).toBeGreaterThanOrEqual(3);
    expect(report.totals.objects).toBe(inside.length);
    // Every line is in, once: at most the object in flight at the kill was read twice (duplicates).
    expect(report.totals.indexed + report.totals.duplicates + report.totals.quarantined).toBeGreaterThanOrEqual(reference.report.totals.lines);
    expect(await ids(os, prefix)).toEqual(reference.ids);
  });

  it('started while OpenSearch refuses connections, it waits (no exit), then indexes the window exactly once the node answers', async () => {
    const prefix = await newPrefix();
    const cpDir = mkdtempSync(join(tmpdir(), 'replay-wait-'));
    const target = new URL(stackEnv().opensearchUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port));
    proxy.port = await closedPort();
    const env = { ...settings(prefix), OPENSEARCH_URL: proxy.url, STARTUP_RETRY_BASE_MS: '100', STARTUP_RETRY_MAX_MS: '400', LOG_LEVEL: 'debug' };
    const run = cli([...rangeArgs, '--concurrency', '4', '--checkpoint', pathToFileURL(join(cpDir, 'cp.json')).href], env);
    try {
      // Waiting, not failed: the wait is logged, and the process is still there after several retries.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && (run.output().match(/still does not answer/g) ?? []).length < 3) await new Promise((r) => setTimeout(r, 100));
      expect(run.output()).toContain('opensearch does not answer');
      expect(run.exited()).toBe(false);
      await proxy.up();
      const r = await run.done;
      expect(r.code, r.stderr).toBe(0);
      expect(await ids(os, prefix)).toEqual(reference.ids);
    } finally {
      run.kill('SIGKILL');
      await proxy.down();
    }
  });

  it('--dry-run counts objects, bytes and days and writes nothing', async () => {
    const prefix = await newPrefix({ setup: false });
    const cpDir = mkdtempSync(join(tmpdir(), 'replay-dry-'));
    const r = await cli([...rangeArgs, '--dry-run', '--report', '-', '--checkpoint', pathToFileURL(join(cpDir, 'cp.json')).href], settings(prefix)).done;
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{\n'))) as ReplayReport;
    expect(report).toMatchObject({ mode: 'dry-run', outcome: 'completed' });
    expect(report.totals.objects).toBe(inside.length);
    let bytes = 0;
    for await (const o of listLogObjects(
      s3,
      { bucket, prefix: 'logs/', window: { fromMs: Date.parse(FROM), toMs: Date.parse(TO), marginMs: MARGIN_SECS * 1000 }, format: 'auto' },
      emptyListStats(),
    ))
      bytes += o.size;
    expect(report.totals.bytes).toBe(bytes);
    expect(Object.values(report.byKeyDay).reduce((n, d) => n + d.objects, 0)).toBe(inside.length);
    expect(readdirSync(cpDir)).toEqual([]);
    // Nothing reached OpenSearch: no index, not even the index template a runtime would install.
    const indices = await os.indices.get({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true });
    expect(Object.keys(indices.body as object)).toEqual([]);
    const template = await os.indices.existsIndexTemplate({ name: prefix });
    expect(template.body).toBe(false);
  });

  it('--enqueue fans out to a worker, which builds the same index', async () => {
    const prefix = await newPrefix();
    const sqs = new SQSClient({});
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('replay-fanout') }))).QueueUrl!;
    try {
      const cpDir = mkdtempSync(join(tmpdir(), 'replay-enq-'));
      const r = await cli([...rangeArgs, '--enqueue', '--enqueue-per-sec', '200', '--checkpoint', pathToFileURL(join(cpDir, 'cp.json')).href], {
        ...settings(prefix),
        SQS_QUEUE_URL: queueUrl,
      }).done;
      expect(r.code, r.stderr).toBe(0);

      const { cfg, runtime } = await runtimeFor(prefix, {
        SQS_QUEUE_URL: queueUrl,
        SQS_WAIT_TIME_SECS: '1',
        SQS_VISIBILITY_TIMEOUT_SECS: '60',
        SQS_HEARTBEAT_INTERVAL_SECS: '10',
      });
      const worker = new Worker(cfg, runtime, sqs, { logger: quietLogger, metrics: createMetrics({ defaultMetrics: false }) });
      const running = worker.run();
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline) {
        const a = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
        );
        if (
          Number(a.Attributes?.ApproximateNumberOfMessages) === 0 &&
          Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible) === 0 &&
          worker.totals.objects >= inside.length
        )
          break;
        await new Promise((res) => setTimeout(res, 250));
      }
      await worker.stop(10_000);
      await running;
      expect(worker.totals).toMatchObject({ objects: inside.length, deleted: inside.length });
      expect(await ids(os, prefix)).toEqual(reference.ids);
    } finally {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      sqs.destroy();
    }
  });
});
