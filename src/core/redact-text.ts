/**
 * Credential values in URLs and free text (presigned S3 URLs in Request-URI and Referer, URLs in
 * error messages). Names are matched canonically: percent-decoded however many times, case
 * folded, `_` read as `-`, so `X-Amz-Signature`, `x_amz_signature`, `X%2DAmz%2DSignature` and the
 * double-encoded `X-Amz-Signature%253D...` inside a URL carried in another URL's parameter are the
 * same name. The value is replaced, the name and the URL structure are kept.
 */
export const CREDENTIAL_PARAMS = [
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-amz-s3session-token',
  'signature',
  'credential',
  'awsaccesskeyid',
  'security-token',
  'session-token',
  'sig',
  'x-goog-signature',
  'x-goog-credential',
  'access-token',
  'id-token',
  'refresh-token',
  'token',
  'client-secret',
  'secret',
  'password',
  'passwd',
  'api-key',
  'apikey',
  'authorization',
] as const;

export const REDACTED = '[redacted]';

const NAMES: ReadonlySet<string> = new Set(CREDENTIAL_PARAMS);

// Every credential name contains one of these; a letter written as %XX could hide them.
const MAY_HOLD_CREDENTIAL = /sig|cred|token|secret|pass|key|auth|%(?:25)*(?:4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a])/i;
// `=` at any encoding depth: `=`, %3D, %253D, ...
const EQUALS = /=|%(?:25)*3d/gi;
const HEX = /%[0-9a-f]{2}/i;
const SEPARATOR = /[?&;#/\s"',:=|()[\]{}<>]/;

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 46 || c === 37;
}

function decodeOnce(s: string): string {
  return s.replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** The parameter name ending at `end`, decoded fully, with anything before a separator dropped. */
function canonicalName(text: string, end: number): string {
  let start = end;
  while (start > 0 && end - start < 256 && isNameChar(text.charCodeAt(start - 1))) start--;
  let name = text.slice(start, end);
  for (let i = 0; i < 8 && HEX.test(name); i++) name = decodeOnce(name);
  let cut = -1;
  for (let i = name.length - 1; i >= 0; i--) {
    if (SEPARATOR.test(name[i]!)) {
      cut = i;
      break;
    }
  }
  return name.slice(cut + 1).toLowerCase().replace(/_/g, '-');
}

// A value ends at a raw separator, or at a separator encoded fewer times than its `=` was: inside
// a URL carried in a parameter (depth 1), %26 ends the inner value while %2526 belongs to it.
const valueEnds = new Map<number, RegExp>();
function valueEnd(depth: number): RegExp {
  let re = valueEnds.get(depth);
  if (re === undefined) {
    const terminators = `(?:25){0,${depth - 1}}(?:2[02367]|3[ce])`;
    re = depth === 0 ? /[^&#\s"'<>]*/y : new RegExp(`(?:[^&#\\s"'<>%]|%(?!${terminators}))*`, 'iy');
    valueEnds.set(depth, re);
  }
  return re;
}

/**
 * Replaces credential values in any text (URL, query string, referrer, log message) with
 * REDACTED. Returns the same string instance when nothing was replaced, so callers can tell.
 */
export function redactCredentials(text: string): string {
  if (!MAY_HOLD_CREDENTIAL.test(text)) return text;
  let out = '';
  let last = 0;
  EQUALS.lastIndex = 0;
  for (let m = EQUALS.exec(text); m !== null; m = EQUALS.exec(text)) {
    const eq = m.index;
    const after = eq + m[0].length;
    if (eq < last) continue;
    const name = canonicalName(text, eq);
    if (!NAMES.has(name)) continue;
    const depth = m[0] === '=' ? 0 : (m[0].length - 1) / 2;
    const re = valueEnd(depth);
    re.lastIndex = after;
    re.exec(text);
    const end = re.lastIndex;
    if (end === after) continue;
    out += text.slice(last, after) + REDACTED;
    last = end;
    EQUALS.lastIndex = end;
  }
  return last === 0 ? text : out + text.slice(last);
}

/** Replaces credential values in any text (URLs, messages); names and structure are kept. */
export function redactSecretsInText(text: string): string {
  return redactCredentials(text);
}
