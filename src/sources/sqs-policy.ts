import type { Message } from '@aws-sdk/client-sqs';
import { AuditError } from '../core/errors.js';
import { backoff } from '../core/time.js';
import type { Config } from '../config/schema.js';

/**
 * Pure rules of the SQS poller, kept apart from the loop so they can be table-tested:
 * option validation, backoffs, message attributes, and which visibility failures are final.
 */

export interface SqsSourceOptions {
  queueUrl: string;
  /** Long-poll wait of each ReceiveMessage, 0 to 20. */
  waitTimeSecs: number;
  /** Messages asked for per ReceiveMessage, 1 to 10 (never more than the free in-flight slots). */
  maxMessages: number;
  /** Most messages held at once; at the bound the poller stops receiving. */
  maxInFlight: number;
  /** Set on receive and by every heartbeat (an integer, as SQS requires). */
  visibilityTimeoutSecs: number;
  /** How often an in-flight message's visibility is extended; at most half the timeout. */
  heartbeatIntervalSecs: number;
  /**
   * After 'retry' or a handler error, the message's visibility is cut to
   * min(base · 2^(receiveCount−1), visibilityTimeoutSecs) so a transient failure retries soon.
   * 0 leaves the visibility as it is. Default 10.
   */
  retryBackoffBaseSecs?: number;
  /** Cap of the backoff between failed ReceiveMessage calls. Default 30 000. */
  receiveErrorBackoffMaxMs?: number;
  /** Timeout of one DeleteMessage or ChangeMessageVisibility call. Default 10 000. */
  requestTimeoutMs?: number;
}

export function sqsSourceOptionsFromConfig(cfg: Config): SqsSourceOptions {
  if (cfg.SQS_QUEUE_URL === undefined) throw new AuditError('CONFIG_INVALID', 'SQS_QUEUE_URL is required');
  return {
    queueUrl: cfg.SQS_QUEUE_URL,
    waitTimeSecs: cfg.SQS_WAIT_TIME_SECS,
    maxMessages: cfg.SQS_MAX_MESSAGES,
    maxInFlight: cfg.SQS_MAX_IN_FLIGHT_MESSAGES,
    visibilityTimeoutSecs: cfg.SQS_VISIBILITY_TIMEOUT_SECS,
    heartbeatIntervalSecs: cfg.SQS_HEARTBEAT_INTERVAL_SECS,
  };
}

/** Throws CONFIG_INVALID listing every problem; returns the options with defaults filled in. */
export function validateSqsSourceOptions(o: SqsSourceOptions): Required<SqsSourceOptions> {
  const problems: string[] = [];
  const check = (bad: boolean, problem: string): void => {
    if (bad) problems.push(problem);
  };
  check(o.queueUrl.length === 0, 'queueUrl is empty');
  check(!Number.isInteger(o.waitTimeSecs) || o.waitTimeSecs < 0 || o.waitTimeSecs > 20, 'waitTimeSecs must be an integer from 0 to 20');
  check(!Number.isInteger(o.maxMessages) || o.maxMessages < 1 || o.maxMessages > 10, 'maxMessages must be an integer from 1 to 10');
  check(!Number.isInteger(o.maxInFlight) || o.maxInFlight < 1, 'maxInFlight must be a positive integer');
  check(
    !Number.isInteger(o.visibilityTimeoutSecs) || o.visibilityTimeoutSecs < 1 || o.visibilityTimeoutSecs > 43_200,
    'visibilityTimeoutSecs must be an integer from 1 to 43200',
  );
  check(
    !(o.heartbeatIntervalSecs > 0) || o.heartbeatIntervalSecs * 2 > o.visibilityTimeoutSecs,
    'heartbeatIntervalSecs must be positive and at most half of visibilityTimeoutSecs',
  );
  const retryBackoffBaseSecs = o.retryBackoffBaseSecs ?? 10;
  check(!(retryBackoffBaseSecs >= 0), 'retryBackoffBaseSecs must be 0 or more');
  const receiveErrorBackoffMaxMs = o.receiveErrorBackoffMaxMs ?? 30_000;
  check(!(receiveErrorBackoffMaxMs >= 1), 'receiveErrorBackoffMaxMs must be positive');
  const requestTimeoutMs = o.requestTimeoutMs ?? 10_000;
  check(!(requestTimeoutMs >= 1), 'requestTimeoutMs must be positive');
  if (problems.length > 0) throw new AuditError('CONFIG_INVALID', `Invalid SQS source options: ${problems.join('; ')}`, { details: { problems } });
  return { ...o, retryBackoffBaseSecs, receiveErrorBackoffMaxMs, requestTimeoutMs };
}

/** Visibility to set after 'retry' or a handler error, in whole seconds; undefined leaves it. */
export function retryVisibilitySecs(receiveCount: number, baseSecs: number, visibilityTimeoutSecs: number): number | undefined {
  if (baseSecs <= 0) return undefined;
  return Math.ceil(backoff(receiveCount, { base: baseSecs, cap: visibilityTimeoutSecs, jitter: 'none' }));
}

/** Backoff after the n-th consecutive receive failure: exponential from 1 s, equal jitter. */
export function receiveBackoffMs(failures: number, maxMs: number, random: () => number = Math.random): number {
  return backoff(failures, { base: 1000, cap: maxMs, jitter: 'equal' }, random);
}

export interface ReceivedAttributes {
  receiveCount: number;
  sentAt: Date | undefined;
}

export function messageAttributes(m: Message): ReceivedAttributes {
  const count = Number.parseInt(m.Attributes?.ApproximateReceiveCount ?? '', 10);
  const sent = Number.parseInt(m.Attributes?.SentTimestamp ?? '', 10);
  return {
    receiveCount: Number.isFinite(count) && count > 0 ? count : 1,
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent) : undefined,
  };
}

/**
 * Whether a failed visibility change means the receipt handle is no longer ours (final: the
 * message must be abandoned) or may be transient (try again while the deadline allows).
 * Per-entry batch failures carry SenderFault; a whole-call error carries the SDK's $fault.
 */
export function isFinalVisibilityFailure(failure: { senderFault?: boolean; code?: string; fault?: string; retryable?: boolean }): boolean {
  if (failure.code !== undefined && /throttl|overlimit|requestthrottled|serviceunavailable|internalerror|timeout|abort/i.test(failure.code)) return false;
  if (failure.senderFault !== undefined) return failure.senderFault;
  if (failure.retryable === true) return false;
  return failure.fault === 'client';
}

/** The parts of an AWS SDK error the poller looks at. */
export function sdkErrorFacts(err: unknown): { code: string; fault: string | undefined; retryable: boolean; status: number | undefined } {
  const e = err as { name?: unknown; Code?: unknown; $fault?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
  const code = typeof e?.Code === 'string' ? e.Code : typeof e?.name === 'string' ? e.name : 'Unknown';
  const status = typeof e?.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  return { code, fault: typeof e?.$fault === 'string' ? e.$fault : undefined, retryable: e?.$retryable !== undefined && e.$retryable !== null, status };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
