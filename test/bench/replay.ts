/**
 * npm run bench -- replay [--lines N] [--objects M] [--concurrency C] [--skip-worker]
 *
 * Replay throughput against moto S3 and the local OpenSearch, with two baselines measured in the
 * same run on the same objects, each into its own fresh index:
 *   worker  the live worker (SQS notifications → the same pipeline), timed until the queue drains;
 *   direct  ObjectProcessor.process over the known key list, no listing or checkpointing.
 * replay = listing + checkpoint after every object + report, so replay/direct is its overhead.
 */
import pLimit from 'p-limit';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Client } from '@opensearch-project/opensearch';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { createMetrics } from '../../src/core/metrics.js';
import { createRuntime, type Runtime } from '../../src/pipeline/runtime.js';
import { Worker } from '../../src/pipeline/worker.js';
import { createOpenSearchClient } from '../../src/sinks/opensearch/client.js';
import { ensureIndexSetup } from '../../src/sinks/opensearch/setup.js';
import { SQS_BATCH_MAX, sendNotifications } from '../../src/replay/enqueue.js';
import { runReplay } from '../../src/replay/run.js';
import { createBucket, partitionedKey, putObjects, s3Client, simpleKey } from '../integration/replay/support.js';
import { applyStackEnv, stackSettings, uniqueName } from '../support/stack-env.js';
import { corpusLines } from './e2e-corpus.js';
import { emptyAndDeleteBucket } from '../support/buckets.js';

const DAY0 = Date.parse('2024-03-01T00:00:00Z');
const DAYS = 5;
const SOURCE = '123456789012/us-east-1/example-health-recordings';

interface Phase {
  name: string;
  seconds: number;
  objects: number;
  lines: number;
}

const log = (s: string): void => void process.stdout.write(`replay bench: ${s}\n`);

/** Log objects spread over DAYS days, one in five in the partitioned layout. */
async function upload(
  s3: S3Client,
  bucket: string,
  lines: number,
  objects: number,
): Promise<{ keys: { key: string; size: number }[]; lines: number; bytes: number }> {
  const per = Math.ceil(lines / objects);
  const gen = corpusLines(lines, 7);
  const keys: { key: string; size: number }[] = [];
  let total = 0;
  let bytes = 0;
  const sem = pLimit(6);
  const puts: Promise<void>[] = [];
  for (let o = 0; o < objects; o += 1) {
    const chunk: string[] = [];
    for (let i = 0; i < per; i += 1) {
      const n = gen.next();
      if (n.done === true) break;
      chunk.push(n.value);
    }
    if (chunk.length === 0) break;
    const at = new Date(DAY0 + Math.floor((o * DAYS * 86_400_000) / objects) + 1000).toISOString();
    const key = o % 5 === 4 ? partitionedKey('logs/', SOURCE, at, `B${o}`) : simpleKey('logs/', at, `B${o}`);
    const body = `${chunk.join('\n')}\n`;
    keys.push({ key, size: Buffer.byteLength(body) });
    total += chunk.length;
    bytes += Buffer.byteLength(body);
    puts.push(sem(() => putObjects(s3, bucket, [{ key, body }])));
  }
  await Promise.all(puts);
  return { keys, lines: total, bytes };
}

