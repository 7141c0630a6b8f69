import { readAliasOf } from '../config/schema.js';
import { loadConfigOrThrow } from '../config/load.js';
import { createLogger } from '../core/log.js';
import { createOpenSearchClient } from '../sinks/opensearch/client.js';
import { linkPass } from '../sinks/opensearch/link.js';
import { parseCommandArgs } from './args.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { investigationFailure, parseRange } from './investigate-common.js';

const HELP = `Usage: recording-audit link --from ISO --to ISO [--index NAME] [--config FILE]

One pass of the linker over CloudTrail events of [--from, --to): each CloudTrail event without a
link whose access-log twin (same request id and bucket) is indexed gets link.sources,
link.twin_id and link.linked_at, and so do its twins. Only link.* is written, each update guarded
by if_seq_no/if_primary_term; a document changed meanwhile is left for the next pass. The worker
runs the same pass every LINK_INTERVAL_SECS when CLOUDTRAIL_BUCKETS is set; this command catches
up a span older than LINK_LOOKBACK_SECS (a backfill). Needs write access to the indices.

Exit: 0 done (CloudTrail events still without a twin are counted, not errors), 1 some updates
failed, 64 usage, 66 no such index, 69 OpenSearch unreachable or refusing, 78 configuration.
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { from: { type: 'string' }, to: { type: 'string' }, index: { type: 'string' }, config: { type: 'string' } }, HELP);
  if (!args.ok) return args.exit;
  const v = args.values;
  if (v.from === undefined || v.to === undefined) {
    process.stderr.write(`--from and --to are required.\nRun 'recording-audit link --help' for the options.\n`);
    return EXIT_USAGE;
  }
  const range = parseRange(v.from, v.to);
  if (!range.ok) {
    process.stderr.write(`${range.problem}\n`);
    return EXIT_USAGE;
  }
  const cfg = loadConfigOrThrow({ ...(v.config !== undefined ? { file: v.config } : {}), required: ['OPENSEARCH_URL'] });
  const client = createOpenSearchClient(cfg);
  const index = v.index ?? readAliasOf(cfg);
  try {
    const r = await linkPass({ client, index, from: range.from!, to: range.to!, logger: createLogger(cfg.LOG_LEVEL), refresh: true });
    process.stderr.write(
      `${r.scanned} unlinked CloudTrail events: ${r.linked} linked (${r.accessLinked} access-log events), ${r.waiting} without an access-log twin yet, ${r.conflicts} changed meanwhile (run again), ${r.failed} failed\n`,
    );
    return r.failed > 0 ? EXIT_FAILURE : EXIT_OK;
  } catch (err) {
    return investigationFailure('link', err);
  } finally {
    await client.close();
  }
}
