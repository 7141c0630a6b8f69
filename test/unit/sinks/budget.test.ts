import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteBudget } from '../../../src/sinks/opensearch/budget.js';

describe('ByteBudget', () => {
  it('admits until full, then makes writers wait in order', async () => {
    const b = new ByteBudget(100);
    expect(b.tryAcquire(60)).toBe(true);
    expect(b.tryAcquire(50)).toBe(false);
    const order: string[] = [];
    const big = b.acquire(50).then(() => order.push('big'));
    const small = b.acquire(10).then(() => order.push('small'));
    // small would fit, but must not overtake the waiting big one
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(b.waiting).toBe(2);
    b.release(60);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
    expect(b.used).toBe(60);
  });

  it('admits one oversized request when empty, so it cannot block forever', async () => {
    const b = new ByteBudget(100);
    await b.acquire(500);
    expect(b.used).toBe(500);
    let second = false;
    const p = b.acquire(1).then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    b.release(500);
    await p;
    expect(b.used).toBe(1);
  });

  it('refuses to release more than was taken', () => {
    const b = new ByteBudget(10);
    b.tryAcquire(5);
    expect(() => b.release(6)).toThrow(RangeError);
  });

  it('never exceeds capacity except for a lone oversized request, and ends empty (model)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 150 }), { minLength: 1, maxLength: 60 }), async (sizes) => {
        const b = new ByteBudget(100);
        const held: number[] = [];
        let violations = 0;
        const acquisitions = sizes.map((s) =>
          b.acquire(s).then(() => {
            held.push(s);
            if (b.used > 100 && held.length > 1) violations += 1;
          }),
        );
        // Release in admission order as a consumer would; each release may admit waiters.
        for (let done = 0; done < sizes.length;) {
          await new Promise((r) => setImmediate(r));
          const s = held.shift();
          if (s === undefined) continue;
          b.release(s);
          done += 1;
        }
        await Promise.all(acquisitions);
        return violations === 0 && b.used === 0 && b.waiting === 0;
      }),
      { numRuns: 100 },
    );
  });
});
