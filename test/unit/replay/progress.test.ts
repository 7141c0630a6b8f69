import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { ProgressReporter, formatDuration, fractionDone, type ProgressSnapshot } from '../../../src/replay/progress.js';

const base: ProgressSnapshot = { objects: 0, bytes: 0, lines: 0, failed: 0, inFlight: 0, window: { fromMs: 0, endMs: 100_000 } };

describe('progress', () => {
  it('measures by bytes once the total is known, by watermark key time before', () => {
    expect(fractionDone({ ...base, watermarkMs: 25_000 })).toBe(0.25);
    expect(fractionDone({ ...base, bytes: 300, total: { objects: 10, bytes: 1200 }, watermarkMs: 90_000 })).toBe(0.25);
    expect(fractionDone({ ...base, total: { objects: 0, bytes: 0 } })).toBe(1);
  });

  it('draws one terminal line with percentage, ETA and rates', () => {
    let now = 0;
    let snap: ProgressSnapshot = { ...base, total: { objects: 100, bytes: 1000 } };
    const frames: string[] = [];
    const r = new ProgressReporter(
      {
        output: { isTTY: true, columns: 200, write: (s) => frames.push(s) > 0 },
        logger: createLogger('silent'),
        intervalSecs: 15,
        label: 'replay',
        clock: { now: () => now, sleep: () => Promise.resolve() },
      },
      () => snap,
    );
    r.tick();
    now = 10_000;
    snap = { ...snap, objects: 50, bytes: 500, lines: 20_000 };
    r.tick();
    const last = frames.at(-1)!;
    expect(last.startsWith('\r')).toBe(true);
    expect(last).toContain('50.0%');
    expect(last).toContain('50/100 obj');
    expect(last).toContain('ETA 10s');
    expect(last).toContain('5 obj/s');
    expect(last).toContain('2000 lines/s');
    expect(last.endsWith('\x1b[K')).toBe(true);
  });

  it('logs a structured line without a terminal', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _e, cb) => {
        lines.push(chunk.toString());
        cb();
      },
    });
    const r = new ProgressReporter(
      { output: { isTTY: false, write: () => true }, logger: createLogger('info', sink), intervalSecs: 15, label: 'replay' },
      () => ({ ...base, objects: 3, watermarkMs: 50_000 }),
    );
    r.tick();
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ msg: 'replay progress.', objects: 3, percent: 50 });
  });

  it('formats durations', () => {
    expect(formatDuration(59_000)).toBe('59s');
    expect(formatDuration(61_000)).toBe('1m01s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
    expect(formatDuration(Number.NaN)).toBe('--');
  });
});
