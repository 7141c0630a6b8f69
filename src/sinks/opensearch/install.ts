import type { Client } from '@opensearch-project/opensearch';
import { readAliasOf, type Config } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import type { IdCutover } from '../../event/document-id.js';
import { NEW_MONTHS_ONLY } from '../../event/mapping.js';
import { assertAliasNameFree, assertMovable, ensureReadAlias, moveReadAlias } from './alias.js';
import { assertRetentionFloor, ensureIsmPolicy, type IsmInstallOptions, type IsmResult } from './ism.js';
import { chooseIdCutover, withIdCutover } from './document-ids.js';
import { indexFamilies } from './families.js';
import { ensureIndexTemplate, indexSortFor, type IndexMappings, type TemplateResult } from './template.js';

export interface SetupReport {
  /** Composable template name (= INDEX_PREFIX). */
  readonly template: string;
  readonly templateResult: TemplateResult;
  readonly templateVersion: string;
  /** From which month (`YYYY.MM`) the access events' document ids are short (src/event/document-id.ts); undefined: never. */
  readonly idCutover: IdCutover | undefined;
  /** The access events' index sort in the template (src/event/mapping.ts INDEX_SORT); undefined on a cluster before 3.2. */
  readonly indexSort: readonly string[] | undefined;
  /** The Genesys audit events' template (`<prefix>.genesys`), installed beside the access events' one. */
  readonly auditTemplate: { readonly name: string; readonly result: TemplateResult; readonly version: string };
  /** Every family's template but the access events' (the Genesys audit one included), in indexFamilies order. */
  readonly familyTemplates: readonly { readonly dataset: string; readonly name: string; readonly result: TemplateResult; readonly version: string }[];
  /** True when an updated mapping was also put on the existing monthly indices. */
  readonly existingIndicesUpdated: boolean;
  /** Index pattern the template and the policy cover: `<prefix>-*`. */
  readonly indexPattern: string;
  /** Read alias every monthly index joins (INDEX_ALIAS, else INDEX_PREFIX). */
  readonly alias: string;
  /** With `takeAliasFrom`: the old prefix's indices the alias left (they keep their documents). */
  readonly aliasRemovedFrom: readonly string[];
  /** Existing monthly indices the alias was added to (created before the template). */
  readonly aliasAddedTo: readonly string[];
  readonly ismPolicyId: string;
  /** `absent`: the cluster has no index-management plugin; nothing deletes old indices. */
  readonly ism: IsmResult;
}

export interface SetupOptions extends IsmInstallOptions {
  /** The old INDEX_PREFIX whose indices hand the read alias over to this prefix's (the end of a rebuild). */
  readonly takeAliasFrom?: string;
  /** The time the id cutover is chosen from (tests); default now. */
  readonly now?: number;
}

/**
 * ensureIndexSetup with explicit mappings (tests, tools). Writes templates, aliases and the ISM
 * policy: `recording-audit setup` with an admin identity, never the worker (verify.ts).
 */
export async function ensureIndexSetupWith(
  client: Client,
  cfg: Pick<Config, 'INDEX_PREFIX' | 'INDEX_SHARDS' | 'INDEX_REPLICAS' | 'RETENTION_DAYS'> & { readonly INDEX_ALIAS?: string | undefined },
  logger: Logger,
  mappings: IndexMappings,
  options: SetupOptions = {},
): Promise<SetupReport> {
  const aliasName = readAliasOf(cfg);
  // Before anything is written, so a refused retention leaves the cluster as it was.
  assertRetentionFloor(cfg.RETENTION_DAYS, options);
  if (options.takeAliasFrom !== undefined) assertMovable(options.takeAliasFrom, cfg.INDEX_PREFIX);
  await assertAliasNameFree(client, cfg.INDEX_PREFIX, aliasName);
  // Sorted monthly indices where the cluster can sort them (src/event/mapping.ts INDEX_SORT).
  const sort = await indexSortFor(client, mappings, logger);
  // Chosen once and then read back from the template: a month never changes its id form.
  const idCutover = await chooseIdCutover(client, cfg.INDEX_PREFIX, options.now ?? Date.now());
  const template = await ensureIndexTemplate(client, cfg, withIdCutover(mappings, idCutover), logger, undefined, sort, NEW_MONTHS_ONLY);
  const others = indexFamilies(cfg).filter((f) => f.dataset !== 'aws.s3access');
  const familyTemplates: SetupReport['familyTemplates'][number][] = [];
  for (const family of others) {
    const t = await ensureIndexTemplate(client, family.settings, family.mappings, logger, family.revision);
    familyTemplates.push({ dataset: family.dataset, name: family.settings.INDEX_PREFIX, result: t.result, version: t.version });
  }
  const auditTemplate = familyTemplates.find((t) => t.dataset === 'genesys.audit')!;
  // The move first: it puts the alias on every rebuilt index in the same request that takes it
  // off the old ones, so ensureReadAlias below finds nothing left to add.
  const moved = options.takeAliasFrom === undefined ? undefined : await moveReadAlias(client, aliasName, options.takeAliasFrom, cfg.INDEX_PREFIX, logger);
  const alias = await ensureReadAlias(client, cfg.INDEX_PREFIX, logger, aliasName);
  const familyAliasAdded: string[] = [];
  for (const family of others) familyAliasAdded.push(...(await ensureReadAlias(client, family.settings.INDEX_PREFIX, logger, aliasName)).added);
  const ism = await ensureIsmPolicy(client, cfg, logger, options);
  return {
    template: cfg.INDEX_PREFIX,
    templateResult: template.result,
    templateVersion: template.version,
    idCutover,
    indexSort: sort?.field,
    auditTemplate: { name: auditTemplate.name, result: auditTemplate.result, version: auditTemplate.version },
    familyTemplates,
    existingIndicesUpdated: template.existingIndicesUpdated,
    indexPattern: `${cfg.INDEX_PREFIX}-*`,
    alias: aliasName,
    aliasAddedTo: [...(moved?.addedTo ?? []), ...alias.added, ...familyAliasAdded],
    aliasRemovedFrom: moved?.removedFrom ?? [],
    ismPolicyId: ism.policyId,
    ism: ism.result,
  };
}
