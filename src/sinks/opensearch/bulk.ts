import { errors, type Client } from '@opensearch-project/opensearch';
import { AuditError, describeError, isAuditError } from '../../core/errors.js';
import type { IndexableDocument } from '../../event/types.js';
import { REFUSAL_STREAK, SinkAvailability } from './availability.js';
import type { BulkDeps, BulkOptions, ItemOutcome, WriteTracker } from './bulk-contract.js';
import { judgeConflicts, Pending, quarantineRecords, type Reject, type Retry } from './bulk-pending.js';
import { ByteBudget } from './budget.js';
import { BulkLineEncoder, encodeBulkBody } from './bulk-body.js';
import { readBulkItems, readMgetHashes, type StoredHash } from './bulk-response.js';
import { documentIdIn, type IdCutover } from '../../event/document-id.js';
import { indexNameFor } from './index-name.js';
import { backoffMs, classifyItem } from './retry.js';

export type { BulkDeps, BulkOptions, ItemOutcome, SettledWrite, WriteTracker } from './bulk-contract.js';
export { bulkOptionsFrom } from './bulk-contract.js';

const NOTHING = Buffer.alloc(0);
const RESOLVED: Promise<void> = Promise.resolve();
const INDEXED: ItemOutcome = Object.freeze({ status: 'indexed' });
const DUPLICATE: ItemOutcome = Object.freeze({ status: 'duplicate' });

/** The floor of the 413-lowered request size. */
const MIN_MAX_BYTES = 16 * 1024;

const BULK_FILTER = 'errors,items.*.status,items.*.error.type,items.*.error.reason';

/**
 * Bulk writer with `create` and the deterministic id. Each write settles exactly once through its
 * tracker; nothing is dropped: a document is indexed, confirmed duplicate, durably quarantined, or
 * reported failed (and then its SQS message is not deleted).
 */
export class BulkIndexer {
  private readonly budget: ByteBudget;
  private readonly availability: SinkAvailability;
  /** Failed requests since the last answered one: a 429 storm logs one warning and one recovery, not one per retry. */
  private failedRequestsInARow = 0;
  private readonly random: () => number;
  private readonly encoder = new BulkLineEncoder();
  private open: Pending[] = [];
  private openBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly ready: Pending[][] = [];
  private inFlight = 0;
  private seq = 0;
  private unsettled = 0;
  private flushWaiters: { limit: number; remaining: number; resolve: () => void }[] = [];
  private closed = false;
  private closing = false;
  /** BULK_MAX_BYTES, lowered when OpenSearch or a proxy in front of it answers 413. */
  private maxBytes: number;
  /**
   * The id form by month (src/event/document-id.ts). With `options.idsByMonth` it is unknown
   * (`pending`) until useIdCutover hands over the cutover the verified template records, and a
   * write before that is refused: a guessed form could give a redelivered record a second id.
   */
  private ids: { readonly state: 'pending' } | { readonly state: 'known'; readonly cutover: IdCutover | undefined };

  constructor(
    private readonly client: Client,
    private readonly options: BulkOptions,
    private readonly deps: BulkDeps,
  ) {
    this.maxBytes = options.maxBytes;
    this.ids = options.idsByMonth === true ? { state: 'pending' } : { state: 'known', cutover: undefined };
    this.budget = new ByteBudget(options.maxBufferedBytes ?? 3 * options.maxBytes);
    this.random = deps.random ?? Math.random;
    this.availability = new SinkAvailability(
      client,
      {
        baseMs: options.retryBaseMs,
        maxMs: Math.min(options.retryMaxMs, 5000),
        probeTimeoutMs: options.probeTimeoutMs ?? 5000,
        // The refusal must be recognised before the refused items run out of attempts.
        refusalStreak: Math.max(1, Math.min(REFUSAL_STREAK, options.retryMaxAttempts)),
      },
      deps.logger,
      deps.metrics,
      this.random,
    );
  }

