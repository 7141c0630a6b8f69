import { systemClock, type Clock } from '../core/time.js';

/**
 * A token bucket that may go into debt: `take(n)` waits until the balance is positive, then takes
 * all n at once. Work that comes in lumps (a whole log object) is admitted whole, and the debt makes
 * the next admission wait, so the long-run rate stays at `ratePerSec`. `burst` caps saved-up tokens.
 */
export class TokenBucket {
  private tokens: number;
  private updated: number;

  constructor(
    readonly ratePerSec: number,
    private readonly burst: number = ratePerSec,
    private readonly clock: Clock = systemClock,
  ) {
    this.tokens = burst;
    this.updated = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updated) / 1000) * this.ratePerSec);
    this.updated = now;
  }

  get balance(): number {
    this.refill();
    return this.tokens;
  }

  /** Returns false when `signal` aborted the wait (nothing is taken then). */
  async take(n: number, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      this.refill();
      if (this.tokens > 0) {
        this.tokens -= n;
        return true;
      }
      await this.clock.sleep(Math.ceil((-this.tokens / this.ratePerSec) * 1000) + 1, signal);
    }
  }

  /** Corrects an earlier take: positive `n` takes more, negative gives back. */
  adjust(n: number): void {
    this.refill();
    this.tokens = Math.min(this.burst, this.tokens - n);
  }
}

/** Typical S3 server access log line with a Genesys recording key, until objects teach us better. */
const INITIAL_BYTES_PER_LINE = 400;

/**
 * --max-lines-per-sec at object granularity: the processor reads a whole object, so an object is
 * admitted against its expected lines (size / learned bytes per line) and the bucket is corrected
 * by the actual count when it finishes. Up to `concurrency` objects can be in flight past the cap
 * for a moment; over a run the rate holds.
 */
export class LineThrottle {
  private bytes = 0;
  private lines = 0;
  private readonly bucket: TokenBucket | undefined;

  constructor(maxLinesPerSec: number, clock: Clock = systemClock) {
    this.bucket = maxLinesPerSec > 0 ? new TokenBucket(maxLinesPerSec, maxLinesPerSec, clock) : undefined;
  }

  get enabled(): boolean {
    return this.bucket !== undefined;
  }

  estimate(size: number): number {
    const perLine = this.lines > 0 ? this.bytes / this.lines : INITIAL_BYTES_PER_LINE;
    return Math.max(1, Math.round(size / Math.max(1, perLine)));
  }

  /** Waits for the object's turn; returns its estimate (to settle later), or undefined if aborted. */
  async admit(size: number, signal?: AbortSignal): Promise<number | undefined> {
    const estimate = this.estimate(size);
    if (!this.bucket) return estimate;
    return (await this.bucket.take(estimate, signal)) ? estimate : undefined;
  }

  /** The object finished with `actualLines` read from `bytes`. */
  settle(estimate: number, bytes: number, actualLines: number): void {
    this.bytes += bytes;
    this.lines += actualLines;
    this.bucket?.adjust(actualLines - estimate);
  }

  /** The object never ran (stop, failure): its tokens go back. */
  release(estimate: number): void {
    this.bucket?.adjust(-estimate);
  }
}
