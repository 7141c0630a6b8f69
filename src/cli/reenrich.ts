import { loadConfigOrThrow } from '../config/load.js';
import { createLogger } from '../core/log.js';
import { createEnricher } from '../enrich/enricher.js';
import { reenrichPending } from '../enrich/reenrich.js';
import { createMetrics } from '../core/metrics.js';
import { createOpenSearchClient } from '../sinks/opensearch/client.js';
import { parseCommandArgs } from './args.js';
import { EXIT_USAGE } from './exit-codes.js';

const HELP = `Usage: recording-audit reenrich --from ISO --to ISO [--index-prefix P] [--config FILE]

Completes events whose Genesys enrichment is pending (Genesys was down, rate-limited past
GENESYS_WAIT_BUDGET_MS, or failing when they were written). Updates only genesys.* and
enrichment.* of each event, guarded by its sequence number; evidence fields are never written.
Needs OPENSEARCH_URL, GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET.

Options:
  --from ISO            Start of the event time range (inclusive)
  --to ISO              End of the event time range (exclusive)
  --index-prefix P      Index prefix (default INDEX_PREFIX)
  --page-size N         Events per page (default 500)
  --config FILE         JSON settings file

Exit: 0 all completed, 75 some still pending or failed (run again later), 64 usage, 78 configuration.
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      'index-prefix': { type: 'string' },
      'page-size': { type: 'string' },
      config: { type: 'string' },
    },
    HELP,
  );
  if (!args.ok) return args.exit;
  const values = args.values;
  const from = values.from;
  const to = values.to;
  if (from === undefined || to === undefined || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to)) || Date.parse(from) >= Date.parse(to)) {
    process.stderr.write(`--from and --to must be ISO times with from < to.\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const pageSize = values['page-size'] !== undefined ? Number(values['page-size']) : 500;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) {
    process.stderr.write('--page-size must be a whole number between 1 and 10000.\n');
    return EXIT_USAGE;
  }

  const cfg = loadConfigOrThrow({
    ...(values.config !== undefined ? { file: values.config } : {}),
    required: ['OPENSEARCH_URL', 'GENESYS_CLIENT_ID', 'GENESYS_CLIENT_SECRET'],
  });
  const logger = createLogger(cfg.LOG_LEVEL);
  const metrics = createMetrics({ defaultMetrics: false });
  const client = createOpenSearchClient(cfg);
  const enricher = createEnricher(cfg, { logger, metrics });
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const result = await reenrichPending({
      client,
      enricher,
      logger,
      indexPrefix: values['index-prefix'] ?? cfg.INDEX_PREFIX,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      pageSize,
      signal: controller.signal,
      refresh: true,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.stillPending > 0 || result.failed > 0 || controller.signal.aborted ? 75 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await enricher.close();
    await client.close();
  }
}
