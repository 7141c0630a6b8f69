import { setMaxListeners } from 'node:events';
import type { S3Client } from '@aws-sdk/client-s3';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/schema.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AccessEvent, EnrichmentStatus } from '../event/types.js';
import type { Metrics } from '../core/metrics.js';
import { createS3Client } from '../core/aws-clients.js';
import { BatchLoader } from './batch-loader.js';
import type { Sidecar } from './genesys/models.js';
import type { GenesysClient } from './genesys/client.js';
import { genesysFromConfig } from './genesys/from-config.js';
import { createKeyResolver, eventObjectKey, type KeyMatch } from './keys.js';
import { LookupCache } from './lookup-cache.js';
import { RequesterBudget } from './requester-budget.js';
import { createGenesysLookups, type GenesysLookups } from './lookups.js';
import { keyFields, pendingReason, resolveFromKey, resolveRecording, type Resolution, type ResolveContext } from './resolve.js';
import { actorClassifier } from './actor.js';
import { loadDirectoryFile } from './actor-directory.js';
import { ACTOR_PERSON_KEYS, personTarget, resolvePerson, targetKey, withPerson, type PersonResult } from './person.js';
import { selfRecognizer } from './self.js';
import { createSidecarFetcher } from './sidecar.js';

/** The enrichment stage the pipeline calls; see createEnricher. */
export interface Enricher {
  enrich(events: AccessEvent[], signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
  readonly mode: 'genesys' | 'keys-only';
}

/** The enricher with its internals visible, for tests and benchmarks. */
export interface InspectableEnricher extends Enricher {
  readonly lookups: GenesysLookups | undefined;
  readonly client: GenesysClient | undefined;
  readonly sidecars: BatchLoader<Sidecar> | undefined;
}

/** Slack past the wait budget before a lookup that has not settled is given up for certain. */
const SETTLE_GRACE_MS = 250;

/**
 * Resolves recording keys to Genesys organization, conversation, recording and users, and marks
 * the worker's own requests (`event.self`). It mutates events in place, never throws, never drops
 * or holds back an event beyond GENESYS_WAIT_BUDGET_MS: what cannot be answered in time is
 * written with `enrichment.status: pending` for `reenrich`. Lookups are shared across concurrent
 * calls, so batches of many objects in flight coalesce into the same Genesys requests.
 */
export function createEnricher(cfg: Config, deps: { logger: Logger; metrics: Metrics; s3?: S3Client }): InspectableEnricher {
  const { logger, metrics } = deps;
  // First: a bad directory file is a configuration error (exit 78) before anything connects.
  const directory = loadDirectoryFile(cfg.ACTOR_DIRECTORY_FILE);
  const closing = new AbortController();
  // Every lookup in flight listens on these signals; hundreds at once are expected, not a leak.
  setMaxListeners(0, closing.signal);
  const resolver = createKeyResolver(cfg.RECORDING_KEY_PATTERNS ?? []);
  const cacheOptions = {
    maxEntries: cfg.GENESYS_CACHE_MAX_ENTRIES,
    ttlMs: cfg.GENESYS_CACHE_TTL_SECS * 1000,
    negativeTtlMs: cfg.GENESYS_NEGATIVE_CACHE_TTL_SECS * 1000,
  };

  const client = genesysFromConfig(cfg, { logger, metrics })?.client;
  let lookups: GenesysLookups | undefined;
  if (client !== undefined) {
    lookups = createGenesysLookups(
      client,
      { cache: cacheOptions, batchWindowMs: cfg.GENESYS_BATCH_WINDOW_MS, batchMaxIds: cfg.GENESYS_BATCH_MAX_IDS, signal: closing.signal },
      { metrics, logger },
    );
  }

  let ownS3: S3Client | undefined;
  let sidecars: BatchLoader<Sidecar> | undefined;
  const recordingsBucket = cfg.RECORDINGS_BUCKET;
  if (recordingsBucket !== undefined) {
    const s3 = deps.s3 ?? (ownS3 = createS3Client(cfg, { userAgentSuffix: cfg.SELF_USER_AGENT_SUFFIX }));
    sidecars = new BatchLoader<Sidecar>({
      cache: new LookupCache('sidecars', cacheOptions, metrics),
      windowMs: 0,
      maxBatch: 1,
      maxInFlight: 16,
      fetch: createSidecarFetcher(s3, recordingsBucket, logger),
      signal: closing.signal,
    });
  }

  const ctx: ResolveContext = { genesys: lookups, sidecars, recordingMetadata: cfg.GENESYS_RECORDING_METADATA };
  const mode = lookups !== undefined ? 'genesys' : 'keys-only';
  logger.info(
    {
      mode,
      ...(mode === 'genesys'
        ? {
            environment: cfg.GENESYS_ENVIRONMENT,
            apiUrl: cfg.GENESYS_API_URL,
            requestsPerMinute: cfg.GENESYS_REQUESTS_PER_MINUTE,
            waitBudgetMs: cfg.GENESYS_WAIT_BUDGET_MS,
          }
        : {}),
      sidecars: recordingsBucket !== undefined,
      ...(directory !== undefined ? { actorDirectoryEntries: directory.size } : {}),
      keyPatterns: resolver.patterns.map((p) => p.name),
    },
    mode === 'genesys'
      ? 'Genesys enrichment is on.'
      : 'No Genesys credentials: recordings are resolved from their keys only (and sidecars, when RECORDINGS_BUCKET is set).',
  );

  const budget = new RequesterBudget(cfg.GENESYS_LOOKUPS_PER_REQUESTER_PER_MIN);
  // One warning per requester per minute at most: a requester over its cap sends many batches.
  const cappedWarned = new LRUCache<string, true>({ max: 1_000, ttl: 60_000 });
  function reportCapped(capped: ReadonlyMap<string, number>): void {
    for (const [requester, events] of capped) {
      metrics.enrichmentCapped.inc(events);
      if (cappedWarned.has(requester)) continue;
      cappedWarned.set(requester, true);
      logger.warn(
        { requester, events, lookupsPerMinute: cfg.GENESYS_LOOKUPS_PER_REQUESTER_PER_MIN },
        'A requester reached GENESYS_LOOKUPS_PER_REQUESTER_PER_MIN; its further events are written pending (requester_lookup_cap) for reenrich.',
      );
    }
  }

  const self = selfRecognizer(cfg.SELF_USER_AGENT_SUFFIX, cfg.SELF_ROLE_ARNS ?? []);
  const actors = actorClassifier(cfg.SERVICE_PRINCIPALS, cfg.HUMAN_PRINCIPALS);
  if (!self.checksRequester && cfg.SELF_USER_AGENT_SUFFIX !== '') {
    logger.warn('event.self is decided by the User-Agent alone, which any client can copy; set SELF_ROLE_ARNS to the worker task role.');
  }

  async function enrich(events: AccessEvent[], signal?: AbortSignal): Promise<void> {
    const todo: { event: AccessEvent; match: KeyMatch; job: Promise<Resolution> }[] = [];
    const people: { event: AccessEvent; job: Promise<PersonResult> }[] = [];
    try {
      const deadline = Date.now() + cfg.GENESYS_WAIT_BUDGET_MS;
      const callSignal = signal !== undefined ? AbortSignal.any([signal, closing.signal]) : closing.signal;
      setMaxListeners(0, callSignal);
      const opts = { deadline, signal: callSignal };
      const jobs = new Map<string, Promise<Resolution>>();
      const personJobs = new Map<string, Promise<PersonResult>>();
      // Popular recordings repeat within a batch: resolve each key once.
      const matches = new Map<string, KeyMatch | undefined>();
      const fromKey = new Map<string, Resolution>();
      for (const event of events) {
        event.event.self = self.isSelf(event);
        const kind = actors.kindOf(event);
        // What an earlier pass found about the person is found again (or not) below.
        // The parser gives each event an actor of its own: set in place (same key order as a copy) unless person fields must go.
        if (event.actor === undefined) event.actor = { kind };
        else if (hasPerson(event.actor)) event.actor = { ...withoutPerson(event.actor), kind };
        else event.actor.kind = kind;
        const target = personTarget(event, directory);
        if (target !== undefined) {
          const requester = event.aws.s3access.requester ?? '';
          const memo = `${requester}\n${targetKey(target)}`;
          let job = personJobs.get(memo);
          if (job === undefined) {
            // Charged like a recording: the person's first uncached lookup, once per batch.
            let charged = false;
            const admit = (): boolean => charged || (charged = budget.take(requester));
            job = resolvePerson(target, lookups, { ...opts, admit });
            job.catch(() => undefined);
            personJobs.set(memo, job);
          }
          people.push({ event, job });
        }
        const key = eventObjectKey(event);
        let match: KeyMatch | undefined;
        if (key !== undefined) {
          if (matches.has(key)) match = matches.get(key);
          else matches.set(key, (match = resolver.resolve(key)));
        }
        if (key === undefined || match === undefined) {
          setStatus(event, 'not_a_recording', undefined);
          continue;
        }
        const skip = skipReason(event);
        if (skip !== undefined) {
          event.genesys = keyFields(match);
          setStatus(event, 'skipped', skip);
          continue;
        }
        // Not anonymous (skipReason), so a requester is logged.
        const requester = event.aws.s3access.requester ?? '';
        const sidecarKey = sidecars !== undefined && mayReadSidecar(event, match, recordingsBucket) ? match.sidecarKey : undefined;
        if (lookups === undefined && sidecarKey === undefined) {
          // Nothing to look up: the key is the whole answer, shared by the batch's events of one key.
          let known = fromKey.get(key);
          if (known === undefined) fromKey.set(key, (known = resolveFromKey(match)));
          apply(event, known);
          continue;
        }
        // Per requester: a job refused by one requester's cap must not be shared with another's event.
        const memo = `${sidecarKey !== undefined ? 's' : '-'}${requester}\n${key}`;
        let job = jobs.get(memo);
        if (job === undefined) {
          // The first lookup of a recording that the caches cannot answer is charged, the rest of
          // that recording's lookups are not: the cap counts recordings, not API calls.
          let charged = false;
          const admit = (): boolean => charged || (charged = budget.take(requester));
          job = resolveRecording(match, sidecarKey, ctx, { ...opts, admit });
          job.catch(() => undefined);
          jobs.set(memo, job);
        }
        todo.push({ event, match, job });
      }
      if (todo.length === 0 && people.length === 0) return;
      const waitMs = Math.max(0, deadline - Date.now()) + SETTLE_GRACE_MS;
      const [outcomes, personOutcomes] = await Promise.all([settleBy([...jobs.values()], waitMs), settleBy([...personJobs.values()], waitMs)]);
      const capped = new Map<string, number>();
      for (const { event, match, job } of todo) {
        const outcome = outcomes.get(job);
        if (outcome?.ok === true) {
          apply(event, outcome.value);
          continue;
        }
        // What the key says is certain already; reenrich adds the rest.
        event.genesys = keyFields(match);
        const reason = outcome === undefined ? 'wait_budget' : pendingReason(outcome.error);
        setStatus(event, 'pending', reason);
        if (reason === 'requester_lookup_cap') {
          const requester = event.aws.s3access.requester ?? '';
          capped.set(requester, (capped.get(requester) ?? 0) + 1);
        }
      }
      reportCapped(capped);
      for (const { event, job } of people) applyPerson(event, personOutcomes.get(job));
    } catch (err) {
      logger.error({ err: describeError(err) }, 'Enrichment failed unexpectedly; events are written with enrichment pending.');
      for (const event of events) if (event.enrichment === undefined) setStatus(event, 'pending', 'internal_error');
    } finally {
      flushTally(events);
    }
  }

  function apply(event: AccessEvent, r: Resolution): void {
    event.genesys = r.genesys;
    setStatus(event, r.status, r.reason);
  }

  /** Writes the person (actor.*) and combines its outcome with the status (person.ts withPerson). */
  function applyPerson(event: AccessEvent, outcome: Outcome<PersonResult> | undefined): void {
    const person = outcome?.ok === true ? outcome.value : undefined;
    personTally[person === undefined ? 'pending' : person.fields !== undefined ? 'found' : person.reason !== undefined ? 'not_in_genesys' : 'unresolvable']++;
    if (person?.fields !== undefined && event.actor !== undefined) Object.assign(event.actor, person.fields);
    const before = event.enrichment ?? { status: 'not_a_recording' as const };
    const after = withPerson(before.status, before.reason, person);
    if (after.status !== before.status || after.reason !== before.reason) setStatus(event, after.status, after.reason);
  }

  // Runs for every event: one ISO string per millisecond, counters updated once per call.
  let stamp = { at: 0, iso: '' };
  const personTally = { found: 0, not_in_genesys: 0, pending: 0, unresolvable: 0 };
  const tally = new Map<EnrichmentStatus, number>();
  function setStatus(event: AccessEvent, status: EnrichmentStatus, reason: string | undefined): void {
    const now = Date.now();
    if (now !== stamp.at) stamp = { at: now, iso: new Date(now).toISOString() };
    // Key order status, resolved_at, reason (the serialised form); no spread of temporaries per event.
    const enrichment: NonNullable<AccessEvent['enrichment']> = { status };
    if (status !== 'pending') enrichment.resolved_at = stamp.iso;
    if (reason !== undefined) enrichment.reason = reason;
    event.enrichment = enrichment;
  }
  // Counted once per event at the end of a call: the person's part may change a status set earlier.
  function flushTally(events: readonly AccessEvent[]): void {
    for (const e of events) {
      const status = e.enrichment?.status;
      if (status !== undefined) tally.set(status, (tally.get(status) ?? 0) + 1);
    }
    for (const [status, n] of tally) metrics.enrichment.inc({ status }, n);
    tally.clear();
    for (const result of ['found', 'not_in_genesys', 'pending', 'unresolvable'] as const) {
      if (personTally[result] > 0) metrics.actors.inc({ result }, personTally[result]);
      personTally[result] = 0;
    }
  }

  return {
    mode,
    lookups,
    client,
    sidecars,
    enrich,
    close() {
      closing.abort();
      client?.close();
      ownS3?.destroy();
      return Promise.resolve();
    },
  };
}

/**
 * Why a recording-shaped key is not looked up at all, or undefined when it is. Anyone can send
 * anonymous requests and denied probes for random keys, as many as they like: looking them up
 * would let them spend the Genesys rate limit (and S3 reads) that real accesses need. What the
 * key says (organization, conversation, recording) is still stored.
 */
function skipReason(event: AccessEvent): string | undefined {
  const status = event.aws.s3access.http_status;
  const anonymous = event.aws.s3access.requester === undefined;
  const clientError = status !== undefined && status >= 400 && status < 500;
  // Runs for every event: no array per call.
  if (anonymous) return clientError ? 'anonymous,client_error' : 'anonymous';
  return clientError ? 'client_error' : undefined;
}

/**
 * Sidecars are read only for objects of the recordings bucket, and never for the worker's own
 * reads: reading a sidecar because the worker read it would feed back forever, one log delivery
 * later each time the cache forgets it.
 */
function mayReadSidecar(event: AccessEvent, match: KeyMatch, bucket: string | undefined): boolean {
  if (bucket === undefined || match.sidecarKey === undefined || event.event.self === true) return false;
  const eventBucket = event.aws.s3access.bucket;
  return eventBucket === undefined || eventBucket === bucket;
}

const PERSON_KEYS: ReadonlySet<string> = new Set(ACTOR_PERSON_KEYS);

/** The actor without what enrichment found about the person; the parser's actor as it is (the common case). */
function withoutPerson<A extends object>(actor: A): A {
  if (!hasPerson(actor)) return actor;
  return Object.fromEntries(Object.entries(actor).filter(([k]) => !PERSON_KEYS.has(k))) as A;
}

function hasPerson(actor: object): boolean {
  for (const k of ACTOR_PERSON_KEYS) if (k in actor) return true;
  return false;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Outcomes of the jobs that settle within `ms`; the others are absent. */
async function settleBy<T>(jobs: readonly Promise<T>[], ms: number): Promise<Map<Promise<T>, Outcome<T>>> {
  const out = new Map<Promise<T>, Outcome<T>>();
  const tracked = jobs.map((job) =>
    job.then(
      (value) => void out.set(job, { ok: true, value }),
      (error: unknown) => void out.set(job, { ok: false, error }),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(tracked), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  if (timer !== undefined) clearTimeout(timer);
  return out;
}
