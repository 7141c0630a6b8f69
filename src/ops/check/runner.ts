import { loadConfig, retentionFloorProblem } from '../../config/load.js';
import type { Config, SettingName } from '../../config/schema.js';
import { describeError } from '../../core/errors.js';
import { redactSecretsInText } from '../../core/redact-text.js';
import { genesysChecks } from './genesys.js';
import { openSearchChecks } from './opensearch.js';
import { quarantineBucketChecks } from './quarantine-bucket.js';
import { recordingsBucketChecks } from './recordings-bucket.js';
import { s3LogBucketChecks } from './s3-log-bucket.js';
import { sqsChecks } from './sqs.js';
import { Rows, type CheckContext, type CheckGroup, type CheckResult, type CheckStatus } from './types.js';

/** In table order. */
export const CHECK_GROUPS: readonly CheckGroup[] = [
  sqsChecks,
  s3LogBucketChecks,
  openSearchChecks,
  genesysChecks,
  recordingsBucketChecks,
  quarantineBucketChecks,
];

/** What the worker cannot start without; `check` without --only holds a deployment to it. */
export const WORKER_REQUIRED: readonly SettingName[] = ['SQS_QUEUE_URL', 'LOG_BUCKETS', 'OPENSEARCH_URL'];

export interface ConfigCheck {
  /** Undefined when even the settings that are set do not parse: nothing else can run. */
  readonly config: Config | undefined;
  readonly rows: CheckResult[];
}

/**
 * The `config` group. Problems with required settings fail it, but the settings that are valid
 * still drive the other groups, so one run reports everything it can.
 */
export function checkConfig(options: { env: Readonly<Record<string, string | undefined>>; file?: string; required: readonly SettingName[] }): ConfigCheck {
  const rows = new Rows('config');
  const full = loadConfig({ env: options.env, file: options.file, required: options.required });
  let config: Config | undefined;
  if (full.ok) {
    config = full.config;
    rows.pass('settings valid', options.required.length > 0 ? `valid; ${options.required.join(', ')} set` : 'valid');
  } else {
    for (const p of full.problems) rows.fail(`setting ${p.setting}`, p.problem, `Set ${p.setting} correctly (see config/recording-audit.env.example).`);
    const partial = loadConfig({ env: options.env, file: options.file });
    config = partial.ok ? partial.config : undefined;
  }
  const floor = config === undefined ? undefined : retentionFloorProblem(config.RETENTION_DAYS);
  if (floor !== undefined) {
    rows.fail(
      'retention floor',
      `RETENTION_DAYS ${floor.problem}`,
      'Set RETENTION_DAYS to 2192 or more and run `recording-audit setup`; keep a shorter retention only with a documented reason.',
    );
  }
  if (options.env.NODE_TLS_REJECT_UNAUTHORIZED === '0') {
    rows.fail(
      'TLS verification',
      'NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate checks for every connection',
      'Unset it; give a private CA with NODE_EXTRA_CA_CERTS instead.',
    );
  }
  if (config?.OPENSEARCH_AUTH === 'basic' && config.OPENSEARCH_URL?.startsWith('http:') === true) {
    rows.warn('TLS to OpenSearch', 'OPENSEARCH_AUTH=basic over http:// sends the password in clear', 'Use an https:// OPENSEARCH_URL.');
  }
  return { config, rows: rows.rows };
}

/** Runs the groups concurrently; rows come back in group order. A group that throws fails its own row, never the run. */
export async function runChecks(groups: readonly CheckGroup[], ctx: CheckContext): Promise<CheckResult[]> {
  const perGroup = await Promise.all(
    groups.map(async (group): Promise<CheckResult[]> => {
      const missing = group.needs.filter((name) => {
        const value: unknown = ctx.config[name];
        return value === undefined || (Array.isArray(value) && value.length === 0);
      });
      if (missing.length > 0) {
        const rows = new Rows(group.name);
        rows.skip(group.name, `${missing.join(', ')} not set`);
        return rows.rows;
      }
      try {
        return await group.run(ctx);
      } catch (err) {
        const { code, message } = describeError(err);
        const rows = new Rows(group.name);
        rows.fail(
          group.name,
          `the check itself failed: ${redactSecretsInText(`${code}: ${message}`)}`,
          'Report this with the message above; the other groups are unaffected.',
        );
        return rows.rows;
      }
    }),
  );
  return perGroup.flat();
}

export type Summary = Readonly<Record<CheckStatus, number>> & { readonly ok: boolean };

export function summarize(results: readonly CheckResult[]): Summary {
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  return { pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip'), ok: count('fail') === 0 };
}
