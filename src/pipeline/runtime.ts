import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@opensearch-project/opensearch';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import { createEnricher, type Enricher } from '../enrich/enricher.js';
import type { GenesysClient } from '../enrich/genesys/client.js';
import type { Metrics } from '../core/metrics.js';
import { BulkIndexer, bulkOptionsFrom } from '../sinks/opensearch/bulk.js';
import { createOpenSearchClient } from '../sinks/opensearch/client.js';
import { assertIndexSetup } from '../sinks/opensearch/setup.js';
import { type QuarantineStore } from '../sinks/quarantine/record.js';
import { createQuarantineStore } from '../sinks/quarantine/store.js';
import { createS3Client } from '../core/aws-clients.js';
import { createCloudTrailEnricher } from '../enrich/cloudtrail.js';
import { cloudTrailPrefix } from '../sinks/opensearch/index-name.js';
import { CloudTrailObjectProcessor, DispatchingObjectProcessor } from './cloudtrail-object.js';
import { StreamingObjectProcessor } from './object.js';
import { StartupWait } from './startup.js';
import type { ObjectProcessor } from './types.js';

/** Everything the worker and replay share: one pipeline, one set of ids, one index layout. */
export interface Runtime {
  readonly processor: ObjectProcessor;
  readonly s3: S3Client;
  readonly opensearch: Client;
  readonly sink: BulkIndexer;
  readonly enricher: Enricher;
  readonly quarantine: QuarantineStore;
  /** The Genesys API client enrichment uses (one rate gate, one token); absent without Genesys credentials. */
  readonly genesys?: GenesysClient;
  /** Resolves when Genesys login works (readiness); absent without Genesys credentials. */
  readonly genesysProbe?: () => Promise<void>;
  /**
   * Verifies the OpenSearch setup (assertIndexSetup: a mismatch refuses, exit 78) and hands the
   * sink the id cutover the verified template records; the sink refuses writes until then.
   */
  verifySetup(): Promise<void>;
  /** Flushes the sink and releases clients; in-flight objects must have settled first. */
  close(): Promise<void>;
}

/**
 * The runtime with the OpenSearch setup verified first: a mismatch refuses the start
 * (SETUP_MISMATCH, exit 78), an unreachable node fails it. For one-shot commands; the worker
 * opens the runtime and waits for its dependencies instead (startup.ts).
 */
export async function createRuntime(cfg: Config, deps: { logger: Logger; metrics: Metrics }): Promise<Runtime> {
  const runtime = openRuntime(cfg, deps);
  // Verify only: templates, aliases and the retention policy are `recording-audit setup`'s, run
  // with an admin identity. A mismatch refuses the start (exit 78) and changes nothing.
  try {
    await runtime.verifySetup();
  } catch (err) {
    await runtime.close();
    throw err;
  }
  return runtime;
}

/**
 * The runtime for a long batch command (replay): like createRuntime, but an OpenSearch that does
 * not answer yet is waited for with the worker's capped backoff (STARTUP_RETRY_*), so a backfill
 * started during a node restart or a network blip begins when the node is back instead of failing.
 * A setup mismatch still refuses at once (exit 78); `signal` ends the wait (AuditError SHUTDOWN).
 */
export async function waitForRuntime(cfg: Config, deps: { logger: Logger; metrics: Metrics }, signal: AbortSignal): Promise<Runtime> {
  const runtime = openRuntime(cfg, deps);
  const wait = new StartupWait(
    [
      {
        name: 'opensearch',
        check: () => runtime.verifySetup(),
      },
    ],
    {
      baseMs: cfg.STARTUP_RETRY_BASE_MS,
      maxMs: cfg.STARTUP_RETRY_MAX_MS,
      logger: deps.logger,
    },
  );
  try {
    await wait.run(signal);
  } catch (err) {
    await runtime.close();
    throw err;
  }
  return runtime;
}

/**
 * Builds the clients and the pipeline without a request to anyone (a bad setting still throws
 * CONFIG_INVALID here). Nothing is verified: call verifySetup before processing (the sink refuses writes until then).
 */
export function openRuntime(cfg: Config, deps: { logger: Logger; metrics: Metrics }): Runtime {
  const { logger, metrics } = deps;
  const s3 = createS3Client(cfg, { userAgentSuffix: cfg.SELF_USER_AGENT_SUFFIX });
  const opensearch = createOpenSearchClient(cfg);
  const quarantine = createQuarantineStore(cfg, { s3, logger });
  const sink = new BulkIndexer(opensearch, { ...bulkOptionsFrom(cfg), idsByMonth: true }, { logger, metrics, quarantine });
  const enricher = createEnricher(cfg, { logger, metrics, s3 });
  const genesys = enricher.client;
  const access = new StreamingObjectProcessor(cfg, { s3, sink, enricher, quarantine, logger, metrics });
  const cloudTrailBuckets = cfg.CLOUDTRAIL_BUCKETS ?? [];
  // CloudTrail events have their own indices (`<prefix>.cloudtrail-YYYY.MM`), so their own indexer.
  const cloudTrailSink =
    cloudTrailBuckets.length > 0
      ? new BulkIndexer(opensearch, { ...bulkOptionsFrom(cfg), prefix: cloudTrailPrefix(cfg.INDEX_PREFIX) }, { logger, metrics, quarantine })
      : undefined;
  const processor =
    cloudTrailSink === undefined
      ? access
      : new DispatchingObjectProcessor(
          new Set(cloudTrailBuckets),
          access,
          new CloudTrailObjectProcessor(cfg, {
            s3,
            sink: cloudTrailSink,
            errorSink: sink,
            enricher: createCloudTrailEnricher(cfg),
            quarantine,
            logger,
            metrics,
          }),
        );
  return {
    processor,
    s3,
    opensearch,
    sink,
    enricher,
    quarantine,
    ...(genesys
      ? {
          genesys,
          genesysProbe: async () => {
            await genesys.tokenInfo({ deadline: Date.now() + 3000 });
          },
        }
      : {}),
    async verifySetup() {
      sink.useIdCutover((await assertIndexSetup(opensearch, cfg, logger)).idCutover);
    },
    async close() {
      await sink.flush();
      await sink.close();
      if (cloudTrailSink !== undefined) {
        await cloudTrailSink.flush();
        await cloudTrailSink.close();
      }
      await enricher.close();
      await quarantine.close();
      await opensearch.close();
      s3.destroy();
    },
  };
}
