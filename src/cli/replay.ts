import { parseArgs } from 'node:util';
import { loadConfigOrThrow } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { AuditError, describeError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { createMetrics } from '../ops/metrics.js';
import { createRuntime, type Runtime } from '../pipeline/runtime.js';
import { summarize } from '../replay/report.js';
import { runReplay, type ReplayOptions, type ReplayParams } from '../replay/run.js';
import { toStoreUrl } from '../replay/store.js';
import { createS3Client, createSqsClient } from '../sources/s3-object.js';

const HELP = `Usage: recording-audit replay --bucket B [--prefix P] --from TIME --to TIME [options]

Backfills server access log objects of a time range through the worker's pipeline (same
document ids, same indices: replaying what is already indexed changes nothing and is counted as
duplicates). TIME is ISO 8601 with a zone (2024-01-05T10:00:00Z) or a UTC day (2024-01-05).

Selection: keys whose time lies in [from, to + margin). Simple keys carry the delivery time and
hold records written before it, so the margin catches records of [from, to) delivered late.
Partitioned keys of PartitionDateSource=EventTime (time 00-00-00) hold one event day and are
selected when that day overlaps [from, to + margin).

Options:
  --bucket B                 log bucket (required)
  --prefix P                 log prefix (TargetPrefix), e.g. "logs/" (default: none)
  --from TIME, --to TIME     the range of record times to backfill (required)
  --margin-secs N            late-delivery margin (default REPLAY_MARGIN_SECS, 10800)
  --format F                 auto | simple | partitioned (default auto: both layouts found)
  --concurrency N            objects at once (default OBJECT_CONCURRENCY)
  --max-lines-per-sec N      throttle, 0 = none (default REPLAY_MAX_LINES_PER_SEC); applied per
                             object, by its expected lines, corrected when it finishes
  --checkpoint URL           file:///path.json or s3://bucket/key.json (default
                             REPLAY_CHECKPOINT_URL); a hash of the parameters is added to the name
  --report FILE              reconciliation report: a path, file:// or s3:// URL, or - for stdout
                             (default: next to the checkpoint, <name>.<runkey>.report.json)
  --dry-run                  list and count only; writes nothing (report only with --report)
  --enqueue                  send synthetic S3 notifications to SQS_QUEUE_URL instead of
                             processing, so the worker fleet does the backfill
  --enqueue-per-sec N        notifications per second with --enqueue (default 50)
  --restart                  ignore an unfinished checkpoint of the same parameters
  --max-failures N           stop after this many failed objects (default 100)
  --grace-secs N             after SIGINT/SIGTERM, in-flight objects get this long (default
                             SHUTDOWN_GRACE_SECS); a second signal aborts them at once
  --progress-secs N          interval of the progress log line without a terminal (default 15)
  --config FILE              JSON settings file

Exit: 0 done; 1 some object failed (see the report); 130/143 interrupted (run again to resume);
64 usage; 78 configuration.
`;

const EXIT_USAGE = 64;

class UsageError extends Error {}

function parseTime(name: string, raw: string | undefined): number {
  if (raw === undefined) throw new UsageError(`--${name} is required`);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  if (!dateOnly && !/(Z|[+-]\d{2}:?\d{2})$/i.test(raw)) throw new UsageError(`--${name} "${raw}": give a time zone (Z or +hh:mm) or a plain UTC day`);
  const ms = Date.parse(dateOnly ? `${raw}T00:00:00Z` : raw);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} "${raw}" is not an ISO 8601 time`);
  return ms;
}

function parseCount(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new UsageError(`--${name} must be a whole number >= ${min}, got "${raw}"`);
  return Number(raw);
}

const OPTIONS = {
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'margin-secs': { type: 'string' },
  format: { type: 'string' },
  concurrency: { type: 'string' },
  'max-lines-per-sec': { type: 'string' },
  checkpoint: { type: 'string' },
  report: { type: 'string' },
  'dry-run': { type: 'boolean' },
  enqueue: { type: 'boolean' },
  'enqueue-per-sec': { type: 'string' },
  restart: { type: 'boolean' },
  'max-failures': { type: 'string' },
  'grace-secs': { type: 'string' },
  'progress-secs': { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];

/** The replay options from flags, with settings as defaults. Throws UsageError. */
export function replayOptionsFrom(values: Values, cfg: Config): ReplayOptions {
  if (values['dry-run'] && values.enqueue) throw new UsageError('--dry-run and --enqueue exclude each other');
  const bucket = values.bucket;
  if (bucket === undefined) throw new UsageError('--bucket is required');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new UsageError(`--bucket "${bucket}" is not an S3 bucket name`);
  const fromMs = parseTime('from', values.from);
  const toMs = parseTime('to', values.to);
  if (toMs <= fromMs) throw new UsageError('--to must be after --from');
  const format = values.format ?? 'auto';
  if (format !== 'auto' && format !== 'simple' && format !== 'partitioned') throw new UsageError(`--format must be auto, simple or partitioned, got "${format}"`);
  const checkpointUrl = values.checkpoint ?? cfg.REPLAY_CHECKPOINT_URL;
  if (!/^(file:\/\/\/.+|s3:\/\/[a-z0-9][a-z0-9.-]+[a-z0-9]\/.+)$/.test(checkpointUrl)) throw new UsageError(`--checkpoint must be file:///path or s3://bucket/key, got "${checkpointUrl}"`);
  const params: ReplayParams = {
    bucket,
    prefix: values.prefix ?? '',
    fromMs,
    toMs,
    marginSecs: parseCount('margin-secs', values['margin-secs'], cfg.REPLAY_MARGIN_SECS, 0),
    format,
  };
  const mode = values['dry-run'] ? 'dry-run' : values.enqueue ? 'enqueue' : 'process';
  const report = values.report;
  return {
    params,
    mode,
    concurrency: parseCount('concurrency', values.concurrency, cfg.OBJECT_CONCURRENCY, 1),
    maxLinesPerSec: parseCount('max-lines-per-sec', values['max-lines-per-sec'], cfg.REPLAY_MAX_LINES_PER_SEC, 0),
    enqueuePerSec: parseCount('enqueue-per-sec', values['enqueue-per-sec'], 50, 1),
    checkpointUrl,
    ...(report !== undefined && report !== '-' ? { reportUrl: toStoreUrl(report) } : {}),
    restart: values.restart === true,
    maxFailures: parseCount('max-failures', values['max-failures'], 100, 1),
    progressSecs: parseCount('progress-secs', values['progress-secs'], 15, 1),
    graceMs: parseCount('grace-secs', values['grace-secs'], cfg.SHUTDOWN_GRACE_SECS, 0) * 1000,
    ...(mode === 'enqueue' && cfg.SQS_QUEUE_URL ? { queueUrl: cfg.SQS_QUEUE_URL } : {}),
  };
}

