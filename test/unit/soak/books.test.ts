import { describe, expect, it } from 'vitest';
import { emptyBooks, readLogLine, reconcile } from '../../soak/books.js';
import { lineSplitter } from '../../support/worker-harness.js';
import { FAULT_KINDS, faultSchedule, summaryLine } from '../../soak/main.js';

const accounted = (o: Record<string, unknown>): string =>
  JSON.stringify({ level: 'info', time: '2026-12-07T03:00:00.000Z', msg: 'Log object accounted for.', object: 's3://b/k', errorEvents: 0, ...o });

describe('soak books', () => {
  it('reconcile: each object balances, and a clean stop owes totals equal to the sums', () => {
    const books = emptyBooks();
    const feed = lineSplitter((l) => readLogLine(books, l));
    feed(
      Buffer.from(
        `${accounted({ lines: 10, indexed: 7, duplicates: 2, quarantined: 1, errorEvents: 1 })}\n${accounted({ lines: 5, indexed: 5, duplicates: 0, quarantined: 0 })}\n`,
      ),
    );
    expect(reconcile(books, true)).toEqual(['no "Worker stopped." totals after a clean stop']);
    expect(reconcile(books, false)).toEqual([]);
    feed(Buffer.from(JSON.stringify({ level: 'info', msg: 'Worker stopped.', objects: 2, lines: 15, indexed: 12, duplicates: 2, quarantined: 1 })));
    feed(Buffer.from('\n'));
    expect(reconcile(books, true)).toEqual([]);
    books.stopped = { objects: 2, lines: 16, indexed: 12, duplicates: 2, quarantined: 1 };
    expect(reconcile(books, true)).toEqual(['totals.lines 16 != 15 summed over its objects']);
  });

  it('reconcile: an object whose lines do not balance, a fatal line, a bare crash line', () => {
    const books = emptyBooks();
    readLogLine(books, accounted({ lines: 10, indexed: 7, duplicates: 2, quarantined: 0 }));
    readLogLine(books, JSON.stringify({ level: 'fatal', msg: 'Worker loop failed.' }));
    readLogLine(books, 'recording-audit: ConnectionError: connect ECONNREFUSED');
    const problems = reconcile(books, false);
    expect(problems[0]).toBe('s3://b/k: 10 lines != 7 indexed + 2 duplicates + 0 quarantined');
    expect(problems[1]).toMatch(/^1 fatal log line/);
    expect(books.other).toEqual(['recording-audit: ConnectionError: connect ECONNREFUSED']);
  });

  it('a worker stopped while it waited for its dependencies owes no totals', () => {
    const books = emptyBooks();
    readLogLine(books, JSON.stringify({ level: 'info', msg: 'Stopping while waiting for dependencies; nothing was received.' }));
    expect(reconcile(books, true)).toEqual([]);
  });
});

describe('soak schedule', () => {
  it('is a function of the seed, and holds every kind once when there are enough iterations', () => {
    const kinds = FAULT_KINDS.filter((k) => k !== 'opensearch_kill');
    const a = faultSchedule(20, 42, kinds);
    expect(faultSchedule(20, 42, kinds)).toEqual(a);
    expect(a).toHaveLength(20);
    for (const k of kinds) expect(a).toContain(k);
    expect(a).not.toContain('opensearch_kill');
    expect(faultSchedule(3, 42, kinds)).toHaveLength(3);
  });

  it('summaryLine names the outcome and the figures', () => {
    const line = summaryLine({
      ok: true,
      iterations: 20,
      workers: 3,
      seed: 1,
      seconds: 90,
      faultsByKind: { replay: 1 },
      events: 5,
      expectedDocuments: 5,
      missing: 0,
      unexpected: 0,
      altered: 0,
      duplicatesAvoided: 2,
      deadLettered: 4,
      plantedBad: 4,
      maxLagSecs: 3,
      failures: [],
    });
    expect(line).toMatch(/^soak OK: 20 iterations, 3 workers, seed 1, 90 s; faults: replay 1; 5\/5 documents/);
  });
});
