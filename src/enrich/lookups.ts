import type { Logger } from '../core/log.js';
import { AuditError, describeError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { BatchLoader, requesterCapError } from './batch-loader.js';
import { raceDeadline, USERS_SEARCH_MAX_VALUES, type CallOptions, type GenesysClient } from './genesys/client.js';
import type { ConversationDetail, GenesysUser, RecordingMetadata } from './genesys/models.js';
import { LookupCache, type Lookup, type LookupCacheOptions } from './lookup-cache.js';

/**
 * The Genesys lookups, cheapest first: conversation details and users are batched (up to
 * GENESYS_BATCH_MAX_IDS ids per call); recording metadata is one call per conversation and only
 * made when nothing cheaper answered; the retention listing is paged only for recording-id-only
 * keys whose conversation nobody else could name.
 */

export interface LookupSettings {
  readonly cache: LookupCacheOptions;
  readonly batchWindowMs: number;
  readonly batchMaxIds: number;
  /** Aborted on close: batches stop waiting for the rate gate. */
  readonly signal: AbortSignal;
}

export interface GenesysLookups {
  readonly conversations: BatchLoader<ConversationDetail>;
  readonly users: BatchLoader<GenesysUser>;
  /** Users by lowercased email (the users search), for actor.* of S3 principals named by an email. */
  readonly people: BatchLoader<GenesysUser>;
  /** All recordings of a conversation, keyed by conversation id. */
  readonly recordings: BatchLoader<RecordingMetadata[]>;
  readonly retention: RetentionIndex;
}

/** Batches of one loader allowed on their way at once; more ids wait and fill the next batch. */
const MAX_BATCHES_IN_FLIGHT = 2;

export function createGenesysLookups(client: GenesysClient, settings: LookupSettings, deps: { metrics: Metrics; logger: Logger }): GenesysLookups {
  const signal = settings.signal;
  return {
    conversations: new BatchLoader<ConversationDetail>({
      cache: new LookupCache('conversations', settings.cache, deps.metrics),
      windowMs: settings.batchWindowMs,
      maxBatch: settings.batchMaxIds,
      maxInFlight: MAX_BATCHES_IN_FLIGHT,
      fetch: (ids, opts) => client.conversationDetails(ids, opts),
      signal,
    }),
    users: new BatchLoader<GenesysUser>({
      cache: new LookupCache('users', settings.cache, deps.metrics),
      windowMs: settings.batchWindowMs,
      maxBatch: settings.batchMaxIds,
      maxInFlight: MAX_BATCHES_IN_FLIGHT,
      fetch: (ids, opts) => client.users(ids, opts),
      signal,
    }),
    people: new BatchLoader<GenesysUser>({
      cache: new LookupCache('people', settings.cache, deps.metrics),
      windowMs: settings.batchWindowMs,
      maxBatch: Math.min(settings.batchMaxIds, USERS_SEARCH_MAX_VALUES),
      maxInFlight: MAX_BATCHES_IN_FLIGHT,
      fetch: (emails, opts) => client.usersByEmail(emails, opts),
      signal,
    }),
    recordings: new BatchLoader<RecordingMetadata[]>({
      cache: new LookupCache('recording_metadata', settings.cache, deps.metrics),
      windowMs: 0,
      maxBatch: 1,
      maxInFlight: MAX_BATCHES_IN_FLIGHT,
      fetch: async (ids, opts) => {
        const out = new Map<string, RecordingMetadata[]>();
        for (const id of ids) {
          const list = await client.recordingMetadata(id, opts);
          if (list !== undefined) out.set(id, list);
        }
        return out;
      },
      signal,
    }),
    retention: new RetentionIndex(client, new LookupCache('retention', settings.cache, deps.metrics), {
      rescanAfterMs: settings.cache.negativeTtlMs,
      signal,
      logger: deps.logger,
    }),
  };
}

const RETENTION_PAGE_SIZE = 500;
/** A scan is background work: each page may wait this long for a rate-gate slot. */
const RETENTION_PAGE_WAIT_MS = 5 * 60_000;

/**
 * recordingId → conversationId from `GET /api/v2/recordings/retention/query`, the only listing
 * that maps a recording id to its conversation. A miss starts one scan of all pages (never two at
 * once, never again within `rescanAfterMs` of a complete one); waiters are answered as soon as
 * their page arrives.
 */
export class RetentionIndex {
  private readonly client: GenesysClient;
  private readonly cache: LookupCache<string>;
  private readonly o: { rescanAfterMs: number; signal: AbortSignal; logger: Logger };
  private scan: Promise<Error | undefined> | undefined;
  private lastCompleteScanAt = 0;
  private readonly waiters = new Map<string, ((v: Lookup<string>) => void)[]>();
  private pagesRead = 0;

  constructor(client: GenesysClient, cache: LookupCache<string>, o: { rescanAfterMs: number; signal: AbortSignal; logger: Logger }) {
    this.client = client;
    this.cache = cache;
    this.o = o;
  }

  get pages(): number {
    return this.pagesRead;
  }

  async conversationOf(recordingId: string, opts: CallOptions): Promise<Lookup<string>> {
    const cached = this.cache.get(recordingId);
    if (cached !== undefined) return cached;
    let scan = this.scan;
    if (scan === undefined) {
      if (Date.now() - this.lastCompleteScanAt < this.o.rescanAfterMs) {
        // Not in the cache after a recent complete scan: the recording may be newer than the scan,
        // or its entry was evicted (an org with more recordings than the cache holds). Either way
        // absence is not proven, so the answer waits for the next scan rather than being final.
        throw new AuditError('GENESYS_UNAVAILABLE', 'recording not in the cached retention listing; a rescan is due later', {
          retryable: true,
          details: { reason: 'retention_rescan_due' },
        });
      }
      // A scan is many pages: it is charged to the requester that starts it; joiners ride free.
      if (opts.admit?.() === false) throw requesterCapError();
      scan = this.runScan().finally(() => {
        if (this.scan === scan) this.scan = undefined;
      });
      this.scan = scan;
    }
    const joined = scan;
    const answer = new Promise<Lookup<string>>((resolve, reject) => {
      const list = this.waiters.get(recordingId) ?? [];
      list.push(resolve);
      this.waiters.set(recordingId, list);
      // The outcome of the scan this waiter joined, not of whichever scan runs when it settles: a
      // failed scan rejects its waiters even if another has started since. A waiter that joined
      // after the last page settles from the cache (a second resolve is a no-op).
      joined.then((failure) => {
        if (failure !== undefined) reject(failure);
        else resolve(this.cache.peek(recordingId) ?? { found: false });
      }, reject);
    });
    return raceDeadline(answer, opts);
  }

  /** Reads every page; resolves with the error that stopped it, undefined when it completed. */
  private async runScan(): Promise<Error | undefined> {
    let cursor: string | undefined;
    try {
      do {
        const page = await this.client.retentionPage(cursor, RETENTION_PAGE_SIZE, { deadline: Date.now() + RETENTION_PAGE_WAIT_MS, signal: this.o.signal });
        this.pagesRead++;
        for (const e of page.entries) {
          this.cache.setFound(e.recordingId, e.conversationId);
          const waiting = this.waiters.get(e.recordingId);
          if (waiting !== undefined) {
            this.waiters.delete(e.recordingId);
            for (const w of waiting) w({ found: true, value: e.conversationId });
          }
        }
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      this.lastCompleteScanAt = Date.now();
      for (const [rid, waiting] of this.waiters) {
        this.cache.setMissing(rid);
        for (const w of waiting) w({ found: false });
      }
      this.waiters.clear();
      return undefined;
    } catch (err) {
      this.waiters.clear();
      this.o.logger.warn({ err: describeError(err) }, 'Recording retention scan stopped; recording-id-only keys stay pending.');
      return err instanceof Error ? err : new Error(describeError(err).message);
    }
  }
}
