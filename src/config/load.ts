import { readFileSync } from 'node:fs';
import { AuditError } from '../core/errors.js';
import { RETENTION_FLOOR_DAYS, SCHEMA, type Config, type SettingName } from './schema.js';
import type { Setting } from './settings.js';

export interface ConfigProblem {
  readonly setting: string;
  readonly problem: string;
}

export interface LoadOptions {
  /** Environment variables; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Path of the optional JSON config file (`--config`). Environment variables win over it. */
  readonly file?: string;
  /** Settings this command cannot run without. */
  readonly required?: readonly SettingName[];
  /**
   * Refuse RETENTION_DAYS below RETENTION_FLOOR_DAYS: for commands that install the retention
   * policy (`setup` without `--allow-short-retention`). The worker only compares it with the
   * installed policy, so a low value there cannot delete anything.
   */
  readonly retentionFloor?: boolean;
}

function fileValues(path: string, problems: ConfigProblem[]): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    problems.push({ setting: '--config', problem: `cannot read ${path}: ${(err as Error).message}` });
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push({ setting: '--config', problem: `${path} must hold a JSON object of settings` });
    return {};
  }
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in SCHEMA)) {
      problems.push({ setting: key, problem: `unknown setting in ${path}` });
      continue;
    }
    if (Array.isArray(value)) {
      const setting = SCHEMA[key as SettingName] as Setting<unknown>;
      const sep = setting.kind.startsWith('list separated by') ? ';;' : ',';
      values[key] = value.map(String).join(sep);
    } else if (['string', 'number', 'boolean'].includes(typeof value)) {
      values[key] = String(value);
    } else {
      problems.push({ setting: key, problem: `must be a string, number, boolean or array in ${path}` });
    }
  }
  return values;
}

/** The problem with a RETENTION_DAYS below the floor, worded for every place that reports it. */
export function retentionFloorProblem(retentionDays: number): ConfigProblem | undefined {
  if (retentionDays >= RETENTION_FLOOR_DAYS) return undefined;
  return {
    setting: 'RETENTION_DAYS',
    problem: `is ${retentionDays}, below the floor of ${RETENTION_FLOOR_DAYS} days (six years, HIPAA); only \`recording-audit setup --allow-short-retention\` installs a shorter retention`,
  };
}

function crossChecks(cfg: Config, problems: ConfigProblem[], options: LoadOptions): void {
  if (options.retentionFloor === true && typeof cfg.RETENTION_DAYS === 'number') {
    const floor = retentionFloorProblem(cfg.RETENTION_DAYS);
    if (floor !== undefined) problems.push(floor);
  }
  if (cfg.SQS_HEARTBEAT_INTERVAL_SECS * 2 > cfg.SQS_VISIBILITY_TIMEOUT_SECS) {
    problems.push({
      setting: 'SQS_HEARTBEAT_INTERVAL_SECS',
      problem: `must be at most half of SQS_VISIBILITY_TIMEOUT_SECS (${cfg.SQS_VISIBILITY_TIMEOUT_SECS})`,
    });
  }
  if (cfg.OPENSEARCH_AUTH === 'basic') {
    if (cfg.OPENSEARCH_USERNAME === undefined) problems.push({ setting: 'OPENSEARCH_USERNAME', problem: 'is required when OPENSEARCH_AUTH=basic' });
    if (cfg.OPENSEARCH_PASSWORD === undefined) problems.push({ setting: 'OPENSEARCH_PASSWORD', problem: 'is required when OPENSEARCH_AUTH=basic' });
  }
  if ((cfg.GENESYS_CLIENT_ID === undefined) !== (cfg.GENESYS_CLIENT_SECRET === undefined)) {
    problems.push({
      setting: cfg.GENESYS_CLIENT_ID === undefined ? 'GENESYS_CLIENT_ID' : 'GENESYS_CLIENT_SECRET',
      problem: 'GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET go together',
    });
  }
  if (cfg.BULK_RETRY_BASE_MS > cfg.BULK_RETRY_MAX_MS) {
    problems.push({ setting: 'BULK_RETRY_BASE_MS', problem: 'must not exceed BULK_RETRY_MAX_MS' });
  }
  for (const pattern of cfg.RECORDING_KEY_PATTERNS ?? []) {
    try {
      new RegExp(pattern);
    } catch (err) {
      problems.push({ setting: 'RECORDING_KEY_PATTERNS', problem: `"${pattern}" is not a regular expression: ${(err as Error).message}` });
    }
  }
}

/**
 * Reads every setting from the environment and the optional file, and reports every problem at
 * once (never the first one only), each with the setting's name.
 */
export function loadConfig(options: LoadOptions = {}): { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] } {
  const env = options.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const fromFile = options.file !== undefined ? fileValues(options.file, problems) : {};
  const values: Record<string, unknown> = {};

  for (const [name, setting] of Object.entries(SCHEMA) as [SettingName, Setting<unknown>][]) {
    const raw = env[name] ?? fromFile[name];
    if (raw === undefined || raw.trim() === '') {
      values[name] = setting.default;
      continue;
    }
    const parsed = setting.parse(raw);
    if (parsed.ok) values[name] = parsed.value;
    else problems.push({ setting: name, problem: parsed.problem });
  }
  for (const name of options.required ?? []) {
    if (values[name] === undefined && !problems.some((p) => p.setting === name)) {
      problems.push({ setting: name, problem: 'is required' });
    }
  }
  const config = Object.freeze(values) as Config;
  // Cross-checks run even after a bad value, so one start reports everything; a missing value
  // compares as false and adds nothing spurious.
  crossChecks(config, problems, options);
  return problems.length === 0 ? { ok: true, config } : { ok: false, problems };
}

/** loadConfig for commands: throws one AuditError listing every problem. */
export function loadConfigOrThrow(options: LoadOptions = {}): Config {
  const result = loadConfig(options);
  if (result.ok) return result.config;
  const lines = result.problems.map((p) => `  ${p.setting}: ${p.problem}`).join('\n');
  throw new AuditError('CONFIG_INVALID', `Invalid configuration:\n${lines}`, { details: { problems: result.problems } });
}

/** The configuration with secrets replaced, for `check` and start-up logs. */
export function describeConfig(cfg: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SCHEMA) as [SettingName, Setting<unknown>][]) {
    const value = cfg[name];
    if (value === undefined) continue;
    out[name] = setting.secret ? '[redacted]' : value;
  }
  return out;
}
