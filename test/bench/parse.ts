/**
 * npm run bench -- parse [--lines 1000000] [--rounds 5] [--block 100000] [--seed 1]
 *
 * The access-log parser against the AWS Athena RegexSerDe regex (27-column version) producing the
 * same record objects, on a generated corpus of realistic lines (Genesys recordings bucket:
 * presigned GETs with credentials and session tokens, PUT/HEAD/DELETE/COPY, batch deletes,
 * lifecycle, 403/404, every historic field count). Also: full buildEvent (decode, parse,
 * redaction, ECS fields, two sha256) and decodeLines. Medians over rounds; times are CPU time of
 * this process (process.cpuUsage), which a busy shared machine disturbs less than wall time; wall
 * time is printed too. Then how many sample lines each parser gets exactly right. Last, the worst
 * case: adversarial lines of about --adversarial-bytes (default: the decoder's 1 MiB line cap),
 * each known slow shape and every filler piece in every field, timed per character against normal
 * lines (CPU time, best of 3 after a warm-up; test/fixtures/adversarial.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { DEFAULT_MAX_LINE_BYTES, decodeLines, type RawLine } from '../../src/decode/lines.js';
import { parseAccessLogLine, type ParseResult } from '../../src/decode/s3-access-log.js';
import { buildEvent } from '../../src/event/build.js';
import { nsPerChar, PIECES, PLACES, repeatedLine, SHAPE_NAMES, SHAPES } from '../fixtures/adversarial.js';
import { athenaParse } from '../fixtures/athena-baseline.js';
import { generateCorpus } from '../fixtures/corpus.js';
import { SAMPLE_EXPECTATIONS } from '../fixtures/sample-expectations.js';

const root = new URL('../../', import.meta.url);

interface Timing {
  cpuNs: number;
  wallNs: number;
}

function time(fn: () => void): Timing {
  const c0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  fn();
  const wallNs = Number(process.hrtime.bigint() - w0);
  const c = process.cpuUsage(c0);
  return { cpuNs: (c.user + c.system) * 1000, wallNs };
}

async function timeAsync(fn: () => Promise<void>): Promise<Timing> {
  const c0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  await fn();
  const wallNs = Number(process.hrtime.bigint() - w0);
  const c = process.cpuUsage(c0);
  return { cpuNs: (c.user + c.system) * 1000, wallNs };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** The corpus as blocks of newline-terminated bytes, cached under .cache/ (generation is slow). */
function corpusBlocks(lines: number, block: number, seed: number): Buffer[] {
  const dir = new URL('.cache/bench/', root);
  mkdirSync(dir, { recursive: true });
  const blocks: Buffer[] = [];
  for (let b = 0; b * block < lines; b++) {
    const n = Math.min(block, lines - b * block);
    const file = new URL(`parse-corpus-s${seed}-b${b}-n${n}.log`, dir);
    if (!existsSync(file)) {
      const text = generateCorpus(n, seed * 1000 + b)
        .map((r) => r.line)
        .join('\n');
      writeFileSync(file, `${text}\n`);
    }
    blocks.push(readFileSync(file));
  }
  return blocks;
}

/** The block's lines as views of its bytes: no 100 MB of strings for the collector to walk. */
function splitBlock(buf: Buffer): RawLine[] {
  const raws: RawLine[] = [];
  let start = 0;
  for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, start)) {
    raws.push({ number: raws.length + 1, bytes: buf.subarray(start, nl) });
    start = nl + 1;
  }
  return raws;
}

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) {
    if (i % (size * 256) === 0) await Promise.resolve();
    yield buf.subarray(i, i + size);
  }
}

