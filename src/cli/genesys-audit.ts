import { pino } from 'pino';
import { loadConfigOrThrow } from '../config/load.js';
import { createS3Client } from '../core/aws-clients.js';
import { AuditError, describeError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { createMetrics } from '../core/metrics.js';
import type { AuditApi } from '../enrich/genesys/audits.js';
import { genesysFromConfig } from '../enrich/genesys/from-config.js';
import { auditSourceFromConfig } from '../genesys-audit/from-config.js';
import { runAuditSource, type ApiRunResult } from '../genesys-audit/source.js';
import { createOpenSearchClient } from '../sinks/opensearch/client.js';
import { assertIndexSetup } from '../sinks/opensearch/setup.js';
import { assertDetectSetup } from '../detect/mapping.js';
import { createQuarantineStore } from '../sinks/quarantine/store.js';
import { parseCommandArgs } from './args.js';
import { EXIT_TEMPFAIL, EXIT_USAGE } from './exit-codes.js';

const HELP = `Usage: recording-audit genesys-audit --from ISO --to ISO [--api quality|audits] [--format table|json] [--config FILE]

Reads Genesys Cloud's own audit trail of recordings (playbacks, downloads, exports, deletions,
retention changes made inside Genesys) for [from, to) into the index, one genesys.audit event per
audit message, in windows of GENESYS_AUDIT_WINDOW_SECS. Messages already indexed (by the worker's
GENESYS_AUDIT_INTERVAL_SECS task or an earlier run) are recognised by their id and counted as
duplicates, so a span may be read any number of times. The worker's watermark is not moved.

Options:
  --from ISO      Start of the span
  --to ISO        End of the span (exclusive)
  --api A         quality (the interaction audit trail) or audits (the general audits);
                  default GENESYS_AUDIT_APIS
  --format F      table (default) or json
  --config FILE   JSON settings file

Exit: 0 every window read, 64 usage, 75 Genesys or OpenSearch unavailable or a query failed
(what was read is indexed; run again), 78 configuration (no Genesys credentials, setup missing).
`;

function table(results: readonly ApiRunResult[]): string {
  const head = ['API', 'WINDOWS', 'PAGES', 'MESSAGES', 'INDEXED', 'DUPLICATE', 'QUARANTINED', 'RESULT'];
  const rows = results.map((r) => [
    r.api,
    String(r.windows),
    String(r.tally.pages),
    String(r.tally.messages),
    String(r.tally.indexed),
    String(r.tally.duplicate),
    String(r.tally.quarantined),
    r.error !== undefined ? `stopped: ${r.error}` : 'complete',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

function apiOf(value: string | undefined): AuditApi | undefined {
  return value === 'quality' ? 'quality' : value === 'audits' ? 'audits' : undefined;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { from: { type: 'string' }, to: { type: 'string' }, api: { type: 'string' }, format: { type: 'string' }, config: { type: 'string' } },
    HELP,
  );
  if (!args.ok) return args.exit;
  const v = args.values;
  const usage = (problem: string): number => {
    process.stderr.write(`${problem}\n\n${HELP}`);
    return EXIT_USAGE;
  };
  const from = Date.parse(v.from ?? '');
  const to = Date.parse(v.to ?? '');
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to) return usage('--from and --to must be ISO times with from < to.');
  const format = v.format ?? 'table';
  if (format !== 'table' && format !== 'json') return usage('--format must be table or json.');
  const api = apiOf(v.api);
  if (v.api !== undefined && api === undefined) return usage('--api must be quality or audits.');

  const cfg = loadConfigOrThrow({
    ...(v.config !== undefined ? { file: v.config } : {}),
    required: ['OPENSEARCH_URL', 'GENESYS_CLIENT_ID', 'GENESYS_CLIENT_SECRET'],
  });
  // stdout is the report: logs go to stderr.
  const logger = createLogger(cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL, pino.destination(2));
  const metrics = createMetrics();
  const genesys = genesysFromConfig(cfg, { logger, metrics });
  if (genesys === undefined) throw new AuditError('CONFIG_INVALID', 'GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET are required');
  const opensearch = createOpenSearchClient(cfg);
  const s3 = createS3Client(cfg, { userAgentSuffix: cfg.SELF_USER_AGENT_SUFFIX });
  const quarantine = createQuarantineStore(cfg, { s3, logger });
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let parts: ReturnType<typeof auditSourceFromConfig> | undefined;
  try {
    await assertIndexSetup(opensearch, cfg, logger);
    // The watermark lives in the detect-state index: refuse (78) rather than fail every write.
    await assertDetectSetup(opensearch, cfg.INDEX_PREFIX);
    parts = auditSourceFromConfig(cfg, { opensearch, genesys: genesys.client, quarantine, s3, logger, metrics });
    const apis = api !== undefined ? [api] : parts.options.apis;
    const results = await runAuditSource({ ...parts.options, apis, mode: { kind: 'range', from, to }, signal: controller.signal });
    process.stdout.write(
      format === 'json' ? `${JSON.stringify({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), results })}\n` : table(results),
    );
    return results.some((r) => r.error !== undefined) || controller.signal.aborted ? EXIT_TEMPFAIL : 0;
  } catch (err) {
    if (err instanceof AuditError && !err.retryable) throw err;
    process.stderr.write(`recording-audit genesys-audit: ${describeError(err).message}\n`);
    return EXIT_TEMPFAIL;
  } finally {
    await parts?.close().catch(() => undefined);
    genesys.client.close();
    await quarantine.close();
    await opensearch.close();
    s3.destroy();
  }
}
