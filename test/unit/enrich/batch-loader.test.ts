import { describe, expect, it } from 'vitest';
import { BatchLoader } from '../../../src/enrich/batch-loader.js';
import { LookupCache } from '../../../src/enrich/lookup-cache.js';
import { createMetrics } from '../../../src/core/metrics.js';

const far = () => ({ deadline: Date.now() + 10_000 });

function setup(options: { maxBatch?: number; windowMs?: number; maxInFlight?: number; maxEntries?: number; fail?: boolean; delayMs?: number } = {}) {
  const calls: string[][] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const cache = new LookupCache<string>('conversations', { maxEntries: options.maxEntries ?? 1000, ttlMs: 60_000, negativeTtlMs: 1_000 }, metrics);
  const loader = new BatchLoader<string>({
    cache,
    windowMs: options.windowMs ?? 5,
    maxBatch: options.maxBatch ?? 100,
    maxInFlight: options.maxInFlight ?? 2,
    fetch: async (ids) => {
      calls.push([...ids]);
      await new Promise((r) => setTimeout(r, options.delayMs ?? 1));
      if (options.fail === true) throw new Error('down');
      return new Map(ids.filter((id) => !id.startsWith('missing')).map((id) => [id, `value-${id}`]));
    },
  });
  return { loader, calls, cache, metrics };
}

describe('BatchLoader', () => {
  it('merges concurrent loads of one id and batches different ids of one window', async () => {
    const { loader, calls } = setup();
    const results = await Promise.all(['a', 'b', 'a', 'c', 'b'].map((id) => loader.load(id, far())));
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(results.map((r) => (r.found ? r.value : null))).toEqual(['value-a', 'value-b', 'value-a', 'value-c', 'value-b']);
  });

  it('sends a full batch at once and splits beyond the maximum', async () => {
    const { loader, calls } = setup({ maxBatch: 3, windowMs: 10_000 });
    const ids = ['1', '2', '3', '4', '5', '6', '7'];
    const started = Date.now();
    const pending = Promise.all(ids.map((id) => loader.load(id, far())));
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([
      ['1', '2', '3'],
      ['4', '5', '6'],
    ]);
    expect(Date.now() - started).toBeLessThan(5_000);
    loader['dispatch']();
    await pending;
    expect(calls[2]).toEqual(['7']);
  });

  it('serves repeats from the cache, negative answers included', async () => {
    const { loader, calls, metrics } = setup();
    expect(await loader.load('missing-1', far())).toEqual({ found: false });
    expect(await loader.load('missing-1', far())).toEqual({ found: false });
    expect(await loader.load('x', far())).toEqual({ found: true, value: 'value-x' });
    expect(await loader.load('x', far())).toEqual({ found: true, value: 'value-x' });
    expect(calls).toEqual([['missing-1'], ['x']]);
    const counts = (await metrics.genesysCache.get()).values.map((v) => [v.labels.result, v.value]);
    expect(Object.fromEntries(counts)).toEqual({ miss: 2, hit: 2 });
  });

  it('does not cache failures', async () => {
    const { loader, calls } = setup({ fail: true });
    await expect(loader.load('a', far())).rejects.toThrow('down');
    await expect(loader.load('a', far())).rejects.toThrow('down');
    expect(calls).toEqual([['a'], ['a']]);
  });

  it('keeps filling a partial batch while earlier batches are still on their way', async () => {
    const { loader, calls } = setup({ maxBatch: 100, windowMs: 1, maxInFlight: 1, delayMs: 100 });
    const first = loader.load('a', far());
    await new Promise((r) => setTimeout(r, 20));
    const later = ['b', 'c', 'd', 'e'].map((id, i) => new Promise((r) => setTimeout(r, i * 10)).then(() => loader.load(id, far())));
    await Promise.all([first, ...later]);
    expect(calls).toEqual([['a'], ['b', 'c', 'd', 'e']]);
  });

  it('stops waiting at the caller deadline without cancelling the batch for others', async () => {
    const { loader } = setup({ delayMs: 200 });
    await expect(loader.load('slow', { deadline: Date.now() + 20 })).rejects.toMatchObject({ code: 'GENESYS_RATE_LIMITED' });
    await expect(loader.load('slow', far())).resolves.toEqual({ found: true, value: 'value-slow' });
  });

  it('keeps its cache within bounds', async () => {
    const { loader, cache } = setup({ maxEntries: 50, maxBatch: 100 });
    await Promise.all(Array.from({ length: 500 }, (_, i) => loader.load(`id-${i}`, far())));
    expect(cache.size).toBe(50);
  });
});
