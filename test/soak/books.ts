/**
 * The books of one worker life (or one replay run), read from its JSON log lines: every "Log
 * object accounted for." line, the closing "Worker stopped." totals when it stopped cleanly, and
 * the lines at fatal level. Pure functions: unit-tested in test/unit/soak/books.test.ts.
 */

export interface AccountedObject {
  readonly object: string;
  readonly at: number;
  readonly lines: number;
  readonly indexed: number;
  readonly duplicates: number;
  readonly quarantined: number;
  readonly errorEvents: number;
}

export interface StoppedTotals {
  readonly objects: number;
  readonly lines: number;
  readonly indexed: number;
  readonly duplicates: number;
  readonly quarantined: number;
}

export interface LifeBooks {
  readonly accounted: AccountedObject[];
  stopped: StoppedTotals | undefined;
  /** Signalled while it waited for its dependencies: it received nothing and owes no totals. */
  stoppedBeforeReceiving: boolean;
  /** It logged that its dependencies answer and it receives: from then on a signal must be handled. */
  receiving: boolean;
  readonly fatal: string[];
  /** Warning and error lines by level and message: what the faults made the fleet say. */
  readonly notices: Map<string, number>;
  /** Lines that are not JSON (a crash's bare stderr line, a stack trace). */
  readonly other: string[];
}

export function emptyBooks(): LifeBooks {
  return { accounted: [], stopped: undefined, stoppedBeforeReceiving: false, receiving: false, fatal: [], notices: new Map(), other: [] };
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);

/** Adds one log line to the books. */
export function readLogLine(books: LifeBooks, line: string): void {
  const text = line.trim();
  if (text === '') return;
  let rec: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object') throw new Error('not an object');
    rec = parsed as Record<string, unknown>;
  } catch {
    if (books.other.length < 50) books.other.push(text.slice(0, 500));
    return;
  }
  const msg = rec.msg;
  if (rec.level === 'fatal') books.fatal.push(text.slice(0, 1000));
  if (rec.level === 'warn' || rec.level === 'error') {
    const key = `${rec.level}: ${String(msg)}`;
    books.notices.set(key, (books.notices.get(key) ?? 0) + 1);
  }
  if (msg === 'Log object accounted for.') {
    books.accounted.push({
      object: String(rec.object),
      at: typeof rec.time === 'string' ? Date.parse(rec.time) : num(rec.time),
      lines: num(rec.lines),
      indexed: num(rec.indexed),
      duplicates: num(rec.duplicates),
      quarantined: num(rec.quarantined),
      errorEvents: num(rec.errorEvents),
    });
  } else if (msg === 'Dependencies answer; receiving.') {
    books.receiving = true;
  } else if (msg === 'Stopping while waiting for dependencies; nothing was received.') {
    books.stoppedBeforeReceiving = true;
  } else if (msg === 'Worker stopped.') {
    books.stopped = {
      objects: num(rec.objects),
      lines: num(rec.lines),
      indexed: num(rec.indexed),
      duplicates: num(rec.duplicates),
      quarantined: num(rec.quarantined),
    };
  }
}

/**
 * What does not reconcile in one life's books. Each object: lines in = indexed + duplicates
 * (already stored: a 409 on `create`) + quarantined, and one pipeline_error event per quarantined
 * line. A life that stopped cleanly: its totals equal the sums of its objects. A life ended by
 * SIGKILL has no totals; only its finished objects can be checked.
 */
export function reconcile(books: LifeBooks, expectTotals: boolean): string[] {
  const problems: string[] = [];
  for (const a of books.accounted) {
    if ([a.lines, a.indexed, a.duplicates, a.quarantined].some((n) => Number.isNaN(n))) {
      problems.push(`${a.object}: accounted-for line without counts`);
      continue;
    }
    if (a.lines !== a.indexed + a.duplicates + a.quarantined) {
      problems.push(`${a.object}: ${a.lines} lines != ${a.indexed} indexed + ${a.duplicates} duplicates + ${a.quarantined} quarantined`);
    }
    if (!Number.isNaN(a.errorEvents) && a.errorEvents !== a.quarantined) {
      problems.push(`${a.object}: ${a.quarantined} quarantined but ${a.errorEvents} pipeline_error events`);
    }
  }
  if (expectTotals && books.stoppedBeforeReceiving) {
    if (books.accounted.length > 0) problems.push('objects accounted for by a worker that says it received nothing');
  } else if (expectTotals) {
    const t = books.stopped;
    if (t === undefined) problems.push('no "Worker stopped." totals after a clean stop');
    else {
      const sum = (f: (a: AccountedObject) => number): number => books.accounted.reduce((n, a) => n + f(a), 0);
      const want: StoppedTotals = {
        objects: books.accounted.length,
        lines: sum((a) => a.lines),
        indexed: sum((a) => a.indexed),
        duplicates: sum((a) => a.duplicates),
        quarantined: sum((a) => a.quarantined),
      };
      for (const k of Object.keys(want) as (keyof StoppedTotals)[]) {
        if (t[k] !== want[k]) problems.push(`totals.${k} ${t[k]} != ${want[k]} summed over its objects`);
      }
    }
  }
  if (books.fatal.length > 0) problems.push(`${books.fatal.length} fatal log line(s): ${books.fatal[0] ?? ''}`);
  return problems;
}