function scoreSamples(parse: (s: string) => ParseResult): { right: number; total: number } {
  const files = new Map<string, string[]>();
  let right = 0;
  for (const exp of SAMPLE_EXPECTATIONS) {
    let lines = files.get(exp.file);
    if (lines === undefined) {
      lines = readFileSync(new URL(`test/fixtures/samples/${exp.file}`, root), 'utf8')
        .split('\n')
        .filter((l) => l !== '');
      files.set(exp.file, lines);
    }
    const r = parse(lines[exp.line - 1]!);
    const good =
      exp.reject !== undefined ? !r.ok : r.ok && r.timestamp === exp.timestamp && isDeepStrictEqual(JSON.parse(JSON.stringify(r.fields)), exp.fields);
    if (good) right++;
  }
  return { right, total: SAMPLE_EXPECTATIONS.length };
}

function scoreCorpus(parse: (s: string) => ParseResult, n: number, seed: number): number {
  let right = 0;
  for (const r of generateCorpus(n, seed)) {
    const p = parse(r.line);
    if (p.ok && p.timestamp === r.timestamp && isDeepStrictEqual(JSON.parse(JSON.stringify(p.fields)), JSON.parse(JSON.stringify(r.fields)))) right++;
  }
  return right;
}

// Floors of this machine, not parsers: what any JS parser that looks at every field must pay
// at least. Neither checks a field, handles a quoted field or converts a number.
/** Every space-separated token as a string: one indexOf and one slice per token. */
function floorSplit(s: string): string[] {
  const out: string[] = [];
  const n = s.length;
  let p = 0;
  for (;;) {
    let e = s.indexOf(' ', p);
    if (e < 0) e = n;
    out.push(s.slice(p, e));
    if (e >= n) return out;
    p = e + 1;
  }
}

/** Only where the tokens end: one indexOf per token, no strings made. */
function floorScan(s: string): number {
  let count = 0;
  for (let p = 0; ; count++) {
    const e = s.indexOf(' ', p);
    if (e < 0) return count + 1;
    p = e + 1;
  }
}

const SLICE = 1000;
const rate = (lines: number, ns: number): string => `${((lines * 1e9) / ns / 1e6).toFixed(2)}M lines/s`;
const per = (lines: number, ns: number): string => `${(ns / lines).toFixed(0)} ns/line`;

