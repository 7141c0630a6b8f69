import { AuditError } from '../../core/errors.js';
import { systemClock, type Clock } from '../../core/time.js';

/** How long a caller will wait for one Genesys answer, shared by every step of the call. */
export interface CallOptions {
  /** Epoch ms after which the caller no longer wants the answer. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  /**
   * Asked before a lookup that the caches and requests already on their way cannot answer; false
   * refuses it (GENESYS_LOOKUPS_PER_REQUESTER_PER_MIN). Absent: every lookup may go out.
   */
  readonly admit?: () => boolean;
}

/** Longest delay a Node timer takes; a longer one would fire after 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Settles like `p`, or rejects with `expired()` once `ms` have passed on `clock` or `signal`
 * aborts, whichever comes first. `p` keeps running; the wait is cancelled when `p` wins.
 */
export async function raceTimer<T>(p: Promise<T>, ms: number, signal: AbortSignal | undefined, clock: Clock, expired: () => Error): Promise<T> {
  let settled = false;
  const wake = new AbortController();
  // Forwarded by hand, not AbortSignal.any: callers share the enricher's long-lived signal, and on
  // Node 20 every any() over it stays reachable from it (measured: ~40 bytes per call, never freed).
  const forward = (): void => wake.abort();
  signal?.addEventListener('abort', forward, { once: true });
  if (signal?.aborted === true) wake.abort();
  const timeout = new Promise<never>((_, reject) => {
    void clock.sleep(Math.min(Math.max(0, ms), MAX_TIMER_MS), wake.signal).then(() => {
      // Woken because `p` settled first: nothing to report.
      if (!settled) reject(expired());
    });
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    settled = true;
    signal?.removeEventListener('abort', forward);
    wake.abort();
  }
}

/** Waits for `p` but gives up at the caller's deadline or abort (p keeps running). */
export function raceDeadline<T>(p: Promise<T>, opts: CallOptions, clock: Clock = systemClock): Promise<T> {
  return raceTimer(p, opts.deadline - clock.now(), opts.signal, clock, () => {
    const reason = opts.signal?.aborted === true ? 'aborted' : 'deadline';
    return new AuditError(reason === 'aborted' ? 'GENESYS_UNAVAILABLE' : 'GENESYS_RATE_LIMITED', `Genesys wait ended: ${reason}`, {
      retryable: true,
      details: { reason },
    });
  });
}
