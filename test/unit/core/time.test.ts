import { describe, expect, it } from 'vitest';
import { backoff, systemClock } from '../../../src/core/time.js';

describe('backoff', () => {
  it('grows by the factor from the base and stops at the cap', () => {
    const none = (n: number): number => backoff(n, { base: 100, cap: 1000, jitter: 'none' });
    expect([1, 2, 3, 4, 5, 6].map(none)).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoff(0, { base: 100, cap: 1000, jitter: 'none' })).toBe(100);
    expect(backoff(3, { base: 1, cap: 100, jitter: 'none', factor: 4 })).toBe(16);
    expect(backoff(10_000, { base: 1, cap: 5, jitter: 'none' })).toBe(5);
  });

  it('full jitter spans [0, d); equal jitter spans [d/2, d)', () => {
    const p = { base: 100, cap: 10_000 } as const;
    expect(backoff(3, { ...p, jitter: 'full' }, () => 0)).toBe(0);
    expect(backoff(3, { ...p, jitter: 'full' }, () => 0.999999)).toBe(399);
    expect(backoff(3, { ...p, jitter: 'equal' }, () => 0)).toBe(200);
    expect(backoff(3, { ...p, jitter: 'equal' }, () => 0.999999)).toBe(399);
  });
});

describe('systemClock.sleep', () => {
  it('ends early, without rejecting, when its signal aborts', async () => {
    const ctl = new AbortController();
    const t0 = Date.now();
    const slept = systemClock.sleep(60_000, ctl.signal);
    ctl.abort();
    await expect(slept).resolves.toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(30_000);
    await expect(systemClock.sleep(60_000, AbortSignal.abort())).resolves.toBeUndefined();
  });
});