export async function bench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      lines: { type: 'string', default: '1000000' },
      rounds: { type: 'string', default: '5' },
      block: { type: 'string', default: '100000' },
      seed: { type: 'string', default: '1' },
      'adversarial-bytes': { type: 'string', default: String(DEFAULT_MAX_LINE_BYTES - 2048) },
    },
  });
  const total = Number(values.lines);
  const rounds = Number(values.rounds);
  const blockSize = Number(values.block);
  const seed = Number(values.seed);

  process.stdout.write(`corpus: ${total} lines (generated once, cached in .cache/bench)...\n`);
  const blocks = corpusBlocks(total, blockSize, seed);
  const bytes = blocks.reduce((n, b) => n + b.length, 0);
  process.stdout.write(`corpus: ${total} lines, ${(bytes / 1e6).toFixed(0)} MB, ${(bytes / total).toFixed(0)} bytes/line; ${rounds} rounds\n\n`);

  // Warm-up: the parsers, the floors and the builder reach optimized code before anything is timed.
  {
    const raws = splitBlock(blocks[0]!).slice(0, 20_000);
    const texts = raws.map((r) => r.bytes.toString('latin1'));
    for (let i = 0; i < 3; i++) {
      for (const t of texts) parseAccessLogLine(t);
      for (const t of texts) athenaParse(t);
      for (const t of texts) floorSplit(t);
      for (const t of texts) floorScan(t);
      for (const r of raws) buildEvent(r, { logBucket: 'logs', filePath: 'bench' });
    }
  }

  const results: Record<'ours' | 'athena' | 'split' | 'scan' | 'build' | 'decode', Timing[]> = {
    ours: [],
    athena: [],
    split: [],
    scan: [],
    build: [],
    decode: [],
  };
  const ctx = { logBucket: 'logs', filePath: 'bench' };
  let sink = 0;
  for (let round = 0; round < rounds; round++) {
    const acc = {
      ours: { cpuNs: 0, wallNs: 0 },
      athena: { cpuNs: 0, wallNs: 0 },
      split: { cpuNs: 0, wallNs: 0 },
      scan: { cpuNs: 0, wallNs: 0 },
      build: { cpuNs: 0, wallNs: 0 },
      decode: { cpuNs: 0, wallNs: 0 },
    };
    const add = (k: keyof typeof acc, t: Timing): void => {
      acc[k].cpuNs += t.cpuNs;
      acc[k].wallNs += t.wallNs;
    };
    for (const [b, block] of blocks.entries()) {
      const raws = splitBlock(block);
      // Each parser runs over the whole block in turn, so the scavenges its garbage triggers are
      // charged to it, not to the other. Slices of SLICE lines are decoded into strings just
      // before they are parsed, as the worker does, so the parsers read lines that are in cache.
      const phase = (k: 'ours' | 'athena' | 'split' | 'scan'): void => {
        for (let at = 0; at < raws.length; at += SLICE) {
          const t = raws.slice(at, at + SLICE).map((r) => Buffer.from(r.bytes).toString('latin1'));
          // One loop each, not one call through a variable: each gets a monomorphic call site.
          const loops = {
            ours: () => {
              for (const x of t) if (parseAccessLogLine(x).ok) sink++;
            },
            athena: () => {
              for (const x of t) if (athenaParse(x).ok) sink++;
            },
            split: () => {
              for (const x of t) sink += floorSplit(x).length;
            },
            scan: () => {
              for (const x of t) sink += floorScan(x);
            },
          };
          add(k, time(loops[k]));
        }
      };
      // Alternate which runs first, so drift in machine load hits both alike.
      if ((round + b) % 2 === 0) {
        phase('ours');
        phase('athena');
      } else {
        phase('athena');
        phase('ours');
      }
      phase('split');
      phase('scan');
      for (let at = 0; at < raws.length; at += SLICE) {
        const r = raws.slice(at, at + SLICE);
        add(
          'build',
          time(() => {
            for (const x of r) if (buildEvent(x, ctx).ok) sink++;
          }),
        );
      }
      add(
        'decode',
        await timeAsync(async () => {
          for await (const batch of decodeLines(chunks(block, 64 * 1024))) sink += batch.length;
        }),
      );
    }
    for (const k of Object.keys(acc) as (keyof typeof acc)[]) results[k].push(acc[k]);
    process.stdout.write(
      `round ${round + 1}: parser ${per(total, acc.ours.cpuNs)}, Athena ${per(total, acc.athena.cpuNs)}, floors ${per(total, acc.split.cpuNs)} / ${per(total, acc.scan.cpuNs)}, buildEvent ${per(total, acc.build.cpuNs)}, decodeLines ${per(total, acc.decode.cpuNs)}\n`,
    );
  }

  const m = (k: keyof typeof results, f: 'cpuNs' | 'wallNs'): number => median(results[k].map((t) => t[f]));
  const ratio = median(results.ours.map((t, i) => results.athena[i]!.cpuNs / t.cpuNs));
  const ratioWall = median(results.ours.map((t, i) => results.athena[i]!.wallNs / t.wallNs));
  const ours = scoreSamples(parseAccessLogLine);
  const athena = scoreSamples(athenaParse);
  const corpusCheck = 20_000;
  const oursCorpus = scoreCorpus(parseAccessLogLine, corpusCheck, seed + 7);
  const athenaCorpus = scoreCorpus(athenaParse, corpusCheck, seed + 7);

  const rows: [string, string, string, string][] = [
    ['parser (parse only, text → record)', rate(total, m('ours', 'cpuNs')), per(total, m('ours', 'cpuNs')), rate(total, m('ours', 'wallNs'))],
    ['Athena regex → same records', rate(total, m('athena', 'cpuNs')), per(total, m('athena', 'cpuNs')), rate(total, m('athena', 'wallNs'))],
    ['floor: indexOf + slice per token', rate(total, m('split', 'cpuNs')), per(total, m('split', 'cpuNs')), rate(total, m('split', 'wallNs'))],
    ['floor: indexOf per token, no strings', rate(total, m('scan', 'cpuNs')), per(total, m('scan', 'cpuNs')), rate(total, m('scan', 'wallNs'))],
    ['buildEvent (bytes → event, 2× sha256)', rate(total, m('build', 'cpuNs')), per(total, m('build', 'cpuNs')), rate(total, m('build', 'wallNs'))],
    ['decodeLines (64 KiB chunks → lines)', rate(total, m('decode', 'cpuNs')), per(total, m('decode', 'cpuNs')), rate(total, m('decode', 'wallNs'))],
  ];
  process.stdout.write(`\nmedian of ${rounds} rounds, ${total} lines                 CPU time               per line        wall time\n`);
  for (const [name, a, b, c] of rows) process.stdout.write(`  ${name.padEnd(42)} ${a.padStart(16)} ${b.padStart(16)} ${c.padStart(16)}\n`);
  process.stdout.write(`\n  ratio parser / Athena regex (CPU): ${ratio.toFixed(2)}×   (wall: ${ratioWall.toFixed(2)}×)\n`);
  process.stdout.write(`  sample lines right (of ${ours.total}): parser ${ours.right}, Athena regex ${athena.right}\n`);
  process.stdout.write(`  generated lines right (of ${corpusCheck}): parser ${oursCorpus}, Athena regex ${athenaCorpus}\n`);
  worstCase(
    splitBlock(blocks[0]!)
      .slice(0, 2000)
      .map((r) => r.bytes.toString('latin1')),
    Number(values['adversarial-bytes']),
  );
  if (sink === -1) process.stdout.write('\n');
}

