import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LINE_BYTES } from '../../../src/decode/lines.js';
import { parseAccessLogLine } from '../../../src/decode/s3-access-log.js';
import { nsPerChar, PIECES, PLACES, repeatedLine, SHAPE_NAMES, SHAPES, type Place, type Shape } from '../../fixtures/adversarial.js';
import { generateCorpus } from '../../fixtures/corpus.js';

/**
 * Parsing is linear: a line of any length up to the decoder's cap costs at most a fixed multiple
 * of what a normal line costs per character, both measured here, in this process, so the bound is
 * a ratio and holds on a slow or busy machine (both are CPU time). The multiple is not 1: a line
 * of nothing but quotes costs a native search per quote where a normal line has one per field,
 * up to about 15 times as much per character. A parser that is not linear is orders of magnitude
 * past it: the old quoted-Referer search cost about 500 times a normal line per character at
 * 1.4 KB and 26,000 times at 40 KB (1.6 s for that one line).
 */
const MAX_RATIO = 50;
// PARSE_LINEAR_MAX_BYTES lowers the largest line, to run this against a parser that is not linear
// without waiting an hour for one megabyte line.
const MAX_BYTES = Math.min(DEFAULT_MAX_LINE_BYTES, Number(process.env.PARSE_LINEAR_MAX_BYTES ?? DEFAULT_MAX_LINE_BYTES)) - 2048;
const MIN_CHARS = 1 << 20;

/** Line sizes spread evenly over the powers of two from 1 KiB to the cap. */
const bytesArb = fc.integer({ min: 0, max: 1000 }).map((k) => Math.max(1024, Math.round(1024 * (MAX_BYTES / 1024) ** (k / 1000))));
// Descriptions, not lines: a counterexample is then a shape and a size, not a megabyte of text.
type Case = { shape: Shape; bytes: number } | { place: Place; pieces: string[]; bytes: number };
const caseArb: fc.Arbitrary<Case> = fc.oneof(
  fc.record({ shape: fc.constantFrom(...SHAPE_NAMES), bytes: bytesArb }),
  fc.record({ place: fc.constantFrom(...PLACES), pieces: fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 6 }), bytes: bytesArb }),
);
const lineOf = (c: Case): string => ('shape' in c ? SHAPES[c.shape](c.bytes) : repeatedLine(c.place, c.pieces, c.bytes));

describe('parser cost is linear in the line', () => {
  let normal = 0;
  beforeAll(() => {
    const lines = generateCorpus(2000, 11).map((r) => r.line);
    // Warm-up: every path of the parser reaches optimized code before anything is timed, so what
    // is compared is the parser, not the JIT tier it happens to be in.
    const warm = [...lines.slice(0, 200), ...SHAPE_NAMES.map((s) => SHAPES[s](4096)), ...PLACES.flatMap((p) => PIECES.map((x) => repeatedLine(p, [x], 2048)))];
    const until = performance.now() + 1500;
    while (performance.now() < until) for (const l of warm) parseAccessLogLine(l);
    normal = nsPerChar(parseAccessLogLine, lines, 4 * MIN_CHARS, 5);
  }, 60_000);

  it(`an adversarial line up to the line cap costs at most ${MAX_RATIO}x a normal line per character`, () => {
    let worst = { ratio: 0, what: '', length: 0 };
    fc.assert(
      fc.property(caseArb, (c) => {
        const line = lineOf(c);
        const what = JSON.stringify('shape' in c ? c.shape : { place: c.place, filler: c.pieces.join('') });
        expect(line.length).toBeLessThanOrEqual(DEFAULT_MAX_LINE_BYTES);
        let ratio = nsPerChar(parseAccessLogLine, [line], MIN_CHARS, 3) / normal;
        // A busy machine can slow one measurement; a parser that is not linear is slow every time.
        if (ratio > MAX_RATIO) ratio = nsPerChar(parseAccessLogLine, [line], MIN_CHARS, 7) / normal;
        if (ratio > worst.ratio) worst = { ratio, what, length: line.length };
        expect(ratio, `${what}, ${line.length} chars: ${ratio.toFixed(1)}x a normal line per character`).toBeLessThanOrEqual(MAX_RATIO);
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 60) },
    );
    process.stdout.write(`normal line ${normal.toFixed(2)} ns/char; worst ${worst.ratio.toFixed(1)}x: ${worst.what}, ${worst.length} chars\n`);
  }, 300_000);
});
