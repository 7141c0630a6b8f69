import { DASH, DQ, SP, isArn, isOperation, isWord } from './field-shapes.js';
import { matchMid, MIN_FIELD_COUNT, mid, parseTail, str, tail, tokenEnd } from './fixed-fields.js';
import { parseLogTime, parseLogTimeMemo } from './log-time.js';
import type { RejectReason } from './reject-reason.js';

/** Raw S3 server access log fields, in log order, with Filebeat's names. */
export interface S3AccessFields {
  bucket_owner?: string;
  bucket?: string;
  remote_ip?: string;
  requester?: string;
  request_id?: string;
  operation?: string;
  key?: string;
  request_uri?: string;
  http_status?: number;
  error_code?: string;
  bytes_sent?: number;
  object_size?: number;
  total_time?: number;
  turn_around_time?: number;
  referrer?: string;
  user_agent?: string;
  version_id?: string;
  host_id?: string;
  signature_version?: string;
  cipher_suite?: string;
  authentication_type?: string;
  host_header?: string;
  tls_version?: string;
  access_point_arn?: string;
  acl_required?: string;
  source_region?: string;
  /** Fields after the 27 known ones, kept verbatim: S3 appends fields over time. */
  unknown_fields?: string[];
  /** How many fields the record had (17..27+), to tell legacy records apart. */
  field_count?: number;
}

export type { RejectReason } from './reject-reason.js';

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

export { KNOWN_FIELD_COUNT, MIN_FIELD_COUNT } from './fixed-fields.js';
const MAX_REQUESTER_WORDS = 8;

const fail = (reason: RejectReason, detail: string): ParseFailure => ({ ok: false, reason, detail });

// A splice is a record cut short and the next one written after it without a newline. The next
// record then begins with its head, `<owner> <bucket> [time]`, and a bracketed time alone is no
// such sign: S3 copies Referer and User-Agent unescaped, so a client can put one there.
/** Longest bucket owner compared: a canonical user id is 64 hex digits; after a longer first token no splice is looked for. */
const MAX_OWNER_LENGTH = 128;
/** Longest bucket name S3 ever allowed (the legacy us-east-1 names). */
const MAX_BUCKET_LENGTH = 255;
/**
 * Record heads after a parsed record's time whose rest is parsed to see whether a record really
 * begins there. Each try parses the rest of the line, so they are few; a head appears only with
 * this line's own owner id before it, which a client does not normally know.
 */
const MAX_SPLICE_TRIES = 4;

const isBucketChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || (c >= 65 && c <= 90) || c === 95;

/**
 * Where a record head whose time is the `[` at t begins, or -1: ` <bucket> ` before t, and before
 * that this line's owner id (s[0, ownerE)). The owner id may follow any character, because the
 * record before it was cut at an arbitrary byte. The time itself is not checked here.
 */
function recordHeadAt(s: string, t: number, ownerE: number): number {
  if (s.charCodeAt(t - 1) !== SP) return -1;
  const lo = t - 2 - MAX_BUCKET_LENGTH;
  let b = t - 2;
  while (b > lo && b >= 0 && isBucketChar(s.charCodeAt(b))) b--;
  // Bucket names have 3 to 255 characters.
  if (b < 0 || t - 2 - b < 3 || s.charCodeAt(b) !== SP) return -1;
  const h = b - ownerE;
  if (h < 0) return -1;
  for (let i = 0; i < ownerE; i++) if (s.charCodeAt(h + i) !== s.charCodeAt(i)) return -1;
  return h;
}

/** True when a record head of this line's owner, with a valid time, begins after `from`. */
function hasRecordHead(s: string, from: number, ownerE: number): boolean {
  if (ownerE > MAX_OWNER_LENGTH) return false;
  for (let t = s.indexOf('[', from); t !== -1; t = s.indexOf('[', t + 1)) {
    if (recordHeadAt(s, t, ownerE) >= 0 && parseLogTime(s, t) !== undefined) return true;
  }
  return false;
}

/**
 * True when a record really begins after `from` in a line that parsed as one record: a record head
 * of this line's owner from which the rest of the line parses as a record. The parse of the rest
 * overwrites the shared reader state, so the caller's record must already be built.
 */
