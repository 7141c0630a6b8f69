import { describe, expect, it, vi } from 'vitest';
import { every } from '../../../src/core/time.js';

describe('every (one periodic run at a time)', () => {
  it('skips ticks while a run is going, reports failures, and stop aborts and awaits the run', async () => {
    vi.useFakeTimers();
    try {
      const starts: number[] = [];
      const errors: unknown[] = [];
      let release: (() => void) | undefined;
      let seen: AbortSignal | undefined;
      let n = 0;
      const task = every(
        1000,
        (signal) => {
          n += 1;
          starts.push(n);
          seen = signal;
          if (n === 1) return Promise.reject(new Error('first fails'));
          return new Promise<void>((resolve) => {
            release = resolve;
          });
        },
        (err) => errors.push(err),
      );
      await vi.advanceTimersByTimeAsync(1000);
      expect(errors).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1000); // run 2 starts and hangs
      await vi.advanceTimersByTimeAsync(5000); // ticks while it runs start nothing
      expect(starts).toEqual([1, 2]);
      const stopped = task.stop();
      expect(seen?.aborted).toBe(true);
      let done = false;
      void stopped.then(() => (done = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(done).toBe(false);
      release?.();
      await stopped;
      await vi.advanceTimersByTimeAsync(5000);
      expect(starts).toEqual([1, 2]);
    } finally {
      vi.useRealTimers();
    }
  });
});
