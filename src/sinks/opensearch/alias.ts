import type { Client } from '@opensearch-project/opensearch';
import { AuditError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

export interface AliasState {
  /** A concrete index named like the alias: no alias of that name can exist. */
  readonly squatted: boolean;
  /** Open monthly indices that do not carry the read alias (created before the template). */
  readonly missingOn: readonly string[];
}

/** Read-only: the read alias `<prefix>` against the monthly indices `<prefix>-*`. */
export async function readAliasState(client: Client, prefix: string): Promise<AliasState> {
  const own = await client.transport.request({ method: 'GET', path: `/${encodeURIComponent(prefix)}/_alias` }, { ignore: [404] });
  // For an alias the answer is keyed by the indices behind it; only a concrete index is keyed by its own name.
  const squatted = own.statusCode === 200 && Object.hasOwn((own.body ?? {}) as object, prefix);
  const monthly = await client.transport.request(
    { method: 'GET', path: `/${encodeURIComponent(`${prefix}-*`)}/_alias`, querystring: { allow_no_indices: true, expand_wildcards: 'open' } },
    { ignore: [404] },
  );
  const byIndex = (monthly.statusCode === 200 ? monthly.body : {}) as Record<string, { aliases?: Record<string, unknown> }>;
  // Only the monthly indices: `<prefix>-alerts` and `<prefix>-detect-state` match `<prefix>-*` too
  // and must stay out of the events' read alias.
  const monthlyName = new RegExp(`^${prefix.replace(/[^a-z0-9]/g, (c) => `\\${c}`)}-\\d{4}\\.\\d{2}$`);
  const missingOn = Object.entries(byIndex)
    .filter(([index, v]) => monthlyName.test(index) && v.aliases?.[prefix] === undefined)
    .map(([index]) => index)
    .sort();
  return { squatted, missingOn };
}

const squatting = (prefix: string): AuditError =>
  new AuditError(
    'SETUP_MISMATCH',
    `an index named ${prefix} exists, so the read alias ${prefix} cannot be created; reindex it into a monthly index, or choose another INDEX_PREFIX`,
  );

/** Before setup writes anything: a concrete index with the alias's name makes the whole layout impossible. */
export async function assertAliasNameFree(client: Client, prefix: string): Promise<void> {
  if ((await readAliasState(client, prefix)).squatted) throw squatting(prefix);
}

/**
 * Puts the read alias on monthly indices that lack it (`setup` only). A concrete index squatting
 * the alias name is refused, never removed: it may hold evidence.
 */
export async function ensureReadAlias(client: Client, prefix: string, logger: Logger): Promise<{ added: readonly string[] }> {
  const state = await readAliasState(client, prefix);
  if (state.squatted) throw squatting(prefix);
  if (state.missingOn.length === 0) return { added: [] };
  try {
    await client.transport.request({
      method: 'POST',
      path: '/_aliases',
      body: { actions: state.missingOn.map((index) => ({ add: { index, alias: prefix } })) },
    });
  } catch (cause) {
    logger.error({ err: describeError(cause), alias: prefix }, 'Could not add the read alias to existing monthly indices.');
    throw new AuditError('SINK_REJECTED', `could not add the alias ${prefix} to ${state.missingOn.join(', ')}`, { cause });
  }
  logger.info({ alias: prefix, indices: state.missingOn }, 'Read alias added to existing monthly indices.');
  return { added: state.missingOn };
}
