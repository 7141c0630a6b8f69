import { createHash, type Hash } from 'node:crypto';
import { createGunzip, type Gunzip } from 'node:zlib';
import { AuditError, isAuditError } from '../core/errors.js';

/** One physical line of a log object, as bytes: the evidence the event hash is computed over. */
export interface RawLine {
  /** 1-based physical line number in the object, counting blank lines. */
  readonly number: number;
  /**
   * Raw bytes without the line terminator (the CR of a CRLF is removed). For an over-long line,
   * only its first `maxLineBytes` bytes (see `truncated`).
   */
  readonly bytes: Buffer;
  /** Present when the line was longer than `maxLineBytes`: it was not buffered, only hashed. */
  readonly truncated?: LineOverflow;
}

export interface LineOverflow {
  /** Length of the whole line in bytes, without its terminator. */
  readonly totalBytes: number;
  /** sha256 of the whole line's bytes, hex: the same value event.hash would have had. */
  readonly sha256: string;
}

export interface DecodeStats {
  /** Non-blank lines yielded. */
  lines: number;
  /** Empty lines (zero bytes once a trailing CR is removed): counted, not yielded. */
  blank: number;
  /** Bytes read from the source (compressed bytes for gzip). */
  bytesIn: number;
  /** Bytes after decompression (equal to bytesIn for plain text). */
  bytesOut: number;
  gzip: boolean;
}

export interface DecodeOptions {
  /** Longest line kept in memory; longer lines are yielded truncated and flagged. Default 1 MiB. */
  maxLineBytes?: number;
  /** Most lines per yielded batch. Default 2048. */
  batchLines?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const DEFAULT_BATCH_LINES = 2048;
const LF = 0x0a;
const CR = 0x0d;

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Splits a byte stream into lines with bounded memory: a partial line is carried across chunks
 * only up to maxLineBytes (+1 for a CR); beyond that the rest of the line is streamed through a
 * hash and only a preview is kept.
 */
class LineSplitter {
  private lineNo = 0;
  private carry: Buffer[] = [];
  private carryLen = 0;
  private hash: Hash | undefined;
  private preview: Buffer | undefined;
  private hashedLen = 0;
  private heldCr = false;
  lines = 0;
  blank = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Splits chunk[start..] into out until maxLines are collected; returns where it stopped. */
  push(chunk: Buffer, start: number, out: RawLine[], maxLines: number): number {
    let pos = start;
    while (out.length < maxLines) {
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) {
        this.append(chunk.subarray(pos));
        return chunk.length;
      }
      if (this.carryLen === 0 && this.hash === undefined) this.emitWhole(chunk.subarray(pos, nl), out);
      else {
        this.append(chunk.subarray(pos, nl));
        this.emitAssembled(out);
      }
      pos = nl + 1;
    }
    return pos;
  }

  /** At end of input: a last line without a terminator is still a line. */
  finish(out: RawLine[]): void {
    if (this.carryLen > 0 || this.hash !== undefined) this.emitAssembled(out);
  }

  private emitWhole(line: Buffer, out: RawLine[]): void {
    const len = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    const number = ++this.lineNo;
    if (len === 0) {
      this.blank++;
      return;
    }
    this.emitLine(number, line.subarray(0, len), out);
  }

