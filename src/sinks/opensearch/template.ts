import { createHash } from 'node:crypto';
import type { Client } from '@opensearch-project/opensearch';
import { z } from 'zod';
import { readAliasOf, type Config } from '../../config/schema.js';
import { AuditError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { INDEX_ANALYSIS, INDEX_CODEC, INDEX_SORT, mappingLeaves, MAPPING_REVISION } from '../../event/mapping.js';

/** The `mappings` object of the index template (src/event/mapping.ts INDEX_MAPPINGS). */
export type IndexMappings = Readonly<Record<string, unknown>>;

export type TemplateSettings = Pick<Config, 'INDEX_PREFIX' | 'INDEX_SHARDS' | 'INDEX_REPLICAS'> & {
  readonly INDEX_ALIAS?: string | undefined;
  /** Template priority; default TEMPLATE_PRIORITY. */
  readonly templatePriority?: number;
};

/** Above the priority of catch-all templates, so ours decides for `<prefix>-*`. */
export const TEMPLATE_PRIORITY = 200;
const MANAGED_BY = 'recording-audit';

/** `index.sort` of a template (src/event/mapping.ts INDEX_SORT). */
export interface IndexSort {
  readonly field: readonly string[];
  readonly order: readonly string[];
}

export interface IndexTemplateBody {
  index_patterns: string[];
  priority: number;
  template: {
    settings: {
      index: { number_of_shards: number; number_of_replicas: number; codec: string; analysis: typeof INDEX_ANALYSIS; sort?: IndexSort };
    };
    mappings: IndexMappings;
    aliases: Record<string, Record<string, never>>;
  };
  _meta: { managed_by: string; version: string; mapping_revision: number };
}

/**
 * The composable template `<prefix>` for `<prefix>-*`. `_meta.version` is a digest of everything
 * else in it, so any change (mapping, shards, replicas) is an update and nothing else is.
 * `_meta.mapping_revision` only goes up: a worker never replaces a template of a later revision.
 */
export function indexTemplateBody(cfg: TemplateSettings, mappings: IndexMappings, revision = MAPPING_REVISION, sort?: IndexSort): IndexTemplateBody {
  const prefix = cfg.INDEX_PREFIX;
  const content = {
    index_patterns: [`${prefix}-*`],
    priority: cfg.templatePriority ?? TEMPLATE_PRIORITY,
    template: {
      // The analysis settings hold the normalizer the mapping names (src/event/mapping.ts).
      settings: {
        index: {
          number_of_shards: cfg.INDEX_SHARDS,
          number_of_replicas: cfg.INDEX_REPLICAS,
          codec: INDEX_CODEC,
          analysis: INDEX_ANALYSIS,
          ...(sort === undefined ? {} : { sort }),
        },
      },
      mappings,
      // Every monthly index joins the read alias when it is created.
      aliases: { [readAliasOf(cfg)]: {} },
    },
  };
  const version = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16);
  return { ...content, _meta: { managed_by: MANAGED_BY, version, mapping_revision: revision } };
}

export type TemplateResult = 'created' | 'updated' | 'unchanged' | 'newer';

/** The mappings without the leaf fields at `paths` (dotted), for a mapping update that must not touch them. */
export function mappingsWithout(mappings: IndexMappings, paths: readonly string[]): IndexMappings {
  if (paths.length === 0) return mappings;
  const drop = (node: Readonly<Record<string, unknown>>, prefix: string): Record<string, unknown> => {
    const props = node.properties as Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined;
    if (props === undefined) return { ...node };
    const out: Record<string, unknown> = {};
    for (const [name, child] of Object.entries(props)) {
      const path = `${prefix}${name}`;
      if (!paths.includes(path)) out[name] = drop(child, `${path}.`);
    }
    return { ...node, properties: out };
  };
  return drop(mappings, '');
}

const ClusterInfoSchema = z.object({ version: z.object({ number: z.string(), distribution: z.string().optional() }) });

