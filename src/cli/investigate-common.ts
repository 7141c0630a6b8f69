import type { Writable } from 'node:stream';
import { isAuditError } from '../core/errors.js';
import { isTimeZone } from '../investigate/format/time.js';
import type { Scope } from '../investigate/queries.js';
import { EXIT_NO_INPUT, EXIT_UNAVAILABLE } from './exit-codes.js';

/** The options `query` and `report` share. */
export const SCOPE_OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  index: { type: 'string' },
  config: { type: 'string' },
} as const;

/** An ISO time as given (a date alone is midnight UTC), normalized; undefined when it does not parse. */
export function isoTime(value: string): string | undefined {
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

export function parseRange(from: string | undefined, to: string | undefined): { ok: true; from?: string; to?: string } | { ok: false; problem: string } {
  const f = from === undefined ? undefined : isoTime(from);
  const t = to === undefined ? undefined : isoTime(to);
  if (from !== undefined && f === undefined) return { ok: false, problem: `--from "${from}" is not an ISO 8601 time` };
  if (to !== undefined && t === undefined) return { ok: false, problem: `--to "${to}" is not an ISO 8601 time` };
  if (f !== undefined && t !== undefined && f >= t) return { ok: false, problem: '--from must be before --to' };
  return { ok: true, ...(f === undefined ? {} : { from: f }), ...(t === undefined ? {} : { to: t }) };
}

export function checkZone(zone: string | undefined): string | undefined {
  return zone === undefined || isTimeZone(zone) ? undefined : `--tz "${zone}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`;
}

export type { Scope };

/**
 * The failures an analyst can act on, as one line on stderr and an exit code; anything else is
 * rethrown (a bug keeps its stack trace).
 */
export function investigationFailure(command: string, err: unknown): number {
  if (isAuditError(err, 'INDEX_MISSING')) {
    process.stderr.write(`recording-audit ${command}: ${err.message}\n`);
    return EXIT_NO_INPUT;
  }
  if (isAuditError(err, 'SINK_UNAVAILABLE') || isAuditError(err, 'SINK_REJECTED')) {
    process.stderr.write(`recording-audit ${command}: ${err.message}\n`);
    return EXIT_UNAVAILABLE;
  }
  throw err;
}

/**
 * Writes to a stream with backpressure; after the reader went away (EPIPE from `| head`) writes
 * are dropped and `closed` is true, so the command stops instead of crashing.
 */
export class Output {
  closed = false;

  constructor(private readonly stream: Writable) {
    stream.on('error', () => {
      this.closed = true;
    });
  }

  async write(text: string): Promise<void> {
    if (this.closed || this.stream.write(text)) return;
    // One listener pair per wait, both removed when either fires.
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
    });
  }
}
