import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@opensearch-project/opensearch';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import type { AuditApi } from '../enrich/genesys/audits.js';
import type { GenesysClient } from '../enrich/genesys/client.js';
import { BulkIndexer, bulkOptionsFrom } from '../sinks/opensearch/bulk.js';
import { genesysAuditPrefix } from '../sinks/opensearch/index-name.js';
import type { QuarantineStore } from '../sinks/quarantine/record.js';
import { createEvidenceWriter } from './evidence.js';
import type { AuditSourceOptions } from './source.js';

export interface AuditSourceParts {
  /** Everything runAuditSource needs but the mode. */
  readonly options: Omit<AuditSourceOptions, 'mode' | 'signal'>;
  /** Flushes and closes the audit events' bulk indexer. */
  close(): Promise<void>;
}

/**
 * The audit source as the settings describe it, writing through its own bulk indexer into the
 * audit family's monthly indices and sharing the Genesys client (and so its rate gate and token)
 * with enrichment.
 */
export function auditSourceFromConfig(
  cfg: Config,
  deps: { opensearch: Client; genesys: GenesysClient; quarantine: QuarantineStore; s3: S3Client; logger: Logger; metrics: Metrics },
): AuditSourceParts {
  const bulk = new BulkIndexer(
    deps.opensearch,
    { ...bulkOptionsFrom(cfg), prefix: genesysAuditPrefix(cfg.INDEX_PREFIX) },
    { logger: deps.logger, metrics: deps.metrics, quarantine: deps.quarantine },
  );
  return {
    options: {
      client: deps.genesys,
      ...(cfg.EVIDENCE_BUCKET !== undefined ? { evidence: createEvidenceWriter(deps.s3, cfg.EVIDENCE_BUCKET) } : {}),
      people: new LRUCache({ max: 10_000, ttl: cfg.GENESYS_CACHE_TTL_SECS * 1000 }),
      bulk,
      quarantine: deps.quarantine,
      logger: deps.logger,
      metrics: deps.metrics,
      opensearch: deps.opensearch,
      indexPrefix: cfg.INDEX_PREFIX,
      apis: cfg.GENESYS_AUDIT_APIS as AuditApi[],
      windowSecs: cfg.GENESYS_AUDIT_WINDOW_SECS,
      overlapSecs: cfg.GENESYS_AUDIT_OVERLAP_SECS,
      firstLookbackSecs: cfg.GENESYS_AUDIT_FIRST_LOOKBACK_SECS,
    },
    async close() {
      await bulk.flush();
      await bulk.close();
    },
  };
}
