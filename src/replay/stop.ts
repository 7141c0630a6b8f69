import { setMaxListeners } from 'node:events';
import type { Logger } from '../core/log.js';

export type StopReason = 'signal' | 'too_many_failures';

/**
 * The two ways a replay ends early. `stopping` fires first: no new object is taken. `aborting`
 * fires after the grace period (or at once on the caller's abort): in-flight objects are cut off.
 * Waiters for capacity are woken on every change, so a stop never leaves the scheduler asleep.
 */
export class ReplayStop {
  private readonly stopCtl = new AbortController();
  private readonly inflightCtl = new AbortController();
  private readonly waiters: (() => void)[] = [];
  private graceTimer: NodeJS.Timeout | undefined;
  private detach: (() => void) | undefined;
  reason: StopReason | undefined;

  constructor(
    private readonly graceMs: number,
    private readonly logger: Logger,
    listeners: number,
  ) {
    // Every in-flight object and S3 request listens to these two signals: many listeners by design.
    setMaxListeners(listeners, this.stopCtl.signal, this.inflightCtl.signal);
  }

  /** Stop taking objects: set once the run should end. */
  get stopping(): AbortSignal {
    return this.stopCtl.signal;
  }

  /** Abort in-flight work: set once the grace period is over. */
  get aborting(): AbortSignal {
    return this.inflightCtl.signal;
  }

  /** Follows the caller's signals: `stop` ends gracefully, `abort` at once. */
  follow(stop: AbortSignal | undefined, abort: AbortSignal | undefined): void {
    const onStop = (): void => this.stop('signal');
    const onAbort = (): void => {
      this.stop('signal');
      this.inflightCtl.abort();
    };
    if (stop?.aborted) onStop();
    else stop?.addEventListener('abort', onStop, { once: true });
    if (abort?.aborted) onAbort();
    else abort?.addEventListener('abort', onAbort, { once: true });
    this.detach = () => {
      stop?.removeEventListener('abort', onStop);
      abort?.removeEventListener('abort', onAbort);
    };
  }

  stop(reason: StopReason): void {
    if (this.stopCtl.signal.aborted) return;
    this.reason = reason;
    this.stopCtl.abort();
    this.notify();
    if (reason === 'signal') {
      this.logger.info({ graceSecs: this.graceMs / 1000 }, 'Stopping: no new objects; in-flight ones may finish.');
      this.graceTimer = setTimeout(() => this.inflightCtl.abort(), this.graceMs);
      this.graceTimer.unref();
    }
  }

  /** Resolves at the next change (a task ended, a stop); the caller re-checks its condition. */
  changed(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The run is over: no grace timer left behind, no listener left on the caller's signals. */
  dispose(): void {
    clearTimeout(this.graceTimer);
    this.detach?.();
  }
}
