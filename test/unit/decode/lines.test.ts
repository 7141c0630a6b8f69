import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isAuditError } from '../../../src/core/errors.js';
import { decodeLines, type DecodeOptions, type DecodeStats, type RawLine } from '../../../src/decode/lines.js';

// Sources yield from the event loop, as network streams do.
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function* chunked(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) {
    if (i % (size * 64) === 0) await tick();
    yield data.subarray(i, Math.min(i + size, data.length));
  }
}

async function* fromChunks(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) {
    await tick();
    yield c;
  }
}

interface Decoded {
  lines: RawLine[];
  stats: DecodeStats;
}

async function decodeAll(source: AsyncIterable<Uint8Array>, options?: DecodeOptions): Promise<Decoded> {
  const gen = decodeLines(source, options);
  const lines: RawLine[] = [];
  for (;;) {
    const next = await gen.next();
    if (next.done === true) return { lines, stats: next.value };
    lines.push(...next.value);
  }
}

/** Lines read before the generator threw, and what it threw. */
async function decodeUntilError(source: AsyncIterable<Uint8Array>): Promise<{ lines: RawLine[]; error: unknown }> {
  const lines: RawLine[] = [];
  try {
    for await (const batch of decodeLines(source)) lines.push(...batch);
  } catch (error) {
    return { lines, error };
  }
  return { lines, error: undefined };
}

const text = (lines: RawLine[]): string[] => lines.map((l) => l.bytes.toString('latin1'));
const numbers = (lines: RawLine[]): number[] => lines.map((l) => l.number);

