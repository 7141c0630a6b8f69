import { errors, type Client } from '@opensearch-project/opensearch';
import { AuditError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { Metrics } from '../../core/metrics.js';
import { probeDelayMs } from './retry.js';

/** Whole-request 5xx answers in a row after which the sink counts as down. */
export const FIVE_XX_STORM = 3;
/** Answers in a row that accepted no document (every item refused, or a whole-request 401/403/429) before the sink counts as refusing. */
export const REFUSAL_STREAK = 3;

/**
 * Whether OpenSearch answers and takes writes, as seen by the bulk writer's own requests, plus a
 * probe loop that the worker waits on while the sink is down (it stops receiving from SQS
 * meanwhile: SQS stays the only buffer).
 *
 * Down has two causes. `unreachable` (connections fail, time out, or 5xx in a row) ends when a
 * probe gets an answer. `refusing` (the node answers, but accepts no document: a flood-stage write
 * block, lost permissions, a month's index that cannot be created) cannot be seen by a probe that
 * writes nothing, so it ends only when a bulk answer accepts a document again; the bulk writer
 * keeps retrying the refused items meanwhile instead of failing them.
 */
export class SinkAvailability {
  private up = true;
  private downCause: 'unreachable' | 'refusing' = 'unreachable';
  private fiveXxInARow = 0;
  private refusedInARow = 0;
  private probing: Promise<void> | undefined;
  private waiters = new Set<{ resolve: () => void; reject: (err: Error) => void }>();
  private stopped = false;

  constructor(
    private readonly client: Client,
    private readonly timing: { baseMs: number; maxMs: number; probeTimeoutMs: number; refusalStreak?: number },
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly random: () => number,
  ) {
    metrics.sinkAvailable.set(1);
  }

  get available(): boolean {
    return this.up;
  }

  /** Down because OpenSearch answers but refuses every document (see the class comment). */
  get refusing(): boolean {
    return !this.up && this.downCause === 'refusing';
  }

  /**
   * OpenSearch answered a request and took at least one document, or (probe) answered at all
   * while it was unreachable.
   */
  answered(): void {
    this.fiveXxInARow = 0;
    this.refusedInARow = 0;
    if (this.up) return;
    this.up = true;
    this.metrics.sinkAvailable.set(1);
    this.logger.info(this.downCause === 'refusing' ? 'OpenSearch takes writes again.' : 'OpenSearch answers again.');
    for (const w of this.waiters) w.resolve();
    this.waiters.clear();
  }

  /** A whole request failed: connection refused/reset, timeout, or an HTTP error status. */
  requestFailed(kind: 'connection' | 'timeout' | 'status', status?: number): void {
    if (kind === 'status') {
      if (status === 401 || status === 403 || status === 429) {
        this.refused(`HTTP ${status}`);
        return;
      }
      if (status === undefined || status < 500) return;
      this.fiveXxInARow += 1;
      if (this.fiveXxInARow < FIVE_XX_STORM) return;
    }
    if (!this.up) return;
    this.up = false;
    this.downCause = 'unreachable';
    this.metrics.sinkAvailable.set(0);
    this.logger.warn({ kind, status }, 'OpenSearch is not answering; bulk items wait for retries.');
  }

  /** OpenSearch answered but took no document: every item refused, or the request denied or throttled. */
  refused(why: string): void {
    this.fiveXxInARow = 0;
    this.refusedInARow += 1;
    if (this.refusedInARow < (this.timing.refusalStreak ?? REFUSAL_STREAK) || !this.up) return;
    this.up = false;
    this.downCause = 'refusing';
    this.metrics.sinkAvailable.set(0);
    this.logger.error({ why }, 'OpenSearch refuses every document; receiving pauses and refused items are retried until it takes writes again.');
  }

  waitUntilAvailable(signal?: AbortSignal): Promise<void> {
    if (this.up) return Promise.resolve();
    if (this.stopped) return Promise.reject(new AuditError('SHUTDOWN', 'bulk indexer is closed'));
    if (signal?.aborted) return Promise.reject(new AuditError('SHUTDOWN', 'aborted while waiting for OpenSearch'));
    const waiting = new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      const onAbort = (): void => {
        this.waiters.delete(waiter);
        waiter.reject(new AuditError('SHUTDOWN', 'aborted while waiting for OpenSearch'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
    // The probe loop runs while someone waits, so it starts only once the waiter is registered.
    this.probing ??= this.probeUntilUp().finally(() => {
      this.probing = undefined;
    });
    return waiting;
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.waiters) w.reject(new AuditError('SHUTDOWN', 'bulk indexer is closed'));
    this.waiters.clear();
  }

  private async probeUntilUp(): Promise<void> {
    for (let n = 1; !this.up && !this.stopped && this.waiters.size > 0; n += 1) {
      await new Promise((r) => setTimeout(r, probeDelayMs(n, this.timing.baseMs, this.timing.maxMs, this.random)));
      if (this.up || this.stopped) return;
      if (await this.probe()) this.answered();
    }
  }

  /**
   * Any HTTP answer below 500 means the node is there (a 401/403 is an answer, not an outage). A
   * node that refuses writes answers this too, so a refusal is never ended by a probe.
   */
  private async probe(): Promise<boolean> {
    if (this.downCause === 'refusing') return false;
    try {
      await this.client.transport.request({ method: 'HEAD', path: '/' }, { requestTimeout: this.timing.probeTimeoutMs });
      return true;
    } catch (err) {
      if (err instanceof errors.ResponseError && err.statusCode < 500) return true;
      this.logger.debug({ err: describeError(err) }, 'OpenSearch probe failed.');
      return false;
    }
  }
}