/** Adversarial lines against normal ones, per character: a parser that is not linear shows here. */
function worstCase(normalLines: string[], bytes: number): void {
  const minChars = 1 << 20;
  const normal = nsPerChar(parseAccessLogLine, normalLines, 4 * minChars, 5);
  process.stdout.write(`\nworst case: adversarial lines of about ${bytes} bytes against normal ones (${normal.toFixed(2)} ns/char), CPU time, best of 3\n`);
  let worst = { ratio: 0, what: '' };
  const run = (what: string, line: string, print: boolean): void => {
    const w0 = process.hrtime.bigint();
    const r = parseAccessLogLine(line);
    const firstMs = Number(process.hrtime.bigint() - w0) / 1e6;
    const ns = nsPerChar(parseAccessLogLine, [line], minChars, 3);
    const ratio = ns / normal;
    if (ratio > worst.ratio) worst = { ratio, what: `${what}, ${line.length} chars` };
    if (print)
      process.stdout.write(
        `  ${what.padEnd(42)} ${String(line.length).padStart(8)} chars ${ns.toFixed(2).padStart(9)} ns/char ${ratio.toFixed(1).padStart(9)}×  first parse ${firstMs.toFixed(1)} ms  ${r.ok ? 'event' : r.reason}\n`,
      );
  };
  for (const shape of SHAPE_NAMES) run(shape, SHAPES[shape](bytes), true);
  const shapesWorst = worst;
  for (const place of PLACES) for (const piece of PIECES) run(`${place}: ${JSON.stringify(piece)}`, repeatedLine(place, [piece], bytes), false);
  process.stdout.write(`  ${PLACES.length * PIECES.length} more: each filler piece repeated in each field; worst of them and all:\n`);
  process.stdout.write(
    `  worst case: ${worst.ratio.toFixed(1)}× a normal line per character (${worst.what})${worst === shapesWorst ? '' : `; of the known shapes ${shapesWorst.ratio.toFixed(1)}×`}\n`,
  );
}