function hasSplicedRecord(s: string, from: number, ownerE: number): boolean {
  if (ownerE > MAX_OWNER_LENGTH) return false;
  let tries = 0;
  // `[`, not ` [`: a one-character search runs at memchr speed, a two-character one stops at
  // every space, and a normal line has a space every few characters.
  for (let t = s.indexOf('[', from); t !== -1 && tries < MAX_SPLICE_TRIES; t = s.indexOf('[', t + 1)) {
    const h = recordHeadAt(s, t, ownerE);
    if (h < 0 || parseLogTime(s, t) === undefined) continue;
    tries++;
    if (parseRecord(s.slice(h)).ok) return true;
  }
  return false;
}

/**
 * The last `"` at or after `from`, or -1. Forward indexOf calls, as a line has few quotes after a
 * User-Agent opens: lastIndexOf is a slow builtin per call. A line full of quotes gets one
 * lastIndexOf instead of a call per quote.
 */
function lastQuoteAfter(s: string, from: number): number {
  let q = s.indexOf('"', from);
  if (q < 0) return -1;
  for (let k = 0; k < 8; k++) {
    const r = s.indexOf('"', q + 1);
    if (r < 0) return q;
    q = r;
  }
  return s.lastIndexOf('"');
}

/**
 * Parses one S3 server access log record of any era: 17 to 27 fields, plus unknown trailing ones.
 * No regular expressions; never throws: a line that cannot be parsed is a failure with a reason.
 *
 * Structure decides where quoted fields end, because S3 does not escape `"` inside Request-URI,
 * Referer or User-Agent: Request-URI closes at the first quote followed by the status and size
 * fields (a request target has no spaces, so it cannot fake them); User-Agent closes at the last
 * quote of the line (no later field is quoted, so client text cannot fake the tail); Referer
 * closes at the first `" "` before it, or at the last quote when a bare `-` User-Agent follows.
 * The unquoted tail is then read on its own terms (see parseTail): it never moves those ends.
 */
export function parseAccessLogLine(s: string): ParseResult {
  const r = parseRecord(s);
  const from = recordTimeEnd;
  const ownerE = recordOwnerEnd;
  if (r.ok) {
    // A record that parses is an event unless another one really begins inside it: text in the
    // Request-URI, Referer or User-Agent that merely looks like a record head is the client's.
    if (hasSplicedRecord(s, from, ownerE)) return fail('spliced_records', 'a second record begins inside this one: two records joined without a newline');
    return r;
  }
  // The line is quarantined either way; a record head after the time names the likelier cause.
  if (from > 0 && hasRecordHead(s, from, ownerE)) {
    return fail('spliced_records', `a second record head (and ${r.reason}): two records joined without a newline`);
  }
  return r;
}

// Set by parseRecord for the splice checks: the end of the owner id, and the end of the time
// field (0 when the time was not read).
let recordOwnerEnd = 0;
let recordTimeEnd = 0;

/** Start of the next field after the one ending at e, or -1 when the line ends there. */
const next = (e: number, n: number): number => (e >= n - 1 ? -1 : e + 1);

