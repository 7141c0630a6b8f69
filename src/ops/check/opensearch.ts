import { describeIdCutover } from '../../event/document-id.js';
import { monthlyIndexPatterns } from '../../sinks/opensearch/index-name.js';
import type { Client } from '@opensearch-project/opensearch';
import { RETENTION_FLOOR_DAYS } from '../../config/schema.js';
import { describeError } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { redactSecretsInText } from '../../core/redact-text.js';
import { earliestDeleteAgeDays, ismPolicyBody, ismPolicyId, type IsmState } from '../../sinks/opensearch/ism.js';
import { SETUP_COMMAND, verifyIndexSetup } from '../../sinks/opensearch/verify.js';
import { Rows, type CheckContext, type CheckGroup, type CheckResult } from './types.js';

// Moved next to the policy they read; `check` and its tests keep importing them from here.
export { earliestDeleteAgeDays, parseAgeDays } from '../../sinks/opensearch/ism.js';

interface Answer {
  status: number;
  body: unknown;
}

async function get(client: Client, path: string): Promise<Answer> {
  const res = await client.transport.request({ method: 'GET', path }, { ignore: [404] });
  return { status: res.statusCode ?? 0, body: res.body };
}

function statusOf(err: unknown): number | undefined {
  const meta = (err as { meta?: { statusCode?: unknown } } | null)?.meta;
  return typeof meta?.statusCode === 'number' ? meta.statusCode : undefined;
}

function why(err: unknown): string {
  const { code, message } = describeError(err);
  return redactSecretsInText(`${code}: ${message}`);
}

function fixFor(err: unknown, permission: string): string {
  const status = statusOf(err);
  if (status === 401) return 'The credentials were refused: check OPENSEARCH_AUTH and OPENSEARCH_USERNAME/PASSWORD (or the task role for sigv4).';
  if (status === 403) return `The role in use lacks ${permission}: map it to a role that has it (config/opensearch/roles/, docs/operations/setup.md).`;
  return 'Check OPENSEARCH_URL, the network path (security groups, VPC endpoint) and that the cluster is up.';
}

async function templateCheck(rows: Rows, client: Client, prefix: string): Promise<boolean> {
  const check = `index template ${prefix}`;
  let res: Answer;
  try {
    res = await get(client, `/_index_template/${encodeURIComponent(prefix)}`);
  } catch (err) {
    rows.fail(check, `cannot read it: ${why(err)}`, fixFor(err, 'indices:admin/index_template/get'));
    return false;
  }
  const found = (
    res.body as {
      index_templates?: {
        name?: string;
        index_template?: { index_patterns?: string[]; template?: { aliases?: Record<string, unknown> }; _meta?: { version?: unknown } };
      }[];
    }
  ).index_templates?.find((t) => t.name === prefix);
  if (res.status === 404 || found === undefined) {
    rows.fail(
      check,
      'missing: monthly indices would get dynamic mappings and no read alias',
      `Run \`${SETUP_COMMAND}\` with an admin identity (the worker only verifies the template and refuses to start without it).`,
    );
    return false;
  }
  const t = found.index_template;
  const patterns = t?.index_patterns ?? [];
  if (!patterns.includes(`${prefix}-*`)) {
    rows.fail(check, `covers ${patterns.join(', ')}, not ${prefix}-*`, `Delete the template and run \`${SETUP_COMMAND}\`.`);
    return false;
  }
  if (t?.template?.aliases?.[prefix] === undefined) {
    rows.fail(check, `does not add new indices to the alias ${prefix}`, `Delete the template and run \`${SETUP_COMMAND}\`.`);
    return false;
  }
  const version = typeof t._meta?.version === 'string' ? `, version ${t._meta.version}` : '';
  rows.pass(check, `covers ${prefix}-* and joins the alias ${prefix}${version}`);
  return true;
}

