import { setImmediate as turn } from 'node:timers/promises';
import type { Clock } from '../../../src/core/time.js';

interface Sleeper {
  readonly at: number;
  readonly wake: () => void;
}

/** A clock whose time moves only when the test moves it: every wait is measured, none is waited. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, waking every sleeper due on the way, in order. */
  advance(ms: number): Promise<void>;
  /** Lets `p` run, jumping time to each next wake-up while it needs one; returns its outcome. */
  settle<T>(p: Promise<T>): Promise<PromiseSettledResult<T>>;
}

export function manualClock(start = 1_000_000): ManualClock {
  let now = start;
  const sleepers: Sleeper[] = [];
  const earliest = (): Sleeper | undefined => sleepers.reduce<Sleeper | undefined>((a, s) => (a === undefined || s.at < a.at ? s : a), undefined);
  const wake = (s: Sleeper): void => {
    sleepers.splice(sleepers.indexOf(s), 1);
    s.wake();
  };
  return {
    now: () => now,
    sleep(ms, signal) {
      if (signal?.aborted === true) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const onAbort = (): void => wake(sleeper);
        const sleeper: Sleeper = {
          at: now + Math.max(0, ms),
          wake: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        sleepers.push(sleeper);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    async advance(ms) {
      const target = now + ms;
      await turn();
      for (let s = earliest(); s !== undefined && s.at <= target; s = earliest()) {
        now = s.at;
        wake(s);
        await turn();
      }
      now = target;
      await turn();
    },
    async settle<T>(p: Promise<T>): Promise<PromiseSettledResult<T>> {
      const box: { outcome?: PromiseSettledResult<T> } = {};
      void p.then(
        (value) => (box.outcome = { status: 'fulfilled', value }),
        (reason: unknown) => (box.outcome = { status: 'rejected', reason }),
      );
      await turn();
      while (box.outcome === undefined) {
        const s = earliest();
        if (s === undefined) throw new Error('settle: the promise waits on something other than the clock');
        now = Math.max(now, s.at);
        wake(s);
        await turn();
      }
      return box.outcome;
    },
  };
}
