import type { Logger } from '../core/log.js';
import { systemClock, type Clock } from '../core/time.js';

export interface ProgressSnapshot {
  /** Objects and bytes settled (processed, enqueued, failed, or skipped by the checkpoint). */
  readonly objects: number;
  readonly bytes: number;
  readonly lines: number;
  readonly failed: number;
  readonly inFlight: number;
  /** The whole selection, once the sizing listing finished. */
  readonly total?: { readonly objects: number; readonly bytes: number };
  /** Key time of the watermark, for a percentage before the total is known. */
  readonly watermarkMs?: number;
  readonly window: { readonly fromMs: number; readonly endMs: number };
}

export interface ProgressOutput {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

interface Sample {
  readonly at: number;
  readonly objects: number;
  readonly lines: number;
  readonly fraction: number;
}

const RATE_WINDOW_MS = 10_000;

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(n < 10 && !Number.isInteger(n) ? 1 : 0);
}

/** Share of the work done: by bytes once the total is known, else by the watermark's key time. */
export function fractionDone(s: ProgressSnapshot): number {
  if (s.total) return s.total.bytes > 0 ? Math.min(1, s.bytes / s.total.bytes) : s.total.objects > 0 ? Math.min(1, s.objects / s.total.objects) : 1;
  if (s.watermarkMs === undefined) return 0;
  const span = s.window.endMs - s.window.fromMs;
  return span > 0 ? Math.max(0, Math.min(1, (s.watermarkMs - s.window.fromMs) / span)) : 0;
}

/**
 * On a terminal: one line on stderr, redrawn by a 200 ms timer (5 times a second at most). Elsewhere: a pino line every
 * `intervalSecs`, so a log pipeline sees the same figures.
 */
export class ProgressReporter {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(
    private readonly opts: { output: ProgressOutput; logger: Logger; intervalSecs: number; label: string; clock?: Clock },
    private readonly read: () => ProgressSnapshot,
  ) {}

  private get clock(): Clock {
    return this.opts.clock ?? systemClock;
  }

  private get tty(): boolean {
    return this.opts.output.isTTY === true;
  }

  start(): void {
    const every = this.tty ? 200 : this.opts.intervalSecs * 1000;
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty && this.drawn) {
      this.draw(this.read());
      this.opts.output.write('\n');
    }
  }

  /** Rates over the last 10 s and the time left. */
  rates(s: ProgressSnapshot): { objectsPerSec: number; linesPerSec: number; etaMs: number; fraction: number } {
    const now = this.clock.now();
    const fraction = fractionDone(s);
    this.samples.push({ at: now, objects: s.objects, lines: s.lines, fraction });
    while (this.samples.length > 2 && now - this.samples[0]!.at > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const secs = (now - first.at) / 1000;
    const objectsPerSec = secs > 0 ? (s.objects - first.objects) / secs : 0;
    const linesPerSec = secs > 0 ? (s.lines - first.lines) / secs : 0;
    const fracPerMs = now > first.at ? (fraction - first.fraction) / (now - first.at) : 0;
    const etaMs = fraction >= 1 ? 0 : fracPerMs > 0 ? (1 - fraction) / fracPerMs : Number.NaN;
    return { objectsPerSec, linesPerSec, etaMs, fraction };
  }

  tick(): void {
    const s = this.read();
    if (this.tty) this.draw(s);
    else {
      const r = this.rates(s);
      this.opts.logger.info(
        {
          percent: Math.round(r.fraction * 1000) / 10,
          objects: s.objects,
          totalObjects: s.total?.objects,
          bytes: s.bytes,
          totalBytes: s.total?.bytes,
          lines: s.lines,
          failed: s.failed,
          inFlight: s.inFlight,
          objectsPerSec: Math.round(r.objectsPerSec * 10) / 10,
          linesPerSec: Math.round(r.linesPerSec),
          etaSecs: Number.isFinite(r.etaMs) ? Math.round(r.etaMs / 1000) : null,
          watermark: s.watermarkMs !== undefined ? new Date(s.watermarkMs).toISOString() : null,
        },
        `${this.opts.label} progress.`,
      );
    }
  }

  /** The terminal line, e.g. `replay [#####.....]  48.2%  512/1062 obj  ETA 3m10s  85 obj/s  41.2k lines/s`. */
  line(s: ProgressSnapshot, r: ReturnType<ProgressReporter['rates']>): string {
    const width = 20;
    const filled = Math.round(r.fraction * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const pct = `${(r.fraction * 100).toFixed(1).padStart(5)}%`;
    const count = s.total ? `${s.objects}/${s.total.objects} obj` : `${s.objects} obj (listing)`;
    const parts = [`${this.opts.label} ${bar} ${pct}`, count, `ETA ${formatDuration(r.etaMs)}`, `${compact(r.objectsPerSec)} obj/s`];
    // An enqueue run reads no lines; the workers do.
    if (this.opts.label !== 'enqueue') parts.push(`${compact(r.linesPerSec)} lines/s`);
    if (s.failed > 0) parts.push(`${s.failed} failed`);
    return parts.join('  ');
  }

  private draw(s: ProgressSnapshot): void {
    const text = this.line(s, this.rates(s));
    const cols = this.opts.output.columns !== undefined && this.opts.output.columns > 0 ? this.opts.output.columns : 120;
    this.opts.output.write(`\r${text.slice(0, Math.max(10, cols - 1))}\x1b[K`);
    this.drawn = true;
  }
}
