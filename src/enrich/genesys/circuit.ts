import type { Clock } from '../../core/time.js';

/** First pause after the circuit opens; each reopening before a success doubles it. */
const CIRCUIT_MIN_MS = 2_000;
const CIRCUIT_MAX_MS = 60_000;

/**
 * Stops calling a Genesys that is down. Every attempt reports here: a failure (5xx, no answer)
 * or any answer at all. After `threshold` failures in a row the circuit opens: calls are refused
 * for a cooldown that doubles, up to a minute, each time it opens again without an answer in
 * between. One answer closes it and resets the cooldown.
 */
export class CircuitBreaker {
  private readonly threshold: number;
  private readonly clock: Pick<Clock, 'now'>;
  private consecutiveFailures = 0;
  private openedUntil = 0;
  private cooldownMs = CIRCUIT_MIN_MS;

  constructor(threshold: number, clock: Pick<Clock, 'now'>) {
    this.threshold = threshold;
    this.clock = clock;
  }

  /** Epoch ms until which calls are refused; in the past (or 0) when closed. */
  get openUntil(): number {
    return this.openedUntil;
  }

  isOpen(): boolean {
    return this.clock.now() < this.openedUntil;
  }

  /** One failed attempt. Returns the pause when this failure opened the circuit. */
  failure(): number | undefined {
    this.consecutiveFailures++;
    // A circuit already open stays on its pause: failures of calls that were already on their way
    // must not stretch it.
    if (this.consecutiveFailures < this.threshold || this.isOpen()) return undefined;
    return this.open();
  }

  /** Any answer from Genesys. Returns true when it ends an outage that had opened the circuit. */
  success(): boolean {
    if (this.consecutiveFailures === 0 && this.cooldownMs === CIRCUIT_MIN_MS) return false;
    const recovered = this.openedUntil > 0;
    this.consecutiveFailures = 0;
    this.cooldownMs = CIRCUIT_MIN_MS;
    this.openedUntil = 0;
    return recovered;
  }

  /** Opens the circuit now, whatever the count (bad credentials); returns the pause. */
  open(): number {
    const pause = this.cooldownMs;
    this.openedUntil = this.clock.now() + pause;
    this.cooldownMs = Math.min(CIRCUIT_MAX_MS, this.cooldownMs * 2);
    return pause;
  }
}
