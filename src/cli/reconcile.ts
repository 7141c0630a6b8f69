import { readAliasOf, type Config } from '../config/schema.js';
import { loadConfigOrThrow } from '../config/load.js';
import { terminalSafe } from '../investigate/format/table.js';
import { utcText } from '../investigate/format/time.js';
import { gapOf, reconcileHours, type HourResult, type OneSided, type ReconcileOptions } from '../investigate/reconcile.js';
import { createOpenSearchClient } from '../sinks/opensearch/client.js';
import { parseCommandArgs } from './args.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { investigationFailure, Output, parseRange } from './investigate-common.js';

const HELP = `Usage: recording-audit reconcile --from ISO --to ISO [options]

Completeness across the two sources of the same S3 requests: per hour, the request ids of
requests on recording objects that CloudTrail recorded and no access-log record has ("only in
cloudtrail": the access log lost them), and the reverse. Joined on the S3 request id at read
time, whether or not the linker has run. S3-internal operations (lifecycle) and requests that
failed authentication are left out: CloudTrail never logs them.

Hours that ended less than RECONCILE_GRACE_SECS ago are "pending": access logs may still
arrive, so their one-sided requests are shown but are not gaps.

Options:
  --from ISO           Start (rounded down to the hour)
  --to ISO             End, exclusive (rounded up to the hour)
  --format F           table (default) or ndjson (see docs/investigations.md)
  --max-missing N      Gaps allowed per settled hour before the exit code is 1 (default 0)
  --bucket B           Audited bucket (repeatable); default AUDITED_BUCKETS, else RECORDINGS_BUCKET
  --index NAME         Index or alias to read (default INDEX_ALIAS, else INDEX_PREFIX)
  --config FILE        JSON settings file

Exit: 0 no settled hour has more one-sided requests than --max-missing, 1 one has, 64 usage,
66 no such index, 69 OpenSearch unreachable or refusing, 78 configuration.
`;

const FORMATS = ['table', 'ndjson'] as const;
type Format = (typeof FORMATS)[number];

function usageError(problem: string): number {
  process.stderr.write(`${problem}\n${HELP.slice(0, HELP.indexOf('\n\n'))}\nRun 'recording-audit reconcile --help' for the options.\n`);
  return EXIT_USAGE;
}

/** The table's columns, stable: scripts may cut them. */
export const HOUR_COLUMNS = ['HOUR (UTC)', 'STATUS', 'CLOUDTRAIL', 'ACCESS_LOG', 'MATCHED', 'CLOUDTRAIL_ONLY', 'ACCESS_LOG_ONLY'] as const;
const WIDTHS = [17, 7, 10, 10, 7, 15, 15];

const hourText = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;

export function tableHeader(): string {
  return `${HOUR_COLUMNS.map((h, i) => (i < 2 ? h.padEnd(WIDTHS[i]!) : h.padStart(WIDTHS[i]!))).join('  ')}\n`;
}

function oneSidedLine(only: 'cloudtrail' | 'access_log', r: OneSided): string {
  const cells = [`  only in ${only.padEnd(10)}`, r.request_id, utcText(r.time), r.action, r.bucket ?? '-', r.key ?? '-'];
  return `${cells.map((c) => terminalSafe(c)).join('  ')}\n`;
}

/** One hour as table text: the counts, then each one-sided request on its own indented line. */
export function tableHour(h: HourResult): string {
  const cells = [hourText(h.hour), h.status, h.cloudtrail, h.access_log, h.matched, h.cloudtrail_only.length, h.access_log_only.length].map(String);
  const head = `${cells.map((c, i) => (i < 2 ? c.padEnd(WIDTHS[i]!) : c.padStart(WIDTHS[i]!))).join('  ')}\n`;
  return head + h.cloudtrail_only.map((r) => oneSidedLine('cloudtrail', r)).join('') + h.access_log_only.map((r) => oneSidedLine('access_log', r)).join('');
}

export function ndjsonHour(h: HourResult): string {
  return `${JSON.stringify({ hour: h.hour, status: h.status, cloudtrail: h.cloudtrail, access_log: h.access_log, matched: h.matched, cloudtrail_only: h.cloudtrail_only, access_log_only: h.access_log_only })}\n`;
}

