import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { AuditError, describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { monotonic, releaseMessages, VisibilityHeartbeat, type HeldMessage } from './sqs-heartbeat.js';
import { messageAttributes, receiveBackoffMs, retryVisibilitySecs, validateSqsSourceOptions, type SqsSourceOptions } from './sqs-policy.js';

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

type Entry = HeldMessage;

const PAUSE_POLL_MS = 500;
const RELEASE_TIMEOUT_MS = 2000;

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
  private readonly heartbeat: VisibilityHeartbeat;
  private readonly wakers = new Set<() => void>();
  private readonly drainWaiters = new Set<() => void>();
  private seq = 0;
  private stopping = false;
  private started = false;
  private loop: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;

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
    this.heartbeat = new VisibilityHeartbeat(client, this.o, {
      metrics: this.metrics,
      held: () => this.entries.values(),
      abandon: (m, reason, err) => {
        this.abandon(m, reason, err);
        this.updateGauges();
      },
      onError: (err) => this.log.error({ err: describeError(err) }, 'Visibility heartbeat crashed.'),
    });
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

  /** True once stop() was called: work that has not started yet should not start. */
  get isStopping(): boolean {
    return this.stopping;
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
      if (free <= 0 || !this.receiving()) {
        await this.pause(PAUSE_POLL_MS);
        continue;
      }
      let messages: Message[];
      const receiveStartedAt = monotonic();
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
        if (failures > 0) this.log.info({ failures }, 'SQS receive works again.');
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        failures += 1;
        const delayMs = receiveBackoffMs(failures, this.o.receiveErrorBackoffMaxMs);
        this.metrics.sqsReceiveErrors.inc();
        // Once per outage, not per attempt: a long SQS outage must not flood the logs; the counter
        // (sqsReceiveErrors) counts the attempts, and the recovery line gives their number.
        if (failures === 1) this.log.warn({ err: describeError(err), delayMs }, 'SQS receive failed; backing off until it works again.');
        else this.log.debug({ err: describeError(err), failures, delayMs }, 'SQS receive failed again.');
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
      else for (const m of accepted) this.start(m, handler, receiveStartedAt);
    }
    await this.drained();
    this.heartbeat.clear();
    this.log.info('SQS polling stopped.');
  }

  /** `since`: when the receive was sent, the earliest the visibility timeout can have started. */
  private start(m: Message, handler: (msg: InFlightMessage) => Promise<Disposition>, since: number): void {
    const { receiveCount, sentAt } = messageAttributes(m);
    const entry: Entry = {
      seq: ++this.seq,
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      receiveCount,
      sentAt,
      controller: new AbortController(),
      state: 'running',
      nextBeatAt: since + this.o.heartbeatIntervalSecs * 1000,
      visibleAt: since + this.o.visibilityTimeoutSecs * 1000,
      beat: undefined,
      abandoned: false,
    };
    // Keyed by our own sequence: a standard queue may deliver a second copy of a message we hold.
    this.entries.set(entry.seq, entry);
    this.updateGauges();
    this.heartbeat.arm();
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
      if (this.stopping && outcome === 'retry') {
        // Shutting down: the work was not done or not started; another worker may take it now.
        this.metrics.messagesAbandoned.inc({ reason: 'shutdown' });
        await this.release([entry.receiptHandle]);
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
      await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: entry.receiptHandle, VisibilityTimeout: secs }), {
        abortSignal: AbortSignal.timeout(this.o.requestTimeoutMs),
      });
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
    this.heartbeat.clear();
  }

  /** Grace is over: abort every handler, hand the messages back, and stop tracking them. */
  private async hardStop(): Promise<void> {
    const held = [...this.entries.values()];
    this.log.warn({ inFlight: held.length }, 'Shutdown grace period over; releasing unfinished messages.');
    this.heartbeat.shutdown();
    const handles: string[] = [];
    for (const e of held) {
      // A handle whose heartbeat failed may be stale: leave it alone.
      if (!e.abandoned && e.state === 'running') handles.push(e.receiptHandle);
      if (e.state === 'running') this.abandon(e, 'shutdown');
      e.state = 'released';
      this.entries.delete(e.seq);
    }
    this.updateGauges();
    for (const w of this.drainWaiters) w();
    await this.release(handles);
  }

  private async release(handles: string[]): Promise<void> {
    if (handles.length === 0) return;
    const released = await releaseMessages(this.client, this.o.queueUrl, handles, RELEASE_TIMEOUT_MS);
    if (!released) this.log.info({ messages: handles.length }, 'Releasing messages failed; they reappear after their visibility timeout.');
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

  private receiving(): boolean {
    try {
      return this.canReceive();
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'canReceive threw; not receiving.');
      return false;
    }
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
