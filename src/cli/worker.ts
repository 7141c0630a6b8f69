import { parseCommandArgs } from './args.js';
import { loadConfigOrThrow } from '../config/load.js';
import { describeError, isAuditError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { createMetrics } from '../core/metrics.js';
import { probeOpenSearch, probeSqs, readinessFrom, startHealthServer, type ReadinessReport } from '../ops/health.js';
import { redactSecretsInText } from '../core/redact-text.js';
import { startReenrichTask } from '../enrich/reenrich.js';
import { assertDetectSetup } from '../detect/mapping.js';
import { snsNotifier } from '../detect/notify.js';
import { loadRulesFile } from '../detect/rules.js';
import { loadDirectoryFile } from '../enrich/actor-directory.js';
import { startDetectTask } from '../detect/run.js';
import { auditSourceFromConfig } from '../genesys-audit/from-config.js';
import { startGenesysAuditTask } from '../genesys-audit/source.js';
import { openRuntime } from '../pipeline/runtime.js';
import { StartupWait } from '../pipeline/startup.js';
import { startLinkTask } from '../sinks/opensearch/link.js';
import { readAliasOf } from '../config/schema.js';
import { Worker } from '../pipeline/worker.js';
import { createSnsClient, createSqsClient } from '../core/aws-clients.js';

const HELP = `Usage: recording-audit worker [--config FILE]

Consumes S3 notifications for new access-log objects from SQS_QUEUE_URL and indexes every record
into OpenSearch. Settings come from environment variables and the optional JSON file; see README.
The first SIGTERM/SIGINT drains in-flight work within SHUTDOWN_GRACE_SECS; a second one exits at once.

At start it verifies, read-only, the index template, read alias and ISM retention policy that
'recording-audit setup' installs, and exits 78 naming every difference: it never changes them.
While OpenSearch or SQS does not answer it waits (STARTUP_RETRY_BASE_MS/MAX_MS backoff), serving
/livez and a 503 /readyz that names them; only a configuration error exits (78).

With Genesys credentials and GENESYS_AUDIT_INTERVAL_SECS > 0 it also reads Genesys's own audit
trail of recordings into the index ('recording-audit genesys-audit' does the same for a span).

With DETECT_INTERVAL_SECS > 0 it also runs the detection rules ('recording-audit detect') on that
schedule, over the closed windows after the stored watermark.

With CLOUDTRAIL_BUCKETS set and LINK_INTERVAL_SECS > 0 it also links CloudTrail events to their
access-log twins ('recording-audit link' does one pass for a span).
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { config: { type: 'string' } }, HELP);
  if (!args.ok) return args.exit;
  const values = args.values;
  const cfg = loadConfigOrThrow({ ...(values.config ? { file: values.config } : {}), required: ['SQS_QUEUE_URL', 'LOG_BUCKETS', 'OPENSEARCH_URL'] });
  const logger = createLogger(cfg.LOG_LEVEL);
  const metrics = createMetrics();
  // Before anything starts: a bad rules file is a configuration error (exit 78) like a bad setting.
  const rules = cfg.DETECT_INTERVAL_SECS > 0 ? loadRulesFile(cfg.DETECT_RULES_FILE) : undefined;
  // The actor directory too (the enricher reads it again when the runtime is built).
  loadDirectoryFile(cfg.ACTOR_DIRECTORY_FILE);
  const queueUrl = cfg.SQS_QUEUE_URL ?? '';
  const runtime = openRuntime(cfg, { logger, metrics });
  const sqs = createSqsClient(cfg);
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

  // A task started during an OpenSearch blue/green update, a scale-out or a network blip waits
  // for its dependencies as the running worker waits out an outage, instead of crash-looping.
  // Genesys is not among them: enrichment degrades to `pending` while it is unreachable.
  const startup = new StartupWait(
    [
      {
        name: 'opensearch',
        check: async () => {
          // Verify only: templates, aliases and the retention policy are `recording-audit setup`'s.
          // A mismatch is a configuration error and still refuses the start (exit 78).
          await runtime.verifySetup();
          // The detect-state index holds the rules' and the Genesys audit source's watermarks. Without
          // its own template it would be created from the events' strict one and every write refused.
          const auditSourceOn = cfg.GENESYS_AUDIT_INTERVAL_SECS > 0 && runtime.genesys !== undefined;
          if (rules !== undefined || auditSourceOn) await assertDetectSetup(runtime.opensearch, cfg.INDEX_PREFIX);
        },
      },
      { name: 'sqs', check: () => probeSqs(sqs, queueUrl) },
    ],
    {
      baseMs: cfg.STARTUP_RETRY_BASE_MS,
      maxMs: cfg.STARTUP_RETRY_MAX_MS,
      logger,
      onChange: (name, ok) => metrics.readinessProbeUp.set({ probe: name }, ok ? 1 : 0),
    },
  );
  let started = false;
  const probes = readinessFrom({
    sqs: () => probeSqs(sqs, queueUrl),
    opensearch: () => probeOpenSearch(runtime.opensearch),
    ...(runtime.genesysProbe ? { genesys: runtime.genesysProbe } : {}),
  });
  const health =
    cfg.HEALTH_PORT > 0
      ? await startHealthServer({
          host: cfg.HEALTH_HOST,
          port: cfg.HEALTH_PORT,
          metrics,
          logger,
          readiness: () => (started ? probes() : Promise.resolve(startingReport(startup))),
        })
      : undefined;

  // Set once the dependencies answer; a signal before that only ends the wait.
  const active: { worker?: Worker } = {};
  let stopping: Promise<void> | undefined;
  let deadline = Number.POSITIVE_INFINITY;
  const starting = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping || starting.signal.aborted) {
      logger.warn({ signal }, 'Second signal; exiting now. Unfinished messages will reappear.');
      process.exit(130);
    }
    const worker = active.worker;
    if (worker === undefined) {
      // Nothing was received yet, so there is nothing to finish.
      logger.info({ signal, waitingFor: startup.waitingFor }, 'Stopping while waiting for dependencies; nothing was received.');
      starting.abort();
      return;
    }
    logger.info({ signal, graceSecs: cfg.SHUTDOWN_GRACE_SECS }, 'Stopping: no new messages; finishing in-flight work.');
    deadline = Date.now() + cfg.SHUTDOWN_GRACE_SECS * 1000;
    stopping = worker.stop(cfg.SHUTDOWN_GRACE_SECS * 1000);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await startup.run(starting.signal);
  } catch (err) {
    // Nothing is buffered: closing only releases clients, and a node that does not answer is not waited for.
    await Promise.race([
      runtime.close().catch((e: unknown) => logger.debug({ err: describeError(e) }, 'Closing the pipeline failed.')),
      new Promise((r) => setTimeout(r, 1000).unref()),
    ]);
    await health?.close();
    sqs.destroy();
    if (isAuditError(err, 'SHUTDOWN')) return 0;
    throw err;
  }
  started = true;
  logger.info({ dependencies: startup.state.map((d) => d.name) }, 'Dependencies answer; receiving.');

  const running = new Worker(cfg, runtime, sqs, { logger, metrics });
  active.worker = running;
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
  const genesys = runtime.genesys;
  const audit =
    cfg.GENESYS_AUDIT_INTERVAL_SECS > 0 && genesys !== undefined
      ? auditSourceFromConfig(cfg, { opensearch: runtime.opensearch, genesys, quarantine: runtime.quarantine, s3: runtime.s3, logger, metrics })
      : undefined;
  const auditTask = audit !== undefined ? startGenesysAuditTask({ ...audit.options, intervalSecs: cfg.GENESYS_AUDIT_INTERVAL_SECS }) : undefined;
  const linkTask =
    cfg.CLOUDTRAIL_BUCKETS !== undefined && cfg.CLOUDTRAIL_BUCKETS.length > 0 && cfg.LINK_INTERVAL_SECS > 0
      ? startLinkTask({
          client: runtime.opensearch,
          index: readAliasOf(cfg),
          logger,
          intervalSecs: cfg.LINK_INTERVAL_SECS,
          lookbackSecs: cfg.LINK_LOOKBACK_SECS,
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

  try {
    await running.run();
  } catch (err) {
    logger.fatal({ err: describeError(err) }, 'Worker loop failed.');
    return 1;
  } finally {
    await stopping;
    await reenrichTask?.stop();
    await detectTask?.stop();
    await linkTask?.stop();
    await auditTask?.stop();
    await audit?.close().catch((err: unknown) => logger.error({ err: describeError(err) }, 'Closing the Genesys audit writer failed.'));
    sns?.destroy();
    // Whatever is still buffered belongs to messages that were not deleted: it will be delivered
    // again, so past the grace period the flush is not waited for.
    const closing = runtime.close().catch((err: unknown) => logger.error({ err: describeError(err) }, 'Closing the pipeline failed.'));
    const left = Math.max(500, deadline - Date.now());
    await Promise.race([closing, new Promise((r) => setTimeout(r, Number.isFinite(left) ? left : 2 ** 31 - 1).unref())]);
    await health?.close();
    sqs.destroy();
  }
  logger.info({ ...running.totals }, 'Worker stopped.');
  return 0;
}

/** /readyz before the worker receives: 503, naming the dependencies it still waits for. */
function startingReport(startup: StartupWait): ReadinessReport {
  const probes = startup.state.map((d) => ({
    name: d.name,
    ok: d.ok,
    durationMs: 0,
    ...(d.error !== undefined ? { error: redactSecretsInText(`${d.error.code}: ${d.error.message}`) } : {}),
  }));
  return { ready: false, checkedAt: new Date().toISOString(), probes, waitingFor: startup.waitingFor };
}
