import type { S3AccessFields } from '../event/types.js';
import { DASH, DQ, SP, isArn, isOperation, isWord } from './field-shapes.js';
import { matchMid, MIN_FIELD_COUNT, mid, parseTail, str, tail, tokenEnd } from './fixed-fields.js';
import { parseLogTime, parseLogTimeMemo } from './log-time.js';
import type { RejectReason } from './reject-reason.js';

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

/** Start of the next field after the one ending at e, or -1 when the line ends there. */
const next = (e: number, n: number): number => (e >= n - 1 ? -1 : e + 1);

function parseRecord(s: string): ParseResult {
  const n = s.length;
  // 1 Bucket Owner, 2 Bucket
  if (n === 0 || s.charCodeAt(0) === SP) return fail('bad_field', 'empty bucket_owner');
  const ownerE = tokenEnd(s, 0);
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
  const errorCode = mid.err;
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
  if (tail.count <= 1 && userAgent !== undefined && userAgent.indexOf('" ') >= 0) {
    return fail('bad_quoting', 'a quote and a space inside the User-Agent of a record with no fields after it: ambiguous');
  }

  // A second [time] inside a well-delimited record: two records were joined without a newline.
  if (hasSecondTime(s, timeEnd)) return fail('spliced_records', 'a second [time] field: two records joined without a newline');

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
