import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { Tokenizer, TokenParser, TokenType, type ParsedTokenInfo } from '@streamparser/json';

/**
 * Streams one CloudTrail log file (gzip JSON `{"Records":[...]}`, usually one line) record by
 * record in bounded memory. The @streamparser/json tokenizer reads the bytes; a fresh TokenParser
 * builds each element of `Records` alone, so memory holds one record, never the file. A record
 * over the size cap is dropped while it is read (its parser is let go) and the file goes on at the
 * next element. The structure around the records is followed here, token by token: anything that
 * is not an object with a `Records` array ends the file as one reasoned entry.
 */

export type CloudTrailFileReason =
  | 'ct_truncated_gzip'
  | 'ct_invalid_json'
  | 'ct_records_not_array'
  | 'ct_records_missing'
  | 'ct_record_too_large'
  | 'ct_token_too_large'
  | 'ct_record_not_object';

export type CloudTrailItem =
  /** index: 1-based position in Records; bytes: the record's size in the file. */
  | { readonly kind: 'record'; readonly index: number; readonly value: Record<string, unknown>; readonly bytes: number }
  /** A Records element that is refused (too large, not an object); the file goes on. */
  | { readonly kind: 'bad_record'; readonly index: number; readonly reason: CloudTrailFileReason; readonly bytes: number; readonly detail: string }
  /** The rest of the file cannot be read (after `index` records): one entry stands for it. */
  | { readonly kind: 'file_error'; readonly index: number; readonly reason: CloudTrailFileReason; readonly detail: string };

export interface CloudTrailFileStats {
  /** Elements of Records seen (records and bad records). */
  readonly elements: number;
  readonly gzip: boolean;
  /** Decompressed bytes read. */
  readonly bytes: number;
}

