import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ReplayStop } from './stop.js';

/**
 * Admits replay tasks. Not p-limit: admission waits on two bounds at once, the tasks running and
 * the objects still held above the checkpoint's watermark (`outstanding`, which a slow object
 * makes grow while later ones finish), and p-limit can express only the first.
 */
export class Scheduler {
  private readonly active = new Set<Promise<void>>();

  constructor(
    private readonly concurrency: number,
    private readonly windowSize: number,
    private readonly outstanding: () => number,
    private readonly stop: ReplayStop,
    private readonly logger: Logger,
  ) {}

  get running(): number {
    return this.active.size;
  }

  /**
   * Waits for room, then for `admit` (which may wait on a throttle, and answers the task to run, or
   * undefined when the stop interrupted that wait). False when nothing started: the run is stopping.
   */
  async launch(admit: () => Promise<(() => Promise<void>) | undefined>): Promise<boolean> {
    while (!this.stop.stopping.aborted && (this.active.size >= this.concurrency || this.outstanding() > this.windowSize)) {
      await this.stop.changed();
    }
    if (this.stop.stopping.aborted) return false;
    const task = await admit();
    if (task === undefined) return false;
    const p: Promise<void> = task()
      .catch((err: unknown) => this.logger.error({ err: describeError(err) }, 'Unexpected replay task failure.'))
      .finally(() => {
        this.active.delete(p);
        this.stop.notify();
      });
    this.active.add(p);
    return true;
  }

  /** Resolves once every started task has ended. */
  async drain(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active]);
  }
}
