import { LRUCache } from 'lru-cache';

/**
 * Lookups per requester per minute (GENESYS_LOOKUPS_PER_REQUESTER_PER_MIN): a token bucket per
 * requester that refills continuously and holds at most one minute's worth. The Genesys rate
 * limit is shared by every event; without a bound per requester, one principal reading thousands
 * of distinct recordings would queue ahead of everyone else's events and leave them pending.
 * Refused lookups are not lost: their events are written pending and `reenrich` completes them.
 */
export class RequesterBudget {
  private readonly perMinute: number;
  private readonly now: () => number;
  private readonly buckets: LRUCache<string, { tokens: number; at: number }>;

  constructor(perMinute: number, options: { now?: () => number; maxRequesters?: number } = {}) {
    this.perMinute = perMinute;
    this.now = options.now ?? Date.now;
    // Evicting an idle requester only forgets that it was throttled, which refilling would have
    // forgotten anyway after a minute.
    this.buckets = new LRUCache({ max: options.maxRequesters ?? 10_000 });
  }

  /** Whether there is a cap at all (0 turns it off). */
  get enabled(): boolean {
    return this.perMinute > 0;
  }

  /** Takes one lookup from the requester's budget; false when it is spent. */
  take(requester: string): boolean {
    if (!this.enabled) return true;
    const now = this.now();
    const b = this.buckets.get(requester) ?? { tokens: this.perMinute, at: now };
    const refilled = Math.min(this.perMinute, b.tokens + ((now - b.at) * this.perMinute) / 60_000);
    const ok = refilled >= 1;
    this.buckets.set(requester, { tokens: ok ? refilled - 1 : refilled, at: now });
    return ok;
  }
}
