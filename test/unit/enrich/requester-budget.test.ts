import { describe, expect, it } from 'vitest';
import { BatchLoader } from '../../../src/enrich/batch-loader.js';
import { LookupCache } from '../../../src/enrich/lookup-cache.js';
import { RequesterBudget } from '../../../src/enrich/requester-budget.js';
import { resolveRecording } from '../../../src/enrich/resolve.js';
import type { Sidecar } from '../../../src/enrich/genesys/models.js';
import { createKeyResolver } from '../../../src/enrich/keys.js';

describe('RequesterBudget', () => {
  it('gives each requester its own minute of lookups and refills it over the minute', () => {
    let now = 0;
    const budget = new RequesterBudget(3, { now: () => now });
    expect([1, 2, 3, 4].map(() => budget.take('mallory'))).toEqual([true, true, true, false]);
    expect(budget.take('alice')).toBe(true);
    now += 20_000;
    expect([budget.take('mallory'), budget.take('mallory')]).toEqual([true, false]);
    now += 10 * 60_000;
    // Refilled to one minute's worth, never more.
    expect([1, 2, 3, 4].map(() => budget.take('mallory'))).toEqual([true, true, true, false]);
  });

  it('0 turns the cap off', () => {
    const budget = new RequesterBudget(0);
    expect(Array.from({ length: 1000 }, () => budget.take('x')).every(Boolean)).toBe(true);
  });
});

describe('the cap inside a resolution', () => {
  const key = 'recordings/2024/06/01/0c0c0c0c-0000-4000-8000-000000000001.opus';
  const match = createKeyResolver().resolve(key)!;
  const options = { maxEntries: 10, ttlMs: 60_000, negativeTtlMs: 60_000 };

  it('a refused sidecar read leaves the event pending (reenrich reads it later); a cached one is free', async () => {
    let reads = 0;
    const sidecars = new BatchLoader<Sidecar>({
      cache: new LookupCache<Sidecar>('sidecars', options),
      windowMs: 0,
      maxBatch: 1,
      maxInFlight: 1,
      fetch: (ids) => {
        reads++;
        return Promise.resolve(new Map(ids.map((id) => [id, { conversationId: '0c0c0c0c-0000-4000-8000-00000000000c' }])));
      },
    });
    const ctx = { genesys: undefined, sidecars, recordingMetadata: 'lazy' as const };
    const opts = { deadline: Date.now() + 5_000 };
    await expect(resolveRecording(match, match.sidecarKey, ctx, { ...opts, admit: () => false })).rejects.toMatchObject({ reason: 'requester_lookup_cap' });
    expect(reads).toBe(0);
    await resolveRecording(match, match.sidecarKey, ctx, opts);
    expect(reads).toBe(1);
    const cached = await resolveRecording(match, match.sidecarKey, ctx, { ...opts, admit: () => false });
    expect(cached.genesys.conversation?.id).toBe('0c0c0c0c-0000-4000-8000-00000000000c');
    expect(reads).toBe(1);
  });
});
