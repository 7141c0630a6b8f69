import { monthlyIndexPatterns } from './index-name.js';
import { createHash } from 'node:crypto';
import { errors, type Client } from '@opensearch-project/opensearch';
import { retentionFloorProblem } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { AuditError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';

export type IsmSettings = Pick<Config, 'INDEX_PREFIX' | 'RETENTION_DAYS'>;

/**
 * A monthly index is created when the month's first event arrives, but holds events up to the end
 * of that month. ISM ages an index from its creation, so deleting at creation + RETENTION_DAYS
 * would remove the month's last events up to a month early. The extra month keeps every event for
 * at least RETENTION_DAYS.
 */
export const MONTH_MARGIN_DAYS = 31;

export function ismPolicyId(prefix: string): string {
  return `${prefix}-retention`;
}

export interface IsmPolicyBody {
  policy: {
    description: string;
    default_state: string;
    states: unknown[];
    ism_template: { index_patterns: string[]; priority: number }[];
  };
}

/**
 * hot → delete after RETENTION_DAYS + one month, attached to new `<prefix>-*` indices through
 * `ism_template` (never through `index.plugins.index_state_management.*` settings in the index
 * template: those make every index creation fail on a cluster without ISM). The description ends
 * with a digest of the policy, which is how a later start recognises its own version.
 */
export function ismPolicyBody(cfg: IsmSettings): IsmPolicyBody {
  const prefix = cfg.INDEX_PREFIX;
  const deleteAfterDays = cfg.RETENTION_DAYS + MONTH_MARGIN_DAYS;
  const content = {
    default_state: 'hot',
    states: [
      { name: 'hot', actions: [], transitions: [{ state_name: 'delete', conditions: { min_index_age: `${deleteAfterDays}d` } }] },
      { name: 'delete', actions: [{ delete: {} }], transitions: [] },
    ],
    // Monthly indices only: the alerts and the detection watermark are kept, not aged out with a month.
    ism_template: [{ index_patterns: monthlyIndexPatterns(prefix), priority: 100 }],
  };
  const version = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16);
  return {
    policy: {
      description: `recording-audit retention: delete ${prefix}-* indices ${deleteAfterDays} days after creation (RETENTION_DAYS=${cfg.RETENTION_DAYS} + ${MONTH_MARGIN_DAYS}) [v:${version}]`,
      ...content,
    },
  };
}

/** Whether the index-management plugin answers on this cluster. */
export async function ismAvailable(client: Client, policyId: string): Promise<boolean> {
  try {
    const res = await client.transport.request({ method: 'GET', path: '/_cat/plugins', querystring: { format: 'json', h: 'component' } });
    const rows = res.body as { component?: unknown }[];
    if (Array.isArray(rows)) return rows.some((r) => r.component === 'opensearch-index-management');
  } catch {
    // _cat may be forbidden to this role or absent (Serverless); probe the ISM API itself.
  }
  const res = await client.transport.request({ method: 'GET', path: `/_plugins/_ism/policies/${encodeURIComponent(policyId)}` }, { ignore: [400, 404, 405] });
  if (res.statusCode === 200) return true;
  const text = JSON.stringify(res.body ?? '');
  // Without the plugin the REST layer answers "no handler found for uri"; with it, a missing
  // policy is a 404 "Policy not found".
  return res.statusCode === 404 && !text.includes('no handler found');
}

/** `2223d` → 2223; hours and minutes count as part days. */
export function parseAgeDays(age: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(d|h|m|s|ms)$/.exec(age.trim());
  if (m?.[1] === undefined) return undefined;
  const n = Number(m[1]);
  const perDay: Record<string, number> = { d: 1, h: 24, m: 1440, s: 86400, ms: 86_400_000 };
  return n / (perDay[m[2] ?? 'd'] ?? 1);
}

export interface IsmState {
  name?: string;
  actions?: Record<string, unknown>[];
  transitions?: { state_name?: string; conditions?: { min_index_age?: string } }[];
}

/**
 * The earliest index age at which the policy can reach a state that deletes. Walks transitions
 * from the default state, summing nothing: ISM conditions are absolute index ages, so the first
 * transition into a deleting state decides.
 */