async function aliasCheck(rows: Rows, client: Client, prefix: string, templateOk: boolean): Promise<void> {
  const check = `alias ${prefix}`;
  try {
    const alias = await get(client, `/_alias/${encodeURIComponent(prefix)}`);
    if (alias.status === 200) {
      const indices = Object.keys(alias.body as Record<string, unknown>).sort();
      rows.pass(check, `on ${indices.length} index(es): ${indices.slice(-3).join(', ')}${indices.length > 3 ? ', ...' : ''}`);
      return;
    }
    const concrete = await get(client, `/${encodeURIComponent(prefix)}/_settings`);
    if (concrete.status === 200) {
      rows.fail(
        check,
        `an index named ${prefix} exists, so no alias of that name can be created; searches of ${prefix} miss every monthly index`,
        `Reindex ${prefix} into a monthly index and delete it, or choose another INDEX_PREFIX.`,
      );
      return;
    }
    const monthly = await get(client, `/${encodeURIComponent(`${prefix}-*`)}/_alias`);
    const names = monthly.status === 200 ? Object.keys(monthly.body as Record<string, unknown>) : [];
    if (names.length > 0) {
      rows.fail(
        check,
        `${names.length} monthly index(es) exist but none carries the alias (created before the template?)`,
        `Run \`${SETUP_COMMAND}\` (it adds the alias), or POST /_aliases with {"actions":[{"add":{"index":"${prefix}-*","alias":"${prefix}"}}]}.`,
      );
    } else if (templateOk) {
      rows.pass(check, 'no monthly index yet; the first one joins the alias through the template');
    } else {
      rows.skip(check, 'no monthly index yet, and the template is not in place');
    }
  } catch (err) {
    rows.fail(check, `cannot read aliases: ${why(err)}`, fixFor(err, 'indices:admin/aliases/get'));
  }
}

async function ismCheck(rows: Rows, client: Client, prefix: string, retentionDays: number): Promise<void> {
  const id = ismPolicyId(prefix);
  const check = `ISM policy ${id}`;
  let res: Answer;
  try {
    const raw = await client.transport.request({ method: 'GET', path: `/_plugins/_ism/policies/${encodeURIComponent(id)}` }, { ignore: [400, 404, 405] });
    res = { status: raw.statusCode ?? 0, body: raw.body };
  } catch (err) {
    rows.fail(check, `cannot read it: ${why(err)}`, fixFor(err, 'cluster:admin/opendistro/ism/policy/get'));
    return;
  }
  if (res.status !== 200) {
    if (JSON.stringify(res.body ?? '').includes('no handler found')) {
      rows.warn(
        check,
        'the cluster has no Index State Management plugin: nothing deletes indices after RETENTION_DAYS',
        'Install ISM (Amazon OpenSearch Service has it) or enforce retention with a scheduled job.',
      );
    } else {
      rows.fail(check, 'missing: monthly indices are never deleted and RETENTION_DAYS is not enforced', `Run \`${SETUP_COMMAND}\` with an admin identity.`);
    }
    return;
  }
  const policy =
    (
      res.body as {
        policy?: {
          description?: string;
          default_state?: string;
          states?: IsmState[];
          ism_template?: { index_patterns?: string[] }[] | { index_patterns?: string[] };
        };
      }
    ).policy ?? {};
  const deleteAge = earliestDeleteAgeDays(policy);
  if (deleteAge === 'unknown') {
    rows.warn(check, 'a delete transition has a condition this check cannot read', `Make sure no index is deleted before ${retentionDays} days.`);
    return;
  }
  if (deleteAge !== 'never' && deleteAge < RETENTION_FLOOR_DAYS) {
    rows.fail(
      check,
      `deletes indices ${deleteAge} days after creation, below the six-year floor (${RETENTION_FLOOR_DAYS} days)`,
      `Run \`${SETUP_COMMAND}\` with RETENTION_DAYS of ${RETENTION_FLOOR_DAYS} or more.`,
    );
    return;
  }
  if (deleteAge !== 'never' && deleteAge < retentionDays) {
    rows.fail(
      check,
      `deletes indices ${deleteAge} days after creation, before RETENTION_DAYS (${retentionDays})`,
      `Run \`${SETUP_COMMAND}\` with the right RETENTION_DAYS.`,
    );
    return;
  }
  const templates = Array.isArray(policy.ism_template) ? policy.ism_template : policy.ism_template !== undefined ? [policy.ism_template] : [];
  const months = monthlyIndexPatterns(prefix);
  if (!templates.some((t) => months.every((m) => (t.index_patterns ?? []).includes(m)))) {
    rows.warn(
      check,
      `does not attach itself to new monthly ${prefix}-YYYY.MM indices (no ism_template for them)`,
      `Run \`${SETUP_COMMAND}\` (it reinstalls the policy).`,
    );
    return;
  }
  const expected = ismPolicyBody({ INDEX_PREFIX: prefix, RETENTION_DAYS: retentionDays }).policy.description;
  if (policy.description !== expected) {
    rows.warn(
      check,
      `installed by other settings (${deleteAge === 'never' ? 'never deletes' : `deletes after ${deleteAge} days`})`,
      `Run \`${SETUP_COMMAND}\` with the intended RETENTION_DAYS.`,
    );
    return;
  }
  rows.pass(check, deleteAge === 'never' ? 'never deletes' : `deletes indices ${deleteAge} days after creation (RETENTION_DAYS ${retentionDays} + one month)`);
}

