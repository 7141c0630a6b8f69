import { DASH, DQ, SP, isArn, isCipherSuite, isHostIdToken, isLetters, isRegion, isSigVersion, isTlsVersion } from './field-shapes.js';
import type { RejectReason } from './reject-reason.js';

/**
 * Readers of the access log's fixed-shape fields: the six between Request-URI and Referer (status,
 * error code, sizes, times) and the unquoted ones after User-Agent. Their shapes are what tell
 * the parser where the quoted client-controlled fields end.
 */

/** Fields of the current format; anything after them is kept in `unknown_fields`. */
export const KNOWN_FIELD_COUNT = 27;
/** Records of every era have at least these (through User-Agent). */
export const MIN_FIELD_COUNT = 17;
const TAIL_SLOTS = KNOWN_FIELD_COUNT - MIN_FIELD_COUNT; // Version Id .. Source region
/**
 * Most unknown fields after the known ones. S3 has added about one field every few years; a line
 * with more than this was not written by S3, and reading it is refused rather than collecting
 * one string per token of a megabyte line.
 */
export const MAX_UNKNOWN_FIELDS = 64;
const TOO_MANY_FIELDS = `more than ${MAX_UNKNOWN_FIELDS} unknown fields after the known ${KNOWN_FIELD_COUNT}`;
/**
 * Longest line whose tail is remembered: a remembered tail is a slice that keeps its whole line
 * alive, and 64 of them from megabyte lines would hold 64 MB. Real lines are under 4 KB.
 */
const TAIL_CACHE_MAX_LINE = 8192;

// Cost model of the hot path (V8): String#indexOf is a native scan with a fixed call cost, a slice
// another call, each charCodeAt a few ns. A charCodeAt loop over the whole line would cost as
// much as the Athena regex, so fields are delimited with indexOf and only short fields are read
// character by character. startsWith/lastIndexOf at an offset are slow builtins and are avoided.
export function tokenEnd(s: string, p: number): number {
  const e = s.indexOf(' ', p);
  return e < 0 ? s.length : e;
}

/** The field [a, b) as a string, undefined when it is `-`. */
export const str = (s: string, a: number, b: number): string | undefined => (b - a === 1 && s.charCodeAt(a) === DASH ? undefined : s.slice(a, b));

// Results of the readers below, in fixed-shape objects: the parser is synchronous and not
// re-entrant, so shared state is safe and saves an allocation per call on the hot path.
/**
 * Fields 10..15 after matchMid; the Error Code is the range [errS, errE), errS < 0 when `-` (a
 * range, not a string: a Request-URI with many quotes is matched once per quote, and only the
 * match that holds needs the string). `end` is where the Referer starts, `fail`/`detail` why not.
 */
export const mid = { status: 0, errS: -1, errE: -1, bytes: 0, size: 0, total: 0, turn: 0, end: 0, fail: 'bad_number' as RejectReason, detail: '' };
let numEnd = 0;
const ABSENT = -1;
const INVALID = -2;

/** `-` or up to 15 digits, ending at a space or the end of line; sets numEnd. */
function readNumber(s: string, p: number, n: number): number {
  if (s.charCodeAt(p) === DASH) {
    numEnd = p + 1;
    return numEnd === n || s.charCodeAt(numEnd) === SP ? ABSENT : INVALID;
  }
  let v = 0;
  let i = p;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  numEnd = i;
  return i === p || i - p > 15 || (i < n && s.charCodeAt(i) !== SP) ? INVALID : v;
}

const MID_NAMES = ['http_status', 'bytes_sent', 'object_size', 'total_time', 'turn_around_time'] as const;
// Failure details as constants: a Request-URI with many quotes is matched here once per quote.
const MID_ENDS_BEFORE = MID_NAMES.map((f) => `line ends before ${f}`);
const MID_NOT_NUMBER = MID_NAMES.map((f) => `${f} is not a number or -`);

function midFail(reason: RejectReason, detail: string): false {
  mid.fail = reason;
  mid.detail = detail;
  return false;
}

/**
 * Matches the fixed-shape fields between Request-URI and Referer at p: HTTP status, Error Code,
 * Bytes Sent, Object Size, Total Time, Turn-Around Time, then the start of a Referer (`"` or `-`).
 * Request-URI may hold raw quotes but never spaces, so this signature finds its real closing quote.
 */
