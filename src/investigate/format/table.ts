import { actorLabel, agentNames, operationLabel, sourceLabel, type AccessRow } from '../row.js';
import { utcText, zonedText } from './time.js';

/**
 * The terminal table of `query`. Values come from log lines anyone can shape, so control
 * characters (an ANSI escape in a key or user agent could rewrite the screen) are shown as `\xNN`,
 * and a long value is cut with `…` (the CSV and NDJSON keep it whole).
 */

/** Widest a column grows; longer values are cut. */
export const MAX_CELL = 60;
/** Rows read before the column widths are fixed; later rows stream with those widths. */
export const WIDTH_SAMPLE_ROWS = 200;

export function terminalSafe(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function cell(value: string): string {
  const safe = terminalSafe(value);
  return safe.length > MAX_CELL ? `${safe.slice(0, MAX_CELL - 1)}…` : safe;
}

export function outcomeText(row: AccessRow): string {
  const parts = [row.outcome ?? 'unknown'];
  if (row.httpStatus !== undefined) parts.push(String(row.httpStatus));
  if (row.errorCode !== undefined) parts.push(row.errorCode);
  return parts.join(' ');
}

export function recordingText(row: AccessRow): string {
  if (row.recordingId !== undefined) return row.recordingFile === 'metadata' ? `${row.recordingId} (metadata)` : row.recordingId;
  return row.key ?? '-';
}

export interface TableColumns {
  readonly headers: readonly string[];
  cells(row: AccessRow): string[];
}

/** The columns: time in UTC, time in `zone` when one was asked for, then who, what, outcome, from where, which recording, whose. */
export function tableColumns(zone: string | undefined): TableColumns {
  const local = zone !== undefined && zone !== 'UTC';
  return {
    headers: ['TIME (UTC)', ...(local ? [`TIME (${zone})`] : []), 'SOURCE', 'ACTOR', 'KIND', 'OPERATION', 'OUTCOME', 'IP', 'RECORDING', 'AGENTS'],
    cells: (row) =>
      [
        utcText(row.timestamp),
        ...(local ? [zonedText(row.timestamp, zone)] : []),
        sourceLabel(row),
        actorLabel(row),
        row.actorKind ?? '-',
        operationLabel(row) + (row.presigned ? ' [presigned]' : ''),
        outcomeText(row),
        row.sourceIp ?? '-',
        recordingText(row),
        agentNames(row).join(', ') || '-',
      ].map(cell),
  };
}

/** Streams rows as an aligned table in bounded memory: widths come from the first rows. */
export class TableWriter {
  private readonly sample: string[][] = [];
  private widths: number[] | undefined;

  constructor(
    private readonly columns: TableColumns,
    private readonly write: (text: string) => void,
  ) {}

  push(row: AccessRow): void {
    const cells = this.columns.cells(row);
    if (this.widths !== undefined) {
      this.write(this.line(cells));
      return;
    }
    this.sample.push(cells);
    if (this.sample.length >= WIDTH_SAMPLE_ROWS) this.fix();
  }

  /** Writes what is buffered; with no rows at all, nothing (not even the header). */
  end(): void {
    if (this.widths === undefined && this.sample.length > 0) this.fix();
  }

  private fix(): void {
    const all = [this.columns.headers.map((h) => h), ...this.sample];
    this.widths = this.columns.headers.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
    this.write(this.line([...this.columns.headers]));
    for (const r of this.sample) this.write(this.line(r));
    this.sample.length = 0;
  }

  private line(cells: string[]): string {
    const w = this.widths!;
    return `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(w[i]!))).join('  ')}\n`;
  }
}
