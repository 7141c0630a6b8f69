import { createHash } from 'node:crypto';

/**
 * Writes S3 server access log records the way S3 does (27 fields, quoted Request-URI, Referer and
 * User-Agent, `-` for empty values). The demo, the end-to-end tests and the benchmarks use it to
 * produce log objects; the parser never uses it, so a round trip is a real test of the parser.
 */
export interface AccessRecord {
  bucketOwner: string;
  bucket: string;
  time: Date;
  remoteIp: string;
  requester: string;
  requestId: string;
  operation: string;
  key?: string;
  method: string;
  /** Path and query as the client sent it (already percent-encoded). */
  uri: string;
  httpStatus: number;
  errorCode?: string;
  bytesSent?: number;
  objectSize?: number;
  totalTimeMs: number;
  turnAroundMs: number;
  referrer?: string;
  userAgent: string;
  versionId?: string;
  hostId: string;
  signatureVersion?: string;
  cipherSuite?: string;
  authType?: string;
  hostHeader: string;
  tlsVersion?: string;
  accessPointArn?: string;
  aclRequired?: boolean;
  sourceRegion?: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));
const dash = (v: string | number | undefined): string => (v === undefined || v === '' ? '-' : String(v));

export function formatLogTime(t: Date): string {
  return `[${pad(t.getUTCDate())}/${MONTHS[t.getUTCMonth()] ?? 'Jan'}/${t.getUTCFullYear()}:${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} +0000]`;
}

/** S3 writes the Key field URL-encoded, form style: `/` kept, space as `+`, `=` as %3D. */
export function encodeLogKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

export function formatAccessRecord(r: AccessRecord): string {
  return [
    r.bucketOwner,
    r.bucket,
    formatLogTime(r.time),
    r.remoteIp,
    r.requester,
    r.requestId,
    r.operation,
    r.key === undefined ? '-' : encodeLogKey(r.key),
    `"${r.method} ${r.uri} HTTP/1.1"`,
    String(r.httpStatus),
    dash(r.errorCode),
    r.bytesSent === undefined || r.bytesSent === 0 ? '-' : String(r.bytesSent),
    dash(r.objectSize),
    String(r.totalTimeMs),
    String(r.turnAroundMs),
    `"${r.referrer ?? '-'}"`,
    `"${r.userAgent}"`,
    dash(r.versionId),
    r.hostId,
    dash(r.signatureVersion),
    dash(r.cipherSuite),
    dash(r.authType),
    r.hostHeader,
    dash(r.tlsVersion),
    dash(r.accessPointArn),
    r.aclRequired ? 'Yes' : '-',
    dash(r.sourceRegion),
  ].join(' ');
}

/** Deterministic pseudo-random numbers: the simulator's generator, so demo data and the Genesys dataset agree. */
export { createRandom as seededRandom } from '../genesys/dataset.js';

/** S3-style request id and host id derived from a counter, unique and stable. */
export function requestIds(n: number): { requestId: string; hostId: string } {
  const h = createHash('sha256').update(`req-${n}`).digest();
  return {
    requestId: h.toString('hex').slice(0, 16).toUpperCase(),
    hostId: h.toString('base64'),
  };
}
