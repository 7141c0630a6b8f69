import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { AuditError, describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../ops/metrics.js';
import {
  chunks,
  isFinalVisibilityFailure,
  messageAttributes,
  receiveBackoffMs,
  retryVisibilitySecs,
  sdkErrorFacts,
  validateSqsSourceOptions,
  type SqsSourceOptions,
} from './sqs-policy.js';

export { sqsSourceOptionsFromConfig, type SqsSourceOptions } from './sqs-policy.js';

export interface InFlightMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly sentAt: Date | undefined;
  /** Aborted when a heartbeat fails or the source shuts down hard: stop work, never delete. */
  readonly signal: AbortSignal;
}

export type Disposition = 'delete' | 'retry';

export interface SqsSourceDeps {
  logger: Logger;
  metrics: Metrics;
  /** Receiving pauses while this returns false (e.g. the sink is down). Polled every 500 ms. */
  canReceive?: () => boolean;
  /** Wall clock in epoch ms, for message ages. Deadlines use the monotonic clock. */
  clock?: () => number;
}

/** Why a message was left for redelivery (label of messagesAbandoned). */
type AbandonReason = 'retry' | 'handler_error' | 'heartbeat_failed' | 'visibility_expired' | 'shutdown' | 'delete_failed';

interface Entry {
  readonly seq: number;
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly receiveCount: number;
  readonly sentAt: Date | undefined;
  readonly controller: AbortController;
  /** running: handler working, heartbeats due; finishing: handler settled; released: given up. */
  state: 'running' | 'finishing' | 'released';
  /** Monotonic ms: next heartbeat due. */
  nextBeatAt: number;
  /** Monotonic ms: when SQS makes the message visible again unless extended. */
  visibleAt: number;
  /** The visibility change in flight for this message, awaited before delete. */
  beat: Promise<void> | undefined;
  /** Set once: the handle may be stale or we gave the message up; it is never deleted. */
  abandoned: boolean;
}

const PAUSE_POLL_MS = 500;
const RELEASE_TIMEOUT_MS = 2000;
const monotonic = (): number => performance.now();

/**
 * Long-polls one SQS queue and runs a handler per message with bounded concurrency. A message is
 * deleted only when its handler returned 'delete' and its receipt handle was kept valid the whole
 * time by the visibility heartbeat; everything else is left to reappear (and, after the queue's
 * maxReceiveCount, to go to the dead-letter queue). Backpressure is "stop receiving": at most
 * maxInFlight messages are ever held, and none is held without its handler running.
 */
