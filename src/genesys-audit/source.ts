import type { Client } from '@opensearch-project/opensearch';
import { describeError, isAuditError } from '../core/errors.js';
import { every, type PeriodicTask } from '../core/time.js';
import type { AuditApi } from '../enrich/genesys/audits.js';
import { advanceWatermark, readWatermark, type Watermark } from '../sinks/opensearch/state.js';
import { fetchServiceMapping } from '../enrich/genesys/audits.js';
import {
  addTally,
  DEFAULT_RECORDING_ENTITY_TYPES,
  emptyTally,
  ingestWindow,
  recordingAuditSpecs,
  windowsOf,
  type AuditIngestDeps,
  type WindowTally,
} from './ingest.js';

/**
 * The Genesys audit source: the recording actions Genesys records in its own audit trail, read
 * window by window into the index.
 *
 * Watermark mode (the worker): per API, a watermark in `<prefix>-detect-state` says up to when every
 * message was read. Each run reads [watermark − overlap, now) in windows of at most windowSecs and
 * moves the watermark past each window only once all its messages have an outcome. The overlap
 * catches messages Genesys makes queryable late; re-read messages are the same documents (ids from
 * the message id) and count as duplicates. A failed query, an unreachable Genesys or OpenSearch,
 * or a kill leaves the watermark where it was, and the next run reads the window again.
 *
 * Range mode (`recording-audit genesys-audit --from --to`): the same windows over a given span,
 * the watermark neither read nor moved.
 */

export interface AuditSourceOptions extends AuditIngestDeps {
  readonly opensearch: Client;
  /** INDEX_PREFIX: where the watermarks are kept. */
  readonly indexPrefix: string;
  readonly apis: readonly AuditApi[];
  readonly windowSecs: number;
  readonly overlapSecs: number;
  readonly firstLookbackSecs: number;
  readonly mode: { readonly kind: 'watermark' } | { readonly kind: 'range'; readonly from: number; readonly to: number };
  readonly now?: () => number;
  readonly signal?: AbortSignal;
  /** First backoff before a failed query is run again; default 2 s. */
  readonly retryBaseMs?: number;
  /** After each window is written, before its watermark moves (fault tests). */
  readonly afterWindowWritten?: (api: AuditApi, window: { from: number; to: number }) => Promise<void> | void;
}

export interface ApiRunResult {
  readonly api: AuditApi;
  readonly windows: number;
  readonly tally: WindowTally;
  /** ISO; watermark mode only. */
  readonly watermark?: string;
  /** The error that stopped this API's run; its later windows wait for the next run. */
  readonly error?: string;
}

export function watermarkId(api: AuditApi): string {
  return `genesys-audit-${api}`;
}

export async function runAuditSource(o: AuditSourceOptions): Promise<ApiRunResult[]> {
  const out: ApiRunResult[] = [];
  for (const api of o.apis) out.push(await runApi(o, api));
  return out;
}

