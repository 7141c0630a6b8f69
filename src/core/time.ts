import { setTimeout as delay } from 'node:timers/promises';

/** Time, injected so that waits, throttles and backoff are tested without waiting. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // An aborted wait is a normal end (the caller re-checks its signal), not an error to handle.
  sleep: (ms, signal) => delay(ms, undefined, signal !== undefined ? { signal } : {}).catch(() => undefined),
};

export type Jitter = 'full' | 'equal' | 'none';

export interface Backoff {
  /** Delay after the first failure (the unit of the result: ms, or s). */
  readonly base: number;
  /** No delay exceeds this. */
  readonly cap: number;
  /**
   * full: uniform in [0, d], spreads a burst of retries widest; equal: d/2 plus uniform in
   * [0, d/2], never back to back; none: d. (AWS architecture blog, "Exponential Backoff And Jitter".)
   */
  readonly jitter: Jitter;
  /** Growth per failure; 2 unless said. */
  readonly factor?: number;
}

/**
 * The one backoff formula: d = min(cap, base * factor^(n-1)) after the n-th consecutive failure
 * (n = 1 after the first), then jittered. `random` is injectable for tests.
 */
export function backoff(n: number, policy: Backoff, random: () => number = Math.random): number {
  const exp = Math.min(Math.max(n - 1, 0), 40);
  const d = Math.min(policy.cap, policy.base * (policy.factor ?? 2) ** exp);
  switch (policy.jitter) {
    case 'full':
      return Math.floor(random() * d);
    case 'equal':
      return Math.floor(d / 2 + random() * (d / 2));
    case 'none':
      return d;
  }
}
