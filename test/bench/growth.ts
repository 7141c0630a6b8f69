/**
 * The verdict of the sustained-load bench (test/bench/sustained.ts): samples in, pass or fail out.
 * A pure function, so the rules are unit-tested (test/unit/bench/growth.test.ts) without a run.
 *
 * Slopes are Theil–Sen (the median of the slopes between every pair of samples): the worker's RSS
 * is a sawtooth of garbage collections and its lag jumps with each object, and one high sample
 * must not decide the verdict the way it can sway a least-squares line. Only the second half of
 * the load phase is judged: the first half holds module loading, cache filling and heap growth to
 * its working size, which a leak check must not mistake for a leak.
 */

export interface GrowthSample {
  /** Seconds since the feed started. */
  readonly tSecs: number;
  /** 'load' while the feeder writes; 'drain' after it stopped. Only load samples are judged for growth. */
  readonly phase: 'load' | 'drain';
  readonly rssBytes: number;
  /**
   * The larger of the age of the oldest log object written and not yet accounted for, and the
   * longest put-to-accounted time of the objects finished since the previous sample.
   */
  readonly lagSecs: number;
}

export interface GrowthLimits {
  /** RSS growth over the second half of the load phase above this fails (a leak). */
  readonly maxRssSlopeMbPerMin: number;
  /** Lag growth over the second half above this fails, if the lag also ends above lagFloorSecs. */
  readonly maxLagSlopeSecsPerMin: number;
  /** A lag that ends below this is bounded whatever its slope (one object's processing time, jitter). */
  readonly lagFloorSecs: number;
  /** Fewer second-half samples than this judge nothing about growth (the verdict says inconclusive). */
  readonly minSamples: number;
}

export const DEFAULT_GROWTH_LIMITS: GrowthLimits = {
  // 1 MB/min is 60 MB an hour: a 512 MB task with a 192 MB heap would be killed within a working day.
  maxRssSlopeMbPerMin: 1,
  // 3 s of lag added per minute is a worker keeping up with only 95% of the feed.
  maxLagSlopeSecsPerMin: 3,
  lagFloorSecs: 60,
  minSamples: 6,
};

export interface EventCounts {
  /** Lines the feeder wrote. */
  readonly eventsIn: number;
  /** Documents in the index after the drain. */
  readonly eventsIndexed: number;
  /** Log objects written, and accounted for by the worker. */
  readonly objectsIn: number;
  readonly objectsAccounted: number;
}

export interface GrowthVerdict {
  readonly ok: boolean;
  /** One sentence per failed rule; empty when ok. */
  readonly failures: readonly string[];
  /** Growth was not judged (too few samples); the counts still were. */
  readonly inconclusive: boolean;
  readonly samplesJudged: number;
  readonly rssSlopeMbPerMin: number | undefined;
  readonly lagSlopeSecsPerMin: number | undefined;
  readonly endLagSecs: number | undefined;
}

/** Theil–Sen slope of y over x: the median of the pairwise slopes; 0 for fewer than two distinct x. */
export function theilSen(points: readonly { x: number; y: number }[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i += 1) {
    for (let j = i + 1; j < points.length; j += 1) {
      const a = points[i]!;
      const b = points[j]!;
      if (b.x !== a.x) slopes.push((b.y - a.y) / (b.x - a.x));
    }
  }
  if (slopes.length === 0) return 0;
  slopes.sort((p, q) => p - q);
  const mid = slopes.length >> 1;
  return slopes.length % 2 === 1 ? slopes[mid]! : (slopes[mid - 1]! + slopes[mid]!) / 2;
}

/** The load-phase samples from the middle of the load phase on. */
export function secondHalf(samples: readonly GrowthSample[]): GrowthSample[] {
  const load = samples.filter((s) => s.phase === 'load');
  if (load.length === 0) return [];
  const first = load[0]!.tSecs;
  const last = load[load.length - 1]!.tSecs;
  const mid = first + (last - first) / 2;
  return load.filter((s) => s.tSecs >= mid);
}

export function judgeGrowth(samples: readonly GrowthSample[], counts: EventCounts, limits: GrowthLimits = DEFAULT_GROWTH_LIMITS): GrowthVerdict {
  const failures: string[] = [];
  if (counts.eventsIndexed !== counts.eventsIn) {
    failures.push(
      counts.eventsIndexed < counts.eventsIn
        ? `${counts.eventsIn - counts.eventsIndexed} of ${counts.eventsIn} events are missing from the index after the drain.`
        : `The index holds ${counts.eventsIndexed} documents for ${counts.eventsIn} events written.`,
    );
  }
  if (counts.objectsAccounted < counts.objectsIn) {
    failures.push(`${counts.objectsIn - counts.objectsAccounted} of ${counts.objectsIn} log objects were never accounted for.`);
  }
  const judged = secondHalf(samples);
  if (judged.length < limits.minSamples) {
    return {
      ok: failures.length === 0,
      failures,
      inconclusive: true,
      samplesJudged: judged.length,
      rssSlopeMbPerMin: undefined,
      lagSlopeSecsPerMin: undefined,
      endLagSecs: judged[judged.length - 1]?.lagSecs,
    };
  }
  const rssSlope = theilSen(judged.map((s) => ({ x: s.tSecs / 60, y: s.rssBytes / 1024 / 1024 })));
  const lagSlope = theilSen(judged.map((s) => ({ x: s.tSecs / 60, y: s.lagSecs })));
  const endLag = judged[judged.length - 1]!.lagSecs;
  if (rssSlope > limits.maxRssSlopeMbPerMin) {
    failures.push(`RSS grows ${rssSlope.toFixed(2)} MB/min over the second half of the load (limit ${limits.maxRssSlopeMbPerMin} MB/min).`);
  }
  if (lagSlope > limits.maxLagSlopeSecsPerMin && endLag > limits.lagFloorSecs) {
    failures.push(
      `The lag keeps growing: ${lagSlope.toFixed(2)} s/min over the second half of the load (limit ${limits.maxLagSlopeSecsPerMin} s/min), ${endLag.toFixed(0)} s at the end of the feed (floor ${limits.lagFloorSecs} s).`,
    );
  }
  return {
    ok: failures.length === 0,
    failures,
    inconclusive: false,
    samplesJudged: judged.length,
    rssSlopeMbPerMin: rssSlope,
    lagSlopeSecsPerMin: lagSlope,
    endLagSecs: endLag,
  };
}
