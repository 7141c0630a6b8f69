import { AuditError } from '../core/errors.js';
import type { CallOptions } from './genesys/client.js';
import { raceDeadline } from './genesys/client.js';
import type { Lookup, LookupCache } from './lookup-cache.js';

/**
 * Cached, merged, batched lookups by id. Concurrent loads of one id share one request; loads of
 * different ids arriving within the window share one batched request of up to `maxBatch` ids.
 * While `maxInFlight` batches are already on their way (usually queued at the rate gate) a
 * partly filled batch keeps collecting instead of queueing another small request: under a rate
 * limit that is what turns 20,000 conversations into 200 calls instead of 2,000.
 */

export interface BatchLoaderOptions<V> {
  readonly cache: LookupCache<V>;
  readonly windowMs: number;
  readonly maxBatch: number;
  readonly maxInFlight: number;
  /** Ids absent from the returned map do not exist. Throws when the answer is unknown. */
  readonly fetch: (ids: readonly string[], opts: CallOptions) => Promise<ReadonlyMap<string, V>>;
  /** Aborts the batches themselves (shutdown); callers' own signals only stop their waiting. */
  readonly signal?: AbortSignal;
}

interface Deferred<V> {
  readonly promise: Promise<Lookup<V>>;
  resolve(v: Lookup<V>): void;
  reject(err: unknown): void;
}

interface OpenBatch<V> {
  readonly ids: Map<string, Deferred<V>>;
  deadline: number;
  openedAt: number;
  timer: NodeJS.Timeout | undefined;
}

export class BatchLoader<V> {
  private readonly o: BatchLoaderOptions<V>;
  private readonly pending = new Map<string, Promise<Lookup<V>>>();
  private open: OpenBatch<V> | undefined;
  private inFlight = 0;
  private requests = 0;

  constructor(options: BatchLoaderOptions<V>) {
    this.o = options;
  }

  /** Batched requests sent so far (for benchmarks and tests). */
  get requestCount(): number {
    return this.requests;
  }

  get cache(): LookupCache<V> {
    return this.o.cache;
  }

  async load(id: string, opts: CallOptions): Promise<Lookup<V>> {
    const cached = this.o.cache.get(id);
    if (cached !== undefined) return cached;
    // Joining a request already on its way costs nothing; only a new one is charged.
    if (!this.pending.has(id) && opts.admit?.() === false) throw requesterCapError();
    return raceDeadline(this.enqueue(id, opts.deadline), opts);
  }

  private enqueue(id: string, deadline: number): Promise<Lookup<V>> {
    const existing = this.pending.get(id);
    if (existing !== undefined) {
      if (this.open?.ids.has(id) === true) this.open.deadline = Math.max(this.open.deadline, deadline);
      return existing;
    }
    let resolve!: (v: Lookup<V>) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<Lookup<V>>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Waiters may give up (deadline); the batch still settles this promise later.
    promise.catch(() => undefined);
    const deferred: Deferred<V> = { promise, resolve, reject };
    this.pending.set(id, promise);
    const batch = (this.open ??= { ids: new Map(), deadline, openedAt: Date.now(), timer: undefined });
    batch.ids.set(id, deferred);
    batch.deadline = Math.max(batch.deadline, deadline);
    if (batch.ids.size >= this.o.maxBatch) this.dispatch();
    else batch.timer ??= setTimeout(() => this.onWindow(), this.o.windowMs);
    return promise;
  }

  private onWindow(): void {
    const batch = this.open;
    if (batch === undefined) return;
    batch.timer = undefined;
    if (this.inFlight < this.o.maxInFlight) this.dispatch();
    // Otherwise the batch keeps filling; the next completion dispatches it.
  }

  private dispatch(): void {
    const batch = this.open;
    if (batch === undefined) return;
    this.open = undefined;
    if (batch.timer !== undefined) clearTimeout(batch.timer);
    const ids = [...batch.ids.keys()];
    if (Date.now() > batch.deadline) {
      // Everyone waiting for these ids has given up already; asking now would only spend budget.
      // The same error a waiter sees when its own deadline fires first (timers race under load).
      this.settle(
        batch,
        undefined,
        new AuditError('GENESYS_RATE_LIMITED', 'Genesys wait ended: deadline', { retryable: true, details: { reason: 'deadline' } }),
      );
      return;
    }
    this.inFlight++;
    this.requests++;
    this.o
      .fetch(ids, { deadline: batch.deadline, ...(this.o.signal !== undefined ? { signal: this.o.signal } : {}) })
      .then(
        (found) => this.settle(batch, found, undefined),
        (err: unknown) => this.settle(batch, undefined, err),
      )
      .finally(() => {
        this.inFlight--;
        const next = this.open;
        if (next !== undefined && next.timer === undefined && this.inFlight < this.o.maxInFlight) this.dispatch();
      });
  }

  private settle(batch: OpenBatch<V>, found: ReadonlyMap<string, V> | undefined, err: unknown): void {
    for (const [id, deferred] of batch.ids) {
      this.pending.delete(id);
      if (found === undefined) {
        deferred.reject(err);
        continue;
      }
      const value = found.get(id);
      if (value === undefined) this.o.cache.setMissing(id);
      else this.o.cache.setFound(id, value);
      deferred.resolve(value === undefined ? { found: false } : { found: true, value });
    }
  }
}

/** The caller's requester has spent its lookups for now (GENESYS_LOOKUPS_PER_REQUESTER_PER_MIN). */
export function requesterCapError(): AuditError {
  return new AuditError('GENESYS_RATE_LIMITED', 'lookup cap of this requester reached', { retryable: true, details: { reason: 'requester_cap' } });
}
