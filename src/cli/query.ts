import { readAliasOf } from '../config/schema.js';
import { loadConfigOrThrow } from '../config/load.js';
import { isAgentOwnAccess } from '../investigate/agent-own.js';
import { csvHeader, csvRecord } from '../investigate/format/csv.js';
import { ndjsonLine } from '../investigate/format/ndjson.js';
import { tableColumns, TableWriter } from '../investigate/format/table.js';
import { buildQuery, exclusionCountQueries, FORM_ARGUMENT, parseTarget, QUERY_FORMS, type Scope, type Target } from '../investigate/queries.js';
import type { Hit } from '../investigate/row.js';
import { countHits, searchHits, type SearchProgress } from '../investigate/search.js';
import { collapseTwins, type CollapseStats } from '../investigate/twins.js';
import { createOpenSearchClient } from '../sinks/opensearch/client.js';
import { parseCommandArgs } from './args.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { checkZone, investigationFailure, Output, parseRange, SCOPE_OPTIONS } from './investigate-common.js';

const FORMS = QUERY_FORMS.map((f) => `  ${f}${FORM_ARGUMENT[f] === undefined ? '' : ` ${FORM_ARGUMENT[f]}`}`).join('\n');

export const DEFAULT_LIMIT = 200;

const HELP = `Usage: recording-audit query <what> [ARG] [options]

Who saw, downloaded, changed or was refused access to call recordings, from the indexed S3 access
events and Genesys audit events (the SOURCE column), oldest first. <what> is one of:
${FORMS}

  conversation, recording: every access to that conversation's or recording's objects.
  principal: everything one principal did. An ARN names that exact requester (a role ARN
    arn:aws:iam::<acct>:role/<name>: every session of the role); role/session (session * for
    any); an email address: sessions named by it, case-insensitively.
  person: everything one person did, in S3 and inside Genesys: by email, Genesys user id or
    name (case and accents ignored), through the actor fields attribution fills in.
  agent: accesses to recordings of conversations the user took part in, by anyone else (the
    agent's own reads, matched by their email/session name against the name, are left out).
  ip: requests from an address or a CIDR block.
  denied: requests S3 refused (401/403, AccessDenied, bad signatures, expired tokens).
  deletions: object deletes (API, batch, lifecycle expiry), allowed or refused.
  presigned: requests made with a presigned URL.

Left out unless asked for: recording-audit's own requests (--include-self) and service
principals' routine writes such as the Genesys export's uploads (--include-service).
HEAD requests (metadata only) are included and labelled.

Options:
  --from ISO           Start of the time range (inclusive)
  --to ISO             End of the time range (exclusive)
  --tz ZONE            Also show times in this IANA zone (e.g. Europe/Berlin)
  --format F           table (default), csv or ndjson (see docs/investigations.md)
  --limit N            At most N events (default ${DEFAULT_LIMIT})
  --all                Every event, paged through a point in time
  --include-self       Include recording-audit's own requests
  --include-service    Include service principals' routine writes
  --index NAME         Index or alias to search (default INDEX_ALIAS, else INDEX_PREFIX)
  --config FILE        JSON settings file

Exit: 0 events found, 1 none, 64 usage, 66 no such index, 69 OpenSearch unreachable or refusing,
78 configuration.
`;

const FORMATS = ['table', 'csv', 'ndjson'] as const;
type Format = (typeof FORMATS)[number];

/** The problem and the usage line; the whole help is one `--help` away. */
function usageError(problem: string): number {
  process.stderr.write(`${problem}\n${HELP.slice(0, HELP.indexOf('\n\n'))}\nRun 'recording-audit query --help' for the forms and options.\n`);
  return EXIT_USAGE;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      ...SCOPE_OPTIONS,
      tz: { type: 'string' },
      format: { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean' },
      'include-self': { type: 'boolean' },
      'include-service': { type: 'boolean' },
    },
    HELP,
    { allowPositionals: true },
  );
  if (!args.ok) return args.exit;
  const v = args.values;
  const [what, arg, ...extra] = args.positionals;
  if (what === undefined) return usageError(`Which query? One of: ${QUERY_FORMS.join(', ')}.`);
  if (extra.length > 0) return usageError(`Unexpected argument "${extra[0]!}" (quote an argument that has spaces).`);
  const target = parseTarget(what, arg);
  if (!target.ok) return usageError(target.problem);
  const range = parseRange(v.from, v.to);
  if (!range.ok) return usageError(range.problem);
  const zoneProblem = checkZone(v.tz);
  if (zoneProblem !== undefined) return usageError(zoneProblem);
  const format = (v.format ?? 'table') as Format;
  if (!FORMATS.includes(format)) return usageError(`--format must be one of ${FORMATS.join(', ')}`);
  if (v.all === true && v.limit !== undefined) return usageError('--limit and --all exclude each other');
  let limit: number | undefined = DEFAULT_LIMIT;
  if (v.limit !== undefined) {
    limit = Number(v.limit);
    if (!/^\d+$/.test(v.limit) || !Number.isSafeInteger(limit) || limit < 1) return usageError('--limit must be a whole number of at least 1');
  }
  if (v.all === true) limit = undefined;

  const scope: Scope = { ...range, includeSelf: v['include-self'] === true, includeService: v['include-service'] === true };
  const cfg = loadConfigOrThrow({ ...(v.config !== undefined ? { file: v.config } : {}), required: ['OPENSEARCH_URL'] });
  const index = v.index ?? readAliasOf(cfg);
  const client = createOpenSearchClient(cfg);
  const output = new Output(process.stdout);
  try {
    const { progress, excluded, twins } = await runQuery({
      client,
      index,
      target: target.value,
      scope,
      limit,
      format,
      zone: v.tz,
      output,
    });
    // A reader that went away (`| head`) has what it wanted; counts would only mislead.
    if (!output.closed) process.stderr.write(summaryLine(progress, excluded, target.value, limit, twins));
    return progress.emitted > 0 ? EXIT_OK : EXIT_FAILURE;
  } catch (err) {
    return investigationFailure('query', err);
  } finally {
    await client.close();
  }
}

