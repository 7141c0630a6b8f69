import { parseCommandArgs } from './args.js';
import { loadConfigOrThrow } from '../config/load.js';
import { describeError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { createMetrics } from '../core/metrics.js';
import { probeOpenSearch, probeSqs, readinessFrom, startHealthServer } from '../ops/health.js';
import { startReenrichTask } from '../enrich/reenrich.js';
import { assertDetectSetup } from '../detect/mapping.js';
import { snsNotifier } from '../detect/notify.js';
import { loadRulesFile } from '../detect/rules.js';
import { loadDirectoryFile } from '../enrich/actor-directory.js';
import { startDetectTask } from '../detect/run.js';
import { createRuntime } from '../pipeline/runtime.js';
import { Worker } from '../pipeline/worker.js';
import { createSnsClient, createSqsClient } from '../core/aws-clients.js';

const HELP = `Usage: recording-audit worker [--config FILE]

Consumes S3 notifications for new access-log objects from SQS_QUEUE_URL and indexes every record
into OpenSearch. Settings come from environment variables and the optional JSON file; see README.
The first SIGTERM/SIGINT drains in-flight work within SHUTDOWN_GRACE_SECS; a second one exits at once.

At start it verifies, read-only, the index template, read alias and ISM retention policy that
'recording-audit setup' installs, and exits 78 naming every difference: it never changes them.

With DETECT_INTERVAL_SECS > 0 it also runs the detection rules ('recording-audit detect') on that
schedule, over the closed windows after the stored watermark.
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { config: { type: 'string' } }, HELP);
  if (!args.ok) return args.exit;
  const values = args.values;
  const cfg = loadConfigOrThrow({ ...(values.config ? { file: values.config } : {}), required: ['SQS_QUEUE_URL', 'LOG_BUCKETS', 'OPENSEARCH_URL'] });
  const logger = createLogger(cfg.LOG_LEVEL);
  const metrics = createMetrics();
  const sqs = createSqsClient(cfg);
  // Before anything starts: a bad rules file is a configuration error (exit 78) like a bad setting.
  const rules = cfg.DETECT_INTERVAL_SECS > 0 ? loadRulesFile(cfg.DETECT_RULES_FILE) : undefined;
  // The actor directory too (the enricher reads it again when the runtime is built).
  loadDirectoryFile(cfg.ACTOR_DIRECTORY_FILE);
  const runtime = await createRuntime(cfg, { logger, metrics });
  if (rules !== undefined) {
    try {
      await assertDetectSetup(runtime.opensearch, cfg.INDEX_PREFIX);
    } catch (err) {
      await runtime.close();
      throw err;
    }
  }
  logger.info(
    {
      queue: cfg.SQS_QUEUE_URL,
      logBuckets: cfg.LOG_BUCKETS,
      indexPrefix: cfg.INDEX_PREFIX,
      enrichment: runtime.enricher.mode,
      objectConcurrency: cfg.OBJECT_CONCURRENCY,
    },
    runtime.enricher.mode === 'genesys' ? 'Worker starting.' : 'Worker starting without Genesys credentials; recordings are resolved from their keys only.',
  );

  const worker = new Worker(cfg, runtime, sqs, { logger, metrics });
  const reenrichTask =
    cfg.REENRICH_INTERVAL_SECS > 0 && runtime.enricher.mode === 'genesys'
      ? startReenrichTask({
          client: runtime.opensearch,
          enricher: runtime.enricher,
          logger,
          indexPrefix: cfg.INDEX_PREFIX,
          intervalSecs: cfg.REENRICH_INTERVAL_SECS,
        })
      : undefined;
  const sns = rules !== undefined && cfg.ALERT_SNS_TOPIC_ARN !== undefined ? createSnsClient(cfg) : undefined;
  const detectTask =
    rules !== undefined
      ? startDetectTask({
          client: runtime.opensearch,
          indexPrefix: cfg.INDEX_PREFIX,
          rules,
          windowSecs: cfg.DETECT_WINDOW_SECS,
          lagSecs: cfg.DETECT_LAG_SECS,
          firstLookbackSecs: cfg.DETECT_FIRST_LOOKBACK_SECS,
          logger,
          intervalSecs: cfg.DETECT_INTERVAL_SECS,
          ...(sns !== undefined && cfg.ALERT_SNS_TOPIC_ARN !== undefined ? { notifier: snsNotifier(sns, cfg.ALERT_SNS_TOPIC_ARN) } : {}),
        })
      : undefined;
  const health =
    cfg.HEALTH_PORT > 0
      ? await startHealthServer({
          host: cfg.HEALTH_HOST,
          port: cfg.HEALTH_PORT,
          metrics,
          logger,
          readiness: readinessFrom({
            sqs: () => probeSqs(sqs, cfg.SQS_QUEUE_URL ?? ''),
            opensearch: () => probeOpenSearch(runtime.opensearch),
            ...(runtime.genesysProbe ? { genesys: runtime.genesysProbe } : {}),
          }),
        })
      : undefined;

  let stopping: Promise<void> | undefined;
  let deadline = Number.POSITIVE_INFINITY;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'Second signal; exiting now. Unfinished messages will reappear.');
      process.exit(130);
    }
    logger.info({ signal, graceSecs: cfg.SHUTDOWN_GRACE_SECS }, 'Stopping: no new messages; finishing in-flight work.');
    deadline = Date.now() + cfg.SHUTDOWN_GRACE_SECS * 1000;
    stopping = worker.stop(cfg.SHUTDOWN_GRACE_SECS * 1000);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await worker.run();
  } catch (err) {
    logger.fatal({ err: describeError(err) }, 'Worker loop failed.');
    return 1;
  } finally {
    await stopping;
    await reenrichTask?.stop();
    await detectTask?.stop();
    sns?.destroy();
    // Whatever is still buffered belongs to messages that were not deleted: it will be delivered
    // again, so past the grace period the flush is not waited for.
    const closing = runtime.close().catch((err: unknown) => logger.error({ err: describeError(err) }, 'Closing the pipeline failed.'));
    const left = Math.max(500, deadline - Date.now());
    await Promise.race([closing, new Promise((r) => setTimeout(r, Number.isFinite(left) ? left : 2 ** 31 - 1).unref())]);
    await health?.close();
    sqs.destroy();
  }
  logger.info({ ...worker.totals }, 'Worker stopped.');
  return 0;
}
