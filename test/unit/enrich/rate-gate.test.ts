import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GateDeadlineError, RateGate } from '../../../src/enrich/genesys/rate-gate.js';

describe('RateGate', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  async function sendTimes(gate: RateGate, n: number, deadline = Number.POSITIVE_INFINITY): Promise<number[]> {
    const times: number[] = [];
    const all = Array.from({ length: n }, () => gate.acquire(deadline).then(() => times.push(Date.now())));
    await vi.runAllTimersAsync();
    await Promise.all(all);
    return times;
  }

  it('never lets more than N requests out in any 60-second window', async () => {
    const gate = new RateGate(10, { burst: 10 });
    const times = await sendTimes(gate, 35);
    expect(times).toHaveLength(35);
    for (let i = 10; i < times.length; i++) expect(times[i]! - times[i - 10]!).toBeGreaterThanOrEqual(60_000);
  });

  it('paces instead of bursting the whole budget at once', async () => {
    const gate = new RateGate(300);
    const times = await sendTimes(gate, 40);
    // burst of 15 (300/20), then one every ~200 ms (a minute and a margin / 300)
    expect(times[14]! - times[0]!).toBe(0);
    for (let i = 16; i < times.length; i++) {
      expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(200);
      expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(203);
    }
  });

  it('holds every request until a Retry-After block has passed', async () => {
    const gate = new RateGate(1000);
    gate.block(Date.now() + 7_000);
    const start = Date.now();
    const times = await sendTimes(gate, 3);
    for (const t of times) expect(t - start).toBeGreaterThanOrEqual(7_000);
  });

  it('refuses at once a waiter whose deadline comes before the next slot', async () => {
    const gate = new RateGate(1000);
    gate.block(Date.now() + 30_000);
    const p = gate.acquire(Date.now() + 5_000);
    const settled = expect(p).rejects.toBeInstanceOf(GateDeadlineError);
    await vi.advanceTimersByTimeAsync(1);
    await settled;
    await expect(gate.acquire(Date.now() + 1_000)).rejects.toMatchObject({ reason: 'retry_after' });
  });

  it('gives up a queued waiter at its deadline, and on abort', async () => {
    const gate = new RateGate(1, { burst: 1 });
    await gate.acquire(Number.POSITIVE_INFINITY);
    const late = gate.acquire(Date.now() + 10_000);
    const lateCheck = expect(late).rejects.toMatchObject({ reason: 'rate_limited' });
    const controller = new AbortController();
    const aborted = gate.acquire(Number.POSITIVE_INFINITY, controller.signal);
    const abortCheck = expect(aborted).rejects.toThrow(/abandoned/);
    controller.abort();
    await vi.advanceTimersByTimeAsync(10_001);
    await lateCheck;
    await abortCheck;
    expect(gate.waiting).toBe(0);
  });
});
