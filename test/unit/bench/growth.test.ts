import { describe, expect, it } from 'vitest';
import { DEFAULT_GROWTH_LIMITS, judgeGrowth, secondHalf, theilSen, type EventCounts, type GrowthSample } from '../../bench/growth.js';

const MB = 1024 * 1024;
const exact: EventCounts = { eventsIn: 1000, eventsIndexed: 1000, objectsIn: 10, objectsAccounted: 10 };

/** 30 minutes of load at one sample per 10 s, then a minute of drain. */
function series(rssMb: (tSecs: number, i: number) => number, lagSecs: (tSecs: number, i: number) => number = () => 2): GrowthSample[] {
  const out: GrowthSample[] = [];
  for (let i = 0; i <= 180; i += 1) out.push({ tSecs: i * 10, phase: 'load', rssBytes: rssMb(i * 10, i) * MB, lagSecs: lagSecs(i * 10, i) });
  for (let i = 1; i <= 6; i += 1) out.push({ tSecs: 1800 + i * 10, phase: 'drain', rssBytes: 400 * MB, lagSecs: 0 });
  return out;
}

describe('theilSen', () => {
  it('is the slope of a line, and ignores one outlier', () => {
    const line = [0, 1, 2, 3, 4, 5].map((x) => ({ x, y: 2 * x + 1 }));
    expect(theilSen(line)).toBe(2);
    expect(theilSen([...line.slice(0, 5), { x: 5, y: 1000 }])).toBe(2);
  });
  it('is 0 without two distinct x', () => {
    expect(theilSen([])).toBe(0);
    expect(theilSen([{ x: 1, y: 1 }])).toBe(0);
    expect(
      theilSen([
        { x: 1, y: 1 },
        { x: 1, y: 5 },
      ]),
    ).toBe(0);
  });
});

describe('judgeGrowth', () => {
  it('passes a worker that grows while warming up and then stays flat with a GC sawtooth', () => {
    // 120 MB rising to 160 MB over the first 5 minutes, then a ±15 MB sawtooth around 160 MB.
    const samples = series(
      (t, i) => (t < 300 ? 120 + (40 * t) / 300 : 160 + ((i % 7) - 3) * 5),
      (_, i) => (i % 3) * 4,
    );
    const v = judgeGrowth(samples, exact);
    expect(v.failures).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.inconclusive).toBe(false);
    expect(v.samplesJudged).toBe(91);
    expect(Math.abs(v.rssSlopeMbPerMin ?? 99)).toBeLessThan(0.5);
  });

  it('fails a slow leak in the second half (2 MB/min)', () => {
    const samples = series((t, i) => 150 + (2 * t) / 60 + ((i % 5) - 2) * 4);
    const v = judgeGrowth(samples, exact);
    expect(v.ok).toBe(false);
    expect(v.failures).toHaveLength(1);
    expect(v.failures[0]).toMatch(/^RSS grows 2\.\d\d MB\/min/);
  });

  it('fails a lag that keeps growing, but not a bounded lag or a growing one still under the floor', () => {
    const flat = (): number => 150;
    // The worker keeps up with 90% of the feed: 6 s of lag added each minute, 180 s at the end.
    const unbounded = judgeGrowth(
      series(flat, (t) => t / 10),
      exact,
    );
    expect(unbounded.ok).toBe(false);
    expect(unbounded.failures[0]).toMatch(/^The lag keeps growing: 6\.00 s\/min/);
    // A lag that jumps between 0 and 40 s with each object is bounded.
    expect(
      judgeGrowth(
        series(flat, (_, i) => (i % 2) * 40),
        exact,
      ).ok,
    ).toBe(true);
    // Growing, but 30 s at the end: below the floor, not yet judged unbounded.
    expect(
      judgeGrowth(
        series(flat, (t) => t / 60),
        exact,
      ).ok,
    ).toBe(true);
  });

  it('fails events missing after the drain, extra documents, and objects never accounted for', () => {
    const samples = series(() => 150);
    expect(judgeGrowth(samples, { ...exact, eventsIndexed: 990 }).failures).toEqual(['10 of 1000 events are missing from the index after the drain.']);
    expect(judgeGrowth(samples, { ...exact, eventsIndexed: 1001 }).failures).toEqual(['The index holds 1001 documents for 1000 events written.']);
    expect(judgeGrowth(samples, { ...exact, objectsAccounted: 9 }).failures).toEqual(['1 of 10 log objects were never accounted for.']);
  });

  it('judges only the load phase: a drain that frees memory or empties the queue changes nothing', () => {
    const samples = series((t) => 150 + (3 * t) / 60);
    expect(secondHalf(samples).every((s) => s.phase === 'load')).toBe(true);
    expect(judgeGrowth(samples, exact).ok).toBe(false);
  });

  it('is inconclusive about growth with too few samples, but still checks the counts', () => {
    const short: GrowthSample[] = [0, 10, 20, 30, 40, 50, 60].map((t) => ({ tSecs: t, phase: 'load', rssBytes: (100 + t) * MB, lagSecs: t }));
    const v = judgeGrowth(short, exact);
    expect(v.inconclusive).toBe(true);
    expect(v.samplesJudged).toBeLessThan(DEFAULT_GROWTH_LIMITS.minSamples);
    expect(v.ok).toBe(true);
    expect(judgeGrowth(short, { ...exact, eventsIndexed: 0 }).ok).toBe(false);
  });
});
