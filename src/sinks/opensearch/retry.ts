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
 * Error types that come with a 4xx but say nothing about the document: the index is blocked
 * (flood-stage disk watermark, read-only), missing, or our credentials lack a right. Quarantining
 * a good event for these would hide an outage; retrying and then failing the object leaves the SQS
 * message for redelivery.
 */
const NOT_THE_DOCUMENTS_FAULT = new Set([
  'cluster_block_exception',
  'index_not_found_exception',
  'index_closed_exception',
  'security_exception',
  'es_rejected_execution_exception',
  'opensearch_rejected_execution_exception',
  'circuit_breaking_exception',
  'process_cluster_event_timeout_exception',
  'unavailable_shards_exception',
]);

export function classifyItem(status: number, errorType: string | undefined): ItemDisposition {
  if (status === 200 || status === 201) return { kind: 'indexed' };
  if (status === 409) return { kind: 'conflict' };
  if (status === 429) return { kind: 'retry', status: '429' };
  if (status >= 500) return { kind: 'retry', status: '5xx' };
  if (status === 401 || status === 403 || status === 404 || status === 408) return { kind: 'retry', status: String(status) };
  if (errorType !== undefined && NOT_THE_DOCUMENTS_FAULT.has(errorType)) return { kind: 'retry', status: '4xx' };
  return { kind: 'reject', reason: reasonCode(errorType, status) };
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
  const exp = Math.min(Math.max(failures - 1, 0), 40);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exp);
  return Math.floor(random() * ceiling);
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
  const exp = Math.min(Math.max(n - 1, 0), 40);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exp);
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}
