import type { S3AccessFields } from '../event/types.js';
import { DASH, DQ, SP, isArn, isLetters, isOperation, isRegion, isSigVersion, isTlsVersion, isWord } from './field-shapes.js';
import { parseLogTime, parseLogTimeMemo } from './log-time.js';

/**
 * Why a line did not become an event. Stable snake_case codes: quarantine records, metrics labels
 * and dashboards use them.
 */
export type RejectReason =
  /** The line ends before the 17 fields every era of the format has (through User-Agent). */
  | 'too_few_fields'
  /** The Time field is not `[dd/Mon/yyyy:HH:mm:ss ±hhmm]` or names an impossible date. */
  | 'bad_time'
  /** The Operation field does not look like `PREFIX.VERB.RESOURCE`. */
  | 'bad_operation'
  /** A quoted field (Request-URI, Referer, User-Agent) cannot be delimited. */
  | 'bad_quoting'
  /** HTTP status, Bytes Sent, Object Size, Total Time or Turn-Around Time is not a number or `-`. */
  | 'bad_number'
  /** An empty field (two spaces, trailing space) or a field after User-Agent with the wrong shape. */
  | 'bad_field'
  /** Two records joined without a newline (a second `[time]` field in the line). */
  | 'spliced_records'
  /** Longer than the decoder's line cap; only a preview and the full-line hash were kept. */
  | 'line_too_long';

export interface ParsedLine {
  readonly ok: true;
  /** Record time as ISO 8601 UTC with milliseconds. */
  readonly timestamp: string;
  /**
   * The raw field values in log order. A field written as `-` (or `"-"`) is an `undefined`
   * property: JSON serialization omits it, and every record has the same hidden class.
   */
  readonly fields: S3AccessFields;
}

export interface ParseFailure {
  readonly ok: false;
  readonly reason: RejectReason;
  readonly detail: string;
}

export type ParseResult = ParsedLine | ParseFailure;

/** Fields of the current format; anything after them is kept in `unknown_fields`. */
export const KNOWN_FIELD_COUNT = 27;
/** Records of every era have at least these (through User-Agent). */
export const MIN_FIELD_COUNT = 17;
const TAIL_SLOTS = KNOWN_FIELD_COUNT - MIN_FIELD_COUNT; // Version Id .. Source region
const MAX_REQUESTER_WORDS = 8;

const fail = (reason: RejectReason, detail: string): ParseFailure => ({ ok: false, reason, detail });

// Cost model of the hot path (V8): String#indexOf is a native scan with a fixed call cost, a slice
// another call, each charCodeAt a few ns. A charCodeAt loop over the whole line would cost as
// much as the Athena regex, so fields are delimited with indexOf and only short fields are read
// character by character. startsWith/lastIndexOf at an offset are slow builtins and are avoided.
function tokenEnd(s: string, p: number): number {
  const e = s.indexOf(' ', p);
  return e < 0 ? s.length : e;
}

/** The field [a, b) as a string, undefined when it is `-`. */
const str = (s: string, a: number, b: number): string | undefined => (b - a === 1 && s.charCodeAt(a) === DASH ? undefined : s.slice(a, b));

// Results of the helpers below. The parser is synchronous and not re-entrant, so module state is
// safe and saves an allocation per call on the hot path.
let mStatus = 0;
let mErr: string | undefined;
let mBytes = 0;
let mSize = 0;
let mTotal = 0;
let mTurn = 0;
let mEnd = 0;
let mFail: RejectReason = 'bad_number';
let mFailDetail = '';
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

function midFail(reason: RejectReason, detail: string): false {
  mFail = reason;
  mFailDetail = detail;
  return false;
}

/**
 * Matches the fixed-shape fields between Request-URI and Referer at p: HTTP status, Error Code,
 * Bytes Sent, Object Size, Total Time, Turn-Around Time, then the start of a Referer (`"` or `-`).
 * Request-URI may hold raw quotes but never spaces, so this signature finds its real closing quote.
 */