/** What the worker checks at start, with the same code: a FAIL here is a worker that refuses to start. */
async function setupCheck(rows: Rows, client: Client, ctx: CheckContext): Promise<void> {
  const check = 'setup matches the worker';
  try {
    const result = await verifyIndexSetup(client, ctx.config, createLogger('silent'));
    if (result.ok) {
      rows.pass(
        check,
        `template, alias${result.ism.state === 'absent' ? '' : ' and ISM policy'} as \`${SETUP_COMMAND}\` installs them for these settings; document ids: ${describeIdCutover(result.idCutover)}`,
      );
    } else {
      rows.fail(
        check,
        `the worker refuses to start: ${result.problems.join('; ')}`,
        `Run \`${SETUP_COMMAND}\` with an admin identity and the same INDEX_PREFIX, INDEX_SHARDS, INDEX_REPLICAS and RETENTION_DAYS.`,
      );
    }
  } catch (err) {
    rows.fail(
      check,
      `cannot compare: ${why(err)}`,
      fixFor(err, 'indices:admin/index_template/get, indices:admin/aliases/get and cluster:admin/opendistro/ism/policy/get'),
    );
  }
}

async function run(ctx: CheckContext): Promise<CheckResult[]> {
  const rows = new Rows('opensearch');
  const prefix = ctx.config.INDEX_PREFIX;
  let client: Client;
  try {
    client = ctx.opensearch();
    const ping = await client.ping();
    if (!ping.body) throw new Error(`HEAD / answered HTTP ${String(ping.statusCode)}`);
  } catch (err) {
    rows.fail('reachable', `${ctx.config.OPENSEARCH_URL ?? '(unset)'}: ${why(err)}`, fixFor(err, 'cluster:monitor/main'));
    return rows.rows;
  }
  let version = '';
  try {
    const info = await client.info();
    version = ` (${info.body.version.distribution ?? 'opensearch'} ${info.body.version.number})`;
  } catch {
    // A writer role may be refused GET /; HEAD / answered, which is what matters.
  }
  rows.pass('reachable', `${ctx.config.OPENSEARCH_URL ?? ''}${version}`);
  const templateOk = await templateCheck(rows, client, prefix);
  await aliasCheck(rows, client, prefix, templateOk);
  await ismCheck(rows, client, prefix, ctx.config.RETENTION_DAYS);
  await setupCheck(rows, client, ctx);
  return rows.rows;
}

export const openSearchChecks: CheckGroup = {
  name: 'opensearch',
  summary: 'OpenSearch answers; the index template, read alias and ISM retention policy are in place, as `setup` installs them.',
  needs: ['OPENSEARCH_URL'],
  run,
};
