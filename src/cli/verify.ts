import { readAliasOf } from '../config/schema.js';
import { loadConfigOrThrow } from '../config/load.js';
import { createS3Client } from '../core/aws-clients.js';
import { searchFailureLine, VERIFY_STATUSES, verifyEvidence, type VerifyOutcome, type VerifySelection, type VerifySummary } from '../investigate/verify.js';
import { createOpenSearchClient } from '../sinks/opensearch/client.js';
import { parseCommandArgs } from './args.js';
import { EXIT_FAILURE, EXIT_NO_INPUT, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

const HELP = `Usage: recording-audit verify (--conversation ID | --from ISO --to ISO) [--format table|ndjson] [options]

Chain of custody: checks that the index says what S3 wrote. For each access event it re-reads
the log object named in log.file.path (each object once, streaming), takes the line at log.offset,
recomputes its sha256 and the document id, and compares every field a fresh parse of the line
gives with the stored document (enrichment fields are not compared). Needs OPENSEARCH_URL and
s3:GetObject on the log buckets.

Options:
  --conversation ID     Events of one Genesys conversation (genesys.conversation.id)
  --from ISO            Start of the event time range (inclusive)
  --to ISO              End of the event time range (exclusive)
  --format F            table (default, for people) or ndjson (one line per event not verified, then a summary line)
  --index-prefix P      Read alias (default INDEX_ALIAS, else INDEX_PREFIX)
  --concurrency N       Log objects read at once (default 4, at most 32)
  --page-size N         Events per search page (default 500)
  --config FILE         JSON settings file

Statuses: verified; parser_changed (written by another parser version: only hash and id
compared); altered; source_missing (the log object is gone); source_unreadable (any other reason
the line could not be read, or a local file path).

Exit: 0 nothing altered, 1 some event altered, 64 usage, 66 OpenSearch or the index cannot be read, 78 configuration.
`;

/** Rows a table lists before it says how many more there are; ndjson lists them all. */
const TABLE_ROWS = 500;
const VALUE_CHARS = 80;

export interface VerifyIo {
  out(text: string): void;
  err(text: string): void;
  /** Settings; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export async function run(argv: string[]): Promise<number> {
  return runVerify(argv, { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) });
}

export async function runVerify(argv: string[], io: VerifyIo): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      conversation: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      'index-prefix': { type: 'string' },
      concurrency: { type: 'string' },
      'page-size': { type: 'string' },
      config: { type: 'string' },
    },
    HELP,
  );
  if (!args.ok) return args.exit;
  const v = args.values;
  const usage = (problem: string): number => {
    io.err(`${problem}\n\n${HELP}`);
    return EXIT_USAGE;
  };
  const format = v.format ?? 'table';
  if (format !== 'table' && format !== 'ndjson') return usage('--format must be table or ndjson.');
  if ((v.from === undefined) !== (v.to === undefined)) return usage('--from and --to go together.');
  if (v.conversation === undefined && v.from === undefined) return usage('Give --conversation ID, or --from and --to.');
  if (v.conversation !== undefined && v.conversation.trim() === '') return usage('--conversation needs an id.');
  let selection: VerifySelection = v.conversation !== undefined ? { conversationId: v.conversation } : {};
  if (v.from !== undefined && v.to !== undefined) {
    const from = Date.parse(v.from);
    const to = Date.parse(v.to);
    if (Number.isNaN(from) || Number.isNaN(to) || from >= to) return usage('--from and --to must be ISO times with from < to.');
    selection = { ...selection, from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  }
  const concurrency = wholeNumber(v.concurrency, 4, 1, 32);
  if (concurrency === undefined) return usage('--concurrency must be a whole number from 1 to 32.');
  const pageSize = wholeNumber(v['page-size'], 500, 1, 10_000);
  if (pageSize === undefined) return usage('--page-size must be a whole number from 1 to 10000.');

  const cfg = loadConfigOrThrow({
    ...(io.env !== undefined ? { env: io.env } : {}),
    ...(v.config !== undefined ? { file: v.config } : {}),
    required: ['OPENSEARCH_URL'],
  });
  const index = v['index-prefix'] ?? readAliasOf(cfg);
  const client = createOpenSearchClient(cfg);
  const s3 = createS3Client(cfg, io.env !== undefined ? { env: io.env } : {});
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  const table = format === 'table' ? new TableWriter(io) : undefined;
  try {
    const summary = await verifyEvidence({
      client,
      s3,
      index,
      selection,
      pageSize,
      concurrency,
      objectReadTimeoutMs: cfg.OBJECT_READ_TIMEOUT_MS,
      signal: controller.signal,
      onOutcome: (o) => {
        if (o.status === 'verified') return;
        if (table !== undefined) table.add(o);
        else io.out(`${JSON.stringify(ndjsonOf(o))}\n`);
      },
    });
    if (table !== undefined) table.finish(summary, index, selection);
    else io.out(`${JSON.stringify({ summary: summaryOf(summary, index, selection) })}\n`);
    if (summary.aborted) io.err('Interrupted: not every event was examined.\n');
    return summary.counts.altered > 0 || summary.aborted ? EXIT_FAILURE : EXIT_OK;
  } catch (err) {
    const line = searchFailureLine(err, index, cfg.OPENSEARCH_URL ?? '');
    if (line === undefined) throw err;
    io.err(`recording-audit verify: ${line}\n`);
    return EXIT_NO_INPUT;
  } finally {
    process.off('SIGINT', stop);
    s3.destroy();
    await client.close();
  }
}

function wholeNumber(raw: string | undefined, fallback: number, min: number, max: number): number | undefined {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

function ndjsonOf(o: VerifyOutcome): Record<string, unknown> {
  return {
    status: o.status,
    _id: o.id,
    _index: o.index,
    '@timestamp': o.timestamp,
    'log.file.path': o.source,
    'log.offset': o.line,
    reason: o.reason,
    ...(o.differences !== undefined
      ? { differences: o.differences.map((d) => ({ field: d.field, stored: d.stored ?? null, from_line: d.fromLine ?? null })) }
      : {}),
  };
}

function summaryOf(s: VerifySummary, index: string, selection: VerifySelection): Record<string, unknown> {
  return { index, selection, examined: s.examined, ...s.counts, log_objects: s.objects, altered_fields: s.alteredFields, complete: !s.aborted };
}

function shown(value: unknown): string {
  const text = value === undefined ? '(absent)' : JSON.stringify(value);
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
}

/** Rows for the events that are not verified, as they come, then the counts. */
class TableWriter {
  private rows = 0;
  private more = 0;

  constructor(private readonly io: VerifyIo) {}

  add(o: VerifyOutcome): void {
    if (this.rows >= TABLE_ROWS) {
      this.more += 1;
      return;
    }
    if (this.rows === 0) this.io.out(`${'STATUS'.padEnd(18)} ${'TIME (UTC)'.padEnd(24)} ${'LINE'.padStart(6)}  LOG OBJECT / DOCUMENT\n`);
    this.rows += 1;
    this.io.out(`${o.status.padEnd(18)} ${(o.timestamp ?? '-').padEnd(24)} ${String(o.line ?? '-').padStart(6)}  ${o.source ?? '-'}\n`);
    this.io.out(`${''.padEnd(18)} ${''.padEnd(24)} ${''.padStart(6)}  _id ${o.id} in ${o.index}\n`);
    if (o.differences !== undefined && o.differences.length > 0) {
      for (const d of o.differences) this.io.out(`${''.padEnd(52)}${d.field}: index ${shown(d.stored)}, log line ${shown(d.fromLine)}\n`);
    } else if (o.reason !== undefined) {
      this.io.out(`${''.padEnd(52)}${o.reason}\n`);
    }
  }

  finish(s: VerifySummary, index: string, selection: VerifySelection): void {
    if (this.more > 0) this.io.out(`... and ${this.more} more not verified (--format ndjson lists them all).\n`);
    if (this.rows > 0) this.io.out('\n');
    const what = [
      selection.conversationId !== undefined ? `conversation ${selection.conversationId}` : undefined,
      selection.from !== undefined ? `${selection.from} to ${selection.to ?? ''}` : undefined,
    ]
      .filter((x) => x !== undefined)
      .join(', ');
    this.io.out(`Verified against the source log objects: ${index}, ${what}. ${s.examined} access event(s) in ${s.objects} log object(s).\n`);
    for (const status of VERIFY_STATUSES) {
      let line = `  ${status.padEnd(18)} ${String(s.counts[status]).padStart(8)}`;
      if (status === 'altered' && s.counts.altered > 0) {
        const fields = Object.entries(s.alteredFields)
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .map(([f, n]) => `${f} ${n}`);
        line += `   fields: ${fields.join(', ')}`;
      }
      this.io.out(`${line}\n`);
    }
    if (s.counts.altered > 0) this.io.out(`ALTERED: ${s.counts.altered} document(s) do not say what S3 wrote.\n`);
    else if (s.examined === 0) this.io.out('No access events matched.\n');
  }
}