  /**
   * A whole non-blank line, truncated when over the cap. The carry may hold the cap plus one byte
   * (room for a CR), so an assembled line is checked here too: a line's fate must not depend on
   * where the chunks of its object happened to be cut.
   */
  private emitLine(number: number, body: Buffer, out: RawLine[]): void {
    this.lines++;
    if (body.length <= this.maxLineBytes) {
      out.push({ number, bytes: body });
      return;
    }
    out.push({
      number,
      bytes: Buffer.from(body.subarray(0, this.maxLineBytes)),
      truncated: { totalBytes: body.length, sha256: createHash('sha256').update(body).digest('hex') },
    });
  }

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.hash !== undefined) {
      this.feedHash(piece);
      return;
    }
    // A copy: the source may reuse its buffer once the chunk is consumed.
    this.carry.push(Buffer.from(piece));
    this.carryLen += piece.length;
    if (this.carryLen > this.maxLineBytes + 1) {
      const joined = Buffer.concat(this.carry, this.carryLen);
      this.carry = [];
      this.carryLen = 0;
      this.hash = createHash('sha256');
      this.preview = Buffer.from(joined.subarray(0, this.maxLineBytes));
      this.hashedLen = 0;
      this.heldCr = false;
      this.feedHash(joined);
    }
  }

  // A trailing CR is held back: it is dropped if the line ends right after it (CRLF).
  private feedHash(piece: Buffer): void {
    const hash = this.hash!;
    if (this.heldCr) {
      hash.update(Buffer.of(CR));
      this.hashedLen++;
      this.heldCr = false;
    }
    let body = piece;
    if (body[body.length - 1] === CR) {
      body = body.subarray(0, body.length - 1);
      this.heldCr = true;
    }
    hash.update(body);
    this.hashedLen += body.length;
  }

  private emitAssembled(out: RawLine[]): void {
    const number = ++this.lineNo;
    if (this.hash !== undefined) {
      const truncated = { totalBytes: this.hashedLen, sha256: this.hash.digest('hex') };
      const bytes = this.preview!;
      this.hash = undefined;
      this.preview = undefined;
      this.heldCr = false;
      this.lines++;
      out.push({ number, bytes, truncated });
      return;
    }
    let line = this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry, this.carryLen);
    this.carry = [];
    this.carryLen = 0;
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length === 0) {
      this.blank++;
      return;
    }
    this.emitLine(number, line, out);
  }
}

/** Reads until at least two bytes are known (or the source ends), to sniff the gzip magic. */
async function sniff(it: AsyncIterator<Uint8Array>): Promise<{ head: Buffer[]; done: boolean; gzip: boolean; bytes: number }> {
  const head: Buffer[] = [];
  let bytes = 0;
  while (bytes < 2) {
    const next = await it.next();
    if (next.done === true) return { head, done: true, gzip: false, bytes };
    const chunk = asBuffer(next.value);
    if (chunk.length === 0) continue;
    head.push(chunk);
    bytes += chunk.length;
  }
  const first = head[0]!;
  const b0 = first[0];
  const b1 = first.length > 1 ? first[1] : head[1]![0];
  return { head, done: false, gzip: b0 === 0x1f && b1 === 0x8b, bytes };
}

function waitWritable(gunzip: Gunzip): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      gunzip.off('drain', done);
      gunzip.off('close', done);
      resolve();
    };
    gunzip.on('drain', done);
    gunzip.on('close', done);
  });
}

/**
 * Inflates a gzip stream (several concatenated members included, as `gzip` and S3 produce them).
 * A source error is rethrown as is (it may be transient); an inflate error means the object is
 * truncated or corrupt and becomes OBJECT_TRUNCATED after everything inflated so far was yielded.
 */