export async function bench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      lines: { type: 'string', default: '1000000' },
      objects: { type: 'string', default: '500' },
      concurrency: { type: 'string', default: '4' },
      'skip-worker': { type: 'boolean', default: false },
    },
  });
  applyStackEnv();
  const stack = stackSettings();
  const s3 = s3Client();
  const sqs = new SQSClient({});
  const os = new Client({ node: stack.OPENSEARCH_URL! });
  const bucket = uniqueName('bench-replay');
  const prefixes: string[] = [];
  const runtimes: Runtime[] = [];
  let queueUrl: string | undefined;
  const logger = createLogger('warn');
  const concurrency = values.concurrency;

  const runtimeFor = async (extra: Record<string, string> = {}) => {
    const indexPrefix = uniqueName('bench-replay');
    prefixes.push(indexPrefix);
    const cfg = loadConfigOrThrow({
      env: {
        ...stack,
        INDEX_PREFIX: indexPrefix,
        INDEX_REPLICAS: '0',
        OBJECT_CONCURRENCY: concurrency,
        QUARANTINE_URL: pathToFileURL(mkdtempSync(join(tmpdir(), 'bench-replay-q-'))).href,
        LOG_LEVEL: 'warn',
        LOG_BUCKETS: bucket,
        HEALTH_PORT: '0',
        // The corpus is dated 2024 and uploaded now: a backfill of copied objects, as admission sees it.
        RECORD_TIME_SKEW_DAYS: '36500',
        ...extra,
      },
    });
    // What `recording-audit setup` installs; the runtime only verifies it.
    const admin = createOpenSearchClient(cfg);
    await ensureIndexSetup(admin, cfg, logger).finally(() => admin.close());
    const runtime = await createRuntime(cfg, { logger, metrics: createMetrics({ defaultMetrics: false }) });
    runtimes.push(runtime);
    return { cfg, runtime };
  };

  try {
    await createBucket(s3, bucket);
    log(`writing ${values.lines} lines in ${values.objects} log objects to moto...`);
    const corpus = await upload(s3, bucket, Number(values.lines), Number(values.objects));
    const phases: Phase[] = [];

    if (!values['skip-worker']) {
      queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('bench-replay'), Attributes: { VisibilityTimeout: '300' } }))).QueueUrl!;
      for (let i = 0; i < corpus.keys.length; i += SQS_BATCH_MAX) {
        const batch = corpus.keys.slice(i, i + SQS_BATCH_MAX).map((k) => ({ bucket, key: k.key, size: k.size }));
        const results = await sendNotifications(sqs, queueUrl, batch, { region: stack.AWS_REGION ?? 'us-east-1' });
        if (results.some((r) => !r.ok)) throw new Error('could not fill the queue');
      }
      log('live worker: draining the queue...');
      const { cfg, runtime } = await runtimeFor({
        SQS_QUEUE_URL: queueUrl,
        SQS_WAIT_TIME_SECS: '1',
        SQS_VISIBILITY_TIMEOUT_SECS: '300',
        SQS_HEARTBEAT_INTERVAL_SECS: '60',
      });
      const worker = new Worker(cfg, runtime, sqs, { logger, metrics: createMetrics({ defaultMetrics: false }) });
      const t0 = performance.now();
      const running = worker.run();
      for (;;) {
        const a = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
        );
        if (
          worker.totals.deleted >= corpus.keys.length &&
          Number(a.Attributes?.ApproximateNumberOfMessages) === 0 &&
          Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible) === 0
        )
          break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (performance.now() - t0) / 1000;
      await worker.stop(10_000);
      await running;
      phases.push({ name: 'worker', seconds, objects: worker.totals.objects, lines: worker.totals.lines });
    }

    log('direct processor over the key list...');
    {
      const { runtime } = await runtimeFor();
      const sem = pLimit(Number(concurrency));
      let lines = 0;
      const t0 = performance.now();
      await Promise.all(
        corpus.keys.map((k) =>
          sem(async () => {
            const r = await runtime.processor.process({ bucket, key: k.key, size: k.size });
            lines += r.lines;
          }),
        ),
      );
      phases.push({ name: 'direct', seconds: (performance.now() - t0) / 1000, objects: corpus.keys.length, lines });
    }

    log('replay (listing, checkpoint per object, report)...');
    {
      const { runtime } = await runtimeFor();
      const dir = mkdtempSync(join(tmpdir(), 'bench-replay-cp-'));
      const t0 = performance.now();
      const r = await runReplay(
        {
          params: { bucket, prefix: 'logs/', fromMs: DAY0, toMs: DAY0 + DAYS * 86_400_000, marginSecs: 0, format: 'auto' },
          mode: 'process',
          concurrency: Number(concurrency),
          maxLinesPerSec: 0,
          enqueuePerSec: 50,
          checkpointUrl: pathToFileURL(join(dir, 'cp.json')).href,
          restart: false,
          maxFailures: 10,
          progressSecs: 3600,
          graceMs: 10_000,
        },
        { s3: runtime.s3, logger, processor: runtime.processor, progress: { isTTY: false, write: () => true } },
      );
      const seconds = (performance.now() - t0) / 1000;
      if (r.report.outcome !== 'completed' || r.report.totals.objects !== corpus.keys.length)
        throw new Error(`replay did not complete: ${JSON.stringify(r.report.totals)}`);
      phases.push({ name: 'replay', seconds, objects: r.report.totals.objects, lines: r.report.totals.lines });
    }

    const rate = (p: Phase) => ({
      objects_per_sec: Number((p.objects / p.seconds).toFixed(1)),
      lines_per_sec: Math.round(p.lines / p.seconds),
      seconds: Number(p.seconds.toFixed(1)),
      objects: p.objects,
      lines: p.lines,
    });
    const byName = Object.fromEntries(phases.map((p) => [p.name, p]));
    const replay = byName.replay!;
    const report: Record<string, unknown> = {
      corpus: { objects: corpus.keys.length, lines: corpus.lines, mb: Number((corpus.bytes / 1e6).toFixed(1)), concurrency: Number(concurrency) },
      ...Object.fromEntries(phases.map((p) => [p.name, rate(p)])),
      ratio_replay_to_direct: Number((replay.lines / replay.seconds / (byName.direct!.lines / byName.direct!.seconds)).toFixed(3)),
      ...(byName.worker ? { ratio_replay_to_worker: Number((replay.lines / replay.seconds / (byName.worker.lines / byName.worker.seconds)).toFixed(3)) } : {}),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    for (const r of runtimes) await r.close().catch(() => undefined);
    for (const p of prefixes) {
      await os.indices.delete({ index: `${p}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
      await os.indices.deleteIndexTemplate({ name: p }).catch(() => undefined);
    }
    if (queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    await emptyAndDeleteBucket(s3, bucket).catch(() => undefined);
    await os.close();
    s3.destroy();
    sqs.destroy();
  }
}
