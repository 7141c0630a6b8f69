import { LRUCache } from 'lru-cache';
import type { Metrics } from '../core/metrics.js';

/** A cached lookup: the value, or a remembered "does not exist" (negative caching). */
export type Lookup<V> = { readonly found: true; readonly value: V } | { readonly found: false };

export interface LookupCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
}

/**
 * A bounded LRU with a lifetime per entry; "not found" answers live shorter than found ones, so
 * a conversation that analytics has not seen yet is asked for again soon.
 */
export class LookupCache<V> {
  readonly name: string;
  private readonly lru: LRUCache<string, Lookup<V>>;
  private readonly options: LookupCacheOptions;
  private readonly metrics: Metrics | undefined;

  constructor(name: string, options: LookupCacheOptions, metrics?: Metrics) {
    this.name = name;
    this.options = options;
    this.metrics = metrics;
    this.lru = new LRUCache<string, Lookup<V>>({ max: options.maxEntries, ttl: options.ttlMs, updateAgeOnGet: false });
  }

  /** Counts a hit or a miss. */
  get(id: string): Lookup<V> | undefined {
    const entry = this.lru.get(id);
    this.metrics?.genesysCache.inc({ cache: this.name, result: entry === undefined ? 'miss' : 'hit' });
    return entry;
  }

  /** Looks without counting (for code that re-checks what it already counted). */
  peek(id: string): Lookup<V> | undefined {
    return this.lru.get(id);
  }

  setFound(id: string, value: V): void {
    this.lru.set(id, { found: true, value });
  }

  setMissing(id: string): void {
    this.lru.set(id, { found: false }, { ttl: this.options.negativeTtlMs });
  }

  get size(): number {
    return this.lru.size;
  }

  get maxEntries(): number {
    return this.options.maxEntries;
  }

  clear(): void {
    this.lru.clear();
  }
}
