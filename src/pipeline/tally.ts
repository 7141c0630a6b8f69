import { AuditError } from '../core/errors.js';
import type { ItemOutcome, SettledWrite, WriteTracker } from '../sinks/opensearch/bulk.js';

type DayCounts = { lines: number; indexed: number; duplicates: number; quarantined: number };

/**
 * The books of one log object. Every line is written in exactly once (as a document handed to the
 * sink, or as a rejection sent to quarantine) and settles exactly once; the object is done only when
 * nothing is outstanding and nothing failed.
 *
 * A quarantined line also owes the index its pipeline_error event. That event is not a line: it is
 * counted apart (errorEvents, indexed now or found already there) and never in indexed or
 * duplicates, so lines = indexed + duplicates + quarantined holds as before, and a finished object
 * also has errorEvents = quarantined.
 */
export class ObjectTally implements WriteTracker {
  indexed = 0;
  duplicates = 0;
  quarantined = 0;
  errorEvents = 0;
  readonly quarantinedByReason: Record<string, number> = {};
  readonly linesByDay: Record<string, DayCounts> = {};
  private outstanding = 0;
  private firstFailure: AuditError | undefined;
  private waiter: (() => void) | undefined;

  /** A document or a batch of rejections is on its way; its outcome will follow. */
  expect(count = 1): void {
    this.outstanding += count;
  }

  onOutcome(outcome: ItemOutcome, write: SettledWrite): void {
    const day = this.day(write.timestamp);
    switch (outcome.status) {
      case 'indexed':
        this.indexed += 1;
        day.indexed += 1;
        break;
      case 'duplicate':
        this.duplicates += 1;
        day.duplicates += 1;
        break;
      case 'quarantined':
        this.countQuarantined(outcome.reason, 1);
        day.quarantined += 1;
        break;
      case 'failed':
        this.firstFailure ??= outcome.error;
        break;
    }
    day.lines += 1;
    this.settle(1);
  }

  /** Rejected lines, durably written to quarantine. */
  onQuarantined(reasons: readonly string[]): void {
    const day = this.day(undefined);
    for (const reason of reasons) this.countQuarantined(reason, 1);
    day.lines += reasons.length;
    day.quarantined += reasons.length;
    this.settle(reasons.length);
  }

  /** A pipeline_error event is on its way to the sink. */
  expectErrorEvent(): void {
    this.outstanding += 1;
  }

  /** The tracker of pipeline_error events: their outcomes settle the event, never a line. */
  readonly errorEventTracker: WriteTracker = {
    onOutcome: (outcome: ItemOutcome, write: SettledWrite): void => {
      switch (outcome.status) {
        case 'indexed':
        case 'duplicate':
          this.errorEvents += 1;
          break;
        case 'quarantined':
          // The index would not take even the minimal trace (a mapping out of step, or another
          // document under its id): the message must go to redelivery and the dead-letter queue.
          this.firstFailure ??= new AuditError('SINK_REJECTED', `pipeline_error event ${write.id} was refused (${outcome.reason}).`, {
            retryable: true,
            details: { id: write.id, reason: outcome.reason },
          });
          break;
        case 'failed':
          this.firstFailure ??= outcome.error;
          break;
      }
      this.settle(1);
    },
  };

  onFailed(error: AuditError, count: number): void {
    this.firstFailure ??= error;
    this.settle(count);
  }

  get failure(): AuditError | undefined {
    return this.firstFailure;
  }

  get settled(): number {
    return this.indexed + this.duplicates + this.quarantined;
  }

  /** Resolves when every expected outcome has arrived. */
  async drained(): Promise<void> {
    if (this.outstanding === 0) return;
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
  }

  private countQuarantined(reason: string, n: number): void {
    this.quarantined += n;
    this.quarantinedByReason[reason] = (this.quarantinedByReason[reason] ?? 0) + n;
  }

  private settle(n: number): void {
    this.outstanding -= n;
    if (this.outstanding < 0) {
      // Settling more than was expected means an outcome arrived twice: the books are wrong, and a
      // wrong book must never acknowledge a message.
      this.firstFailure ??= new AuditError('INTERNAL', 'An outcome was reported twice for one object.');
      this.outstanding = 0;
    }
    if (this.outstanding === 0 && this.waiter) {
      const resolve = this.waiter;
      this.waiter = undefined;
      resolve();
    }
  }

  private day(timestamp: string | undefined): DayCounts {
    const key = timestamp?.slice(0, 10) ?? 'unparsed';
    let counts = this.linesByDay[key];
    if (counts === undefined) {
      counts = { lines: 0, indexed: 0, duplicates: 0, quarantined: 0 };
      this.linesByDay[key] = counts;
    }
    return counts;
  }
}
