import type { parseArgs } from 'node:util';
import type { Config } from '../config/schema.js';
import type { ReplayOptions, ReplayParams } from './run.js';
import { toStoreUrl } from './store.js';

/** A bad flag: the command prints it with the usage and exits 64. */
export class UsageError extends Error {}

function parseTime(name: string, raw: string | undefined): number {
  if (raw === undefined) throw new UsageError(`--${name} is required`);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  if (!dateOnly && !/(Z|[+-]\d{2}:?\d{2})$/i.test(raw)) throw new UsageError(`--${name} "${raw}": give a time zone (Z or +hh:mm) or a plain UTC day`);
  const ms = Date.parse(dateOnly ? `${raw}T00:00:00Z` : raw);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} "${raw}" is not an ISO 8601 time`);
  return ms;
}

function parseCount(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new UsageError(`--${name} must be a whole number >= ${min}, got "${raw}"`);
  return Number(raw);
}

/** The flags of `recording-audit replay`. */
export const OPTIONS = {
  bucket: { type: 'string' },
  prefix: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'margin-secs': { type: 'string' },
  format: { type: 'string' },
  concurrency: { type: 'string' },
  'max-lines-per-sec': { type: 'string' },
  checkpoint: { type: 'string' },
  report: { type: 'string' },
  'dry-run': { type: 'boolean' },
  enqueue: { type: 'boolean' },
  'enqueue-per-sec': { type: 'string' },
  restart: { type: 'boolean' },
  'max-failures': { type: 'string' },
  'grace-secs': { type: 'string' },
  'progress-secs': { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];

/** The replay options from flags, with settings as defaults. Throws UsageError. */
export function replayOptionsFrom(values: Values, cfg: Config): ReplayOptions {
  if (values['dry-run'] && values.enqueue) throw new UsageError('--dry-run and --enqueue exclude each other');
  const bucket = values.bucket;
  if (bucket === undefined) throw new UsageError('--bucket is required');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new UsageError(`--bucket "${bucket}" is not an S3 bucket name`);
  const fromMs = parseTime('from', values.from);
  const toMs = parseTime('to', values.to);
  if (toMs <= fromMs) throw new UsageError('--to must be after --from');
  const format = values.format ?? 'auto';
  if (format !== 'auto' && format !== 'simple' && format !== 'partitioned' && format !== 'cloudtrail')
    throw new UsageError(`--format must be auto, simple, partitioned or cloudtrail, got "${format}"`);
  const checkpointUrl = values.checkpoint ?? cfg.REPLAY_CHECKPOINT_URL;
  if (!/^(file:\/\/\/.+|s3:\/\/[a-z0-9][a-z0-9.-]+[a-z0-9]\/.+)$/.test(checkpointUrl))
    throw new UsageError(`--checkpoint must be file:///path or s3://bucket/key, got "${checkpointUrl}"`);
  const params: ReplayParams = {
    bucket,
    prefix: values.prefix ?? '',
    fromMs,
    toMs,
    marginSecs: parseCount('margin-secs', values['margin-secs'], cfg.REPLAY_MARGIN_SECS, 0),
    format,
  };
  const mode = values['dry-run'] ? 'dry-run' : values.enqueue ? 'enqueue' : 'process';
  const report = values.report;
  return {
    params,
    mode,
    concurrency: parseCount('concurrency', values.concurrency, cfg.OBJECT_CONCURRENCY, 1),
    maxLinesPerSec: parseCount('max-lines-per-sec', values['max-lines-per-sec'], cfg.REPLAY_MAX_LINES_PER_SEC, 0),
    enqueuePerSec: parseCount('enqueue-per-sec', values['enqueue-per-sec'], 50, 1),
    checkpointUrl,
    ...(report !== undefined && report !== '-' ? { reportUrl: toStoreUrl(report) } : {}),
    restart: values.restart === true,
    maxFailures: parseCount('max-failures', values['max-failures'], 100, 1),
    progressSecs: parseCount('progress-secs', values['progress-secs'], 15, 1),
    graceMs: parseCount('grace-secs', values['grace-secs'], cfg.SHUTDOWN_GRACE_SECS, 0) * 1000,
    ...(mode === 'enqueue' && cfg.SQS_QUEUE_URL ? { queueUrl: cfg.SQS_QUEUE_URL } : {}),
  };
}
