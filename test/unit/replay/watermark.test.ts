import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WatermarkTracker, type Position } from '../../../src/replay/watermark.js';

const pos = (i: number): Position => ({ keyTimeMs: 1_700_000_000_000 + Math.floor(i / 3) * 1000, key: `logs/k-${String(i).padStart(6, '0')}` });

describe('WatermarkTracker', () => {
  it('moves the watermark over the longest finished run and keeps finished keys above it', () => {
    const t = new WatermarkTracker();
    for (let i = 0; i < 5; i += 1) t.begin(pos(i));
    t.finish(pos(1));
    t.finish(pos(3));
    expect(t.snapshot()).toEqual({ watermark: null, doneAbove: [pos(1), pos(3)], failed: [] });
    t.finish(pos(0));
    expect(t.snapshot()).toEqual({ watermark: pos(1), doneAbove: [pos(3)], failed: [] });
    t.finish(pos(2));
    expect(t.snapshot().watermark).toEqual(pos(3));
    expect(t.outstanding).toBe(1);
  });

  it('resumes: skips what is below the watermark or finished above it, redoes the rest', () => {
    const first = new WatermarkTracker();
    for (let i = 0; i < 6; i += 1) first.begin(pos(i));
    [0, 1, 3, 5].forEach((i) => first.finish(pos(i)));
    const saved = first.snapshot();
    const second = new WatermarkTracker(saved);
    expect([0, 1, 2, 3, 4, 5].filter((i) => !second.isSettled(pos(i)))).toEqual([2, 4]);
    for (let i = 0; i < 6; i += 1) {
      if (second.isSettled(pos(i))) second.skip(pos(i));
      else second.begin(pos(i));
    }
    second.finish(pos(2));
    second.finish(pos(4));
    expect(second.snapshot()).toEqual({ watermark: pos(5), doneAbove: [], failed: [] });
  });

  it('settles a failed object (the watermark passes it) and retries it on resume', () => {
    const first = new WatermarkTracker();
    [0, 1, 2].forEach((i) => first.begin(pos(i)));
    first.finish(pos(0));
    first.finish(pos(1), { code: 'OBJECT_READ_FAILED', message: 'boom', attempts: 3 });
    first.finish(pos(2));
    const saved = first.snapshot();
    expect(saved.watermark).toEqual(pos(2));
    expect(saved.failed).toEqual([{ ...pos(1), code: 'OBJECT_READ_FAILED', message: 'boom', attempts: 3 }]);

    const second = new WatermarkTracker(saved);
    expect(second.isSettled(pos(0))).toBe(true);
    expect(second.isSettled(pos(1))).toBe(false);
    second.skip(pos(0));
    second.begin(pos(1));
    second.skip(pos(2));
    second.begin(pos(3));
    second.finish(pos(1));
    second.finish(pos(3));
    expect(second.snapshot()).toEqual({ watermark: pos(3), doneAbove: [], failed: [] });
  });

  it('a failed object above the watermark is not reported as done', () => {
    const t = new WatermarkTracker();
    [0, 1].forEach((i) => t.begin(pos(i)));
    t.finish(pos(1), { code: 'X', message: 'x', attempts: 1 });
    expect(t.snapshot()).toMatchObject({ watermark: null, doneAbove: [] });
    expect(new WatermarkTracker(t.snapshot()).isSettled(pos(1))).toBe(false);
  });

  it('an abandoned object holds the watermark', () => {
    const t = new WatermarkTracker();
    [0, 1].forEach((i) => t.begin(pos(i)));
    t.abandon(pos(0));
    t.finish(pos(1));
    expect(t.snapshot()).toEqual({ watermark: null, doneAbove: [pos(1)], failed: [] });
  });

  it('refuses objects out of listing order', () => {
    const t = new WatermarkTracker();
    t.begin(pos(2));
    expect(() => t.begin(pos(1))).toThrow(/listing order/);
  });

  it('property: kills at any point and resumes finish every object, never redoing a finished one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 4 }),
        (n, picks, killAfter) => {
          const objects = Array.from({ length: n }, (_, i) => pos(i));
          const finishedOnce = new Map<string, number>();
          let saved = new WatermarkTracker().snapshot();
          let pickIndex = 0;
          for (let round = 0; round <= killAfter.length; round += 1) {
            const t = new WatermarkTracker(saved);
            const inFlight: Position[] = [];
            for (const o of objects) {
              if (t.isSettled(o)) t.skip(o);
              else {
                t.begin(o);
                inFlight.push(o);
              }
            }
            // Finish in a random order; the last-saved snapshot is what a kill leaves behind.
            const budget = round < killAfter.length ? killAfter[round]! : Number.POSITIVE_INFINITY;
            let finished = 0;
            while (inFlight.length > 0 && finished < budget) {
              const i = (picks[pickIndex++ % picks.length] ?? 0) % inFlight.length;
              const o = inFlight.splice(i, 1)[0]!;
              t.finish(o);
              finishedOnce.set(o.key, (finishedOnce.get(o.key) ?? 0) + 1);
              finished += 1;
            }
            saved = t.snapshot();
            if (inFlight.length === 0) break;
          }
          const t = new WatermarkTracker(saved);
          // Every object is settled at the end, and none was processed twice.
          expect(objects.every((o) => t.isSettled(o))).toBe(true);
          expect([...finishedOnce.values()].every((c) => c === 1)).toBe(true);
          expect(finishedOnce.size).toBe(n);
        },
      ),
      { numRuns: 300 },
    );
  });
});
