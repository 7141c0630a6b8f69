import { readAliasOf } from '../config/schema.js';
import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Client } from '@opensearch-project/opensearch';
import { loadConfigOrThrow } from '../config/load.js';
import { csvHeader, csvRecord } from '../investigate/format/csv.js';
import { buildQuery, exclusionCountQueries, searchBody, type Scope } from '../investigate/queries.js';
import { renderHtml } from '../investigate/report/html.js';
import { buildReportModel, type ReportModel } from '../investigate/report/model.js';
import { renderPdf } from '../investigate/report/pdf.js';
import type { AccessRow } from '../investigate/row.js';
import { countHits, PAGE_SIZE, PIT_KEEP_ALIVE, searchHits } from '../investigate/search.js';
import { collapseTwins } from '../investigate/twins.js';
import { createOpenSearchClient } from '../sinks/opensearch/client.js';
import { parseCommandArgs } from './args.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { investigationFailure, parseRange, SCOPE_OPTIONS } from './investigate-common.js';

const HELP = `Usage: recording-audit report --conversation ID [--from ISO] [--to ISO] --format html|pdf|csv --out FILE

An accounting of disclosures (45 CFR 164.528) for one conversation: its recordings and
participants, the period, who generated the report and the exact query; a summary per person;
every access, oldest first, with its evidence (log object, line, event.hash, document id); and
how to verify it (recording-audit verify --conversation ID). csv is the chronological table in the
columns of \`query --format csv\` (docs/investigations.md).

As in \`query\`, recording-audit's own requests and service principals' routine writes
are left out unless --include-self / --include-service; the header says how many.

Options:
  --conversation ID    Genesys conversation id (required)
  --from ISO           Start of the period (inclusive)
  --to ISO             End of the period (exclusive)
  --format F           html, pdf or csv (required)
  --out FILE           Where to write the report (required)
  --include-self       Include recording-audit's own requests
  --include-service    Include service principals' routine writes
  --index NAME         Index or alias to search (default INDEX_ALIAS, else INDEX_PREFIX)
  --config FILE        JSON settings file

Exit: 0 report written with events, 1 report written but no events found, 64 usage, 66 no such
index, 69 OpenSearch unreachable or refusing, 78 configuration.
`;

const FORMATS = ['html', 'pdf', 'csv'] as const;
type Format = (typeof FORMATS)[number];

/** Events one report holds in memory; a conversation with more is not one patient interaction. */
export const MAX_REPORT_EVENTS = 200_000;

class ReportTooLarge extends Error {}

/** The problem and the usage line; the whole help is one `--help` away. */
function usageError(problem: string): number {
  process.stderr.write(`${problem}\n${HELP.slice(0, HELP.indexOf('\n\n'))}\nRun 'recording-audit report --help' for the options.\n`);
  return EXIT_USAGE;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      ...SCOPE_OPTIONS,
      conversation: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'include-self': { type: 'boolean' },
      'include-service': { type: 'boolean' },
    },
    HELP,
  );
  if (!args.ok) return args.exit;
  const v = args.values;
  const conversation = v.conversation?.trim();
  if (conversation === undefined || conversation === '') return usageError('--conversation is required.');
  const format = v.format as Format | undefined;
  if (format === undefined || !FORMATS.includes(format)) return usageError(`--format must be one of ${FORMATS.join(', ')}.`);
  if (v.out === undefined || v.out === '') return usageError('--out is required.');
  const range = parseRange(v.from, v.to);
  if (!range.ok) return usageError(range.problem);

  const scope: Scope = { ...range, includeSelf: v['include-self'] === true, includeService: v['include-service'] === true };
  const cfg = loadConfigOrThrow({ ...(v.config !== undefined ? { file: v.config } : {}), required: ['OPENSEARCH_URL'] });
  const index = v.index ?? readAliasOf(cfg);
  const client = createOpenSearchClient(cfg);
  try {
    const model = await collectReport(client, { index, conversationId: conversation, scope, awsIdentity: await awsIdentity() });
    await writeFile(v.out, await renderReport(model, format));
    process.stderr.write(
      `${model.rows.length} event${model.rows.length === 1 ? '' : 's'} for conversation ${conversation}; ${format} report written to ${v.out}\n`,
    );
    return model.rows.length > 0 ? EXIT_OK : EXIT_FAILURE;
  } catch (err) {
    if (err instanceof ReportTooLarge) return usageError(err.message);
    return investigationFailure('report', err);
  } finally {
    await client.close();
  }
}

export async function collectReport(
  client: Client,
  options: { index: string; conversationId: string; scope: Scope; awsIdentity?: string; now?: () => Date; osUser?: string },
): Promise<ReportModel> {
  const target = { form: 'conversation', id: options.conversationId } as const;
  const query = buildQuery(target, options.scope);
  const rows: AccessRow[] = [];
  // One request recorded by both sources is one access, counted once.
  for await (const hit of collapseTwins(searchHits(client, { index: options.index, query }))) {
    if (rows.length >= MAX_REPORT_EVENTS)
      throw new ReportTooLarge(`conversation ${options.conversationId} has more than ${MAX_REPORT_EVENTS} events; narrow --from/--to`);
    rows.push(hit.row);
  }
  const excluded = [];
  for (const e of exclusionCountQueries(target, options.scope)) excluded.push({ reason: e.reason, count: await countHits(client, options.index, e.query) });
  return buildReportModel(
    {
      conversationId: options.conversationId,
      ...(options.scope.from === undefined ? {} : { from: options.scope.from }),
      ...(options.scope.to === undefined ? {} : { to: options.scope.to }),
      generatedAt: (options.now?.() ?? new Date()).toISOString(),
      osUser: options.osUser ?? osUser(),
      ...(options.awsIdentity === undefined ? {} : { awsIdentity: options.awsIdentity }),
      index: options.index,
      // The body of every page: the point in time's id and `search_after` change from page to page.
      query: { ...searchBody(query, PAGE_SIZE), pit: { id: `<point in time on ${options.index}>`, keep_alive: PIT_KEEP_ALIVE } },
      excluded,
      includeSelf: options.scope.includeSelf,
      includeService: options.scope.includeService,
    },
    rows,
  );
}

export async function renderReport(model: ReportModel, format: Format): Promise<string | Buffer> {
  switch (format) {
    case 'html':
      return renderHtml(model);
    case 'pdf':
      return renderPdf(model);
    case 'csv':
      return csvHeader() + model.rows.map((r) => csvRecord(r, 'UTC')).join('');
  }
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** The AWS identity running the report, when credentials resolve within a few seconds; else undefined. */
async function awsIdentity(): Promise<string | undefined> {
  const sts = new STSClient({});
  try {
    const res = await sts.send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(3000) });
    return res.Arn;
  } catch {
    return undefined;
  } finally {
    sts.destroy();
  }
}
