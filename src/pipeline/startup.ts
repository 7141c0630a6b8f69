import { AuditError, describeError, isConfigurationError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { backoff, systemClock, type Clock } from '../core/time.js';

/** One dependency the worker needs before it receives: resolves when it answers, rejects with why not. */
export interface DependencyCheck {
  /** Short, stable name: the /readyz probe name and the log's `dependency` field. */
  readonly name: string;
  readonly check: () => Promise<void>;
}

/** Where one dependency stands while the worker starts. `error` is for the log, never for /readyz. */
export interface DependencyState {
  readonly name: string;
  readonly ok: boolean;
  readonly attempts: number;
  readonly error?: { code: string; message: string };
}

export interface StartupWaitOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly logger: Logger;
  /** Called when a dependency starts or stops answering (metrics). */
  readonly onChange?: (name: string, ok: boolean) => void;
  readonly clock?: Clock;
  readonly random?: () => number;
}

/**
 * The worker's start, run like the worker runs: a dependency that does not answer is waited for
 * with capped, jittered backoff (equal jitter: never back to back, and a fleet restarted at once
 * does not retry in lockstep), not turned into an exit that an orchestrator would restart in a
 * loop. Only a configuration error (CONFIG_INVALID, SETUP_MISMATCH) ends the wait with a failure,
 * because waiting cannot fix it. The dependencies are tried concurrently, so the log and /readyz
 * name every one that is missing, not only the first.
 *
 * One warning per dependency per change of state (it fails, or fails for another reason); the
 * retries in between are at debug level, so an hour-long outage does not flood the log.
 */
export class StartupWait {
  private readonly states = new Map<string, DependencyState>();
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(
    private readonly checks: readonly DependencyCheck[],
    private readonly options: StartupWaitOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    for (const c of checks) this.states.set(c.name, { name: c.name, ok: false, attempts: 0 });
  }

  /** Every dependency, in the order given. */
  get state(): readonly DependencyState[] {
    return [...this.states.values()];
  }

  /** The dependencies that have not answered yet. */
  get waitingFor(): string[] {
    return this.state.filter((s) => !s.ok).map((s) => s.name);
  }

  /**
   * Resolves once every dependency answered. Rejects with the configuration error that ends the
   * wait, or with SHUTDOWN as soon as `signal` aborts (an attempt still in flight is not waited for).
   */
  async run(signal: AbortSignal): Promise<void> {
    // Ends the other dependencies' loops too when one of them meets a configuration error.
    const stop = new AbortController();
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => {
        stop.abort();
        reject(new AuditError('SHUTDOWN', 'Stopped while waiting for dependencies at start.'));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    // The loser of the race below must not surface as an unhandled rejection.
    aborted.catch(() => undefined);
    try {
      await Promise.race([Promise.all(this.checks.map((c) => this.until(c, stop.signal))), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }

  private async until(dep: DependencyCheck, signal: AbortSignal): Promise<void> {
    const { logger } = this.options;
    let failures = 0;
    let lastCode: string | undefined;
    while (!signal.aborted) {
      try {
        await dep.check();
      } catch (err) {
        if (isConfigurationError(err) || signal.aborted) throw err;
        failures += 1;
        const error = describeError(err);
        const delayMs = backoff(failures, { base: this.options.baseMs, cap: this.options.maxMs, jitter: 'equal' }, this.random);
        this.states.set(dep.name, { name: dep.name, ok: false, attempts: failures, error });
        const fields = { dependency: dep.name, err: error, attempts: failures, retryInMs: delayMs };
        if (error.code !== lastCode) {
          logger.warn(fields, `${dep.name} does not answer; not receiving yet, retrying with backoff.`);
          if (lastCode === undefined) this.options.onChange?.(dep.name, false);
          lastCode = error.code;
        } else {
          logger.debug(fields, `${dep.name} still does not answer.`);
        }
        await this.clock.sleep(delayMs, signal);
        continue;
      }
      this.states.set(dep.name, { name: dep.name, ok: true, attempts: failures + 1 });
      this.options.onChange?.(dep.name, true);
      if (failures > 0) logger.info({ dependency: dep.name, attempts: failures + 1 }, `${dep.name} answers.`);
      return;
    }
  }
}
