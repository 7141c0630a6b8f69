import type { Client } from '@opensearch-project/opensearch';
import { readAliasOf, type Config } from '../../config/schema.js';
import { AuditError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { INDEX_MAPPINGS, INDEX_SORT, MAPPING_REVISION } from '../../event/mapping.js';
import type { IdCutover } from '../../event/document-id.js';
import { readAliasState } from './alias.js';
import { installedIdCutover, withIdCutover } from './document-ids.js';
import { indexFamilies } from './families.js';
import { verifyIsmPolicy, type IsmVerification } from './ism.js';
import { verifyIndexTemplate, type IndexMappings, type TemplateVerification } from './template.js';

/** The command that repairs every mismatch below; every refusal names it. */
export const SETUP_COMMAND = 'recording-audit setup';

export type SetupSettings = Pick<Config, 'INDEX_PREFIX' | 'INDEX_SHARDS' | 'INDEX_REPLICAS' | 'RETENTION_DAYS'> & { readonly INDEX_ALIAS?: string | undefined };

export interface SetupVerification {
  readonly ok: boolean;
  /** One sentence per mismatch, each naming the template, alias or policy concerned. */
  readonly problems: readonly string[];
  readonly template: TemplateVerification;
  readonly ism: IsmVerification;
  /** The access events' id cutover the template records (src/event/document-id.ts): the writer must use it. */
  readonly idCutover: IdCutover | undefined;
}

/**
 * Read-only comparison of the cluster with what `recording-audit setup` installs for these
 * settings: GETs only, so it runs under the worker's role, which may not write templates,
 * aliases or ISM policies. Without the ISM plugin there is no policy to compare (a warning).
 */
export async function verifyIndexSetup(
  client: Client,
  cfg: SetupSettings,
  logger: Logger,
  mappings: IndexMappings = INDEX_MAPPINGS,
  revision = MAPPING_REVISION,
): Promise<SetupVerification> {
  const prefix = cfg.INDEX_PREFIX;
  const problems: string[] = [];
  // The access events' template may carry the index sort or not (the cluster's version when setup ran).
  // The cutover is part of the template `setup` chose for this prefix; the comparison includes it.
  const { cutover: idCutover } = await installedIdCutover(client, prefix);
  const template = await verifyIndexTemplate(client, cfg, withIdCutover(mappings, idCutover), revision, INDEX_SORT);
  if (template.state === 'missing') problems.push(`index template ${prefix} is missing`);
  if (template.state === 'older' || template.state === 'differs') problems.push(template.problem);
  if (template.state === 'newer') {
    logger.warn(
      { template: prefix, installedRevision: template.revision, revision },
      'The index template is of a later mapping revision (a newer release ran setup); writing with this one.',
    );
  }

  // The other datasets' templates: exact, a later revision passes as for the access events.
  for (const family of indexFamilies(cfg).filter((f) => f.dataset !== 'aws.s3access')) {
    const name = family.settings.INDEX_PREFIX;
    const found = await verifyIndexTemplate(client, family.settings, family.mappings, family.revision);
    if (found.state === 'missing') problems.push(`index template ${name} (${family.dataset} events) is missing`);
    if (found.state === 'older' || found.state === 'differs') problems.push(found.problem);
  }

  const aliasName = readAliasOf(cfg);
  for (const family of indexFamilies(cfg)) {
    const alias = await readAliasState(client, family.settings.INDEX_PREFIX, aliasName);
    if (alias.squatted && family.dataset === 'aws.s3access') problems.push(`an index named ${aliasName} exists where the read alias ${aliasName} belongs`);
    if (alias.missingOn.length > 0) problems.push(`monthly index(es) without the read alias ${aliasName}: ${alias.missingOn.join(', ')}`);
  }

  const ism = await verifyIsmPolicy(client, cfg, logger);
  if (ism.state === 'missing') problems.push(`ISM policy ${ism.policyId} is missing (expected: ${ism.expected})`);
  if (ism.state === 'differs')
    problems.push(
      `ISM policy ${ism.policyId} differs from RETENTION_DAYS=${cfg.RETENTION_DAYS}: installed "${ism.installed ?? '(no description)'}", expected "${ism.expected}"`,
    );
  return { ok: problems.length === 0, problems, template, ism, idCutover };
}

/**
 * The worker's start: refuses (SETUP_MISMATCH, exit 78) unless the cluster holds exactly what
 * `setup` installs. It never repairs anything itself, so neither a typo in RETENTION_DAYS nor a
 * compromised task can rewrite the retention policy or the mappings.
 */
export async function assertIndexSetup(
  client: Client,
  cfg: SetupSettings,
  logger: Logger,
  mappings: IndexMappings = INDEX_MAPPINGS,
): Promise<SetupVerification> {
  const result = await verifyIndexSetup(client, cfg, logger, mappings);
  if (result.ok) return result;
  const fix = `Run \`${SETUP_COMMAND}\` with an admin identity and the same INDEX_PREFIX, INDEX_ALIAS, INDEX_SHARDS, INDEX_REPLICAS and RETENTION_DAYS (docs/operations/setup.md); the worker never changes the setup itself.`;
  logger.error({ indexPrefix: cfg.INDEX_PREFIX, problems: result.problems, fix }, 'OpenSearch setup does not match this worker; refusing to start.');
  throw new AuditError(
    'SETUP_MISMATCH',
    `OpenSearch setup does not match this worker (INDEX_PREFIX=${cfg.INDEX_PREFIX}):\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n${fix}`,
    {
      details: { problems: result.problems },
    },
  );
}
