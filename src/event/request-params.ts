/**
 * Facts read from the Request-URI's query parameters: a presigned URL's access key id, signing
 * time and expiry (aws.s3.presigned.*), and a delete's versionId (aws.s3.object.version_id).
 *
 * Read from the raw request target, before redaction, but only values of a known shape are copied:
 * an access key id is 16–128 uppercase letters and digits (AKIA…, ASIA…; not a secret, CloudTrail
 * logs it), times and numbers are checked. The signature and the security token are never read.
 * A value that does not parse leaves its field absent.
 */

export interface PresignedFields {
  access_key_id?: string;
  signed_at?: string;
  expires_at?: string;
  expires_in_secs?: number;
}

const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** SigV4 allows 1 second to 7 days. */
const MAX_EXPIRES_SECS = 604_800;

/** Query parameters of a request target (`/key?a=1&b=2`), names lower-cased, values decoded once; first one wins. */
export function queryParams(target: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = target.indexOf('?');
  if (q < 0) return out;
  const hash = target.indexOf('#', q);
  const query = target.slice(q + 1, hash < 0 ? undefined : hash);
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = decode(pair.slice(0, eq));
    const value = decode(pair.slice(eq + 1));
    if (name === undefined || value === undefined) continue;
    const key = name.toLowerCase();
    if (!out.has(key)) out.set(key, value);
  }
  return out;
}

function decode(s: string): string | undefined {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** `20240514T093000Z` → `2024-05-14T09:30:00.000Z`, or undefined when it is not a real time. */
export function amzDateOf(value: string | undefined): string | undefined {
  const m = value === undefined ? null : AMZ_DATE.exec(value);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (
    t.getUTCFullYear() !== y ||
    t.getUTCMonth() !== mo - 1 ||
    t.getUTCDate() !== d ||
    t.getUTCHours() !== h ||
    t.getUTCMinutes() !== mi ||
    t.getUTCSeconds() !== s
  )
    return undefined;
  return t.toISOString();
}

function secondsOf(value: string | undefined, max: number): number | undefined {
  if (value === undefined || !/^\d{1,12}$/.test(value)) return undefined;
  const n = Number(value);
  return n <= max ? n : undefined;
}

/**
 * The presigned-URL fields of a request target signed in the query string: SigV4 (X-Amz-Credential's
 * first `/`-separated part, X-Amz-Date, X-Amz-Expires) or SigV2 (AWSAccessKeyId, Expires as epoch
 * seconds). Undefined when none of them parses.
 */
export function presignedOf(params: Map<string, string>): PresignedFields | undefined {
  const out: PresignedFields = {};
  const credential = params.get('x-amz-credential');
  if (credential !== undefined || params.has('x-amz-date') || params.has('x-amz-expires')) {
    const akid = credential?.split('/', 1)[0];
    if (akid !== undefined && ACCESS_KEY_ID.test(akid)) out.access_key_id = akid;
    const signedAt = amzDateOf(params.get('x-amz-date'));
    const expires = secondsOf(params.get('x-amz-expires'), MAX_EXPIRES_SECS);
    if (signedAt !== undefined) out.signed_at = signedAt;
    if (expires !== undefined) out.expires_in_secs = expires;
    if (signedAt !== undefined && expires !== undefined) out.expires_at = new Date(Date.parse(signedAt) + expires * 1000).toISOString();
  } else {
    const akid = params.get('awsaccesskeyid');
    if (akid !== undefined && ACCESS_KEY_ID.test(akid)) out.access_key_id = akid;
    // Epoch seconds up to 9999-12-31.
    const expires = secondsOf(params.get('expires'), 253_402_300_799);
    if (expires !== undefined) out.expires_at = new Date(expires * 1000).toISOString();
  }
  return out.access_key_id === undefined && out.signed_at === undefined && out.expires_at === undefined && out.expires_in_secs === undefined ? undefined : out;
}

/** A versionId parameter value: 1–1024 printable ASCII characters without spaces (S3's are URL-safe; `null` names the null version). */
export function versionIdOf(params: Map<string, string>): string | undefined {
  const v = params.get('versionid');
  return v !== undefined && /^[\x21-\x7e]{1,1024}$/.test(v) ? v : undefined;
}