function matchMid(s: string, p: number, n: number): boolean {
  if (p >= n) return midFail('too_few_fields', 'line ends after request_uri');
  // HTTP status: three digits or `-`.
  const c0 = s.charCodeAt(p) - 48;
  if (c0 >= 0 && c0 <= 9) {
    const c1 = s.charCodeAt(p + 1) - 48;
    const c2 = s.charCodeAt(p + 2) - 48;
    if (!(c1 >= 0 && c1 <= 9 && c2 >= 0 && c2 <= 9 && s.charCodeAt(p + 3) === SP)) return midFail('bad_number', 'http_status is not a 3-digit number or -');
    mStatus = c0 * 100 + c1 * 10 + c2;
    p += 4;
  } else if (c0 === DASH - 48 && s.charCodeAt(p + 1) === SP) {
    mStatus = ABSENT;
    p += 2;
  } else {
    return midFail(p + 1 >= n ? 'too_few_fields' : 'bad_number', 'http_status is not a 3-digit number or -');
  }
  if (p >= n) return midFail('too_few_fields', 'line ends after http_status');
  const c = s.charCodeAt(p);
  if (c === SP || c === DQ) return midFail('bad_field', 'error_code is empty or quoted');
  const errEnd = tokenEnd(s, p);
  mErr = str(s, p, errEnd);
  p = errEnd + 1;
  for (let k = 1; k <= 4; k++) {
    if (p >= n) return midFail('too_few_fields', `line ends before ${MID_NAMES[k]!}`);
    const v = readNumber(s, p, n);
    if (v === INVALID) return midFail('bad_number', `${MID_NAMES[k]!} is not a number or -`);
    if (k === 1) mBytes = v;
    else if (k === 2) mSize = v;
    else if (k === 3) mTotal = v;
    else mTurn = v;
    p = numEnd + 1;
  }
  if (p >= n) return midFail('too_few_fields', 'line ends before referrer');
  const r = s.charCodeAt(p);
  if (r !== DQ && r !== DASH) return midFail('bad_quoting', 'referrer is neither quoted nor -');
  mEnd = p;
  return true;
}

// Values of fields 18..27 (index 0 = Version Id) and the unknown ones after them.
const tv: (string | undefined)[] = new Array<string | undefined>(TAIL_SLOTS).fill(undefined);
let tCount = 0;
let tUnknown: string[] | undefined;

// The last value that passed each tail slot's shape check: these fields repeat from line to line,
// and a string comparison is cheaper than the check.
const checked: string[] = new Array<string>(TAIL_SLOTS).fill('');