function parseRecord(s: string): ParseResult {
  const n = s.length;
  recordTimeEnd = 0;
  // 1 Bucket Owner, 2 Bucket
  if (n === 0 || s.charCodeAt(0) === SP) return fail('bad_field', 'empty bucket_owner');
  const ownerE = tokenEnd(s, 0);
  recordOwnerEnd = ownerE;
  let p = next(ownerE, n);
  if (p < 0) return fail('too_few_fields', 'line ends after bucket_owner');
  const bucketS = p;
  const bucketE = tokenEnd(s, p);
  if (bucketE === p) return fail('bad_field', 'empty bucket');
  p = next(bucketE, n);
  if (p < 0) return fail('too_few_fields', 'line ends after bucket');
  // 3 Time: the only bracketed field, with one space inside.
  const timestamp = parseLogTimeMemo(s, p);
  if (timestamp === undefined) return fail('bad_time', 'time is not [dd/Mon/yyyy:HH:mm:ss +hhmm]');
  const timeEnd = p + 28;
  recordTimeEnd = timeEnd;
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
  while (!isOperation(s, opS, opE)) {
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
    if (!matchMid(s, p + 2, n)) return fail(mid.fail, mid.detail);
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
          firstFail = mid.fail;
          firstDetail = mid.detail;
        }
      }
      q = s.indexOf('"', q + 1);
    }
    requestUri = str(s, p + 1, q);
  } else {
    return fail('bad_quoting', 'request_uri is neither quoted nor -');
  }
  // 10..15 were read by matchMid; mid.end is where the Referer starts.
  const status = mid.status;
  const errorCode = mid.errS < 0 ? undefined : str(s, mid.errS, mid.errE);
  const bytesSent = mid.bytes;
  const objectSize = mid.size;
  const totalTime = mid.total;
  const turnAround = mid.turn;
  p = mid.end;

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
    // Quoted Referer. A quoted User-Agent closes at the line's last quote (no later field is
    // quoted), so the Referer closes at the first quote followed by ` "` before it: S3 writes them
    // as `"referer" "user-agent"`, and a `" "` inside a Referer is the one case the format cannot
    // tell apart. That split is final. The tail after the last quote may not line up with the
    // layout (a Host Id of two tokens, a new field); parseTail resolves that from the tail's own
    // tokens, and a tail it cannot read rejects the line. Re-splitting instead, with the User-Agent's
    // closing quote as the Referer's and its first tail token as a bare `-` User-Agent, would make a
    // one-token-longer tail fit by having the Referer swallow the User-Agent.
    // Without such a split the User-Agent is a bare `-` after a quote, and the tail after it must
    // be free of quotes (parseTail checks up to the next quote), so only the last quote can close
    // the Referer. Each quote is looked at once: the search is linear however many quotes a client
    // puts in its Referer (their number is not capped: a cap would let a client get its own access
    // refused).
    let q = s.indexOf('"', p + 1);
    if (q < 0) return fail('bad_quoting', 'referrer has no closing quote');
    let lastQ = -2;
    let firstWhy = '';
    for (;;) {
      if (s.charCodeAt(q + 1) === SP && q + 2 < n) {
        const u = q + 2;
        const c = s.charCodeAt(u);
        if (c === DQ) {
          if (lastQ === -2) lastQ = lastQuoteAfter(s, u + 1);
          if (lastQ > u && (lastQ + 1 === n || s.charCodeAt(lastQ + 1) === SP)) {
            const why = parseTail(s, lastQ + 2, n, true);
            if (why !== '') return fail('bad_field', why);
            referrer = str(s, p + 1, q);
            userAgent = str(s, u + 1, lastQ);
            break;
          }
        } else if (c === DASH && (u + 1 === n || s.charCodeAt(u + 1) === SP)) {
          const why = parseTail(s, u + 2, n, false);
          if (why === '') {
            referrer = str(s, p + 1, q);
            break;
          }
          if (firstWhy === '') firstWhy = why;
        }
      }
      if (q + 1 === n && firstWhy === '') return fail('too_few_fields', 'line ends after referrer');
      q = s.indexOf('"', q + 1);
      if (q < 0) return firstWhy === '' ? fail('bad_quoting', 'referrer and user_agent cannot be delimited') : fail('bad_field', firstWhy);
    }
  }

  // User-Agent closes at the line's last quote, which holds as long as no later field is quoted.
  // Were a future trailing field quoted, every record would read as a 17/18-field one whose
  // User-Agent swallowed the rest: such a reading is refused rather than taken.
  if (tail.count <= 1 && userAgent !== undefined && userAgent.indexOf('" ') >= 0) {
    return fail('bad_quoting', 'a quote and a space inside the User-Agent of a record with no fields after it: ambiguous');
  }

  const unknown = tail.unknown;
  const fields: S3AccessFields = {
    bucket_owner: str(s, 0, ownerE),
    bucket: str(s, bucketS, bucketE),
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
    version_id: tail.values[0],
    host_id: tail.values[1],
    signature_version: tail.values[2],
    cipher_suite: tail.values[3],
    authentication_type: tail.values[4],
    host_header: tail.values[5],
    tls_version: tail.values[6],
    access_point_arn: tail.values[7],
    acl_required: tail.values[8],
    source_region: tail.values[9],
    unknown_fields: unknown,
    field_count: MIN_FIELD_COUNT + tail.count,
  };
  return { ok: true, timestamp, fields };
}