export interface ReconcileTotals {
  hours: number;
  pending: number;
  cloudtrailOnly: number;
  accessLogOnly: number;
  /** Settled hours whose gap is above maxMissing. */
  failedHours: number;
}

/** The reconcile itself, and how its hours are written out. */
export interface ReconcileRun extends ReconcileOptions {
  readonly format: Format;
  readonly maxMissing: number;
  readonly output: Output;
}

export async function runReconcile(r: ReconcileRun): Promise<ReconcileTotals> {
  const totals: ReconcileTotals = { hours: 0, pending: 0, cloudtrailOnly: 0, accessLogOnly: 0, failedHours: 0 };
  if (r.format === 'table') await r.output.write(tableHeader());
  for await (const h of reconcileHours(r)) {
    totals.hours++;
    if (h.status === 'pending') totals.pending++;
    else {
      totals.cloudtrailOnly += h.cloudtrail_only.length;
      totals.accessLogOnly += h.access_log_only.length;
      if (gapOf(h) > r.maxMissing) totals.failedHours++;
    }
    await r.output.write(r.format === 'table' ? tableHour(h) : ndjsonHour(h));
    if (r.output.closed) break;
  }
  return totals;
}

export function summaryLine(t: ReconcileTotals, maxMissing: number): string {
  const settled = t.hours - t.pending;
  const parts = [
    `${t.hours} hour${t.hours === 1 ? '' : 's'} (${settled} settled, ${t.pending} pending)`,
    `settled: ${t.cloudtrailOnly} only in CloudTrail, ${t.accessLogOnly} only in access logs`,
  ];
  if (t.failedHours > 0) parts.push(`${t.failedHours} settled hour${t.failedHours === 1 ? '' : 's'} above --max-missing ${maxMissing}`);
  return `${parts.join('; ')}\n`;
}

export function auditedBuckets(cfg: Pick<Config, 'AUDITED_BUCKETS' | 'RECORDINGS_BUCKET'>): string[] {
  if (cfg.AUDITED_BUCKETS !== undefined && cfg.AUDITED_BUCKETS.length > 0) return [...cfg.AUDITED_BUCKETS];
  return cfg.RECORDINGS_BUCKET !== undefined ? [cfg.RECORDINGS_BUCKET] : [];
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      'max-missing': { type: 'string' },
      bucket: { type: 'string', multiple: true },
      index: { type: 'string' },
      config: { type: 'string' },
    },
    HELP,
  );
  if (!args.ok) return args.exit;
  const v = args.values;
  if (v.from === undefined || v.to === undefined) return usageError('--from and --to are required.');
  const range = parseRange(v.from, v.to);
  if (!range.ok) return usageError(range.problem);
  const format = (v.format ?? 'table') as Format;
  if (!FORMATS.includes(format)) return usageError(`--format must be one of ${FORMATS.join(', ')}`);
  const maxMissing = v['max-missing'] === undefined ? 0 : Number(v['max-missing']);
  if (v['max-missing'] !== undefined && (!/^\d+$/.test(v['max-missing']) || !Number.isSafeInteger(maxMissing))) {
    return usageError('--max-missing must be a whole number');
  }
  const cfg = loadConfigOrThrow({ ...(v.config !== undefined ? { file: v.config } : {}), required: ['OPENSEARCH_URL'] });
  const buckets = v.bucket !== undefined && v.bucket.length > 0 ? v.bucket : auditedBuckets(cfg);
  if (buckets.length === 0) process.stderr.write('No --bucket, AUDITED_BUCKETS or RECORDINGS_BUCKET: requests on every bucket are compared.\n');
  const client = createOpenSearchClient(cfg);
  const output = new Output(process.stdout);
  try {
    const totals = await runReconcile({
      client,
      index: v.index ?? readAliasOf(cfg),
      from: new Date(range.from!),
      to: new Date(range.to!),
      buckets,
      graceSecs: cfg.RECONCILE_GRACE_SECS,
      now: new Date(),
      format,
      maxMissing,
      output,
    });
    if (!output.closed) process.stderr.write(summaryLine(totals, maxMissing));
    return totals.failedHours > 0 ? EXIT_FAILURE : EXIT_OK;
  } catch (err) {
    return investigationFailure('reconcile', err);
  } finally {
    await client.close();
  }
}
