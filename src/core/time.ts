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

/** A periodic task started by `every`. */
export interface PeriodicTask {
  /** No new run starts; the one running is aborted and awaited. */
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs`, one run at a time (a tick that finds a run still going is
 * skipped, so a slow run never piles up behind itself). A failed run goes to `onError`; the next
 * tick tries again. The timer does not keep the process alive.
 */
export function every(intervalMs: number, run: (signal: AbortSignal) => Promise<unknown>, onError: (err: unknown) => void): PeriodicTask {
  const controller = new AbortController();
  let running: Promise<void> | undefined;
  const tick = (): void => {
    if (running !== undefined || controller.signal.aborted) return;
    running = run(controller.signal)
      .then(() => undefined, onError)
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      controller.abort();
      await running;
    },
  };
}
