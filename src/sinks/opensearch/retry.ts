import { backoff } from '../../core/time.js';
import { DOCUMENT_FAULTS } from './reject-reason.js';

/**
 * What the bulk writer does with one item's answer. Pure functions, so the policy is tested
 * without a cluster.
 */

export type ItemDisposition =
  | { kind: 'indexed' }
  /** 409 on `create`: the id exists; the stored event.hash decides duplicate or integrity alarm. */
  | { kind: 'conflict' }
  /** Transient: send again later. `status` is the metric label. */
  | { kind: 'retry'; status: string }
  /** The document itself is refused: retrying cannot help, it goes to quarantine. */
  | { kind: 'reject'; reason: string };

/**
 * Error types that mean the document itself cannot be stored: retrying the same bytes cannot help,
 * so it goes to quarantine. Everything else is retried and, out of attempts, fails the object, so
 * the SQS message stays for redelivery and then the dead-letter queue. The list names what is the
 * document's fault rather than what is not, because a refusal of the index (a full shard count
 * when the month's index is created, a blocked or missing index, a write alias without a write
 * index, our credentials) must not move every event of a month out of the audit trail.
 */
const THE_DOCUMENTS_FAULT: ReadonlySet<string> = new Set(Object.keys(DOCUMENT_FAULTS));

/**
 * illegal_argument_exception names index-level refusals too (a full shard, no write index), so only
 * a reason that speaks of this document's content makes it the document's fault.
 */
const DOCUMENT_ILLEGAL_ARGUMENT = /immense term|failed to parse|cannot parse|malformed/i;

export function classifyItem(status: number, errorType: string | undefined, errorReason?: string): ItemDisposition {
  if (status === 200 || status === 201) return { kind: 'indexed' };
  if (status === 409) return { kind: 'conflict' };
  if (status === 429) return { kind: 'retry', status: '429' };
  if (status >= 500) return { kind: 'retry', status: '5xx' };
  if (status === 400 && errorType !== undefined) {
    if (THE_DOCUMENTS_FAULT.has(errorType)) return { kind: 'reject', reason: reasonCode(errorType, status) };
    if (errorType === 'illegal_argument_exception' && errorReason !== undefined && DOCUMENT_ILLEGAL_ARGUMENT.test(errorReason)) {
      return { kind: 'reject', reason: errorType };
    }
  }
  return { kind: 'retry', status: String(status) };
}

/** A quarantine reason code: the OpenSearch error type when it is a plain identifier. */
export function reasonCode(errorType: string | undefined, status: number): string {
  if (errorType !== undefined && /^[a-z][a-z0-9_]{0,80}$/.test(errorType)) return errorType;
  return `http_${status}`;
}

/**
 * Exponential backoff with full jitter (AWS architecture blog "Exponential Backoff And Jitter"):
 * uniformly random in [0, min(max, base * 2^(failures-1))]. Full jitter spreads the retries of one
 * failed bulk request over time, so a recovering node is not hit by the whole batch at once.
 *
 * @param failures attempts that already failed (1 after the first failure)
 */
export function backoffMs(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return backoff(failures, { base: baseMs, cap: maxMs, jitter: 'full' }, random);
}

/** Whether an item that failed `attempts` times may be sent once more. */
export function mayRetry(attempts: number, maxAttempts: number): boolean {
  return attempts < maxAttempts;
}

/**
 * Delay before the n-th availability probe: exponential with "equal jitter" (half fixed, half
 * random), so probes never fire back to back yet several workers do not probe in lockstep.
 */
export function probeDelayMs(n: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return backoff(n, { base: baseMs, cap: maxMs, jitter: 'equal' }, random);
}
