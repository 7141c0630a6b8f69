import { describe, expect, it } from 'vitest';
import { AuditError } from '../../../src/core/errors.js';
import { ObjectTally } from '../../../src/pipeline/tally.js';
import type { SettledWrite } from '../../../src/sinks/opensearch/bulk.js';

const doc = (ts: string): SettledWrite => ({
  id: ts,
  hash: `hash of ${ts}`,
  timestamp: ts,
  document: () => {
    throw new Error('the tally reads no document');
  },
});

describe('ObjectTally', () => {
  it('reconciles outcomes per day and resolves drained once nothing is outstanding', async () => {
    const tally = new ObjectTally();
    tally.expect(3);
    tally.expect(2);
    let drained = false;
    const wait = tally.drained().then(() => (drained = true));
    tally.onOutcome({ status: 'indexed' }, doc('2024-05-01T10:00:00.000Z'));
    tally.onOutcome({ status: 'duplicate' }, doc('2024-05-01T11:00:00.000Z'));
    tally.onOutcome({ status: 'quarantined', reason: 'mapper_parsing_exception' }, doc('2024-05-02T00:00:00.000Z'));
    await Promise.resolve();
    expect(drained).toBe(false);
    tally.onQuarantined(['too_few_fields', 'bad_time']);
    await wait;
    expect(tally.settled).toBe(5);
    expect(tally.quarantinedByReason).toEqual({ mapper_parsing_exception: 1, too_few_fields: 1, bad_time: 1 });
    expect(tally.linesByDay['2024-05-01']).toEqual({ lines: 2, indexed: 1, duplicates: 1, quarantined: 0 });
    expect(tally.linesByDay.unparsed).toEqual({ lines: 2, indexed: 0, duplicates: 0, quarantined: 2 });
    expect(tally.failure).toBeUndefined();
  });

  it('keeps the first failure and never counts it as settled', async () => {
    const tally = new ObjectTally();
    tally.expect(2);
    tally.onOutcome({ status: 'failed', error: new AuditError('SINK_UNAVAILABLE', 'down') }, doc('2024-05-01T00:00:00Z'));
    tally.onOutcome({ status: 'indexed' }, doc('2024-05-01T00:00:00Z'));
    await tally.drained();
    expect(tally.failure?.code).toBe('SINK_UNAVAILABLE');
    expect(tally.settled).toBe(1);
  });

  it('waits for the pipeline_error event of each quarantined line, counted apart from the lines (issue 20)', async () => {
    const tally = new ObjectTally();
    tally.expect(1);
    tally.expectErrorEvent();
    tally.onQuarantined(['bad_time']);
    let drained = false;
    const wait = tally.drained().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    tally.errorEventTracker.onOutcome({ status: 'duplicate' }, doc('2024-05-01T00:00:00Z'));
    await wait;
    expect({
      settled: tally.settled,
      quarantined: tally.quarantined,
      errorEvents: tally.errorEvents,
      indexed: tally.indexed,
      duplicates: tally.duplicates,
    }).toEqual({ settled: 1, quarantined: 1, errorEvents: 1, indexed: 0, duplicates: 0 });
    expect(tally.failure).toBeUndefined();
  });

  it('fails the object when the index refuses even the pipeline_error event', async () => {
    const tally = new ObjectTally();
    tally.expectErrorEvent();
    tally.errorEventTracker.onOutcome({ status: 'quarantined', reason: 'mapper_parsing_exception' }, doc('2024-05-01T00:00:00Z'));
    await tally.drained();
    expect(tally.failure?.code).toBe('SINK_REJECTED');
    expect(tally.errorEvents).toBe(0);
  });

  it('treats an outcome reported twice as a failure of the books', () => {
    const tally = new ObjectTally();
    tally.expect(1);
    tally.onOutcome({ status: 'indexed' }, doc('2024-05-01T00:00:00Z'));
    tally.onOutcome({ status: 'indexed' }, doc('2024-05-01T00:00:00Z'));
    expect(tally.failure?.code).toBe('INTERNAL');
  });
});