export function earliestDeleteAgeDays(policy: { default_state?: string; states?: IsmState[] }): number | 'never' | 'unknown' {
  const states = new Map((policy.states ?? []).map((s) => [s.name ?? '', s]));
  const deletes = (s: IsmState | undefined): boolean => (s?.actions ?? []).some((a) => 'delete' in a);
  if (deletes(states.get(policy.default_state ?? ''))) return 0;
  let earliest: number | 'never' = 'never';
  for (const state of states.values()) {
    for (const t of state.transitions ?? []) {
      if (!deletes(states.get(t.state_name ?? ''))) continue;
      const age = t.conditions?.min_index_age;
      const days = age === undefined ? 0 : parseAgeDays(age);
      if (days === undefined) return 'unknown';
      earliest = earliest === 'never' ? days : Math.min(earliest, days);
    }
  }
  return earliest;
}

export type IsmResult = 'created' | 'updated' | 'unchanged' | 'absent';

interface StoredPolicy {
  _seq_no?: number;
  _primary_term?: number;
  // GET answers { policy: {...} }; some versions wrap once more ({ policy: { policy: {...} } }).
  policy?: StoredContent & { policy?: StoredContent };
}

interface StoredContent {
  description?: string;
  default_state?: string;
  states?: IsmState[];
  ism_template?: { index_patterns?: string[] }[] | { index_patterns?: string[] };
}

const storedContent = (p: StoredPolicy | undefined): StoredContent | undefined => p?.policy?.policy ?? p?.policy;
const storedDescription = (p: StoredPolicy | undefined): string | undefined => storedContent(p)?.description;

const policyPath = (policyId: string): string => `/_plugins/_ism/policies/${encodeURIComponent(policyId)}`;

async function readPolicy(client: Client, policyId: string): Promise<StoredPolicy | undefined> {
  const res = await client.transport.request({ method: 'GET', path: policyPath(policyId) }, { ignore: [404] });
  return res.statusCode === 404 ? undefined : (res.body as StoredPolicy);
}

function warnNoIsm(cfg: IsmSettings, logger: Logger): void {
  logger.warn(
    { retentionDays: cfg.RETENTION_DAYS, indexPattern: `${cfg.INDEX_PREFIX}-*` },
    'Index State Management is not installed: monthly indices are never deleted by OpenSearch. Enforce RETENTION_DAYS another way.',
  );
}

export type IsmVerification =
  | { readonly state: 'absent' | 'matches'; readonly policyId: string }
  | { readonly state: 'missing' | 'differs'; readonly policyId: string; readonly installed?: string; readonly expected: string };

/**
 * Read-only: whether the installed policy is the one `setup` installs for these settings (its
 * description carries a digest of the whole policy). Never writes, so the worker can call it.
 */
export async function verifyIsmPolicy(client: Client, cfg: IsmSettings, logger: Logger): Promise<IsmVerification> {
  const policyId = ismPolicyId(cfg.INDEX_PREFIX);
  if (!(await ismAvailable(client, policyId))) {
    warnNoIsm(cfg, logger);
    return { state: 'absent', policyId };
  }
  const expected = ismPolicyBody(cfg).policy.description;
  const stored = await readPolicy(client, policyId);
  if (stored === undefined) return { state: 'missing', policyId, expected };
  const installed = storedDescription(stored);
  if (installed !== expected) return { state: 'differs', policyId, expected, ...(installed !== undefined ? { installed } : {}) };
  // The description is only a label: a hand-edited policy can keep it while deleting sooner, or
  // stop attaching itself to new indices. What the states and the template do is what counts.
  const content = storedContent(stored) ?? {};
  const deleteAge = earliestDeleteAgeDays(content);
  const wanted = cfg.RETENTION_DAYS + MONTH_MARGIN_DAYS;
  const templates = Array.isArray(content.ism_template) ? content.ism_template : content.ism_template !== undefined ? [content.ism_template] : [];
  const months = monthlyIndexPatterns(cfg.INDEX_PREFIX);
  if (deleteAge !== wanted || !templates.some((t) => months.every((m) => (t.index_patterns ?? []).includes(m)))) {
    const does =
      deleteAge === 'never' ? 'never deletes' : deleteAge === 'unknown' ? 'deletes on a condition this build cannot read' : `deletes after ${deleteAge} days`;
    return {
      state: 'differs',
      policyId,
      expected,
      installed: `${installed} (but its states: ${does}, not after ${wanted} days, or it does not attach to new ${cfg.INDEX_PREFIX}-* indices)`,
    };
  }
  return { state: 'matches', policyId };
}

