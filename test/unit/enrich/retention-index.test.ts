import { describe, expect, it } from 'vitest';
import { isAuditError } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/core/log.js';
import type { GenesysClient, RetentionPage } from '../../../src/enrich/genesys/client.js';
import { LookupCache } from '../../../src/enrich/lookup-cache.js';
import { RetentionIndex } from '../../../src/enrich/lookups.js';
import { pendingReason } from '../../../src/enrich/resolve.js';

const logger = createLogger('silent');
const soon = (): { deadline: number } => ({ deadline: Date.now() + 2000 });

/** A listing of pages of five recordings each; the index only ever calls retentionPage. */
function listing(pages: number, fail?: (call: number) => Promise<RetentionPage> | undefined): { client: GenesysClient; calls: () => number } {
  let calls = 0;
  const client = {
    retentionPage: (cursor: string | undefined): Promise<RetentionPage> => {
      calls++;
      const failed = fail?.(calls);
      if (failed !== undefined) return failed;
      const n = cursor === undefined ? 0 : Number(cursor);
      const entries = Array.from({ length: 5 }, (_, i) => ({ recordingId: `r${n * 5 + i}`, conversationId: `c${n * 5 + i}` }));
      return Promise.resolve({ entries, nextCursor: n < pages - 1 ? String(n + 1) : undefined });
    },
  };
  return { client: client as unknown as GenesysClient, calls: () => calls };
}

const index = (client: GenesysClient, maxEntries = 1000): RetentionIndex =>
  new RetentionIndex(client, new LookupCache<string>('retention', { maxEntries, ttlMs: 3_600_000, negativeTtlMs: 300_000 }), {
    rescanAfterMs: 300_000,
    signal: new AbortController().signal,
    logger,
  });

describe('RetentionIndex', () => {
  it('answers from one scan: found, and not found for what the scan did not list', async () => {
    const { client, calls } = listing(3);
    const idx = index(client);
    const [a, b] = await Promise.all([idx.conversationOf('r14', soon()), idx.conversationOf('nope', soon())]);
    expect(a).toEqual({ found: true, value: 'c14' });
    expect(b).toEqual({ found: false });
    expect(await idx.conversationOf('r3', soon())).toEqual({ found: true, value: 'c3' });
    expect(calls()).toBe(3);
  });

  it('after a complete scan, a recording it did not hold is pending, not final (newer than the scan, or evicted)', async () => {
    // A cache smaller than the listing: the scan evicts its own first page.
    const { client, calls } = listing(3);
    const idx = index(client, 10);
    expect(await idx.conversationOf('r14', soon())).toEqual({ found: true, value: 'c14' });
    const evicted = await idx.conversationOf('r0', soon()).catch((err: unknown) => err);
    expect(isAuditError(evicted, 'GENESYS_UNAVAILABLE')).toBe(true);
    expect(pendingReason(evicted)).toBe('retention_rescan_due');
    expect(calls()).toBe(3);
  });

  it('a failed scan leaves its waiters pending even when another scan starts right after it', async () => {
    let later: ((v: RetentionPage) => void) | undefined;
    const { client } = listing(1, (call) => (call === 1 ? Promise.reject(new Error('403 denied')) : new Promise((resolve) => (later = resolve))));
    const idx = index(client);
    const first = idx.conversationOf('r1', soon()).catch((err: unknown) => err);
    // Another resolution asks a few microtasks after the failure, starting a second scan.
    await Promise.resolve();
    await Promise.resolve();
    const second = idx.conversationOf('r2', soon());
    const outcome = await first;
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toBe('403 denied');
    later?.({ entries: [{ recordingId: 'r2', conversationId: 'c2' }], nextCursor: undefined });
    expect(await second).toEqual({ found: true, value: 'c2' });
  });
});