export class SqsSource {
  private readonly o: Required<SqsSourceOptions>;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  private readonly canReceive: () => boolean;
  private readonly clock: () => number;
  private readonly entries = new Map<number, Entry>();
  private readonly receiveAbort = new AbortController();
  /** Aborts visibility calls when the source gives up on its messages. */
  private readonly hardAbort = new AbortController();
  private readonly wakers = new Set<() => void>();
  private readonly drainWaiters = new Set<() => void>();
  private seq = 0;
  private stopping = false;
  private started = false;
  private loop: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  private beatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: SQSClient,
    options: SqsSourceOptions,
    deps: SqsSourceDeps,
  ) {
    this.o = validateSqsSourceOptions(options);
    this.log = deps.logger.child({ component: 'source.sqs' });
    this.metrics = deps.metrics;
    this.canReceive = deps.canReceive ?? (() => true);
    this.clock = deps.clock ?? Date.now;
  }

  /** Messages held now (handlers running or finishing). */
  get inFlight(): number {
    return this.entries.size;
  }

  /**
   * Polls until stop(); runs handler concurrently for up to maxInFlight messages; heartbeats;
   * deletes on 'delete' (only if the message's heartbeat never failed); leaves the message on
   * 'retry' or on a thrown handler error. Resolves when stopped and every in-flight handler has
   * settled (or the grace period ran out).
   */
  run(handler: (msg: InFlightMessage) => Promise<Disposition>): Promise<void> {
    if (this.started) return Promise.reject(new AuditError('INTERNAL', 'SqsSource.run may be called once'));
    this.started = true;
    this.loop = this.pollLoop(handler);
    return this.loop;
  }

  /** Stop receiving now; in-flight handlers continue (graceful). After graceMs, abort their signals and return. */
  stop(graceMs: number): Promise<void> {
    this.stopPromise ??= this.shutdown(graceMs);
    return this.stopPromise;
  }

  private async pollLoop(handler: (msg: InFlightMessage) => Promise<Disposition>): Promise<void> {
    this.log.info({ maxInFlight: this.o.maxInFlight, visibilityTimeoutSecs: this.o.visibilityTimeoutSecs }, 'SQS polling started.');
    let failures = 0;
    while (!this.stopping) {
      const free = this.o.maxInFlight - this.entries.size;
      if (free <= 0 || !this.canReceive()) {
        await this.pause(PAUSE_POLL_MS);
        continue;
      }
      let messages: Message[];
      try {
        const out = await this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.o.queueUrl,
            MaxNumberOfMessages: Math.min(this.o.maxMessages, free),
            WaitTimeSeconds: this.o.waitTimeSecs,
            VisibilityTimeout: this.o.visibilityTimeoutSecs,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
          { abortSignal: this.receiveAbort.signal },
        );
        messages = out.Messages ?? [];
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        failures += 1;
        const delayMs = receiveBackoffMs(failures, this.o.receiveErrorBackoffMaxMs);
        this.metrics.sqsReceiveErrors.inc();
        this.log.warn({ err: describeError(err), failures, delayMs }, 'SQS receive failed; backing off.');
        await this.pause(delayMs);
        continue;
      }
      if (messages.length > 0) this.metrics.messagesReceived.inc(messages.length);
      const accepted: Message[] = [];
      for (const m of messages) {
        if (m.ReceiptHandle === undefined || m.MessageId === undefined) {
          this.log.warn({ messageId: m.MessageId }, 'SQS message without a receipt handle or id; left alone.');
        } else accepted.push(m);
      }
      // A receive that completed while stop() was being called: hand those back at once.
      if (this.stopping) await this.release(accepted.map((m) => m.ReceiptHandle!));
      else for (const m of accepted) this.start(m, handler);
    }
    await this.drained();
    this.clearBeatTimer();
    this.log.info('SQS polling stopped.');
  }

  private start(m: Message, handler: (msg: InFlightMessage) => Promise<Disposition>): void {
    const { receiveCount, sentAt } = messageAttributes(m);
    const now = monotonic();
    const entry: Entry = {
      seq: ++this.seq,
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      receiveCount,
      sentAt,
      controller: new AbortController(),
      state: 'running',
      nextBeatAt: now + this.o.heartbeatIntervalSecs * 1000,
      // Counted from before the receive returned would be more exact; the heartbeat interval
      // (at most half the timeout) leaves ample margin for the request's latency.
      visibleAt: now + this.o.visibilityTimeoutSecs * 1000,
      beat: undefined,
      abandoned: false,
    };
    // Keyed by our own sequence: a standard queue may deliver a second copy of a message we hold.
    this.entries.set(entry.seq, entry);
    this.updateGauges();
    this.armBeatTimer();
    const msg: InFlightMessage = { messageId: entry.messageId, body: m.Body ?? '', receiveCount, sentAt, signal: entry.controller.signal };
    void Promise.resolve()
      .then(() => handler(msg))
      .then(
        (disposition) => this.settle(entry, disposition === 'delete' ? 'delete' : 'retry', undefined),
        (err: unknown) => this.settle(entry, 'error', err),
      );
  }

  /** Never rejects: every outcome becomes a metric and a log line. */
  private async settle(entry: Entry, outcome: 'delete' | 'retry' | 'error', err: unknown): Promise<void> {
    if (entry.state === 'released') return; // given up at a hard stop; already counted
    entry.state = 'finishing';
    try {
      // Never race a visibility change with the delete (sqs-consumer #260).
      await entry.beat;
      if (entry.abandoned) return;
      if (monotonic() >= entry.visibleAt) {
        this.abandon(entry, 'visibility_expired');
        return;
      }
      if (outcome === 'delete') {
        await this.delete(entry);
        return;
      }
      const reason: AbandonReason = outcome === 'retry' ? 'retry' : 'handler_error';
      this.metrics.messagesAbandoned.inc({ reason });
      const fields = { messageId: entry.messageId, receiveCount: entry.receiveCount };
      if (outcome === 'error') this.log.warn({ ...fields, err: describeError(err) }, 'Message handler failed; message left for redelivery.');
      else this.log.debug(fields, 'Message left for redelivery.');
      await this.shortenVisibility(entry);
    } catch (unexpected) {
      this.log.error({ messageId: entry.messageId, err: describeError(unexpected) }, 'Settling a message failed; it will reappear.');
    } finally {
      this.entries.delete(entry.seq);
      this.updateGauges();
      this.wake();
      if (this.entries.size === 0) for (const w of this.drainWaiters) w();
    }
  }

  private async delete(entry: Entry): Promise<void> {
    try {
      await this.client.send(new DeleteMessageCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: entry.receiptHandle }), {
        abortSignal: AbortSignal.timeout(this.o.requestTimeoutMs),
      });
      this.metrics.messagesDeleted.inc();
    } catch (err) {
      // The message reappears and is processed again; idempotent writes make that harmless.
      this.metrics.messagesAbandoned.inc({ reason: 'delete_failed' });
      this.log.warn({ messageId: entry.messageId, err: describeError(err) }, 'SQS delete failed; the message will be processed again.');
    }
  }

  private async shortenVisibility(entry: Entry): Promise<void> {
    const secs = retryVisibilitySecs(entry.receiveCount, this.o.retryBackoffBaseSecs, this.o.visibilityTimeoutSecs);
    if (secs === undefined) return;
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: entry.receiptHandle, VisibilityTimeout: secs }),
        { abortSignal: AbortSignal.timeout(this.o.requestTimeoutMs) },
      );
    } catch (err) {
      this.log.debug({ messageId: entry.messageId, err: describeError(err) }, 'Retry backoff not set; the message reappears after the full timeout.');
    }
  }

  /** Abort the handler and make sure the message is never deleted with this handle. */
  private abandon(entry: Entry, reason: AbandonReason, err?: unknown): void {
    if (entry.abandoned) return;
    entry.abandoned = true;
    this.metrics.messagesAbandoned.inc({ reason });
    entry.controller.abort(new AuditError(reason === 'shutdown' ? 'SHUTDOWN' : 'HEARTBEAT_FAILED', `Message abandoned: ${reason}`, { retryable: true }));
    const fields = { messageId: entry.messageId, receiveCount: entry.receiveCount, reason, err: err === undefined ? undefined : describeError(err) };
    if (reason === 'shutdown') this.log.info(fields, 'Message released at shutdown; it will reappear.');
    else this.log.warn(fields, 'Message abandoned; it will reappear and be processed again.');
  }

  // ---- visibility heartbeat ---------------------------------------------------------------

  private clearBeatTimer(): void {
    if (this.beatTimer !== undefined) clearTimeout(this.beatTimer);
    this.beatTimer = undefined;
  }

  private armBeatTimer(): void {
    this.clearBeatTimer();
    let next = Infinity;
    for (const e of this.entries.values()) if (e.state === 'running' && !e.abandoned && e.beat === undefined) next = Math.min(next, e.nextBeatAt);
    if (next === Infinity) return;
    this.beatTimer = setTimeout(() => void this.beat(), Math.max(0, next - monotonic()));
  }

  private async beat(): Promise<void> {
    this.beatTimer = undefined;
    const now = monotonic();
    // Beats due within a quarter interval go now too, so several messages share one batch call.
    const horizon = now + (this.o.heartbeatIntervalSecs * 1000) / 4;
    const due: Entry[] = [];
    for (const e of this.entries.values()) {
      if (e.state !== 'running' || e.abandoned || e.beat !== undefined || e.nextBeatAt > horizon) continue;
      if (now >= e.visibleAt) this.abandon(e, 'visibility_expired');
      else due.push(e);
    }
    this.updateGauges();
    const calls = chunks(due, 10).map((group) => {
      const call = this.extend(group);
      for (const e of group) e.beat = call;
      return call.finally(() => {
        for (const e of group) e.beat = undefined;
        this.armBeatTimer();
      });
    });
    this.armBeatTimer();
    await Promise.all(calls);
  }

  /** One ChangeMessageVisibility(Batch) call; never rejects. */
  private async extend(group: Entry[]): Promise<void> {
    const startedAt = monotonic();
    const timeoutMs = Math.min(this.o.requestTimeoutMs, this.o.heartbeatIntervalSecs * 1000);
    const abortSignal = AbortSignal.any([this.hardAbort.signal, AbortSignal.timeout(timeoutMs)]);
    const ok = (e: Entry): void => {
      e.visibleAt = startedAt + this.o.visibilityTimeoutSecs * 1000;
      e.nextBeatAt = startedAt + this.o.heartbeatIntervalSecs * 1000;
      this.metrics.heartbeatExtensions.inc({ result: 'ok' });
    };
    const failed = (e: Entry, final: boolean, err: unknown): void => {
      if (e.abandoned || e.state === 'released') return;
      if (final) {
        this.metrics.heartbeatExtensions.inc({ result: 'failed' });
        this.abandon(e, 'heartbeat_failed', err);
        return;
      }
      // Transient: try again soon, while the message is still invisible.
      this.metrics.heartbeatExtensions.inc({ result: 'error' });
      const retryAt = monotonic() + Math.min(1000, (this.o.heartbeatIntervalSecs * 1000) / 4);
      if (retryAt >= e.visibleAt) {
        this.metrics.heartbeatExtensions.inc({ result: 'failed' });
        this.abandon(e, 'heartbeat_failed', err);
      } else e.nextBeatAt = retryAt;
    };
    try {
      if (group.length === 1) {
        const e = group[0]!;
        try {
          await this.client.send(
            new ChangeMessageVisibilityCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: e.receiptHandle, VisibilityTimeout: this.o.visibilityTimeoutSecs }),
            { abortSignal },
          );
          ok(e);
        } catch (err) {
          failed(e, !this.hardAbort.signal.aborted && isFinalVisibilityFailure(sdkErrorFacts(err)), err);
        }
        return;
      }
      const byId = new Map(group.map((e) => [String(e.seq), e]));
      let out;
      try {
        out = await this.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.o.queueUrl,
            Entries: group.map((e) => ({ Id: String(e.seq), ReceiptHandle: e.receiptHandle, VisibilityTimeout: this.o.visibilityTimeoutSecs })),
          }),
          { abortSignal },
        );
      } catch (err) {
        const final = !this.hardAbort.signal.aborted && isFinalVisibilityFailure(sdkErrorFacts(err));
        for (const e of group) failed(e, final, err);
        return;
      }
      for (const s of out.Successful ?? []) {
        const e = s.Id === undefined ? undefined : byId.get(s.Id);
        if (e) ok(e);
        if (s.Id !== undefined) byId.delete(s.Id);
      }
      for (const f of out.Failed ?? []) {
        const e = f.Id === undefined ? undefined : byId.get(f.Id);
        if (f.Id !== undefined) byId.delete(f.Id);
        if (e) failed(e, isFinalVisibilityFailure({ senderFault: f.SenderFault, code: f.Code }), Object.assign(new Error(f.Message ?? 'visibility change failed'), { code: f.Code ?? 'Unknown' }));
      }
      // An entry the response does not mention: unknown result, treat as transient.
      for (const e of byId.values()) failed(e, false, new Error('entry missing from batch response'));
    } catch (unexpected) {
      this.log.error({ err: describeError(unexpected) }, 'Visibility heartbeat crashed.');
    }
  }

  // ---- shutdown -----------------------------------------------------------------------------

  private async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    this.receiveAbort.abort();
    this.wake();
    this.log.info({ inFlight: this.entries.size, graceMs }, 'SQS source stopping; in-flight messages may finish.');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), Math.max(0, graceMs));
    });
    const timedOut = await Promise.race([this.drained().then(() => false), graceOver]);
    clearTimeout(timer);
    if (timedOut && this.entries.size > 0) await this.hardStop();
    if (this.loop) await this.loop;
    this.clearBeatTimer();
  }

  /** Grace is over: abort every handler, hand the messages back, and stop tracking them. */
  private async hardStop(): Promise<void> {
    const held = [...this.entries.values()];
    this.log.warn({ inFlight: held.length }, 'Shutdown grace period over; releasing unfinished messages.');
    this.hardAbort.abort();
    const handles: string[] = [];
    for (const e of held) {
      // A handle whose heartbeat failed may be stale: leave it alone.
      if (!e.abandoned && e.state === 'running') handles.push(e.receiptHandle);
      if (e.state === 'running') this.abandon(e, 'shutdown');
      e.state = 'released';
      this.entries.delete(e.seq);
    }
    this.clearBeatTimer();
    this.updateGauges();
    for (const w of this.drainWaiters) w();
    await this.release(handles);
  }

  /** Best effort: visibility 0 so another worker picks the messages up now, not after the timeout. */
  private async release(handles: string[]): Promise<void> {
    await Promise.all(
      chunks(handles, 10).map(async (group) => {
        try {
          await this.client.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: this.o.queueUrl,
              Entries: group.map((h, i) => ({ Id: String(i), ReceiptHandle: h, VisibilityTimeout: 0 })),
            }),
            { abortSignal: AbortSignal.timeout(RELEASE_TIMEOUT_MS) },
          );
        } catch (err) {
          this.log.debug({ err: describeError(err) }, 'Releasing messages failed; they reappear after their timeout.');
        }
      }),
    );
  }

  // ---- small helpers ------------------------------------------------------------------------

  private drained(): Promise<void> {
    if (this.entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.drainWaiters.delete(done);
        resolve();
      };
      this.drainWaiters.add(done);
    });
  }

  /** Sleep until ms passed or something changed (a slot freed, stop called). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  private updateGauges(): void {
    this.metrics.messagesInFlight.set(this.entries.size);
    let oldest = Infinity;
    for (const e of this.entries.values()) if (e.sentAt) oldest = Math.min(oldest, e.sentAt.getTime());
    this.metrics.queueLagSeconds.set(oldest === Infinity ? 0 : Math.max(0, (this.clock() - oldest) / 1000));
  }
}