/**
 * The index sort `setup` puts in the access events' template (src/event/mapping.ts INDEX_SORT):
 * only when the cluster is OpenSearch 3.2 or later, which sorts an index with `nested` fields
 * (2.x refuses to create one: "cannot have nested fields when index sort is activated"), and only
 * when the mappings have the sort fields (a sort field the mapping lacks refuses index creation).
 * A cluster that does not say what it is (a compatibility-mode version number, an error) gets no sort.
 */
export async function indexSortFor(client: Client, mappings: IndexMappings, logger: Logger): Promise<IndexSort | undefined> {
  const leaves = mappingLeaves(mappings as { properties: Record<string, unknown> });
  if (!INDEX_SORT.field.every((f) => leaves.has(f))) return undefined;
  let info: z.infer<typeof ClusterInfoSchema> | undefined;
  try {
    const parsed = ClusterInfoSchema.safeParse((await client.transport.request({ method: 'GET', path: '/' })).body);
    info = parsed.success ? parsed.data : undefined;
  } catch (cause) {
    logger.warn({ err: describeError(cause) }, 'Could not read the cluster version; new monthly indices will not be sorted.');
    return undefined;
  }
  const [major = 0, minor = 0] = (info?.version.number ?? '0').split('.').map(Number);
  const sorts = info?.version.distribution === 'opensearch' && (major > 3 || (major === 3 && minor >= 2));
  return sorts ? INDEX_SORT : undefined;
}

interface InstalledTemplate {
  readonly version: string | null;
  readonly revision: number;
  readonly patterns: readonly string[];
  readonly aliases: readonly string[];
}

/** The installed template's version and revision; undefined when there is none. */
async function installed(client: Client, name: string): Promise<InstalledTemplate | undefined> {
  const res = await client.transport.request({ method: 'GET', path: `/_index_template/${encodeURIComponent(name)}` }, { ignore: [404] });
  if (res.statusCode === 404) return undefined;
  const body = res.body as {
    index_templates?: {
      name?: string;
      index_template?: { index_patterns?: unknown; template?: { aliases?: unknown }; _meta?: { version?: unknown; mapping_revision?: unknown } };
    }[];
  };
  const found = body.index_templates?.find((t) => t.name === name);
  if (found === undefined) return undefined;
  const meta = found.index_template?._meta;
  const patterns = found.index_template?.index_patterns;
  const aliases = found.index_template?.template?.aliases;
  return {
    version: typeof meta?.version === 'string' ? meta.version : null,
    // Templates from before revisions existed count as revision 0.
    revision: typeof meta?.mapping_revision === 'number' ? meta.mapping_revision : 0,
    patterns: Array.isArray(patterns) ? patterns.filter((p): p is string => typeof p === 'string') : [],
    aliases: typeof aliases === 'object' && aliases !== null ? Object.keys(aliases) : [],
  };
}

export type TemplateVerification =
  | { readonly state: 'matches' | 'newer'; readonly version: string; readonly revision: number }
  | { readonly state: 'missing' }
  | { readonly state: 'older' | 'differs'; readonly problem: string };

/**
 * Read-only: whether the installed template is the one `setup` installs for these settings and
 * this build's mappings. A later mapping revision passes (`newer`): during a rolling deploy a newer
 * release's `setup` ran first, and its mapping only adds fields to the ones this build writes.
 */
export async function verifyIndexTemplate(
  client: Client,
  cfg: TemplateSettings,
  mappings: IndexMappings,
  revision = MAPPING_REVISION,
  sort?: IndexSort,
): Promise<TemplateVerification> {
  const name = cfg.INDEX_PREFIX;
  const body = indexTemplateBody(cfg, mappings, revision);
  // With or without the index sort: it depends on the cluster's version when `setup` ran (an
  // upgrade past 3.2 since then is not a reason to stop writing), and changes no field.
  const sorted = sort === undefined ? undefined : indexTemplateBody(cfg, mappings, revision, sort)._meta.version;
  const found = await installed(client, name);
  if (found === undefined) return { state: 'missing' };
  const alias = readAliasOf(cfg);
  if (!found.patterns.includes(`${name}-*`) || !found.aliases.includes(alias)) {
    return {
      state: 'differs',
      problem: `index template ${name} covers ${found.patterns.join(', ') || 'nothing'} and adds the alias(es) ${found.aliases.join(', ') || 'none'}; expected ${name}-* and the alias ${alias}`,
    };
  }
  if (found.revision > revision) return { state: 'newer', version: found.version ?? '', revision: found.revision };
  if (found.revision < revision) {
    return { state: 'older', problem: `index template ${name} has mapping revision ${found.revision}; this build writes revision ${revision}` };
  }
  if (found.version !== body._meta.version && (sorted === undefined || found.version !== sorted)) {
    return {
      state: 'differs',
      problem: `index template ${name} is version ${found.version ?? '(none)'}, not ${body._meta.version} (same mapping revision ${revision}, other mappings or INDEX_SHARDS/INDEX_REPLICAS)`,
    };
  }
  return { state: 'matches', version: found.version ?? body._meta.version, revision };
}

