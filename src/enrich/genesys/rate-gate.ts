import { systemClock, type Clock } from '../../core/time.js';

/**
 * The one gate every Genesys request passes, login included. It enforces three things at once:
 * - a Retry-After received on any response: no request at all leaves before it has elapsed;
 * - the client-side budget of N requests in any 60-second window (strict sliding log);
 * - pacing, so the budget is spread out instead of spent in one burst and then a one-minute stall.
 * Waiters are served first come, first served. A waiter whose deadline would pass before its turn
 * is refused at once rather than queued: the caller marks its events pending instead of waiting.
 */

export class GateDeadlineError extends Error {
  readonly waitMs: number;
  readonly reason: 'rate_limited' | 'retry_after';
  constructor(reason: 'rate_limited' | 'retry_after', waitMs: number) {
    super(`Genesys request slot is ${waitMs} ms away, past the caller's deadline (${reason})`);
    this.name = 'GateDeadlineError';
    this.reason = reason;
    this.waitMs = waitMs;
  }
}

export class GateAbortedError extends Error {
  constructor() {
    super('Wait for a Genesys request slot was abandoned');
    this.name = 'GateAbortedError';
  }
}

interface Waiter {
  readonly deadline: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  /** Removes the abort listener and the deadline timer. */
  readonly cleanup: () => void;
}

/**
 * A minute plus a margin: the server counts arrivals, we count departures, and a request that
 * left 60.0 s after another may arrive in the same server-side minute.
 */
const WINDOW_MS = 60_500;

export class RateGate {
  private readonly perMinute: number;
  private readonly intervalMs: number;
  private readonly burst: number;
  private readonly clock: Pick<Clock, 'now'>;
  /** Send times of the last `perMinute` requests, oldest first. */
  private readonly sent: number[] = [];
  /** GCRA theoretical arrival time. */
  private tat = 0;
  private notBefore = 0;
  private readonly queue: Waiter[] = [];
  // Wake-ups (this one and each waiter's deadline) stay plain timers, not clock.sleep: they are
  // re-armed or cancelled synchronously on every queue change, and the gate's tests fake them.
  private timer: NodeJS.Timeout | undefined;

  constructor(perMinute: number, options: { burst?: number; clock?: Pick<Clock, 'now'> } = {}) {
    this.perMinute = perMinute;
    this.intervalMs = WINDOW_MS / perMinute;
    this.burst = Math.max(1, Math.min(perMinute, options.burst ?? Math.ceil(perMinute / 20)));
    this.clock = options.clock ?? systemClock;
  }

  /** Until when a Retry-After holds every request back (epoch ms; 0 when none). */
  get blockedUntil(): number {
    return this.notBefore;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** A Retry-After arrived: nothing leaves before `untilMs`. Never shortens an existing block. */
  block(untilMs: number): void {
    if (untilMs > this.notBefore) this.notBefore = untilMs;
    this.schedule();
  }

  /**
   * Resolves when the caller may send one request, and counts it as sent. Rejects with
   * GateDeadlineError when that moment would come after `deadline`, GateAbortedError on abort.
   */
  acquire(deadline: number, signal?: AbortSignal, front = false): Promise<void> {
    if (signal?.aborted) return Promise.reject(new GateAbortedError());
    return new Promise<void>((resolve, reject) => {
      const leave = (err: Error): void => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        waiter.cleanup();
        reject(err);
        this.pump();
      };
      const onAbort = (): void => leave(new GateAbortedError());
      // A waiter still queued at its deadline gives up then, not when its turn finally comes.
      const delay = deadline - this.clock.now();
      const timer = Number.isFinite(delay)
        ? setTimeout(
            () => leave(new GateDeadlineError(this.reasonAt(this.clock.now()), this.nextSlot() - this.clock.now())),
            Math.min(Math.max(0, delay), 2_147_483_647),
          )
        : undefined;
      const waiter: Waiter = {
        deadline,
        resolve,
        reject,
        cleanup: () => {
          signal?.removeEventListener('abort', onAbort);
          if (timer !== undefined) clearTimeout(timer);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (front) this.queue.unshift(waiter);
      else this.queue.push(waiter);
      this.pump();
    });
  }

  /** Earliest time the next request may leave, ignoring the queue. */
  nextSlot(now = this.clock.now()): number {
    let t = Math.max(now, this.notBefore);
    if (this.sent.length >= this.perMinute) t = Math.max(t, this.sent[this.sent.length - this.perMinute]! + WINDOW_MS);
    // GCRA: a request at t conforms when t >= tat - (burst - 1) * interval.
    return Math.max(t, this.tat - (this.burst - 1) * this.intervalMs);
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.queue.splice(0)) {
      w.cleanup();
      w.reject(new GateAbortedError());
    }
  }

  private pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (;;) {
      const head = this.queue[0];
      if (head === undefined) return;
      const now = this.clock.now();
      const slot = this.nextSlot(now);
      if (slot > head.deadline) {
        this.queue.shift();
        head.cleanup();
        head.reject(new GateDeadlineError(this.reasonAt(now), slot - now));
        continue;
      }
      if (slot > now) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, slot - now);
        return;
      }
      this.queue.shift();
      head.cleanup();
      this.commit(now);
      head.resolve();
    }
  }

  private schedule(): void {
    this.pump();
  }

  private reasonAt(now: number): 'rate_limited' | 'retry_after' {
    return this.notBefore > now ? 'retry_after' : 'rate_limited';
  }

  private commit(now: number): void {
    this.sent.push(now);
    if (this.sent.length > this.perMinute) this.sent.splice(0, this.sent.length - this.perMinute);
    this.tat = Math.max(this.tat, now) + this.intervalMs;
  }
}
