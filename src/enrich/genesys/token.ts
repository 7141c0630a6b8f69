import type { Clock } from '../../core/time.js';
import { raceDeadline, type CallOptions } from './deadline.js';

/** Renew this much of a token's lifetime before it expires ... */
const RENEW_FRACTION = 0.1;
/** ... but never earlier than this before expiry. */
const RENEW_MAX_EARLY_MS = 60_000;

/**
 * The life of the client-credentials token: one login at a time however many calls need it,
 * renewal ahead of expiry, and renewal after a 401. The token itself lives in the SDK; this
 * keeps only when it expires and a generation that counts logins.
 */
export class TokenLifecycle {
  private readonly clock: Clock;
  /** Logs in (with its own retries) and returns the new token's expiry, epoch ms. */
  private readonly login: () => Promise<number>;
  private expiresAt = 0;
  private renewAt = 0;
  private current = 0;
  private inFlight: Promise<void> | undefined;

  constructor(login: () => Promise<number>, clock: Clock) {
    this.login = login;
    this.clock = clock;
  }

  /** Counts successful logins; a caller notes it before a request to report a 401 against it. */
  get generation(): number {
    return this.current;
  }

  /**
   * Resolves once a token is valid, logging in when there is none or it is due for renewal.
   * Callers that arrive during a login share it; each waits only until its own deadline or abort,
   * and the login goes on without it.
   */
  async ensure(opts: CallOptions): Promise<void> {
    if (this.expiresAt > 0 && this.clock.now() < this.renewAt) return;
    this.inFlight ??= this.renew().finally(() => {
      this.inFlight = undefined;
    });
    await raceDeadline(this.inFlight, opts, this.clock);
  }

  /**
   * Genesys refused the token of `generation` (401). Only the first caller to report the old token
   * forces a renewal: the others' 401s were answered before a newer login and need no second one.
   */
  rejected(generation: number): void {
    if (generation === this.current) this.expiresAt = 0;
  }

  private async renew(): Promise<void> {
    const expiresAt = await this.login();
    const lifetime = Math.max(0, expiresAt - this.clock.now());
    this.expiresAt = expiresAt;
    this.renewAt = expiresAt - Math.min(RENEW_MAX_EARLY_MS, lifetime * RENEW_FRACTION);
    this.current++;
  }
}
