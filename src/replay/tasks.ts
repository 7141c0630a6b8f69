import type { SQSClient } from '@aws-sdk/client-sqs';
import { AuditError, describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ObjectProcessor } from '../pipeline/types.js';
import { sendNotifications } from './enqueue.js';
import type { ListedObject } from './list.js';
import type { ReportAccumulator } from './report.js';
import type { ReplayStop } from './stop.js';
import { backoff, type Backoff, type Clock } from '../core/time.js';
import type { LineThrottle } from './throttle.js';

/** Attempts of one object (or notification) while the error says a retry may help. */
const MAX_ATTEMPTS = 3;
const RETRY: Backoff = { base: 1000, cap: 16_000, factor: 4, jitter: 'none' };

export interface Failure {
  readonly code: string;
  readonly message: string;
  readonly attempts: number;
}

/** Where a task reports how each object ended; the run keeps the books. */
export interface TaskBooks {
  readonly acc: ReportAccumulator;
  /** Finished: accounted for, or failed for good (the next run of the same parameters retries it). */
  settled(obj: ListedObject, failure?: Failure): void;
  /** Cut off by a stop: neither done nor failed, so the next run takes it again. */
  abandon(obj: ListedObject): void;
}

/**
 * Indexes one object through the worker's own processor, retrying what may pass, and settles it.
 * `estimate` is what the line throttle admitted it for; the throttle is corrected or refunded.
 */
export function objectTask(processor: ObjectProcessor, books: TaskBooks, throttle: LineThrottle, stop: ReplayStop, clock: Clock, logger: Logger) {
  return async function processOne(obj: ListedObject, estimate: number): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const r = await processor.process({ bucket: obj.bucket, key: obj.key, size: obj.size }, stop.aborting);
        // CloudTrail files also count records skipped on purpose (other services, other buckets).
        const skipped = r.skipped ?? 0;
        if (r.status === 'done' && r.lines !== r.indexed + r.duplicates + r.quarantined + skipped) {
          throw new AuditError(
            'INTEGRITY_MISMATCH',
            `${obj.key}: ${r.lines} lines but ${r.indexed} indexed + ${r.duplicates} duplicates + ${r.quarantined} quarantined + ${skipped} skipped.`,
          );
        }
        if (r.status === 'missing') logger.warn({ key: obj.key }, 'Log object no longer exists; counted as missing.');
        books.acc.addResult(obj, r);
        throttle.settle(estimate, r.bytes, r.lines);
        books.settled(obj);
        return;
      } catch (err) {
        if (stop.aborting.aborted) {
          books.abandon(obj);
          throttle.release(estimate);
          return;
        }
        const d = describeError(err);
        const retryable = err instanceof AuditError ? err.retryable : true;
        if (retryable && attempt < MAX_ATTEMPTS && !stop.stopping.aborted) {
          logger.warn({ key: obj.key, err: d, attempt }, 'Log object not accounted for; trying again.');
          await clock.sleep(backoff(attempt, RETRY), stop.stopping);
          if (!stop.stopping.aborted) continue;
        }
        if (stop.stopping.aborted && retryable) {
          books.abandon(obj);
          throttle.release(estimate);
          return;
        }
        throttle.release(estimate);
        books.settled(obj, { code: d.code, message: d.message, attempts: attempt });
        return;
      }
    }
  };
}

/** Sends one batch of synthetic notifications (--enqueue), retrying the entries that may pass. */
export function enqueueTask(sqs: SQSClient, queueUrl: string, region: string, books: TaskBooks, stop: ReplayStop, clock: Clock) {
  return async function enqueueBatch(objs: ListedObject[]): Promise<void> {
    let remaining = objs;
    for (let attempt = 1; remaining.length > 0; attempt += 1) {
      const results = await sendNotifications(sqs, queueUrl, remaining, { region, signal: stop.aborting });
      const again: ListedObject[] = [];
      results.forEach((res, i) => {
        const obj = remaining[i]!;
        if (res.ok) {
          books.acc.addListed(obj);
          books.settled(obj);
        } else if (stop.aborting.aborted || (res.retryable && stop.stopping.aborted)) books.abandon(obj);
        else if (res.retryable && attempt < MAX_ATTEMPTS) again.push(obj);
        else books.settled(obj, { code: res.code, message: res.message, attempts: attempt });
      });
      remaining = again;
      if (remaining.length > 0) await clock.sleep(backoff(attempt, RETRY), stop.aborting);
    }
  };
}
