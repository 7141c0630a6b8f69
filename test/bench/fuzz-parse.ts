/**
 * npm run bench -- fuzz-parse [--lines 1000000] [--seed 1]
 *   (or: npx tsx test/bench/main.ts fuzz-parse ...)
 *
 * Random and mutated access-log lines through the parser and the event builder: every input must
 * come back as an event or a rejection with a known reason, never an exception; every event must
 * serialize and carry a 64-hex id. Then random byte streams, gzip or not, cut into random chunks,
 * through decodeLines: the lines it yields must be exactly the input's lines. Prints counts;
 * exits 1 on the first broken invariant. Not part of `npm test` (too slow); the unit suite runs
 * a bounded 20,000-line version.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { decodeLines } from '../../src/decode/lines.js';
import { parseAccessLogLine } from '../../src/decode/s3-access-log.js';
import { buildEvent } from '../../src/event/build.js';
import { generateCorpus, seededRandom } from '../fixtures/corpus.js';
import { mutateLine, randomLine, REJECT_REASONS } from '../fixtures/mutate.js';

const root = new URL('../../', import.meta.url);

function fail(message: string, input: Buffer): never {
  process.stderr.write(`FUZZ FAILURE: ${message}\ninput (base64): ${input.toString('base64')}\n`);
  process.exit(1);
}

async function* chunksOf(data: Buffer, rand: () => number): AsyncGenerator<Uint8Array> {
  let i = 0;
  while (i < data.length) {
    const n = 1 + Math.floor(rand() * (rand() < 0.5 ? 8 : 4096));
    await Promise.resolve();
    yield data.subarray(i, i + n);
    i += n;
  }
}

async function fuzzDecoder(objects: number, rand: () => number): Promise<number> {
  let lines = 0;
  for (let o = 0; o < objects; o++) {
    const parts: Buffer[] = [];
    const count = Math.floor(rand() * 50);
    for (let i = 0; i < count; i++) {
      parts.push(Buffer.from(randomLine(rand, 300).filter((b) => b !== 0x0a && b !== 0x0d)));
      parts.push(Buffer.from(rand() < 0.2 ? '\r\n' : rand() < 0.1 ? '\n\n' : '\n'));
    }
    const plain = Buffer.concat(parts);
    const expected = plain
      .toString('latin1')
      .split('\n')
      .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
      .filter((l) => l !== '');
    const data = rand() < 0.5 ? gzipSync(plain) : plain;
    const got: string[] = [];
    for await (const batch of decodeLines(chunksOf(data, rand), { maxLineBytes: 1 << 20 })) for (const l of batch) got.push(l.bytes.toString('latin1'));
    if (got.length !== expected.length || got.some((l, i) => l !== expected[i])) fail(`decoder returned other lines (object ${o})`, data);
    lines += got.length;
  }
  return lines;
}

export async function bench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { lines: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '1' }, objects: { type: 'string', default: '2000' } },
  });
  const total = Number(values.lines);
  const seed = Number(values.seed);
  const rand = seededRandom(seed);
  const samples = ['s3-access-real.log', 's3-access-edge-synthetic.log', 's3-access-real-malformed.log'].flatMap((f) =>
    readFileSync(new URL(`test/fixtures/samples/${f}`, root), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => Buffer.from(l)),
  );
  const corpus = generateCorpus(5000, seed).map((r) => Buffer.from(r.line));
  const ctx = { logBucket: 'fuzz-logs', filePath: 'fuzz' };
  const counts = { inputs: 0, events: 0, rejected: 0, random: 0, mutatedSamples: 0, mutatedCorpus: 0 };
  const byReason: Record<string, number> = {};
  const started = Date.now();
  for (let i = 0; i < total; i++) {
    const kind = rand();
    let input: Buffer;
    if (kind < 0.2) {
      input = randomLine(rand);
      counts.random++;
    } else if (kind < 0.6) {
      input = mutateLine(samples[Math.floor(rand() * samples.length)]!, rand);
      counts.mutatedSamples++;
    } else {
      input = mutateLine(corpus[Math.floor(rand() * corpus.length)]!, rand);
      counts.mutatedCorpus++;
    }
    counts.inputs++;
    // The parser itself has no safety net: an exception here is a bug.
    let parsed;
    try {
      parsed = parseAccessLogLine(input.toString('latin1'));
    } catch (err) {
      fail(`parser threw: ${err instanceof Error ? err.message : String(err)}`, input);
    }
    if (parsed.ok && (parsed.fields.field_count === undefined || parsed.fields.field_count < 17)) fail('record with fewer than 17 fields', input);
    const r = buildEvent({ number: i + 1, bytes: input }, ctx);
    if (r.ok) {
      counts.events++;
      if (!/^[0-9a-f]{64}$/.test(r.doc.id)) fail('bad id', input);
      if (Number.isNaN(Date.parse(r.doc.event['@timestamp']))) fail('bad @timestamp', input);
      JSON.stringify(r.doc.event);
    } else {
      counts.rejected++;
      if (!REJECT_REASONS.includes(r.rejection.reason)) fail(`unknown reason ${r.rejection.reason}`, input);
      if (r.rejection.detail.startsWith('internal parser error')) fail(r.rejection.detail, input);
      byReason[r.rejection.reason] = (byReason[r.rejection.reason] ?? 0) + 1;
    }
    if ((i + 1) % 200_000 === 0) process.stdout.write(`  ${i + 1} lines...\n`);
  }
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `lines: ${JSON.stringify(counts)}\nrejected by reason: ${JSON.stringify(byReason)}\n${total} lines in ${seconds.toFixed(1)} s, no exception\n`,
  );
  const objects = Number(values.objects);
  const decoded = await fuzzDecoder(objects, rand);
  process.stdout.write(`decoder: ${objects} random objects (plain/gzip, random chunking), ${decoded} lines, all exact\n`);
}
