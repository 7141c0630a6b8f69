import { ChangeMessageVisibilityBatchCommand, ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Metrics } from '../core/metrics.js';
import { chunks, isFinalVisibilityFailure, sdkErrorFacts } from './sqs-policy.js';

/** Monotonic milliseconds: deadlines must not move with the wall clock. */
export const monotonic = (): number => performance.now();

/** A message the source holds; shared by the poller and its heartbeat. */
export interface HeldMessage {
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
  /** Set once: the handle may be stale or the message was given up; it is never deleted. */
  abandoned: boolean;
}

export interface HeartbeatOptions {
  queueUrl: string;
  visibilityTimeoutSecs: number;
  heartbeatIntervalSecs: number;
  requestTimeoutMs: number;
}

/**
 * An AbortSignal for one SDK call: aborted by `parent` or after `timeoutMs`. Built by hand rather
 * than with AbortSignal.any, whose dependents a long-lived parent signal keeps alive.
 */
export function callSignal(parent: AbortSignal, timeoutMs: number): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onParent = (): void => controller.abort(parent.reason);
  if (parent.aborted) onParent();
  else parent.addEventListener('abort', onParent, { once: true });
  const timer = setTimeout(() => controller.abort(new DOMException('visibility call timed out', 'TimeoutError')), timeoutMs);
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}

/**
 * Keeps held messages invisible: one timer for the earliest due beat; messages due within a
 * quarter interval share one ChangeMessageVisibilityBatch call. A final failure (the handle is no
 * longer valid) or a transient one that lasts until the visibility deadline hands the message to
 * `abandon`; the poller then never deletes it.
 */
export class VisibilityHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly abortCalls = new AbortController();

  constructor(
    private readonly client: SQSClient,
    private readonly o: HeartbeatOptions,
    private readonly deps: {
      metrics: Metrics;
      held: () => Iterable<HeldMessage>;
      abandon: (m: HeldMessage, reason: 'heartbeat_failed' | 'visibility_expired', err?: unknown) => void;
      onError: (err: unknown) => void;
    },
  ) {}

  /** (Re)schedules the next beat; call after any change to the held set. */
  arm(): void {
    this.clear();
    let next = Infinity;
    for (const m of this.deps.held()) if (m.state === 'running' && !m.abandoned && m.beat === undefined) next = Math.min(next, m.nextBeatAt);
    if (next === Infinity) return;
    this.timer = setTimeout(() => void this.beat(), Math.max(0, next - monotonic()));
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stop for good: no more beats, calls in flight are aborted (their results are ignored). */
  shutdown(): void {
    this.clear();
    this.abortCalls.abort();
  }

  private async beat(): Promise<void> {
    this.timer = undefined;
    const now = monotonic();
    const horizon = now + (this.o.heartbeatIntervalSecs * 1000) / 4;
    const due: HeldMessage[] = [];
    for (const m of this.deps.held()) {
      if (m.state !== 'running' || m.abandoned || m.beat !== undefined || m.nextBeatAt > horizon) continue;
      if (now >= m.visibleAt) this.deps.abandon(m, 'visibility_expired');
      else due.push(m);
    }
    const calls = chunks(due, 10).map((group) => {
      const call = this.extend(group);
      for (const m of group) m.beat = call;
      return call.finally(() => {
        for (const m of group) m.beat = undefined;
        this.arm();
      });
    });
    this.arm();
    await Promise.all(calls);
  }

  /** One ChangeMessageVisibility(Batch) call; never rejects. */
  private async extend(group: HeldMessage[]): Promise<void> {
    const startedAt = monotonic();
    const call = callSignal(this.abortCalls.signal, Math.min(this.o.requestTimeoutMs, this.o.heartbeatIntervalSecs * 1000));
    try {
      if (group.length === 1) {
        const m = group[0]!;
        try {
          await this.client.send(
            new ChangeMessageVisibilityCommand({ QueueUrl: this.o.queueUrl, ReceiptHandle: m.receiptHandle, VisibilityTimeout: this.o.visibilityTimeoutSecs }),
            { abortSignal: call.signal },
          );
          this.extended(m, startedAt);
        } catch (err) {
          this.failed(m, isFinalVisibilityFailure(sdkErrorFacts(err)), err);
        }
        return;
      }
      const byId = new Map(group.map((m) => [String(m.seq), m]));
      let out;
      try {
        out = await this.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.o.queueUrl,
            Entries: group.map((m) => ({ Id: String(m.seq), ReceiptHandle: m.receiptHandle, VisibilityTimeout: this.o.visibilityTimeoutSecs })),
          }),
          { abortSignal: call.signal },
        );
      } catch (err) {
        const final = isFinalVisibilityFailure(sdkErrorFacts(err));
        for (const m of group) this.failed(m, final, err);
        return;
      }
      for (const s of out.Successful ?? []) {
        const m = s.Id === undefined ? undefined : byId.get(s.Id);
        if (s.Id !== undefined) byId.delete(s.Id);
        if (m) this.extended(m, startedAt);
      }
      for (const f of out.Failed ?? []) {
        const m = f.Id === undefined ? undefined : byId.get(f.Id);
        if (f.Id !== undefined) byId.delete(f.Id);
        const err = Object.assign(new Error(f.Message ?? 'visibility change failed'), { code: f.Code ?? 'Unknown' });
        if (m) this.failed(m, isFinalVisibilityFailure({ senderFault: f.SenderFault, code: f.Code }), err);
      }
      // An entry the response does not mention: unknown result, so transient.
      for (const m of byId.values()) this.failed(m, false, new Error('entry missing from the batch response'));
    } catch (unexpected) {
      this.deps.onError(unexpected);
    } finally {
      call.done();
    }
  }

  private extended(m: HeldMessage, startedAt: number): void {
    // Counted from before the call: the new deadline is at least this late.
    m.visibleAt = startedAt + this.o.visibilityTimeoutSecs * 1000;
    m.nextBeatAt = startedAt + this.o.heartbeatIntervalSecs * 1000;
    this.deps.metrics.heartbeatExtensions.inc({ result: 'ok' });
  }

  private failed(m: HeldMessage, final: boolean, err: unknown): void {
    if (m.abandoned || m.state === 'released' || this.abortCalls.signal.aborted) return;
    if (final) {
      this.deps.metrics.heartbeatExtensions.inc({ result: 'failed' });
      this.deps.abandon(m, 'heartbeat_failed', err);
      return;
    }
    // Transient (network, throttling, timeout): try again soon, while the message is invisible.
    this.deps.metrics.heartbeatExtensions.inc({ result: 'error' });
    const retryAt = monotonic() + Math.min(1000, (this.o.heartbeatIntervalSecs * 1000) / 4);
    if (retryAt < m.visibleAt) {
      m.nextBeatAt = retryAt;
      return;
    }
    this.deps.metrics.heartbeatExtensions.inc({ result: 'failed' });
    this.deps.abandon(m, 'heartbeat_failed', err);
  }
}

/** Best effort: visibility 0, so another worker picks the messages up now rather than after the timeout. */
export async function releaseMessages(client: SQSClient, queueUrl: string, handles: string[], timeoutMs: number): Promise<boolean> {
  const results = await Promise.all(
    chunks(handles, 10).map(async (group) => {
      try {
        const out = await client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: group.map((h, i) => ({ Id: String(i), ReceiptHandle: h, VisibilityTimeout: 0 })),
          }),
          { abortSignal: AbortSignal.timeout(timeoutMs) },
        );
        return (out.Failed ?? []).length === 0;
      } catch {
        return false;
      }
    }),
  );
  return results.every(Boolean);
}