  /** Resolves once the document is accepted into the bounded buffer (this await is the backpressure). */
  // Not `async`: the common case (room in the budget) returns an already settled promise, which
  // keeps the per-document cost of the hot path to the serialization itself.
  write(doc: IndexableDocument, tracker: WriteTracker): Promise<void> {
    if (this.closed) return Promise.reject(new AuditError('SHUTDOWN', 'bulk indexer is closed'));
    if (this.ids.state === 'pending') {
      return Promise.reject(new AuditError('SETUP_MISMATCH', 'the document id form of the monthly indices is not known: verify the setup before writing'));
    }
    let index: string;
    let id: string;
    let line: Buffer;
    try {
      index = indexNameFor(this.options.prefix, doc.event['@timestamp']);
      id = documentIdIn(this.ids.cutover, index, doc.id);
      line = this.encoder.bytes(index, doc, id);
    } catch (err) {
      // Not sendable at all (no usable @timestamp): quarantine without touching the budget.
      const reason = isAuditError(err) && typeof err.details.reason === 'string' ? err.details.reason : 'serialization_failed';
      const p = this.admit(doc.id, doc.event.event.hash, doc.event['@timestamp'], tracker, '', NOTHING, 0, doc);
      void this.quarantineItems([{ p, reason, detail: describeError(err).message }]);
      return RESOLVED;
    }
    const bytes = line.length;
    if (this.budget.tryAcquire(bytes)) {
      this.enqueue(this.admit(id, doc.event.event.hash, doc.event['@timestamp'], tracker, index, line, bytes, undefined, doc.id));
      return RESOLVED;
    }
    // Waiting for room must not hold the event object either.
    const hash = doc.event.event.hash;
    const timestamp = doc.event['@timestamp'];
    const documentId = doc.id;
    return this.budget.acquire(bytes).then(() => {
      this.enqueue(this.admit(id, hash, timestamp, tracker, index, line, bytes, undefined, documentId));
    });
  }

  /** The id cutover the verified template records (undefined: every month hex); writes are accepted from now on. */
  useIdCutover(cutover: IdCutover | undefined): void {
    this.ids = { state: 'known', cutover };
  }

  /** Sends everything buffered; resolves when every write so far has its outcome reported. */
  async flush(): Promise<void> {
    this.seal();
    if (this.unsettled === 0) return;
    await new Promise<void>((resolve) => {
      this.flushWaiters.push({ limit: this.seq, remaining: this.unsettled, resolve });
    });
  }

  /**
   * Sends what is buffered now without waiting for outcomes. For a caller that only needs its own
   * writes settled (it waits on its own tracker): flush() would also wait for everybody else's.
   */
  sendNow(): void {
    this.seal();
  }

  get available(): boolean {
    return this.availability.available;
  }

  waitUntilAvailable(signal?: AbortSignal): Promise<void> {
    return this.availability.waitUntilAvailable(signal);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.flush();
    this.closed = true;
    this.availability.stop();
  }

  private admit(
    id: string,
    hash: string,
    timestamp: string,
    tracker: WriteTracker,
    index: string,
    line: Buffer,
    bytes: number,
    unsent?: IndexableDocument,
    documentId?: string,
  ): Pending {
    this.seq += 1;
    this.unsettled += 1;
    return new Pending(this.seq, id, hash, timestamp, tracker, index, line, bytes, unsent, documentId === id ? undefined : documentId);
  }

  private enqueue(p: Pending): void {
    if (this.open.length > 0 && this.openBytes + p.bytes > this.maxBytes) this.seal();
    this.open.push(p);
    this.openBytes += p.bytes;
    if (this.open.length >= this.options.maxDocs || this.openBytes >= this.maxBytes) this.seal();
    else this.timer ??= setTimeout(() => this.seal(), this.options.flushIntervalMs);
  }

