import type { Client } from '@opensearch-project/opensearch';
import { AuditError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

export interface AliasState {
  /** A concrete index named like the alias: no alias of that name can exist. */
  readonly squatted: boolean;
  /** Open monthly indices that do not carry the read alias (created before the template). */
  readonly missingOn: readonly string[];
}

/**
 * The open monthly indices `<prefix>-YYYY.MM`, each with the names of its aliases. Only those:
 * `<prefix>-alerts` and `<prefix>-detect-state` match `<prefix>-*` too and must stay out of the
 * events' read alias.
 */
async function aliasesOf(client: Client, prefix: string): Promise<Map<string, readonly string[]>> {
  const res = await client.transport.request(
    { method: 'GET', path: `/${encodeURIComponent(`${prefix}-*`)}/_alias`, querystring: { allow_no_indices: true, expand_wildcards: 'open' } },
    { ignore: [404] },
  );
  const byIndex = (res.statusCode === 200 ? res.body : {}) as Record<string, { aliases?: Record<string, unknown> }>;
  const monthlyName = new RegExp(`^${prefix.replace(/[^a-z0-9]/g, (c) => `\\${c}`)}-\\d{4}\\.\\d{2}$`);
  return new Map(
    Object.entries(byIndex)
      .filter(([index]) => monthlyName.test(index))
      .map(([index, v]) => [index, Object.keys(v.aliases ?? {})]),
  );
}

/** Read-only: the read alias `alias` against the monthly indices `<prefix>-*`. */
export async function readAliasState(client: Client, prefix: string, alias: string = prefix): Promise<AliasState> {
  const own = await client.transport.request({ method: 'GET', path: `/${encodeURIComponent(alias)}/_alias` }, { ignore: [404] });
  // For an alias the answer is keyed by the indices behind it; only a concrete index is keyed by its own name.
  const squatted = own.statusCode === 200 && Object.hasOwn((own.body ?? {}) as object, alias);
  const monthly = await aliasesOf(client, prefix);
  const missingOn = [...monthly]
    .filter(([, aliases]) => !aliases.includes(alias))
    .map(([index]) => index)
    .sort();
  return { squatted, missingOn };
}

const squatting = (alias: string): AuditError =>
  new AuditError(
    'SETUP_MISMATCH',
    `an index named ${alias} exists, so the read alias ${alias} cannot be created; reindex it into a monthly index, or choose another INDEX_PREFIX or INDEX_ALIAS`,
  );

/** Before setup writes anything: a concrete index with the alias's name makes the whole layout impossible. */
export async function assertAliasNameFree(client: Client, prefix: string, alias: string = prefix): Promise<void> {
  if ((await readAliasState(client, prefix, alias)).squatted) throw squatting(alias);
}

/**
 * Puts the read alias on monthly indices that lack it (`setup` only). A concrete index squatting
 * the alias name is refused, never removed: it may hold evidence.
 */
export async function ensureReadAlias(client: Client, prefix: string, logger: Logger, alias: string = prefix): Promise<{ added: readonly string[] }> {
  const state = await readAliasState(client, prefix, alias);
  if (state.squatted) throw squatting(alias);
  if (state.missingOn.length === 0) return { added: [] };
  try {
    await client.transport.request({
      method: 'POST',
      path: '/_aliases',
      body: { actions: state.missingOn.map((index) => ({ add: { index, alias } })) },
    });
  } catch (cause) {
    logger.error({ err: describeError(cause), alias }, 'Could not add the read alias to existing monthly indices.');
    throw new AuditError('SINK_REJECTED', `could not add the alias ${alias} to ${state.missingOn.join(', ')}`, { cause });
  }
  logger.info({ alias, indices: state.missingOn }, 'Read alias added to existing monthly indices.');
  return { added: state.missingOn };
}

/** Whether one prefix's `<prefix>-*` pattern also matches the other's monthly indices. */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}-`) || b.startsWith(`${a}-`);
}

/** Refused before setup writes anything: two generations whose index patterns overlap cannot be told apart. */
export function assertMovable(fromPrefix: string, toPrefix: string): void {
  if (overlaps(fromPrefix, toPrefix)) {
    throw new AuditError(
      'CONFIG_INVALID',
      `--take-alias-from ${fromPrefix}: its indices ${fromPrefix}-* and this INDEX_PREFIX's ${toPrefix}-* overlap; a rebuild needs a prefix outside the old one's pattern (for example ${fromPrefix.replace(/-+$/, '')}2)`,
    );
  }
}

export interface AliasMove {
  /** Indices of the old prefix the alias was taken from (they stay, with their documents). */
  readonly removedFrom: readonly string[];
  /** Indices of the new prefix the alias was put on. */
  readonly addedTo: readonly string[];
}

/**
 * The last step of a rebuild (docs/operations/setup.md): in one `_aliases` request, which
 * OpenSearch applies atomically, the read alias leaves every `<fromPrefix>-*` index and joins every
 * `<toPrefix>-*` index. A search through the alias sees either generation, never both, so no record
 * is counted twice and none is missing. The old indices are not touched otherwise: they are
 * evidence until their retention ends.
 */
export async function moveReadAlias(client: Client, alias: string, fromPrefix: string, toPrefix: string, logger: Logger): Promise<AliasMove> {
  assertMovable(fromPrefix, toPrefix);
  const from = [...(await aliasesOf(client, fromPrefix))].filter(([, a]) => a.includes(alias)).map(([index]) => index);
  const to = [...(await aliasesOf(client, toPrefix))].map(([index]) => index);
  if (to.length === 0) {
    throw new AuditError(
      'SETUP_MISMATCH',
      `no ${toPrefix}-* index exists to take the alias ${alias}: replay the log objects into INDEX_PREFIX=${toPrefix} first`,
    );
  }
  const actions = [...from.sort().map((index) => ({ remove: { index, alias } })), ...to.sort().map((index) => ({ add: { index, alias } }))];
  try {
    await client.transport.request({ method: 'POST', path: '/_aliases', body: { actions } });
  } catch (cause) {
    logger.error({ err: describeError(cause), alias, fromPrefix, toPrefix }, 'Could not move the read alias.');
    throw new AuditError('SINK_REJECTED', `could not move the alias ${alias} from ${fromPrefix}-* to ${toPrefix}-*`, { cause });
  }
  logger.info({ alias, removedFrom: from, addedTo: to }, 'Read alias moved to the rebuilt indices.');
  return { removedFrom: from.sort(), addedTo: to.sort() };
}