function tailShapeError(k: number, s: string, a: number, b: number): string {
  switch (k) {
    case 2:
      return isSigVersion(s, a, b) ? '' : 'signature_version is not SigV* or -';
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
const TAIL_CACHE_SIZE = 8;
const tailCache: TailEntry[] = [];
let tailNext = 0;

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
 */
function parseTail(s: string, p: number, n: number, quoteFree: boolean): string {
  tCount = 0;
  tUnknown = undefined;
  if (p > n) {
    for (let k = 0; k < TAIL_SLOTS; k++) tv[k] = undefined;
    return '';
  }
  if (!quoteFree && s.indexOf('"', p) !== -1) return 'a quote after user_agent';
  let k = 0;
  let hostStart = -1;
  let rest: string | undefined;
  for (;;) {
    if (p >= n || s.charCodeAt(p) === SP) return 'empty field after user_agent';
    if (k === 2 && hostStart >= 0) {
      // From Signature Version on, the tail is the same string for many records of an object.
      rest = s.slice(p);
      for (const hit of tailCache) {
        if (hit.rest === rest) {
          for (let j = 2; j < TAIL_SLOTS; j++) tv[j] = hit.values[j - 2];
          tUnknown = hit.unknown?.slice();
          tCount = hit.count;
          return '';
        }
      }
    }
    const v = token(s, p, n);
    const e = tokEnd;
    if (k >= TAIL_SLOTS) {
      (tUnknown ??= []).push(v ?? '-');
    } else {
      if (v !== undefined) {
        if (k === 1) hostStart = p;
        else if (k >= 2 && v !== checked[k]) {
          const why = tailShapeError(k, s, p, e);
          if (why !== '') {
            // A Host Id of two tokens (seen in 2019 records): this token is not a Signature
            // Version, the next one is.
            if (k !== 2 || hostStart < 0 || e >= n) return why;
            let nEnd = s.indexOf(' ', e + 1);
            if (nEnd < 0) nEnd = n;
            if (nEnd === e + 1 || !isSigVersion(s, e + 1, nEnd)) return why;
            tv[1] = s.slice(hostStart, e);
            hostStart = -1;
            rest = undefined;
            p = e + 1;
            continue;
          }
          checked[k] = v;
        }
      }
      tv[k] = v;
    }
    k++;
    if (e >= n) break;
    p = e + 1;
  }
  for (let j = k; j < TAIL_SLOTS; j++) tv[j] = undefined;
  tCount = k;
  if (rest !== undefined) {
    tailCache[tailNext] = { rest, values: tv.slice(2), unknown: tUnknown?.slice(), count: k };
    tailNext = (tailNext + 1) % TAIL_CACHE_SIZE;
  }
  return '';
}

/** True when a second `[dd/Mon/yyyy:HH:mm:ss ±hhmm]` appears at or after `from`. */
export function hasSecondTime(s: string, from: number): boolean {
  let i = s.indexOf('[', from);
  while (i !== -1) {
    if (parseLogTime(s, i) !== undefined) return true;
    i = s.indexOf('[', i + 1);
  }
  return false;
}

/** The last `"` at or after `from`, or -1. Forward indexOf calls: lastIndexOf is a slow builtin. */
function lastQuoteAfter(s: string, from: number): number {
  let q = s.indexOf('"', from);
  if (q < 0) return -1;
  for (;;) {
    const r = s.indexOf('"', q + 1);
    if (r < 0) return q;
    q = r;
  }
}

/**
 * Parses one S3 server access log record of any era: 17 to 27 fields, plus unknown trailing ones.
 * No regular expressions; never throws: a line that cannot be parsed is a failure with a reason.
 *
 * Structure decides where quoted fields end, because S3 does not escape `"` inside Request-URI,
 * Referer or User-Agent: Request-URI closes at the first quote followed by the status and size
 * fields (a request target has no spaces, so it cannot fake them); User-Agent closes at the last
 * quote of the line (no later field is quoted, so client text cannot fake the tail); Referer
 * closes at the first quote that leaves a well-formed User-Agent and tail.
 */
export function parseAccessLogLine(s: string): ParseResult {
  const r = parseRecord(s);
  if (!r.ok && r.reason !== 'bad_time' && r.reason !== 'spliced_records' && hasSecondTime(s, s.indexOf('[') + 1)) {
    return fail('spliced_records', `a second [time] field (and ${r.reason}): two records joined without a newline`);
  }
  return r;
}

// The previous record's operation: a repeat needs no shape check.
let lastOperation = '';

/** Start of the next field after the one ending at e, or -1 when the line ends there. */
const next = (e: number, n: number): number => (e >= n - 1 ? -1 : e + 1);

// Owner and bucket of the previous record, and their text with the space after each: every record
// of a log object starts with the same two fields.
let lastHead = '';
let lastOwner: string | undefined;
let lastBucket: string | undefined;

function parseRecord(s: string): ParseResult {
  const n = s.length;
  // 1 Bucket Owner, 2 Bucket
  let owner: string | undefined;
  let bucket: string | undefined;
  let p: number;
  if (lastHead !== '' && s.charCodeAt(lastHead.length) === 91 && s.slice(0, lastHead.length) === lastHead) {
    owner = lastOwner;
    bucket = lastBucket;
    p = lastHead.length;
  } else {
    if (n === 0 || s.charCodeAt(0) === SP) return fail('bad_field', 'empty bucket_owner');
    const ownerE = tokenEnd(s, 0);
    p = next(ownerE, n);
    if (p < 0) return fail('too_few_fields', 'line ends after bucket_owner');
    const bucketS = p;
    const bucketE = tokenEnd(s, p);
    if (bucketE === p) return fail('bad_field', 'empty bucket');
    p = next(bucketE, n);
    if (p < 0) return fail('too_few_fields', 'line ends after bucket');
    owner = str(s, 0, ownerE);
    bucket = str(s, bucketS, bucketE);
    // Remembered only once the time follows, so the head is known to be exactly two fields.
    if (s.charCodeAt(p) === 91) {
      lastHead = s.slice(0, p);
      lastOwner = owner;
      lastBucket = bucket;
    }
  }
  // 3 Time: the only bracketed field, with one space inside.
  const timestamp = parseLogTimeMemo(s, p);
  if (timestamp === undefined) return fail('bad_time', 'time is not [dd/Mon/yyyy:HH:mm:ss +hhmm]');
  const timeEnd = p + 28;
  if (timeEnd >= n - 1 || s.charCodeAt(timeEnd) !== SP) return fail('too_few_fields', 'line ends after time');
  p = timeEnd + 1;
  // 4 Remote IP, 5 Requester, 6 Request ID, 7 Operation
  const ipS = p;
  const ipE = tokenEnd(s, p);
  if (ipE === p) return fail('bad_field', 'empty remote_ip');
  p = next(ipE, n);
  if (p < 0) return fail('too_few_fields', 'line ends after remote_ip');
  const rqS = p;
  let rqE = tokenEnd(s, p);
  if (rqE === p) return fail('bad_field', 'empty requester');
  p = next(rqE, n);
  if (p < 0) return fail('too_few_fields', 'line ends after requester');
  let idS = p;
  let idE = tokenEnd(s, p);
  if (idE === p) return fail('bad_field', 'empty request_id');
  p = next(idE, n);
  if (p < 0) return fail('too_few_fields', 'line ends after request_id');
  let opS = p;
  let opE = tokenEnd(s, p);
  let operation = s.slice(opS, opE);
  // A Requester with spaces (the CloudFront origin access identity ARN): plain words continue an
  // ARN until a token shaped like an operation follows. Nothing else may extend a field.
  let words = 0;
  while (operation !== lastOperation && !isOperation(s, opS, opE)) {
    if (opE >= n) return fail('too_few_fields', 'line ends after operation');
    if (words >= MAX_REQUESTER_WORDS || !isArn(s, rqS, rqE) || !isWord(s, idS, idE)) return fail('bad_operation', 'operation is not PREFIX.VERB.RESOURCE');
    rqE = idE;
    idS = opS;
    idE = opE;
    opS = opE + 1;
    opE = tokenEnd(s, opS);
    operation = s.slice(opS, opE);
    words++;
  }
  lastOperation = operation;
  p = next(opE, n);
  if (p < 0) return fail('too_few_fields', 'line ends after operation');
  // 8 Key
  const keyS = p;
  const keyE = tokenEnd(s, p);
  if (keyE === p) return fail('bad_field', 'empty key');
  p = next(keyE, n);
  if (p < 0) return fail('too_few_fields', 'line ends after key');
  // 9 Request-URI: `-`, `"-"` or `"METHOD target PROTOCOL"` (the target may hold raw quotes).
  let requestUri: string | undefined;
  const c9 = s.charCodeAt(p);
  if (c9 === DASH && (p + 1 === n || s.charCodeAt(p + 1) === SP)) {
    if (!matchMid(s, p + 2, n)) return fail(mFail, mFailDetail);
  } else if (c9 === DQ) {
    let q = s.indexOf('"', p + 1);
    let firstFail: RejectReason | undefined;
    let firstDetail = '';
    for (;;) {
      if (q < 0) return firstFail === undefined ? fail('bad_quoting', 'request_uri has no closing quote') : fail(firstFail, firstDetail);
      if (q + 1 === n) return firstFail === undefined ? fail('too_few_fields', 'line ends after request_uri') : fail(firstFail, firstDetail);
      if (s.charCodeAt(q + 1) === SP) {
        if (matchMid(s, q + 2, n)) break;
        if (firstFail === undefined) {
          firstFail = mFail;
          firstDetail = mFailDetail;
        }
      }
      q = s.indexOf('"', q + 1);
    }
    requestUri = str(s, p + 1, q);
  } else {
    return fail('bad_quoting', 'request_uri is neither quoted nor -');
  }
  // 10..15 were read by matchMid; mEnd is where the Referer starts.
  const status = mStatus;
  const errorCode = mErr;
  const bytesSent = mBytes;
  const objectSize = mSize;
  const totalTime = mTotal;
  const turnAround = mTurn;
  p = mEnd;

  // 16 Referer, 17 User-Agent
  let referrer: string | undefined;
  let userAgent: string | undefined;
  if (s.charCodeAt(p) === DASH && (p + 1 === n || s.charCodeAt(p + 1) === SP)) {
    p += 2;
    if (p >= n) return fail('too_few_fields', 'line ends after referrer');
    const c = s.charCodeAt(p);
    let why: string;
    if (c === DQ) {
      const lastQ = lastQuoteAfter(s, p + 1);
      if (lastQ < 0 || (lastQ + 1 < n && s.charCodeAt(lastQ + 1) !== SP)) return fail('bad_quoting', 'user_agent has no closing quote');
      userAgent = str(s, p + 1, lastQ);
      why = parseTail(s, lastQ + 2, n, true);
    } else if (c === DASH && (p + 1 === n || s.charCodeAt(p + 1) === SP)) {
      why = parseTail(s, p + 2, n, false);
    } else {
      return fail('bad_quoting', 'user_agent is neither quoted nor -');
    }
    if (why !== '') return fail('bad_field', why);
  } else {
    // Quoted Referer: try each quote that could close it, left to right; the first that leaves a
    // well-formed User-Agent (closing at the line's last quote, or `-`) and tail wins.
    let q = s.indexOf('"', p + 1);
    if (q < 0) return fail('bad_quoting', 'referrer has no closing quote');
    let lastQ = -2;
    let firstWhy = '';
    for (;;) {
      if (s.charCodeAt(q + 1) === SP && q + 2 < n) {
        const u = q + 2;
        const c = s.charCodeAt(u);
        let why = 'no user_agent';
        if (c === DQ) {
          if (lastQ === -2) lastQ = lastQuoteAfter(s, u + 1);
          if (lastQ > u && (lastQ + 1 === n || s.charCodeAt(lastQ + 1) === SP)) why = parseTail(s, lastQ + 2, n, true);
        } else if (c === DASH && (u + 1 === n || s.charCodeAt(u + 1) === SP)) {
          why = parseTail(s, u + 2, n, false);
        }
        if (why === '') {
          referrer = str(s, p + 1, q);
          if (c === DQ) userAgent = str(s, u + 1, lastQ);
          break;
        }
        if (firstWhy === '' && why !== 'no user_agent') firstWhy = why;
      }
      if (q + 1 === n && firstWhy === '') return fail('too_few_fields', 'line ends after referrer');
      q = s.indexOf('"', q + 1);
      if (q < 0) return firstWhy === '' ? fail('bad_quoting', 'referrer and user_agent cannot be delimited') : fail('bad_field', firstWhy);
    }
  }

  // User-Agent closes at the line's last quote, which holds as long as no later field is quoted.
  // Were a future trailing field quoted, every record would read as a 17/18-field one whose
  // User-Agent swallowed the rest: such a reading is refused rather than taken.
  if (tCount <= 1 && userAgent !== undefined && userAgent.indexOf('" ') >= 0) {
    return fail('bad_quoting', 'a quote and a space inside the User-Agent of a record with no fields after it: ambiguous');
  }

  // A second [time] inside a well-delimited record: two records were joined without a newline.
  if (hasSecondTime(s, timeEnd)) return fail('spliced_records', 'a second [time] field: two records joined without a newline');

  const unknown = tUnknown;
  const fields: S3AccessFields = {
    bucket_owner: owner,
    bucket,
    remote_ip: str(s, ipS, ipE),
    requester: str(s, rqS, rqE),
    request_id: str(s, idS, idE),
    operation,
    key: str(s, keyS, keyE),
    request_uri: requestUri,
    http_status: status < 0 ? undefined : status,
    error_code: errorCode,
    bytes_sent: bytesSent < 0 ? undefined : bytesSent,
    object_size: objectSize < 0 ? undefined : objectSize,
    total_time: totalTime < 0 ? undefined : totalTime,
    turn_around_time: turnAround < 0 ? undefined : turnAround,
    referrer,
    user_agent: userAgent,
    version_id: tv[0],
    host_id: tv[1],
    signature_version: tv[2],
    cipher_suite: tv[3],
    authentication_type: tv[4],
    host_header: tv[5],
    tls_version: tv[6],
    access_point_arn: tv[7],
    acl_required: tv[8],
    source_region: tv[9],
    unknown_fields: unknown,
    field_count: MIN_FIELD_COUNT + tCount,
  };
  return { ok: true, timestamp, fields };
}
