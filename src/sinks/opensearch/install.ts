import type { Client } from '@opensearch-project/opensearch';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import { assertAliasNameFree, ensureReadAlias } from './alias.js';
import { assertRetentionFloor, ensureIsmPolicy, type IsmInstallOptions, type IsmResult } from './ism.js';
import { ensureIndexTemplate, type IndexMappings, type TemplateResult } from './template.js';

export interface SetupReport {
  /** Composable template name (= INDEX_PREFIX). */
  readonly template: string;
  readonly templateResult: TemplateResult;
  readonly templateVersion: string;
  /** True when an updated mapping was also put on the existing monthly indices. */
  readonly existingIndicesUpdated: boolean;
  /** Index pattern the template and the policy cover: `<prefix>-*`. */
  readonly indexPattern: string;
  /** Read alias every monthly index joins (= INDEX_PREFIX). */
  readonly alias: string;
  /** Existing monthly indices the alias was added to (created before the template). */
  readonly aliasAddedTo: readonly string[];
  readonly ismPolicyId: string;
  /** `absent`: the cluster has no index-management plugin; nothing deletes old indices. */
  readonly ism: IsmResult;
}

/**
 * ensureIndexSetup with explicit mappings (tests, tools). Writes templates, aliases and the ISM
 * policy: `recording-audit setup` with an admin identity, never the worker (verify.ts).
 */
export async function ensureIndexSetupWith(
  client: Client,
  cfg: Pick<Config, 'INDEX_PREFIX' | 'INDEX_SHARDS' | 'INDEX_REPLICAS' | 'RETENTION_DAYS'>,
  logger: Logger,
  mappings: IndexMappings,
  options: IsmInstallOptions = {},
): Promise<SetupReport> {
  // Before anything is written, so a refused retention leaves the cluster as it was.
  assertRetentionFloor(cfg.RETENTION_DAYS, options);
  await assertAliasNameFree(client, cfg.INDEX_PREFIX);
  const template = await ensureIndexTemplate(client, cfg, mappings, logger);
  const alias = await ensureReadAlias(client, cfg.INDEX_PREFIX, logger);
  const ism = await ensureIsmPolicy(client, cfg, logger, options);
  return {
    template: cfg.INDEX_PREFIX,
    templateResult: template.result,
    templateVersion: template.version,
    existingIndicesUpdated: template.existingIndicesUpdated,
    indexPattern: `${cfg.INDEX_PREFIX}-*`,
    alias: cfg.INDEX_PREFIX,
    aliasAddedTo: alias.added,
    ismPolicyId: ism.policyId,
    ism: ism.result,
  };
}