export async function run(argv: string[]): Promise<number> {
  let values: Values;
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    process.stderr.write(`recording-audit replay: ${(err as Error).message}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const mode = values['dry-run'] ? 'dry-run' : values.enqueue ? 'enqueue' : 'process';
  const cfg = loadConfigOrThrow({
    ...(values.config ? { file: values.config } : {}),
    required: mode === 'process' ? ['OPENSEARCH_URL'] : mode === 'enqueue' ? ['SQS_QUEUE_URL'] : [],
  });
  let opts: ReplayOptions;
  try {
    opts = replayOptionsFrom(values, cfg);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`recording-audit replay: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const logger = createLogger(cfg.LOG_LEVEL);
  if (mode === 'enqueue' && cfg.LOG_BUCKETS !== undefined && !cfg.LOG_BUCKETS.includes(opts.params.bucket)) {
    // The worker would refuse every notification for it and leave them all to the dead-letter queue.
    throw new AuditError('CONFIG_INVALID', `--bucket ${opts.params.bucket} is not in LOG_BUCKETS; the worker would refuse its notifications.`);
  }

  const stop = new AbortController();
  const abort = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      logger.warn({ signal }, 'Second signal; aborting in-flight objects.');
      abort.abort();
      return;
    }
    signalled = signal;
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let runtime: Runtime | undefined;
  const sqs = mode === 'enqueue' ? createSqsClient(cfg) : undefined;
  try {
    runtime = mode === 'process' ? await createRuntime(cfg, { logger, metrics: createMetrics() }) : undefined;
    const s3 = runtime?.s3 ?? createS3Client(cfg, { userAgentSuffix: cfg.SELF_USER_AGENT_SUFFIX });
    const region = sqs ? await sqs.config.region() : undefined;
    const result = await runReplay(
      { ...opts, ...(region ? { region } : {}) },
      { s3, logger, stop: stop.signal, abort: abort.signal, ...(runtime ? { processor: runtime.processor } : {}), ...(sqs ? { sqs } : {}) },
    );
    if (values.report === '-') process.stdout.write(`${JSON.stringify(result.report, null, 2)}\n`);
    process.stderr.write(summarize(result.report));
    if (result.reportLocation) process.stderr.write(`report: ${result.reportLocation}\n`);
    if (!runtime) s3.destroy();
    switch (result.report.outcome) {
      case 'completed':
        return 0;
      case 'interrupted':
        return signalled === 'SIGTERM' ? 143 : 130;
      default:
        return 1;
    }
  } catch (err) {
    if (err instanceof AuditError && err.code === 'CONFIG_INVALID') throw err;
    logger.fatal({ err: describeError(err) }, 'Replay failed.');
    process.stderr.write(`recording-audit replay: ${describeError(err).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await runtime?.close().catch((err: unknown) => logger.error({ err: describeError(err) }, 'Closing the pipeline failed.'));
    sqs?.destroy();
  }
}