export interface CloudTrailReadOptions {
  readonly maxRecordBytes: number;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** The decompressed bytes (plain JSON passes through), with zlib errors marked as such. */
async function* decompressed(body: AsyncIterable<Uint8Array>, onGzip: (gzip: boolean) => void): AsyncGenerator<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  let first = await it.next();
  while (first.done !== true && first.value.byteLength === 0) first = await it.next();
  if (first.done === true) return;
  const head = first.value;
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => {
      let sentHead = false;
      return {
        next: async (): Promise<IteratorResult<Uint8Array>> => {
          if (!sentHead) {
            sentHead = true;
            return { done: false, value: head };
          }
          return it.next();
        },
        return: async (): Promise<IteratorResult<Uint8Array>> => {
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
  const gzip = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  onGzip(gzip);
  if (!gzip) {
    yield* rest;
    return;
  }
  const source = Readable.from(rest, { objectMode: false });
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}

function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** A single token may be this many times CLOUDTRAIL_MAX_RECORD_BYTES: a record with such a token is over the record cap anyway. */
const TOKEN_CAP_RECORDS = 4;

/** Yields the items each chunk completes; returns the file's stats. Read errors of the body (S3) are thrown. */
export async function* readCloudTrailFile(body: AsyncIterable<Uint8Array>, opts: CloudTrailReadOptions): AsyncGenerator<CloudTrailItem[], CloudTrailFileStats> {
  let gzip = false;
  let bytes = 0;
  let out: CloudTrailItem[] = [];
  let index = 0;
  // Structure: depth 0 outside the root, 1 inside the root object, 2 inside Records.
  let depth = 0;
  let rootDone = false;
  let recordsSeen = false;
  let inRecords = false;
  let expectKey = false;
  let key: string | undefined;
  // The element of Records being read.
  let element: { start: number; parser: TokenParser | undefined; value: unknown; object: boolean } | undefined;
  let failed: CloudTrailItem | undefined;
  // Nesting inside a top-level member other than Records.
  let skipDepth = 0;
  // The tokenizer holds a string or number token whole until it ends, so one huge token (or a gap between
  // tokens that never closes) would grow memory with the file. Bytes since the last token are capped instead;
  // past the cap nothing after can be resynchronised, so the rest of the file is one quarantine entry.
  const maxTokenBytes = opts.maxRecordBytes * TOKEN_CAP_RECORDS;
  let lastTokenOffset = -1;

  const fail = (reason: CloudTrailFileReason, detail: string): void => {
    failed ??= { kind: 'file_error', index, reason, detail };
  };

  const startElement = (t: ParsedTokenInfo): void => {
    index += 1;
    if (t.token === TokenType.LEFT_BRACE) {
      const parser = new TokenParser();
      const el: NonNullable<typeof element> = { start: t.offset, parser, value: undefined, object: true };
      parser.onValue = ({ value, stack }) => {
        if (stack.length === 0) el.value = value;
      };
      parser.write(t);
      element = el;
      depth = 3;
    } else if (t.token === TokenType.LEFT_BRACKET) {
      element = { start: t.offset, parser: undefined, value: undefined, object: false };
      depth = 3;
    } else {
      out.push({
        kind: 'bad_record',
        index,
        reason: 'ct_record_not_object',
        bytes: String(t.value).length,
        detail: `Records[${index - 1}] is a ${typeof t.value}`,
      });
    }
  };

  const endElement = (t: ParsedTokenInfo): void => {
    const el = element!;
    element = undefined;
    const size = t.offset + 1 - el.start;
    if (!el.object) {
      out.push({ kind: 'bad_record', index, reason: 'ct_record_not_object', bytes: size, detail: `Records[${index - 1}] is an array` });
    } else if (el.parser === undefined || size > opts.maxRecordBytes) {
      out.push({
        kind: 'bad_record',
        index,
        reason: 'ct_record_too_large',
        bytes: size,
        detail: `Records[${index - 1}] is ${size} bytes, over the cap of ${opts.maxRecordBytes}`,
      });
    } else {
      el.parser.write(t);
      out.push({ kind: 'record', index, value: el.value as Record<string, unknown>, bytes: size });
    }
  };

  const tokenizer = new Tokenizer();
  tokenizer.onToken = (t: ParsedTokenInfo): void => {
    lastTokenOffset = t.offset;
    if (failed !== undefined) return;
    const open = t.token === TokenType.LEFT_BRACE || t.token === TokenType.LEFT_BRACKET;
    const close = t.token === TokenType.RIGHT_BRACE || t.token === TokenType.RIGHT_BRACKET;
    if (rootDone) return fail('ct_invalid_json', `data after the top-level object at byte ${t.offset}`);
    if (depth === 0) {
      if (t.token !== TokenType.LEFT_BRACE) return fail('ct_records_not_array', 'the top level is not a JSON object');
      depth = 1;
      expectKey = true;
      return;
    }
    if (depth >= 3) {
      // Inside an element of Records.
      const el = element!;
      if (el.parser !== undefined) {
        if (t.offset - el.start > opts.maxRecordBytes) el.parser = undefined;
        else if (!(close && depth === 3)) el.parser.write(t);
      }
      if (open) depth += 1;
      else if (close) {
        depth -= 1;
        if (depth === 2) endElement(t);
      }
      return;
    }
    if (depth === 2 && inRecords) {
      if (t.token === TokenType.COMMA) return;
      if (t.token === TokenType.RIGHT_BRACKET) {
        inRecords = false;
        depth = 1;
        return;
      }
      startElement(t);
      return;
    }
    if (depth === 2) {
      // Inside another top-level value (not Records): followed, not kept.
      if (open) skipDepth += 1;
      else if (close) {
        if (skipDepth === 0) depth = 1;
        else skipDepth -= 1;
      }
      return;
    }
    // depth 1: the root object's members.
    if (expectKey) {
      if (t.token === TokenType.RIGHT_BRACE) {
        depth = 0;
        rootDone = true;
        return;
      }
      key = String(t.value);
      expectKey = false;
      return;
    }
    if (t.token === TokenType.COLON) return;
    if (t.token === TokenType.COMMA) {
      expectKey = true;
      return;
    }
    if (t.token === TokenType.RIGHT_BRACE) {
      depth = 0;
      rootDone = true;
      return;
    }
    if (key === 'Records') {
      if (t.token !== TokenType.LEFT_BRACKET) return fail('ct_records_not_array', '`Records` is not an array');
      recordsSeen = true;
      inRecords = true;
      depth = 2;
      return;
    }
    if (open) {
      depth = 2;
      skipDepth = 0;
    }
  };
  tokenizer.onError = (err: Error): void => {
    fail('ct_invalid_json', err.message.slice(0, 300));
  };
  tokenizer.onEnd = (): void => undefined;

  try {
    for await (const chunk of decompressed(body, (g) => (gzip = g))) {
      bytes += chunk.byteLength;
      if (failed === undefined && !tokenizer.isEnded) tokenizer.write(chunk);
      if (failed === undefined && bytes - 1 - lastTokenOffset > maxTokenBytes) {
        fail('ct_token_too_large', `no JSON token ends between byte ${lastTokenOffset + 1} and byte ${bytes}, over the cap of ${maxTokenBytes}`);
      }
      if (out.length > 0) {
        yield out;
        out = [];
      }
      if (failed !== undefined) break;
    }
  } catch (err) {
    if (!isZlibError(err)) throw err;
    fail('ct_truncated_gzip', `gzip: ${(err as Error).message}`);
  }
  if (failed === undefined) {
    if (!rootDone) {
      if (depth === 0 && bytes === 0) fail('ct_records_missing', 'the file is empty');
      else fail('ct_invalid_json', 'the JSON ends before the top-level object closes');
    } else if (!recordsSeen) fail('ct_records_missing', 'the top-level object has no `Records`');
  }
  if (failed !== undefined) out.push(failed);
  if (out.length > 0) yield out;
  return { elements: index, gzip, bytes };
}