  private seal(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.open.length === 0) return;
    this.ready.push(this.open);
    this.open = [];
    this.openBytes = 0;
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.options.concurrency) {
      const batch = this.ready.shift();
      if (batch === undefined) return;
      this.inFlight += 1;
      this.send(batch).catch((err: unknown) => {
        // A bug in response handling must not strand documents: retry what is unsettled.
        this.deps.logger.error({ err: describeError(err) }, 'Bulk response handling failed.');
        this.retry(batch.map((p) => ({ p, status: 'internal', why: describeError(err).message, connection: false })));
      });
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    const { metrics } = this.deps;
    let size = 0;
    const lines = new Array<Buffer>(batch.length);
    for (let i = 0; i < batch.length; i += 1) {
      const p = batch[i]!;
      lines[i] = p.line;
      size += p.bytes;
    }
    const ndjson = Buffer.concat(lines, size);
    const endTimer = metrics.bulkLatency.startTimer();
    let response: unknown;
    try {
      const { body, headers } = await encodeBulkBody(ndjson, this.options.gzip);
      const res = await this.client.transport.request(
        { method: 'POST', path: '/_bulk', bulkBody: body, querystring: { filter_path: BULK_FILTER } },
        { headers },
      );
      response = res.body;
    } catch (err) {
      endTimer();
      this.inFlight -= 1;
      this.pump();
      this.requestFailed(batch, err);
      return;
    }
    endTimer();
    this.inFlight -= 1;
    this.pump();

    const items = readBulkItems(response, batch.length);
    if (items === undefined) {
      metrics.bulkRequests.inc({ result: 'bad_response' });
      this.deps.logger.error({ docs: batch.length }, 'Bulk response does not match the request; retrying its items.');
      this.retry(batch.map((p) => ({ p, status: 'bad_response', why: 'bulk response does not match the request', connection: false })));
      return;
    }
    const conflicts: Pending[] = [];
    const rejects: Reject[] = [];
    const retries: Retry[] = [];
    for (let i = 0; i < batch.length; i += 1) {
      const p = batch[i]!;
      const item = items[i]!;
      const d = classifyItem(item.status, item.errorType, item.errorReason);
      switch (d.kind) {
        case 'indexed':
          this.settle(p, INDEXED);
          break;
        case 'conflict':
          conflicts.push(p);
          break;
        case 'retry':
          retries.push({ p, status: d.status, why: item.errorType ?? `status ${item.status}`, connection: false });
          break;
        case 'reject':
          rejects.push({ p, reason: d.reason, ...(item.errorReason !== undefined ? { detail: item.errorReason } : {}) });
          break;
      }
    }
    metrics.bulkRequests.inc({ result: retries.length + rejects.length === 0 ? 'ok' : 'partial' });
    // An answer that took no document at all is a refusal, not a sign of health: a node with a
    // write block answers every bulk request.
    if (retries.length < batch.length) {
      this.availability.answered();
      if (this.failedRequestsInARow > 0) {
        this.deps.logger.info({ failedRequests: this.failedRequestsInARow }, 'Bulk requests are answered again.');
        this.failedRequestsInARow = 0;
      }
    } else this.availability.refused(retries[0]?.why ?? 'no document accepted');
    if (retries.length > 0) this.retry(retries);
    if (conflicts.length > 0) void this.resolveConflicts(conflicts);
    if (rejects.length > 0) void this.quarantineItems(rejects);
  }

  private requestFailed(batch: Pending[], err: unknown): void {
    if (err instanceof errors.ResponseError && err.statusCode === 413 && batch.length > 1) {
      this.tooLarge(batch);
      return;
    }
    const wasUp = this.availability.available;
    let label: string;
    let connection = false;
    if (err instanceof errors.ResponseError) {
      label = err.statusCode === 429 ? '429' : err.statusCode >= 500 ? '5xx' : String(err.statusCode);
      this.availability.requestFailed('status', err.statusCode);
    } else if (err instanceof errors.TimeoutError) {
      label = 'timeout';
      connection = true;
      this.availability.requestFailed('timeout');
    } else {
      label = 'connection';
      connection = true;
      this.availability.requestFailed('connection');
    }
    this.deps.metrics.bulkRequests.inc({ result: label === '429' ? 'rejected' : 'error' });
    // While the sink is down every retry fails again: the transition is logged, the repeats are debug.
    const log = { err: describeError(err), docs: batch.length, status: label };
    if (label === '413')
      this.deps.logger.error(log, 'A single document is too large for OpenSearch or a proxy in front of it; it is retried, then its object fails.');
    else if (wasUp && this.failedRequestsInARow === 0) this.deps.logger.warn(log, 'Bulk request failed; its items will be retried.');
    else this.deps.logger.debug(log, 'Bulk request failed again.');
    this.failedRequestsInARow += 1;
    const why = describeError(err).message;
    this.retry(batch.map((p) => ({ p, status: label, why, connection })));
  }

  /**
   * 413: the request was larger than OpenSearch (or a proxy in front of it) takes. Its halves go
   * out at once as requests of their own, without using an attempt, and later requests are sealed
   * at half this size. A single document that is still too large takes the ordinary retry path
   * and, out of attempts, fails its object: a limit set too low by mistake must not move events
   * to quarantine.
   */
  private tooLarge(batch: Pending[]): void {
    const bytes = batch.reduce((n, p) => n + p.bytes, 0);
    const lowered = Math.max(MIN_MAX_BYTES, Math.floor(bytes / 2));
    if (lowered < this.maxBytes) {
      this.maxBytes = lowered;
      this.deps.logger.error(
        { docs: batch.length, bytes, maxBytes: lowered },
        'Bulk request too large for OpenSearch or a proxy in front of it; sending smaller requests. Lower BULK_MAX_BYTES.',
      );
    }
    this.deps.metrics.bulkRequests.inc({ result: 'too_large' });
    const half = batch.length >> 1;
    this.ready.unshift(batch.slice(0, half), batch.slice(half));
    this.pump();
  }

  /**
   * Sends failed items again after a backoff, each counting its own attempts; an item out of
   * attempts is reported failed. The items of one answer are retried together, after one jittered
   * delay, as one batch: jittering each item separately would scatter them into many tiny requests.
   */
  private retry(failures: readonly Retry[]): void {
    const again: Pending[] = [];
    let attempts = 0;
    for (const { p, status, why, connection } of failures) {
      if (p.settled) continue;
      p.attempts += 1;
      // While OpenSearch refuses every document, items are held rather than failed: the worker has
      // stopped receiving, their messages stay in flight, and the next answer that takes a
      // document ends the refusal. Failing them would only cycle their messages to the
      // dead-letter queue.
      const refusing = this.availability.refusing;
      const held = refusing && !this.closing;
      // Closing while refused: the messages go back to SQS either way, so do not make the exit
      // wait out the remaining attempts.
      const giveUp = refusing && this.closing;
      if ((p.attempts < this.options.retryMaxAttempts && !giveUp) || held) {
        this.deps.metrics.bulkItemRetries.inc({ status });
        again.push(p);
        attempts = Math.max(attempts, p.attempts);
        continue;
      }
      const error = new AuditError(
        connection ? 'SINK_UNAVAILABLE' : 'SINK_REJECTED',
        `bulk item not written after ${p.attempts} attempts (last: ${status}: ${why})`,
        { retryable: true, details: { id: p.id, index: p.index, attempts: p.attempts, status } },
      );
      this.settle(p, { status: 'failed', error });
    }
    if (again.length === 0) return;
    const delay = backoffMs(attempts, this.options.retryBaseMs, this.options.retryMaxMs, this.random);
    setTimeout(() => {
      for (const p of again) this.enqueue(p);
      this.seal();
    }, delay);
  }

  /**
   * 409 on `create`: the id is there. Compare the stored event.hash with ours (one mget for the
   * batch): equal is a duplicate delivery; different is an integrity alarm, and the new record is
   * quarantined — the stored document is never overwritten.
   */
  private async resolveConflicts(conflicts: Pending[]): Promise<void> {
    let hashes: (StoredHash | undefined)[];
    try {
      const res = await this.client.transport.request({
        method: 'POST',
        path: '/_mget',
        querystring: { _source_includes: 'event.hash', filter_path: 'docs.found,docs._source,docs.error' },
        body: { docs: conflicts.map((p) => ({ _index: p.index, _id: p.id })) },
      });
      hashes = readMgetHashes(res.body, conflicts.length);
    } catch (err) {
      const why = describeError(err).message;
      const connection = !(err instanceof errors.ResponseError);
      this.retry(conflicts.map((p) => ({ p, status: 'mget', why, connection })));
      return;
    }
    const { duplicates, retries, mismatches } = judgeConflicts(conflicts, hashes);
    for (const p of duplicates) this.settle(p, DUPLICATE);
    for (const { p, storedHash } of mismatches) {
      this.deps.metrics.integrityAlarms.inc();
      this.deps.logger.error(
        { id: p.id, index: p.index, storedHash, newHash: p.hash },
        'Integrity alarm: a stored event has the same id but a different hash. The stored document is kept; the new one goes to quarantine.',
      );
    }
    if (retries.length > 0) this.retry(retries);
    if (mismatches.length > 0) await this.quarantineItems(mismatches);
  }

  private async quarantineItems(rejects: Reject[]): Promise<void> {
    const records = quarantineRecords(rejects, this.deps.sourceOf, new Date().toISOString());
    try {
      await this.deps.quarantine.put(records);
    } catch (err) {
      const error = isAuditError(err) ? err : new AuditError('QUARANTINE_WRITE_FAILED', 'quarantine write failed', { cause: err, retryable: true });
      for (const { p } of rejects) this.settle(p, { status: 'failed', error });
      return;
    }
    const byReason: Record<string, number> = {};
    for (const { p, reason } of rejects) {
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      this.deps.metrics.quarantined.inc({ reason });
      this.settle(p, { status: 'quarantined', reason });
    }
    this.deps.logger.warn({ byReason, firstId: rejects[0]?.p.id }, 'Documents refused by OpenSearch were quarantined.');
  }

  private settle(p: Pending, outcome: ItemOutcome): void {
    if (p.settled) return;
    p.settled = true;
    if (p.bytes > 0) this.budget.release(p.bytes);
    this.unsettled -= 1;
    try {
      p.tracker.onOutcome(outcome, p);
    } catch (err) {
      this.deps.logger.error({ err: describeError(err), id: p.id }, 'A write tracker threw.');
    }
    if (this.flushWaiters.length === 0) return;
    let done = false;
    for (const w of this.flushWaiters) {
      if (p.seq <= w.limit) {
        w.remaining -= 1;
        if (w.remaining === 0) {
          done = true;
          w.resolve();
        }
      }
    }
    if (done) this.flushWaiters = this.flushWaiters.filter((w) => w.remaining > 0);
  }
}
