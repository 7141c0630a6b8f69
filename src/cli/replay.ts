import { parseArgs } from 'node:util';
import { loadConfigOrThrow } from '../config/load.js';
import { AuditError, describeError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { createMetrics } from '../core/metrics.js';
import type { Runtime } from '../pipeline/runtime.js';
import { OPTIONS, UsageError, replayOptionsFrom, type Values } from '../replay/options.js';
import { summarize } from '../replay/report.js';
import { runReplay, type ReplayOptions } from '../replay/run.js';
import { createS3Client, createSqsClient } from '../core/aws-clients.js';
import { EXIT_USAGE } from './exit-codes.js';

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
  --format F                 auto | simple | partitioned | cloudtrail (default auto: every layout found, CloudTrail files under <prefix>AWSLogs/ too)
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
  const file = values.config ? { file: values.config } : {};
  let opts: ReplayOptions;
  try {
    // Flags first: a mistyped time is reported before a missing setting.
    opts = replayOptionsFrom(values, loadConfigOrThrow(file));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`recording-audit replay: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const cfg = loadConfigOrThrow({ ...file, required: mode === 'process' ? ['OPENSEARCH_URL'] : mode === 'enqueue' ? ['SQS_QUEUE_URL'] : [] });
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
    // Only processing needs OpenSearch; a dry run or an enqueue never touches it.
    // A node that does not answer yet is waited for (as the worker does), until a signal.
    runtime =
      mode === 'process' ? await (await import('../pipeline/runtime.js')).waitForRuntime(cfg, { logger, metrics: createMetrics() }, stop.signal) : undefined;
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
    if (err instanceof AuditError && err.code === 'SHUTDOWN' && signalled) return signalled === 'SIGTERM' ? 143 : 130;
    // Both exit 78 in main: fixed by configuration or `recording-audit setup`, not by a retry.
    if (err instanceof AuditError && (err.code === 'CONFIG_INVALID' || err.code === 'SETUP_MISMATCH')) throw err;
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
