import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { describeError, isAuditError } from '../core/errors.js';
import { decodeLines, DEFAULT_MAX_LINE_BYTES, type DecodeStats } from '../decode/lines.js';
import { buildEvent, type Rejection } from '../event/build.js';
import type { IndexableEvent } from '../event/types.js';
import { EXIT_DATA, EXIT_NO_INPUT, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

/**
 * `recording-audit parse [FILE...]`: access-log files (plain or gzip) or stdin to NDJSON events on
 * stdout, one per line with its document id in `_id`; each rejected line as one NDJSON line on
 * stderr. No network. The worker's code path from bytes to events, for inspection and replay
 * checks.
 */

const USAGE = `Usage: recording-audit parse [options] [FILE...]

Reads S3 server access log files (plain text or gzip; - or no FILE reads stdin) and prints one
JSON event per line on stdout, with its document id in "_id" (hex; in a month from the index
prefix's id cutover, the index holds its first 128 bits as base64url: docs/event-schema.md).
Rejected lines go to stderr as JSON lines with their reason and line number. No network, unless
--enrich.

Options:
  --log-bucket NAME      Bucket name the document ids are computed with (default: "", so ids
                         match the worker's only when given the log bucket's real name)
  --stats                Print counts (lines, blank, events, rejected by reason) to stderr at the end
  --max-line-bytes N     Lines longer than this are rejected as line_too_long (default ${DEFAULT_MAX_LINE_BYTES})
  --enrich               Resolve every event against Genesys Cloud before printing it, with the
                         worker's settings (GENESYS_*, RECORDINGS_BUCKET, RECORDING_KEY_PATTERNS);
                         without Genesys credentials, from keys only. Logs go to stderr.
  --config FILE          JSON settings file, as for the worker (with --enrich)
  -h, --help             Show this help

Exit status: 0 when every input was read (rejected lines included), 64 on a usage error,
66 when an input cannot be opened or read, 65 when a gzip input is truncated or corrupt.
`;

/**
 * A stage run on each batch of events before it is printed; it may change the events in place
 * (the enrichment stage adds genesys.* and enrichment.*). This is the extension point for
 * `--enrich`: its option creates such a hook and passes it in `hooks`.
 */
export type BatchHook = (docs: readonly IndexableEvent[]) => Promise<void>;

export interface ParseCommandOptions {
  /** Paths to read; `-` is stdin. Empty: stdin. */
  readonly files: readonly string[];
  readonly logBucket: string;
  readonly stats: boolean;
  readonly maxLineBytes?: number;
  readonly hooks?: readonly BatchHook[];
}

export interface ParseIo {
  readonly stdin: AsyncIterable<Uint8Array>;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export interface ParseTotals {
  files: number;
  lines: number;
  blank: number;
  events: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  bytesIn: number;
  failedFiles: number;
}

async function write(out: Writable, text: string): Promise<void> {
  if (text === '' || out.write(text)) return;
  await once(out, 'drain');
}

/** One event as an NDJSON line, `_id` first; JSON.stringify escapes anything a value holds. */
export function eventLine(doc: IndexableEvent): string {
  const body = JSON.stringify(doc.event);
  return `{"_id":${JSON.stringify(doc.id)},${body.slice(1)}\n`;
}

function rejectionLine(file: string, r: Rejection): string {
  return `${JSON.stringify({ rejected: r.reason, file, line: r.line, detail: r.detail, hash: r.hash, _id: r.id })}\n`;
}

async function parseOne(path: string, options: ParseCommandOptions, io: ParseIo, totals: ParseTotals): Promise<number> {
  const stdin = path === '-';
  const filePath = stdin ? '<stdin>' : path;
  const source: AsyncIterable<Uint8Array> = stdin ? io.stdin : createReadStream(path);
  const ctx = { logBucket: options.logBucket, filePath };
  const lines = decodeLines(source, options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes });
  let stats: DecodeStats | undefined;
  try {
    for (;;) {
      const next = await lines.next();
      if (next.done === true) {
        stats = next.value;
        break;
      }
      const docs: IndexableEvent[] = [];
      let errors = '';
      // Counted as they arrive, so a file that fails part-way still reconciles (events +
      // rejected = lines) for the lines it did yield.
      totals.lines += next.value.length;
      for (const line of next.value) {
        const r = buildEvent(line, ctx);
        if (r.ok) docs.push(r.doc);
        else {
          totals.rejected++;
          totals.rejectedByReason[r.rejection.reason] = (totals.rejectedByReason[r.rejection.reason] ?? 0) + 1;
          errors += rejectionLine(filePath, r.rejection);
        }
      }
      for (const hook of options.hooks ?? []) await hook(docs);
      let out = '';
      for (const doc of docs) out += eventLine(doc);
      totals.events += docs.length;
      await write(io.stderr, errors);
      await write(io.stdout, out);
    }
  } catch (err) {
    totals.failedFiles++;
    const truncated = isAuditError(err, 'OBJECT_TRUNCATED');
    const { code, message } = describeError(err);
    await write(io.stderr, `${JSON.stringify({ error: code, file: filePath, detail: message })}\n`);
    return truncated ? EXIT_DATA : EXIT_NO_INPUT;
  }
  totals.files++;
  totals.blank += stats.blank;
  totals.bytesIn += stats.bytesIn;
  return EXIT_OK;
}

/** Parses every input in turn; a file that cannot be read does not stop the others. */
export async function runParse(options: ParseCommandOptions, io: ParseIo): Promise<number> {
  const totals: ParseTotals = { files: 0, lines: 0, blank: 0, events: 0, rejected: 0, rejectedByReason: {}, bytesIn: 0, failedFiles: 0 };
  const inputs = options.files.length === 0 ? ['-'] : options.files;
  let exit = EXIT_OK;
  for (const path of inputs) {
    const code = await parseOne(path, options, io, totals);
    if (code !== EXIT_OK && exit === EXIT_OK) exit = code;
  }
  if (options.stats) await write(io.stderr, `${JSON.stringify({ stats: totals })}\n`);
  return exit;
}

export async function run(argv: string[]): Promise<number> {
  let values: { 'log-bucket'?: string; stats?: boolean; 'max-line-bytes'?: string; enrich?: boolean; config?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'log-bucket': { type: 'string' },
        stats: { type: 'boolean' },
        'max-line-bytes': { type: 'string' },
        enrich: { type: 'boolean' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  const maxLineBytes = values['max-line-bytes'] === undefined ? undefined : Number(values['max-line-bytes']);
  if (maxLineBytes !== undefined && !(Number.isInteger(maxLineBytes) && maxLineBytes >= 1)) {
    process.stderr.write(`--max-line-bytes must be a positive integer\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const hooks: BatchHook[] = [];
  const enrichment = values.enrich === true ? await startEnrichment(values.config) : undefined;
  if (enrichment) hooks.push(enrichment.hook);
  try {
    return await runParse(
      {
        files: positionals,
        logBucket: values['log-bucket'] ?? '',
        stats: values.stats === true,
        hooks,
        ...(maxLineBytes === undefined ? {} : { maxLineBytes }),
      },
      { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    );
  } finally {
    await enrichment?.close();
  }
}

/** `--enrich`: the worker's enrichment stage, with its logs on stderr so stdout stays NDJSON. */
async function startEnrichment(configFile: string | undefined): Promise<{ hook: BatchHook; close(): Promise<void> }> {
  const [{ loadConfigOrThrow }, { createLogger }, { createMetrics }, { createEnricher }, { createS3Client }, { pino }] = await Promise.all([
    import('../config/load.js'),
    import('../core/log.js'),
    import('../core/metrics.js'),
    import('../enrich/enricher.js'),
    import('../core/aws-clients.js'),
    import('pino'),
  ]);
  const cfg = loadConfigOrThrow(configFile === undefined ? {} : { file: configFile });
  const logger = createLogger(cfg.LOG_LEVEL, pino.destination(2));
  const s3 = cfg.RECORDINGS_BUCKET === undefined ? undefined : createS3Client(cfg, { userAgentSuffix: cfg.SELF_USER_AGENT_SUFFIX });
  const enricher = createEnricher(cfg, { logger, metrics: createMetrics({ defaultMetrics: false }), ...(s3 ? { s3 } : {}) });
  if (enricher.mode === 'keys-only') logger.warn('No Genesys credentials: events are resolved from their keys only.');
  return {
    hook: (docs) => enricher.enrich(docs.map((d) => d.event)),
    async close() {
      await enricher.close();
      s3?.destroy();
    },
  };
}