export function matchMid(s: string, p: number, n: number): boolean {
  if (p >= n) return midFail('too_few_fields', 'line ends after request_uri');
  // HTTP status: three digits or `-`.
  const c0 = s.charCodeAt(p) - 48;
  if (c0 >= 0 && c0 <= 9) {
    const c1 = s.charCodeAt(p + 1) - 48;
    const c2 = s.charCodeAt(p + 2) - 48;
    if (!(c1 >= 0 && c1 <= 9 && c2 >= 0 && c2 <= 9 && s.charCodeAt(p + 3) === SP)) return midFail('bad_number', 'http_status is not a 3-digit number or -');
    mid.status = c0 * 100 + c1 * 10 + c2;
    p += 4;
  } else if (c0 === DASH - 48 && s.charCodeAt(p + 1) === SP) {
    mid.status = ABSENT;
    p += 2;
  } else {
    return midFail(p + 1 >= n ? 'too_few_fields' : 'bad_number', 'http_status is not a 3-digit number or -');
  }
  if (p >= n) return midFail('too_few_fields', 'line ends after http_status');
  const c = s.charCodeAt(p);
  if (c === SP || c === DQ) return midFail('bad_field', 'error_code is empty or quoted');
  if (c === DASH && s.charCodeAt(p + 1) === SP) {
    mid.errS = -1;
    p += 2;
  } else {
    const errEnd = tokenEnd(s, p);
    mid.errS = p;
    mid.errE = errEnd;
    p = errEnd + 1;
  }
  for (let k = 1; k <= 4; k++) {
    if (p >= n) return midFail('too_few_fields', MID_ENDS_BEFORE[k]!);
    const v = readNumber(s, p, n);
    if (v === INVALID) return midFail('bad_number', MID_NOT_NUMBER[k]!);
    if (k === 1) mid.bytes = v;
    else if (k === 2) mid.size = v;
    else if (k === 3) mid.total = v;
    else mid.turn = v;
    p = numEnd + 1;
  }
  if (p >= n) return midFail('too_few_fields', 'line ends before referrer');
  const r = s.charCodeAt(p);
  if (r !== DQ && r !== DASH) return midFail('bad_quoting', 'referrer is neither quoted nor -');
  mid.end = p;
  return true;
}

/** Fields 18..27 after parseTail (values[0] = Version Id), how many there were, the unknown rest. */
export const tail = { values: new Array<string | undefined>(TAIL_SLOTS).fill(undefined), count: 0, unknown: undefined as string[] | undefined };
const tv = tail.values;

function tailShapeError(k: number, s: string, a: number, b: number): string {
  switch (k) {
    case 2:
      return isSigVersion(s, a, b) ? '' : 'signature_version is not SigV* or -';
    case 3:
      return isCipherSuite(s, a, b) ? '' : 'cipher_suite is not a cipher suite name or -';
    case 4:
      return isLetters(s, a, b) ? '' : 'authentication_type is not a word or -';
    case 6:
      return isTlsVersion(s, a, b) ? '' : 'tls_version is not TLS* or -';
    case 7:
      return isArn(s, a, b) ? '' : 'access_point_arn is not an ARN or -';
    case 8:
      return isLetters(s, a, b) ? '' : 'acl_required is not a word or -';
    case 9:
      return isRegion(s, a, b) ? '' : 'source_region is not a region or -';
    default:
      return '';
  }
}

// Recently seen tails (from Signature Version to the end of the line) with their parsed values.
interface TailEntry {
  readonly rest: string;
  readonly values: readonly (string | undefined)[];
  readonly unknown: readonly string[] | undefined;
  readonly count: number;
}
// Direct-mapped: one string comparison (a runtime call in V8, so only one) decides a hit. The slot
// mixes the tail's length with its last character and the one where the cipher suite starts, so
// that tails of one length that differ in region or cipher rarely evict each other.
const TAIL_CACHE_SLOTS = 64;
const tailCache: (TailEntry | undefined)[] = new Array<TailEntry | undefined>(TAIL_CACHE_SLOTS).fill(undefined);
// A character past the end reads as NaN, which `&` turns into 0.
const tailSlot = (s: string, p: number, n: number): number => ((n - p) * 7 + s.charCodeAt(n - 1) + s.charCodeAt(p + 6)) & (TAIL_CACHE_SLOTS - 1);