export interface IsmInstallOptions {
  /** `setup --allow-short-retention`: install a policy below RETENTION_FLOOR_DAYS. */
  readonly allowShortRetention?: boolean;
}

/** Throws CONFIG_INVALID for a retention below the floor unless explicitly allowed. */
export function assertRetentionFloor(retentionDays: number, options: IsmInstallOptions): void {
  const floor = retentionFloorProblem(retentionDays);
  if (floor !== undefined && options.allowShortRetention !== true) {
    throw new AuditError('CONFIG_INVALID', `Invalid configuration:\n  ${floor.setting}: ${floor.problem}`, { details: { problems: [floor] } });
  }
}

/** Installs or updates the policy: `recording-audit setup` only (an admin identity), never the worker. */
export async function ensureIsmPolicy(
  client: Client,
  cfg: IsmSettings,
  logger: Logger,
  options: IsmInstallOptions = {},
): Promise<{ result: IsmResult; policyId: string }> {
  const policyId = ismPolicyId(cfg.INDEX_PREFIX);
  // Here as well as in setup: a policy that deletes evidence early is never written by mistake,
  // whatever called this.
  assertRetentionFloor(cfg.RETENTION_DAYS, options);
  if (!(await ismAvailable(client, policyId))) {
    warnNoIsm(cfg, logger);
    return { result: 'absent', policyId };
  }
  const body = ismPolicyBody(cfg);
  const path = policyPath(policyId);
  const read = (): Promise<StoredPolicy | undefined> => readPolicy(client, policyId);
  const stored = await read();
  if (storedDescription(stored) === body.policy.description) return { result: 'unchanged', policyId };

  try {
    const querystring = stored !== undefined ? { if_seq_no: stored._seq_no, if_primary_term: stored._primary_term } : undefined;
    await client.transport.request({ method: 'PUT', path, body, ...(querystring ? { querystring } : {}) });
  } catch (cause) {
    // Two workers starting together: the other one installed the same policy first.
    if (cause instanceof errors.ResponseError && cause.statusCode === 409 && storedDescription(await read()) === body.policy.description) {
      return { result: 'unchanged', policyId };
    }
    logger.error({ err: describeError(cause), policyId }, 'Could not install the ISM retention policy.');
    throw new AuditError('SINK_REJECTED', `ISM policy ${policyId} is missing or outdated and could not be installed`, { cause });
  }
  const result: IsmResult = stored === undefined ? 'created' : 'updated';
  await attachToExistingIndices(client, cfg.INDEX_PREFIX, policyId, result, logger);
  logger.info({ policyId, result, deleteAfterDays: cfg.RETENTION_DAYS + MONTH_MARGIN_DAYS }, 'ISM retention policy installed.');
  return { result, policyId };
}

/**
 * `ism_template` only catches indices created after the policy. Indices from before get the policy
 * added (those already managed report a failure, which is expected); on an update, managed indices
 * are switched to the new version.
 */
async function attachToExistingIndices(client: Client, prefix: string, policyId: string, result: IsmResult, logger: Logger): Promise<void> {
  const target = monthlyIndexPatterns(prefix).map(encodeURIComponent).join(',');
  try {
    await client.transport.request({ method: 'POST', path: `/_plugins/_ism/add/${target}`, body: { policy_id: policyId } });
    if (result === 'updated') {
      await client.transport.request({ method: 'POST', path: `/_plugins/_ism/change_policy/${target}`, body: { policy_id: policyId } });
    }
  } catch (cause) {
    logger.warn({ err: describeError(cause), policyId }, 'Could not attach the ISM policy to existing indices.');
  }
}