async function* gunzipChunks(head: Buffer[], rest: AsyncIterator<Uint8Array>, onIn: (n: number) => void): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  let sourceFailed = false;
  let sourceError: unknown;
  let fed = false;
  // zlib stops at a zero byte after a member (zero padding) and ignores the rest of the input,
  // which may be a further member: where the last non-zero byte was tells whether it was padding.
  let fedBytes = 0;
  let lastNonZero = -1;
  const write = (chunk: Buffer): boolean => {
    let i = chunk.length - 1;
    while (i >= 0 && chunk[i] === 0) i--;
    if (i >= 0) lastNonZero = fedBytes + i;
    fedBytes += chunk.length;
    return gunzip.write(chunk);
  };
  const feed = async (): Promise<void> => {
    try {
      for (const chunk of head) {
        if (!write(chunk)) await waitWritable(gunzip);
      }
      for (;;) {
        if (gunzip.destroyed) return;
        const next = await rest.next();
        if (next.done === true) break;
        const chunk = asBuffer(next.value);
        onIn(chunk.length);
        if (!write(chunk)) await waitWritable(gunzip);
      }
      fed = true;
      gunzip.end();
    } catch (err) {
      // Inflate what arrived, so the lines before the failure are yielded like for plain text;
      // the source's own error is thrown after them.
      sourceFailed = true;
      sourceError = err;
      if (!gunzip.destroyed) gunzip.end();
    }
  };
  // Runs beside the reader; it catches everything it throws.
  void feed();
  try {
    for await (const out of gunzip as AsyncIterable<Buffer>) yield out;
    if (sourceFailed) throw sourceError;
    if (gunzip.bytesWritten <= lastNonZero) {
      throw new AuditError('OBJECT_TRUNCATED', `Gzip stream has data after zero padding that was not read (byte ${gunzip.bytesWritten} of ${fedBytes}).`, {
        retryable: false,
      });
    }
  } catch (err) {
    if (sourceFailed) throw sourceError;
    if (isAuditError(err)) throw err;
    const code = (err as { code?: unknown }).code;
    throw new AuditError('OBJECT_TRUNCATED', `Gzip stream is truncated or corrupt: ${(err as Error).message}.`, {
      cause: err,
      retryable: false,
      details: { zlibCode: typeof code === 'string' ? code : undefined },
    });
  } finally {
    gunzip.destroy();
    // Stopped early or failed: release the source (an S3 body holds a pooled connection). Not
    // awaited: a stalled source must not hold up the caller.
    if (!fed && !sourceFailed) rest.return?.().catch(() => undefined);
  }
}

async function* plainChunks(head: Buffer[], rest: AsyncIterator<Uint8Array>, done: boolean, onIn: (n: number) => void): AsyncGenerator<Buffer> {
  yield* head;
  if (done) return;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    const chunk = asBuffer(next.value);
    onIn(chunk.length);
    yield chunk;
  }
}

/**
 * Streams a log object as batches of raw lines. Plain text or gzip (detected by its magic bytes,
 * not the key name); memory stays bounded whatever the object or line size. Blank lines are
 * counted, not yielded. Returns the counts when the source is exhausted.
 *
 * A truncated or corrupt gzip stream yields every complete line inflated before the damage, then
 * throws AuditError OBJECT_TRUNCATED: never a silently short object. A source error is rethrown
 * as is, also after the complete lines before it.
 */
export async function* decodeLines(source: AsyncIterable<Uint8Array>, options: DecodeOptions = {}): AsyncGenerator<RawLine[], DecodeStats> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const batchLines = options.batchLines ?? DEFAULT_BATCH_LINES;
  if (!(maxLineBytes >= 1) || !(batchLines >= 1)) throw new RangeError('maxLineBytes and batchLines must be at least 1.');
  const it = source[Symbol.asyncIterator]();
  const stats: DecodeStats = { lines: 0, blank: 0, bytesIn: 0, bytesOut: 0, gzip: false };
  const onIn = (n: number): void => {
    stats.bytesIn += n;
  };
  let finished = false;
  try {
    const sniffed = await sniff(it);
    stats.bytesIn = sniffed.bytes;
    stats.gzip = sniffed.gzip;
    const chunks = sniffed.gzip ? gunzipChunks(sniffed.head, it, onIn) : plainChunks(sniffed.head, it, sniffed.done, onIn);
    const splitter = new LineSplitter(maxLineBytes);
    const sync = (): void => {
      stats.lines = splitter.lines;
      stats.blank = splitter.blank;
    };
    try {
      for await (const chunk of chunks) {
        stats.bytesOut += chunk.length;
        let pos = 0;
        while (pos < chunk.length) {
          const out: RawLine[] = [];
          pos = splitter.push(chunk, pos, out, batchLines);
          if (out.length > 0) {
            sync();
            yield out;
          }
        }
      }
    } catch (err) {
      // Every complete line before the failure was yielded. The unterminated rest is not: cut
      // short, it could still parse as a valid (older, shorter) record and be indexed wrongly.
      sync();
      throw err;
    }
    const out: RawLine[] = [];
    splitter.finish(out);
    sync();
    if (out.length > 0) yield out;
    finished = true;
    return stats;
  } finally {
    // Early return or failure: release the source (an S3 body holds a pooled connection).
    if (!finished && !stats.gzip) await it.return?.();
  }
}