/**
 * Installs the template when missing or when its `_meta.version` differs. The mapping is first put
 * on the existing monthly indices: the current month's index was created from the old template,
 * and a new field would otherwise be refused there until next month. If that fails (a field
 * changing type), the template is left as it was and the start is refused — writing on would
 * quarantine every document of the current month.
 *
 * A template of a later mapping revision is left in place (result `newer`): during a rolling
 * deploy an older worker that started last would otherwise put back its older mapping, and the
 * next month's index, created from it, would refuse the newer workers' fields.
 *
 * Writes: `recording-audit setup` only (an admin identity). The worker calls verifyIndexTemplate.
 */
export async function ensureIndexTemplate(
  client: Client,
  cfg: TemplateSettings,
  mappings: IndexMappings,
  logger: Logger,
  revision = MAPPING_REVISION,
  sort?: IndexSort,
  newMonthsOnly: readonly string[] = [],
): Promise<{ result: TemplateResult; version: string; existingIndicesUpdated: boolean }> {
  const name = cfg.INDEX_PREFIX;
  const body = indexTemplateBody(cfg, mappings, revision, sort);
  const found = await installed(client, name);
  const current = found?.version;
  if (current === body._meta.version) return { result: 'unchanged', version: current, existingIndicesUpdated: false };
  if (found !== undefined && found.revision > revision) {
    logger.warn({ template: name, installedRevision: found.revision, revision }, 'A later worker installed a newer index template; leaving it in place.');
    return { result: 'newer', version: current ?? '', existingIndicesUpdated: false };
  }

  let existingIndicesUpdated = false;
  try {
    const res = await client.transport.request({
      method: 'PUT',
      // `<prefix>-*.*`: the monthly indices (`<prefix>-YYYY.MM`; a prefix has no dot), not the
      // detection indices that also start with `<prefix>-` and have mappings of their own.
      path: `/${encodeURIComponent(`${name}-*.*`)}/_mapping`,
      querystring: { allow_no_indices: true, ignore_unavailable: true, expand_wildcards: 'open' },
      // Fields whose parameters only new months get are left out: existing indices keep theirs.
      body: mappingsWithout(mappings, newMonthsOnly),
    });
    existingIndicesUpdated = (res.body as { acknowledged?: unknown }).acknowledged === true;
  } catch (cause) {
    logger.error({ err: describeError(cause), template: name }, 'The new mapping does not apply to the existing indices.');
    throw new AuditError(
      'SINK_REJECTED',
      `mapping of existing ${name}-* indices cannot be updated (an older mapping revision); template left unchanged. Rebuild into a new INDEX_PREFIX and move the alias with --take-alias-from (docs/operations/setup.md, "Rebuilding older months")`,
      { cause },
    );
  }

  try {
    await client.transport.request({ method: 'PUT', path: `/_index_template/${encodeURIComponent(name)}`, body });
  } catch (cause) {
    logger.error({ err: describeError(cause), template: name }, 'Could not install the index template.');
    throw new AuditError('SINK_REJECTED', `index template ${name} is missing or outdated and could not be installed`, { cause });
  }
  const result: TemplateResult = current === undefined ? 'created' : 'updated';
  logger.info({ template: name, version: body._meta.version, previous: current ?? undefined, result }, 'Index template installed.');
  return { result, version: body._meta.version, existingIndicesUpdated };
}