async function runApi(o: AuditSourceOptions, api: AuditApi): Promise<ApiRunResult> {
  const now = (o.now ?? Date.now)();
  const signal = o.signal ?? new AbortController().signal;
  const id = watermarkId(api);
  let mark: Watermark | undefined;
  let from: number;
  let to: number;
  if (o.mode.kind === 'watermark') {
    mark = await readWatermark(o.opensearch, o.indexPrefix, id);
    from = mark !== undefined ? mark.at - o.overlapSecs * 1000 : now - o.firstLookbackSecs * 1000;
    to = now;
  } else {
    from = o.mode.from;
    to = o.mode.to;
  }
  const windows = windowsOf(from, to, o.windowSecs * 1000);
  const tally = emptyTally();
  let done = 0;
  try {
    const entityTypes = api === 'audits' && windows.length > 0 ? await recordingEntityTypes(o, signal) : undefined;
    for (const w of windows) {
      if (signal.aborted) break;
      for (const spec of recordingAuditSpecs(api, w.from, w.to, entityTypes))
        addTally(tally, await withRetries(o, spec.api, () => ingestWindow(o, spec, signal), signal));
      await o.afterWindowWritten?.(api, w);
      if (o.mode.kind === 'watermark') mark = await advanceWatermark(o.opensearch, o.indexPrefix, id, mark, w.to, o.windowSecs);
      done++;
    }
  } catch (err) {
    const message = describeError(err).message;
    if (signal.aborted) {
      o.logger.info({ api, windowsDone: done }, 'Genesys audit read stopped for shutdown; the next start reads the unfinished window again.');
      return finish(o, api, done, tally, mark, message);
    }
    o.logger.warn(
      {
        api,
        err: describeError(err),
        windowsDone: done,
        windows: windows.length,
        ...(mark !== undefined ? { watermark: new Date(mark.at).toISOString() } : {}),
      },
      'Genesys audit read stopped; the watermark stays before the unfinished window, the next run reads it again.',
    );
    return finish(o, api, done, tally, mark, message);
  }
  return finish(o, api, done, tally, mark, undefined);
}

/** A query that fails for a reason that may pass (Failed, 429s past the request budget, OpenSearch away) is run again this many times. */
const QUERY_ATTEMPTS = 3;

/**
 * Runs one query again after a retryable failure, with exponential backoff and jitter (base
 * `retryBaseMs`, default 2 s). What the failed attempt wrote is found by id on the next one.
 */
async function withRetries<T>(o: AuditSourceOptions, api: AuditApi, run: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= QUERY_ATTEMPTS || signal.aborted || !isAuditError(err) || !err.retryable) throw err;
      const waitMs = Math.round((o.retryBaseMs ?? 2000) * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
      o.logger.warn({ api, attempt, waitMs, err: describeError(err) }, 'Genesys audit query failed; trying it again.');
      await sleep(waitMs, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The entity types of the general audits' `Quality` service that are recordings, as this org's
 * service mapping lists them (the lists changed between SDK releases; the org's is authoritative).
 */
async function recordingEntityTypes(o: AuditSourceOptions, signal: AbortSignal): Promise<readonly string[]> {
  try {
    const mapping = await fetchServiceMapping(o.client, { signal });
    const found = mapping.services
      .filter((s) => s.name === 'Quality')
      .flatMap((s) => s.entities.map((e) => e.name))
      .filter((name) => /Recording$/.test(name));
    if (found.length > 0) return [...new Set(found)].sort();
  } catch (err) {
    o.logger.warn({ err: describeError(err) }, 'The audit service mapping could not be read; querying the default recording entity types.');
  }
  return DEFAULT_RECORDING_ENTITY_TYPES;
}

function finish(
  o: AuditSourceOptions,
  api: AuditApi,
  windows: number,
  tally: WindowTally,
  mark: Watermark | undefined,
  error: string | undefined,
): ApiRunResult {
  if (mark !== undefined) o.metrics.genesysAuditLagSeconds.set({ api }, Math.max(0, ((o.now ?? Date.now)() - mark.at) / 1000));
  if (tally.messages > 0 || error !== undefined) {
    o.logger.info({ api, windows, ...tally, ...(mark !== undefined ? { watermark: new Date(mark.at).toISOString() } : {}) }, 'Genesys audit messages read.');
  }
  return {
    api,
    windows,
    tally,
    ...(mark !== undefined ? { watermark: new Date(mark.at).toISOString() } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

/** The worker's periodic run (GENESYS_AUDIT_INTERVAL_SECS > 0): never two at once. */
export function startGenesysAuditTask(options: Omit<AuditSourceOptions, 'mode' | 'signal'> & { readonly intervalSecs: number }): PeriodicTask {
  return every(
    options.intervalSecs * 1000,
    (signal) => runAuditSource({ ...options, mode: { kind: 'watermark' }, signal }),
    (err) => options.logger.warn({ err: describeError(err) }, 'Genesys audit run failed; the next run starts again from the watermark.'),
  );
}
