import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/core/time.js';
import { LineThrottle, TokenBucket } from '../../../src/replay/throttle.js';

/** A clock that moves only when something sleeps: waits are measured, never waited. */
function fakeClock(): Clock & { slept: number } {
  let now = 0;
  const c = {
    slept: 0,
    now: () => now,
    sleep: (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) return Promise.resolve();
      now += ms;
      c.slept += ms;
      return Promise.resolve();
    },
  };
  return c;
}

describe('TokenBucket', () => {
  it('admits a burst, then holds the long-run rate', async () => {
    const clock = fakeClock();
    const b = new TokenBucket(100, 100, clock);
    for (let i = 0; i < 100; i += 1) await b.take(1);
    expect(clock.now()).toBe(0);
    for (let i = 0; i < 500; i += 1) await b.take(1);
    // 500 more tokens at 100/s: about 5 s.
    expect(clock.now()).toBeGreaterThanOrEqual(4900);
    expect(clock.now()).toBeLessThanOrEqual(5200);
  });

  it('admits a lump larger than the bucket, and the debt delays the next one', async () => {
    const clock = fakeClock();
    const b = new TokenBucket(1000, 1000, clock);
    await b.take(5000);
    expect(clock.now()).toBe(0);
    await b.take(1);
    expect(clock.now()).toBeGreaterThanOrEqual(4000);
  });

  it('stops waiting when the signal aborts', async () => {
    const clock = fakeClock();
    const b = new TokenBucket(1, 1, clock);
    await b.take(100);
    const ctl = new AbortController();
    ctl.abort();
    expect(await b.take(1, ctl.signal)).toBe(false);
  });

  it('adjust corrects an estimate both ways', () => {
    const clock = fakeClock();
    const b = new TokenBucket(10, 10, clock);
    b.adjust(15);
    expect(b.balance).toBe(-5);
    b.adjust(-100);
    expect(b.balance).toBe(10);
  });
});

describe('LineThrottle', () => {
  it('is a pass-through at 0', async () => {
    const t = new LineThrottle(0);
    expect(t.enabled).toBe(false);
    expect(await t.admit(1_000_000)).toBe(2500);
  });

  it('learns bytes per line from finished objects', () => {
    const t = new LineThrottle(1000, fakeClock());
    expect(t.estimate(4000)).toBe(10);
    t.settle(10, 10_000, 50);
    expect(t.estimate(4000)).toBe(20);
  });

  it('holds lines per second over many objects, whatever the estimates', async () => {
    const clock = fakeClock();
    const t = new LineThrottle(2000, clock);
    let lines = 0;
    for (let i = 0; i < 200; i += 1) {
      const est = (await t.admit(40_000))!;
      // Real objects have 100 lines of 200 bytes: the first estimates are wrong by half.
      t.settle(est, 20_000, 100);
      lines += 100;
    }
    // The cap plus one second of burst, never more; and not much less.
    const secs = clock.now() / 1000;
    expect(lines).toBeLessThanOrEqual(2000 * secs + 2000 + 100);
    expect(lines).toBeGreaterThan(2000 * secs * 0.95);
  });
});
