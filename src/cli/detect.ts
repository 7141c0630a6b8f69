import { pino } from 'pino';
import { loadConfigOrThrow } from '../config/load.js';
import { createSnsClient } from '../core/aws-clients.js';
import { describeError, isAuditError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import type { Alert } from '../detect/alert.js';
import { assertDetectSetup } from '../detect/mapping.js';
import { snsNotifier } from '../detect/notify.js';
import { loadRulesFile } from '../detect/rules.js';
import { runDetect, type DetectResult } from '../detect/run.js';
import { createOpenSearchClient } from '../sinks/opensearch/client.js';
import { parseCommandArgs } from './args.js';
import { EXIT_TEMPFAIL, EXIT_USAGE } from './exit-codes.js';

const HELP = `Usage: recording-audit detect [--since DURATION | --from ISO --to ISO] [--rules FILE] [--format table|ndjson] [--dry-run] [--config FILE]

Runs the detection rules (docs/detections.md) as aggregations in OpenSearch and writes what they
find to INDEX_PREFIX-alerts, each alert under an id made of its rule, actor, subject and window, so
running a window again never adds a second copy.

Without --since/--from: the closed windows (DETECT_WINDOW_SECS, DETECT_LAG_SECS) after the stored
watermark, which moves past each window once its alerts are written; the worker's
DETECT_INTERVAL_SECS task runs the same. With --since or --from/--to: the windows touching that
range; the watermark is neither read nor moved.

Options:
  --since DURATION   From this long ago until now: 90m, 12h, 7d
  --from ISO         Start of the range (with --to)
  --to ISO           End of the range (exclusive)
  --rules FILE       Rules file (default DETECT_RULES_FILE, else the built-in defaults)
  --format F         table (default) or ndjson (one alert per line)
  --dry-run          Evaluate and print; write no alert, move no watermark, publish nothing
  --config FILE      JSON settings file

Exit: 0 done, 64 usage, 75 OpenSearch unavailable (the watermark did not move; run again),
78 configuration (a bad rules file, every problem listed; setup missing).
`;

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  if (m === null) return undefined;
  const secs = Number(m[1]) * (UNITS[m[2]!] ?? 0);
  return secs > 0 ? secs : undefined;
}

const cut = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

export function alertTable(alerts: readonly (Alert & { id: string })[]): string {
  if (alerts.length === 0) return 'No alerts.\n';
  const rows = alerts.map((a) => [
    a.rule.id,
    a.rule.severity,
    `${a.window.start.slice(0, 16)}Z`,
    cut(a.actor.email ?? a.actor.requester ?? '-', 48),
    cut(`${a.subject.kind}:${a.subject.value}`, 48),
    String(a.evidence.event_count),
    a.message,
  ]);
  const head = ['RULE', 'SEVERITY', 'WINDOW', 'ACTOR', 'SUBJECT', 'EVENTS', 'MESSAGE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

function summary(r: DetectResult, dryRun: boolean): string {
  const span =
    r.windows.length === 0 ? 'no closed window to evaluate' : `${r.windows.length} window(s) ${r.windows[0]!.start} .. ${r.windows[r.windows.length - 1]!.end}`;
  const writes = dryRun ? 'dry run: nothing written' : `${r.created} new, ${r.existing} already recorded`;
  const notes = r.notified + r.notifyFailed > 0 ? `; published ${r.notified}, ${r.notifyFailed} left for the next run` : '';
  return `${span}; ${r.alerts.length} alert(s): ${writes}${notes}${r.watermark !== undefined ? `; watermark ${r.watermark}` : ''}\n`;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      since: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      rules: { type: 'string' },
      format: { type: 'string' },
      'dry-run': { type: 'boolean' },
      config: { type: 'string' },
    },
    HELP,
  );
  if (!args.ok) return args.exit;
  const v = args.values;
  const usage = (problem: string): number => {
    process.stderr.write(`${problem}\n\n${HELP}`);
    return EXIT_USAGE;
  };
  const format = v.format ?? 'table';
  if (format !== 'table' && format !== 'ndjson') return usage('--format must be table or ndjson.');
  if (v.since !== undefined && (v.from !== undefined || v.to !== undefined)) return usage('--since and --from/--to exclude each other.');
  let mode: { kind: 'watermark' } | { kind: 'range'; from: number; to: number } = { kind: 'watermark' };
  if (v.since !== undefined) {
    const secs = parseDuration(v.since);
    if (secs === undefined) return usage('--since must be a duration such as 90m, 12h or 7d.');
    mode = { kind: 'range', from: Date.now() - secs * 1000, to: Date.now() };
  } else if (v.from !== undefined || v.to !== undefined) {
    const from = Date.parse(v.from ?? '');
    const to = Date.parse(v.to ?? '');
    if (Number.isNaN(from) || Number.isNaN(to) || from >= to) return usage('--from and --to must be ISO times with from < to.');
    mode = { kind: 'range', from, to };
  }
  const dryRun = v['dry-run'] === true;

  const cfg = loadConfigOrThrow({ ...(v.config !== undefined ? { file: v.config } : {}), required: ['OPENSEARCH_URL'] });
  const rules = loadRulesFile(v.rules ?? cfg.DETECT_RULES_FILE);
  // Logs go to stderr here: stdout is the report (and ndjson must stay parseable).
  const logger = createLogger(cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL, pino.destination(2));
  const client = createOpenSearchClient(cfg);
  const sns = cfg.ALERT_SNS_TOPIC_ARN !== undefined && !dryRun ? createSnsClient(cfg) : undefined;
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await assertDetectSetup(client, cfg.INDEX_PREFIX);
    const result = await runDetect({
      client,
      indexPrefix: cfg.INDEX_PREFIX,
      rules,
      windowSecs: cfg.DETECT_WINDOW_SECS,
      lagSecs: cfg.DETECT_LAG_SECS,
      firstLookbackSecs: cfg.DETECT_FIRST_LOOKBACK_SECS,
      logger,
      mode,
      dryRun,
      signal: controller.signal,
      ...(sns !== undefined && cfg.ALERT_SNS_TOPIC_ARN !== undefined ? { notifier: snsNotifier(sns, cfg.ALERT_SNS_TOPIC_ARN) } : {}),
    });
    if (format === 'ndjson') {
      process.stdout.write(result.alerts.map((a) => `${JSON.stringify(a)}\n`).join(''));
      process.stderr.write(summary(result, dryRun));
    } else {
      process.stdout.write(alertTable(result.alerts));
      process.stdout.write(summary(result, dryRun));
    }
    return 0;
  } catch (err) {
    if (isAuditError(err, 'SINK_UNAVAILABLE') || isAuditError(err, 'SINK_REJECTED')) {
      const { code, message } = describeError(err);
      process.stderr.write(`recording-audit detect: ${code}: ${message}\nThe watermark stays at the last finished window; run detect again.\n`);
      return EXIT_TEMPFAIL;
    }
    throw err;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    sns?.destroy();
    await client.close();
  }
}