// Token reader for the tail: a bare `-` is recognised without a scan (half of these fields are
// `-` in a typical line); sets tokEnd and returns the value, undefined for `-`.
let tokEnd = 0;
function token(s: string, p: number, n: number): string | undefined {
  if (s.charCodeAt(p) === DASH) {
    const q = p + 1;
    if (q === n || s.charCodeAt(q) === SP) {
      tokEnd = q;
      return undefined;
    }
  }
  let e = s.indexOf(' ', p);
  if (e < 0) e = n;
  tokEnd = e;
  return s.slice(p, e);
}

/**
 * Reads the unquoted fields after User-Agent, from p (> n when the record ends at User-Agent).
 * Returns a failure detail, or '' when every field has its shape.
 *
 * The tail is read as the layout has it first. Some 2019 records wrote their Host Id as two
 * tokens (`AIDAISBTTLPGXGH6YFFAY LzYG...=`, either of which may be `-`), which shifts every later
 * field by one; only when the layout reading fails is the tail read again with a Host Id of two
 * tokens. The layout reading wins when both fit: a tail is resolved here, from its own tokens,
 * and never by moving where the quoted fields before it end.
 */
export function parseTail(s: string, p: number, n: number, quoteFree: boolean): string {
  tail.count = 0;
  tail.unknown = undefined;
  if (p > n) {
    for (let k = 0; k < TAIL_SLOTS; k++) tv[k] = undefined;
    return '';
  }
  if (!quoteFree && s.indexOf('"', p) !== -1) return 'a quote after user_agent';
  const why = readTail(s, p, n, false);
  if (why === '' || why === EMPTY_FIELD) return why;
  return readTail(s, p, n, true) === '' ? '' : why;
}

const EMPTY_FIELD = 'empty field after user_agent';

/** One reading of the tail at p, with a Host Id of one token or of two; sets `tail`. */
function readTail(s: string, p: number, n: number, twoTokenHostId: boolean): string {
  tail.unknown = undefined;
  let k = 0;
  let rest: string | undefined;
  let slot = 0;
  for (;;) {
    if (p >= n || s.charCodeAt(p) === SP) return EMPTY_FIELD;
    if (k === 2) {
      // From Signature Version on, the tail is the same string for many records of an object.
      // (After a two-token Host Id this is the real Signature Version.)
      slot = tailSlot(s, p, n);
      const hit = tailCache[slot];
      if (hit !== undefined && hit.rest.length === n - p && hit.rest === s.slice(p)) {
        for (let j = 2; j < TAIL_SLOTS; j++) tv[j] = hit.values[j - 2];
        tail.unknown = hit.unknown?.slice();
        tail.count = hit.count;
        return '';
      }
      rest = s.slice(p);
    }
    let v = token(s, p, n);
    let e = tokEnd;
    if (k === 1 && twoTokenHostId) {
      // Both tokens as written, `-` included: the value is what S3 wrote.
      if (e >= n - 1 || s.charCodeAt(e + 1) === SP) return EMPTY_FIELD;
      const second = e + 1;
      e = s.indexOf(' ', second);
      if (e < 0) e = n;
      if (!isHostIdToken(s, p, second - 1) || !isHostIdToken(s, second, e)) return 'host_id of two tokens is not two base64 tokens or -';
      v = s.slice(p, e);
    }
    if (k >= TAIL_SLOTS) {
      if (k - TAIL_SLOTS === MAX_UNKNOWN_FIELDS) return TOO_MANY_FIELDS;
      (tail.unknown ??= []).push(v ?? '-');
    } else {
      if (v !== undefined && k >= 2) {
        const why = tailShapeError(k, s, p, e);
        if (why !== '') return why;
      }
      tv[k] = v;
    }
    k++;
    if (e >= n) break;
    p = e + 1;
  }
  for (let j = k; j < TAIL_SLOTS; j++) tv[j] = undefined;
  tail.count = k;
  if (rest !== undefined && n <= TAIL_CACHE_MAX_LINE) {
    tailCache[slot] = { rest, values: tv.slice(2), unknown: tail.unknown?.slice(), count: k };
  }
  return '';
}