describe('decodeLines', () => {
  it('splits plain text into numbered lines and counts blank lines', async () => {
    const { lines, stats } = await decodeAll(chunked(Buffer.from('a\n\nb\n\n\nc\n'), 1024));
    expect(text(lines)).toEqual(['a', 'b', 'c']);
    expect(numbers(lines)).toEqual([1, 3, 6]);
    expect(stats).toEqual({ lines: 3, blank: 3, bytesIn: 9, bytesOut: 9, gzip: false });
  });

  it('removes the CR of CRLF only, and keeps a last line without a newline', async () => {
    const { lines, stats } = await decodeAll(chunked(Buffer.from('a\r\nb\rc\r\n\r\nlast'), 1024));
    expect(text(lines)).toEqual(['a', 'b\rc', 'last']);
    expect(numbers(lines)).toEqual([1, 2, 4]);
    expect(stats.blank).toBe(1);
  });

  it('gives the same lines whatever the chunk boundaries, byte by byte included', async () => {
    const data = Buffer.from('first line\r\nsecond\n\nthird line is longer\r\n\r\nno newline at end');
    const expected = await decodeAll(chunked(data, data.length));
    for (const size of [1, 2, 3, 5, 7, 13]) {
      const got = await decodeAll(chunked(data, size));
      expect(text(got.lines)).toEqual(text(expected.lines));
      expect(numbers(got.lines)).toEqual(numbers(expected.lines));
      expect(got.stats).toEqual(expected.stats);
    }
  });

  it('skips empty chunks', async () => {
    const { lines } = await decodeAll(fromChunks([Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(0), Buffer.from('y\nz'), Buffer.alloc(0)]));
    expect(text(lines)).toEqual(['xy', 'z']);
  });

  it('an empty object has no lines', async () => {
    expect((await decodeAll(fromChunks([]))).stats).toEqual({ lines: 0, blank: 0, bytesIn: 0, bytesOut: 0, gzip: false });
    expect((await decodeAll(fromChunks([Buffer.from('\n')]))).stats).toMatchObject({ lines: 0, blank: 1 });
  });

  it('keeps invalid UTF-8 and every other byte raw', async () => {
    const bytes = Buffer.from([0x61, 0xff, 0xfe, 0x00, 0x1b, 0x5b, 0xc3, 0x28, 0x0a, 0xe2, 0x82]);
    const { lines } = await decodeAll(chunked(bytes, 3));
    expect(lines.map((l) => [...l.bytes])).toEqual([
      [0x61, 0xff, 0xfe, 0x00, 0x1b, 0x5b, 0xc3, 0x28],
      [0xe2, 0x82],
    ]);
  });

  it('detects gzip by its magic bytes, even when the first chunk holds one byte', async () => {
    const plain = Buffer.from('one\ntwo\r\n\nthree');
    const gz = gzipSync(plain);
    for (const size of [1, 2, 4096]) {
      const { lines, stats } = await decodeAll(chunked(gz, size));
      expect(text(lines)).toEqual(['one', 'two', 'three']);
      expect(stats).toEqual({ lines: 3, blank: 1, bytesIn: gz.length, bytesOut: plain.length, gzip: true });
    }
  });

  it('reads every member of a multi-member gzip object', async () => {
    const gz = Buffer.concat([gzipSync('a\nb'), gzipSync('c\n'), gzipSync(''), gzipSync('d\n')]);
    const { lines } = await decodeAll(chunked(gz, 7));
    // Members are concatenated byte streams: "b" and "c" are one line.
    expect(text(lines)).toEqual(['a', 'bc', 'd']);
  });

  it('does not take a plain file that starts with 0x1f for gzip', async () => {
    const { lines, stats } = await decodeAll(chunked(Buffer.from([0x1f, 0x41, 0x0a]), 1));
    expect(stats.gzip).toBe(false);
    expect(lines.map((l) => [...l.bytes])).toEqual([[0x1f, 0x41]]);
  });

  it('yields the lines before the damage of a truncated gzip stream, then throws OBJECT_TRUNCATED', async () => {
    const body = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(50)}`).join('\n') + '\n';
    const gz = gzipSync(body);
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    const { lines, error } = await decodeUntilError(chunked(cut, 512));
    expect(isAuditError(error, 'OBJECT_TRUNCATED')).toBe(true);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(2001);
    // Only complete lines, exact copies, in order: a cut-off last line could parse as a shorter
    // record and must not be yielded.
    const originals = body.split('\n');
    lines.forEach((l, i) => {
      expect(l.number).toBe(i + 1);
      expect(l.bytes.toString()).toBe(originals[i]);
    });
  });

  it('throws OBJECT_TRUNCATED for a corrupt gzip stream and for trailing garbage', async () => {
    const gz = Buffer.from(gzipSync('hello\nworld\n'));
    gz[gz.length - 6]! ^= 0xff; // CRC
    expect(isAuditError((await decodeUntilError(chunked(gz, 4))).error, 'OBJECT_TRUNCATED')).toBe(true);
    const garbage = Buffer.concat([gzipSync('a\n'), Buffer.from('not gzip')]);
    expect(isAuditError((await decodeUntilError(chunked(garbage, 4))).error, 'OBJECT_TRUNCATED')).toBe(true);
    expect(isAuditError((await decodeUntilError(fromChunks([Buffer.from([0x1f, 0x8b])]))).error, 'OBJECT_TRUNCATED')).toBe(true);
  });

  it('a member after a zero byte is not silently dropped; trailing zero padding alone is fine', async () => {
    const hidden = Buffer.concat([gzipSync('a\n'), Buffer.of(0), gzipSync('b\nc\n')]);
    for (const size of [1, 4, 1000]) {
      const { lines, error } = await decodeUntilError(chunked(hidden, size));
      expect(isAuditError(error, 'OBJECT_TRUNCATED')).toBe(true);
      expect(text(lines)).toEqual(['a']);
    }
    const padded = Buffer.concat([gzipSync('a\n'), gzipSync('b\n'), Buffer.alloc(512)]);
    for (const size of [1, 7, 1000]) {
      const { lines, stats } = await decodeAll(chunked(padded, size));
      expect(text(lines)).toEqual(['a', 'b']);
      expect(stats.lines).toBe(2);
    }
  });

  it('passes a source error through unchanged (it may be transient), after the lines read', async () => {
    const boom = new Error('connection reset');
    async function* failing(gzip: boolean): AsyncGenerator<Uint8Array> {
      await tick();
      yield gzip ? gzipSync('a\nb\npartial') : Buffer.from('a\nb\npartial');
      throw boom;
    }
    for (const gzip of [false, true]) {
      const { lines, error } = await decodeUntilError(failing(gzip));
      expect(error).toBe(boom);
      expect(text(lines)).toEqual(['a', 'b']);
    }
  });

  it('truncates an over-long line to a preview, with the full-line hash, without buffering it', async () => {
    const long = Buffer.alloc(100_000, 0x41);
    const data = Buffer.concat([Buffer.from('short\n'), long, Buffer.from('\r\nafter\n')]);
    for (const size of [1000, 99_999, 200_000]) {
      const { lines, stats } = await decodeAll(chunked(data, size), { maxLineBytes: 1000 });
      expect(text(lines)).toEqual(['short', 'A'.repeat(1000), 'after']);
      expect(lines[1]!.truncated).toEqual({ totalBytes: 100_000, sha256: createHash('sha256').update(long).digest('hex') });
      expect(lines[0]!.truncated).toBeUndefined();
      expect(stats.lines).toBe(3);
    }
  });

  it('hashes an over-long line without its CRLF even when the CR ends a chunk', async () => {
    const body = Buffer.alloc(50, 0x42);
    const data = Buffer.concat([body, Buffer.from('\r\n')]);
    for (const size of [1, 3, 50, 51]) {
      const { lines } = await decodeAll(chunked(data, size), { maxLineBytes: 10 });
      expect(lines[0]!.truncated).toEqual({ totalBytes: 50, sha256: createHash('sha256').update(body).digest('hex') });
    }
    // A CR inside the line is content.
    const inner = Buffer.from('0123456789\rabcdefghij');
    const { lines } = await decodeAll(chunked(Buffer.concat([inner, Buffer.from('\n')]), 11), { maxLineBytes: 5 });
    expect(lines[0]!.truncated).toEqual({ totalBytes: inner.length, sha256: createHash('sha256').update(inner).digest('hex') });
  });

  it('a line of exactly maxLineBytes plus CRLF is not truncated', async () => {
    const { lines } = await decodeAll(chunked(Buffer.from('abcde\r\nx'), 1), { maxLineBytes: 5 });
    expect(text(lines)).toEqual(['abcde', 'x']);
    expect(lines[0]!.truncated).toBeUndefined();
  });

  it('a line one byte over the cap is truncated wherever the chunks are cut, last line included', async () => {
    const over = Buffer.from('ABCDEFGHI');
    const expected = { totalBytes: 9, sha256: createHash('sha256').update(over).digest('hex') };
    for (const data of [Buffer.from('ABCDEFGHI\nx\n'), Buffer.from('ABCDEFGHI\r\nx\n'), Buffer.from('x\nABCDEFGHI')]) {
      const outcomes = new Set<string>();
      for (let cut = 0; cut <= data.length; cut++) {
        for (const size of [1, 2, 3, 5]) {
          const rest = data.subarray(cut);
          const pieces = Array.from({ length: Math.ceil(rest.length / size) }, (_, i) => rest.subarray(i * size, (i + 1) * size));
          const { lines } = await decodeAll(fromChunks([data.subarray(0, cut), ...pieces]), { maxLineBytes: 8 });
          const line = lines.find((l) => l.bytes.toString('latin1').startsWith('ABCDEFGH'))!;
          expect(line.truncated).toEqual(expected);
          expect(line.bytes.toString('latin1')).toBe('ABCDEFGH');
          outcomes.add(JSON.stringify(lines.map((l) => [l.number, l.bytes.toString('latin1'), l.truncated?.sha256])));
        }
      }
      expect(outcomes.size).toBe(1);
    }
  });

  it('batches lines and never exceeds batchLines per batch', async () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => `l${i}`).join('\n'));
    const sizes: number[] = [];
    for await (const batch of decodeLines(chunked(data, 1 << 20), { batchLines: 64 })) sizes.push(batch.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it('keeps memory bounded for a huge line with no newline', async () => {
    async function* endless(): AsyncGenerator<Uint8Array> {
      const block = Buffer.alloc(1 << 20, 0x61);
      for (let i = 0; i < 64; i++) {
        await tick();
        yield block;
      }
    }
    const before = process.memoryUsage().arrayBuffers;
    const { lines } = await decodeAll(endless(), { maxLineBytes: 4096 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.bytes.length).toBe(4096);
    expect(lines[0]!.truncated?.totalBytes).toBe(64 << 20);
    // 64 MiB went through; far less than that was ever held.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 << 20);
  });

  it('releases the source when the consumer stops early', async () => {
    let returned = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; i < 1000; i++) {
          await tick();
          yield Buffer.from(`line ${i}\n`);
        }
      } finally {
        returned = true;
      }
    }
    for await (const batch of decodeLines(source())) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }
    expect(returned).toBe(true);
  });
});