export interface QueryRun {
  readonly client: Parameters<typeof searchHits>[0];
  readonly index: string;
  readonly target: Target;
  readonly scope: Scope;
  readonly limit: number | undefined;
  readonly format: Format;
  readonly zone: string | undefined;
  readonly output: Output;
}

/** Streams the answer to `output`; returns what was found and what the defaults left out. */
export async function runQuery(
  q: QueryRun,
): Promise<{ progress: SearchProgress; excluded: { reason: 'self' | 'service'; count: number }[]; twins: CollapseStats }> {
  const progress: SearchProgress = { dropped: 0, emitted: 0 };
  const twins: CollapseStats = { collapsed: 0 };
  const target = q.target;
  const accept = target.form === 'agent' ? (hit: Hit) => !isAgentOwnAccess(hit.row, target.agent) : undefined;
  // One request recorded by both sources (access log and CloudTrail) is one row.
  const hits = collapseTwins(
    searchHits(q.client, { index: q.index, query: buildQuery(q.target, q.scope), limit: q.limit, ...(accept ? { accept } : {}) }, progress),
    twins,
  );
  const zone = q.zone ?? 'UTC';
  const pending: string[] = [];
  const table = q.format === 'table' ? new TableWriter(tableColumns(q.zone), (t) => pending.push(t)) : undefined;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending.length = 0;
    await q.output.write(text);
  };
  // The header even for no events: a script reading the file finds the columns it expects.
  if (q.format === 'csv') pending.push(csvHeader());
  for await (const hit of hits) {
    if (q.format === 'table') table!.push(hit.row);
    else if (q.format === 'ndjson') pending.push(ndjsonLine(hit));
    else pending.push(csvRecord(hit.row, zone));
    if (pending.length >= 256) await flush();
    // The reader went away (`| head`): stop paging; the generator's finally closes the point in time.
    if (q.output.closed) break;
  }
  table?.end();
  await flush();
  const excluded: { reason: 'self' | 'service'; count: number }[] = [];
  if (!q.output.closed) {
    for (const e of exclusionCountQueries(q.target, q.scope)) excluded.push({ reason: e.reason, count: await countHits(q.client, q.index, e.query) });
  }
  return { progress, excluded, twins };
}

/** One line on stderr: how many, of how many, and what the defaults left out. */
export function summaryLine(
  progress: SearchProgress,
  excluded: readonly { reason: 'self' | 'service'; count: number }[],
  target: Target,
  limit: number | undefined,
  twins: CollapseStats = { collapsed: 0 },
): string {
  const total = progress.total;
  const cut = limit !== undefined && total !== undefined && total > progress.emitted + progress.dropped;
  const parts = [
    cut ? `${progress.emitted} of ${total} events shown (raise --limit or use --all)` : `${progress.emitted} event${progress.emitted === 1 ? '' : 's'}`,
  ];
  if (twins.collapsed > 0)
    parts.push(`${twins.collapsed} CloudTrail event${twins.collapsed === 1 ? '' : 's'} shown in the row of their access-log twin (s3+ct)`);
  if (progress.dropped > 0 && target.form === 'agent') parts.push(`${progress.dropped} left out as the agent's own`);
  for (const e of excluded) {
    if (e.count === 0) continue;
    parts.push(
      e.reason === 'self' ? `${e.count} of recording-audit's own left out (--include-self)` : `${e.count} routine service writes left out (--include-service)`,
    );
  }
  return `${parts.join('; ')}\n`;
}
