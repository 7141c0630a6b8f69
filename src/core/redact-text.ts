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

/** FNV-1a over a name read backwards, lower-cased and with `_` as `-`: a cheap first filter. */
function foldHash(h: number, c: number): number {
  const folded = c === 95 ? 45 : c >= 65 && c <= 90 ? c | 0x20 : c;
  return Math.imul(h ^ folded, 16777619) >>> 0;
}
const FNV_SEED = 2166136261;
const NAME_HASHES: ReadonlySet<number> = new Set(
  CREDENTIAL_PARAMS.map((name) => {
    let h = FNV_SEED;
    for (let i = name.length - 1; i >= 0; i--) h = foldHash(h, name.charCodeAt(i));
    return h;
  }),
);

// `=` encoded once or more: %3D, %253D, ...
const ENCODED_EQUALS = /%(?:25)*3d/gi;

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 46 || c === 37;
}

// Characters that end a name once it is decoded (a name carried inside an encoded URL).
function isSeparator(c: number): boolean {
  return (
    c <= 32 ||
    c === 63 ||
    c === 38 ||
    c === 59 ||
    c === 35 ||
    c === 47 ||
    c === 34 ||
    c === 39 ||
    c === 44 ||
    c === 58 ||
    c === 61 ||
    c === 124 ||
    c === 40 ||
    c === 41 ||
    c === 91 ||
    c === 93 ||
    c === 123 ||
    c === 125 ||
    c === 60 ||
    c === 62
  );
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

function decodeOnce(s: string): string {
  let out = '';
  let last = 0;
  for (let i = s.indexOf('%'); i >= 0 && i + 2 < s.length; i = s.indexOf('%', i + 1)) {
    const a = hexValue(s.charCodeAt(i + 1));
    const b = hexValue(s.charCodeAt(i + 2));
    if (a < 0 || b < 0) continue;
    out += s.slice(last, i) + String.fromCharCode(a * 16 + b);
    last = i + 3;
    i += 2;
  }
  return last === 0 ? s : out + s.slice(last);
}

/** A raw parameter name decoded fully, anything before a separator dropped, case and `_` folded. */
function canonicalName(raw: string): string {
  let name = raw;
  if (name.indexOf('%') >= 0) {
    for (let i = 0; i < 8; i++) {
      const next = decodeOnce(name);
      if (next === name) break;
      name = next;
    }
    let cut = name.length;
    while (cut > 0 && !isSeparator(name.charCodeAt(cut - 1))) cut--;
    name = name.slice(cut);
  }
  name = name.toLowerCase();
  return name.indexOf('_') < 0 ? name : name.replaceAll('_', '-');
}

// A value ends at a raw separator, or at a separator encoded fewer times than its `=` was: inside
// a URL carried in a parameter (depth 1), %26 ends the inner value while %2526 belongs to it.
// In a URL only `&`, `#` and a space end a value: S3 logs the request target raw, so a quote or
// an angle bracket there is part of the value (a password `it's`), and ending at it would leave
// the rest of the secret in the event. Free text (a User-Agent, a log message) also ends a value
// at quotes and angle brackets, which delimit it there (`token="abc"`).
const valueEnds = new Map<string, RegExp>();
function valueEndRe(depth: number, url: boolean): RegExp {
  const cacheKey = `${depth}${url ? 'u' : 't'}`;
  let re = valueEnds.get(cacheKey);
  if (re === undefined) {
    const terminators = `(?:25){0,${depth - 1}}(?:${url ? '2[036]' : '2[02367]|3[ce]'})`;
    re = new RegExp(`(?:[^${url ? '&#\\s' : `&#\\s"'<>`}%]|%(?!${terminators}))*`, 'iy');
    valueEnds.set(cacheKey, re);
  }
  return re;
}

const RAW_TERMINATOR_TEXT = /[&#\s"'<>]/g;
const RAW_TERMINATOR_URL = /[&#\s]/g;

/** End of a value starting at `from` whose `=` was encoded `depth` times. */
function valueEnd(text: string, from: number, depth: number, url: boolean): number {
  if (depth === 0) {
    const re = url ? RAW_TERMINATOR_URL : RAW_TERMINATOR_TEXT;
    re.lastIndex = from;
    const m = re.exec(text);
    return m === null ? text.length : m.index;
  }
  const re = valueEndRe(depth, url);
  re.lastIndex = from;
  re.exec(text);
  return re.lastIndex;
}

/**
 * Replaces credential values in any text (URL, query string, referrer, log message) with
 * REDACTED. Returns the same string instance when nothing was replaced, so callers can tell.
 * `from` skips a prefix known to hold no parameters (the path of a Request-URI); `url` says the
 * text is a URL or request line, where quotes and angle brackets do not end a value.
 */
export function redactCredentials(text: string, from = 0, url = false): string {
  // Two sorted streams of `=`: raw ones by native indexOf (most of them), encoded ones (%3D,
  // %253D, ...: parameters of URLs carried inside parameters) by a regex, rarely matched.
  let raw = text.indexOf('=', from);
  ENCODED_EQUALS.lastIndex = from;
  let enc = ENCODED_EQUALS.exec(text);
  if (raw < 0 && enc === null) return text;
  let out = '';
  let last = 0;
  for (;;) {
    let eq: number;
    let depth: number;
    if (raw >= 0 && (enc === null || raw < enc.index)) {
      eq = raw;
      depth = 0;
    } else if (enc !== null) {
      eq = enc.index;
      depth = (enc[0].length - 1) / 2;
    } else {
      break;
    }
    const after = eq + (depth === 0 ? 1 : depth * 2 + 1);
    const name = eq >= last ? credentialName(text, eq) : undefined;
    if (name !== undefined) {
      const end = valueEnd(text, after, depth, url);
      const keep = name === 'x-amz-credential' ? accessKeyIdEnd(text, after, end) : after;
      if (end > keep) {
        out += text.slice(last, keep) + REDACTED;
        last = end;
      }
    }
    const next = after > last ? after : last;
    if (raw >= 0 && raw < next) raw = text.indexOf('=', next);
    if (enc !== null && enc.index < next) {
      ENCODED_EQUALS.lastIndex = next;
      enc = ENCODED_EQUALS.exec(text);
    }
  }
  return last === 0 ? text : out + text.slice(last);
}

// An access key id (AKIA…, ASIA…) and the `/` (encoded any number of times) that ends it.
const ACCESS_KEY_ID_PART = /[A-Z0-9]{16,128}(?:\/|%(?:25)*2f)/iy;

/**
 * Where the kept part of an X-Amz-Credential value ends: after its access key id and the `/`
 * that follows (`AKIAEXAMPLE/20240514/us-east-1/s3/aws4_request`). The access key id is not a
 * secret (CloudTrail logs it) and is the only link from a presigned URL to the identity that
 * signed it; the rest of the value is redacted as before. A value that does not start with an
 * access key id and a `/` is redacted whole.
 */
function accessKeyIdEnd(text: string, from: number, end: number): number {
  ACCESS_KEY_ID_PART.lastIndex = from;
  const m = ACCESS_KEY_ID_PART.exec(text);
  // Upper case only: an access key id has no lower-case letters (the i flag is for %2f).
  if (m === null || ACCESS_KEY_ID_PART.lastIndex > end || /[a-z]/.test(m[0].slice(0, m[0].search(/\/|%/)))) return from;
  return ACCESS_KEY_ID_PART.lastIndex;
}

/**
 * The canonical name of the credential parameter whose name ends at `eq`, or undefined when it is
 * not one. The name is walked back and hashed folded (case, `_`); only an escaped name or one
 * whose hash is a listed name's costs a string.
 */
function credentialName(text: string, eq: number): string | undefined {
  let start = eq;
  let h = FNV_SEED;
  let escaped = false;
  while (start > 0 && eq - start < 256) {
    const c = text.charCodeAt(start - 1);
    if (!isNameChar(c)) break;
    if (c === 37) escaped = true;
    h = foldHash(h, c);
    start--;
  }
  if (!escaped && !NAME_HASHES.has(h)) return undefined;
  const name = canonicalName(text.slice(start, eq));
  return NAMES.has(name) ? name : undefined;
}

/**
 * redactCredentials for a Request-URI (`METHOD target PROTOCOL`): only the query and fragment
 * (and `;` parameters) can hold parameters; whatever the path spells is an object's name.
 */
export function redactRequestUri(requestUri: string): string {
  let from = requestUri.indexOf('?');
  const semi = requestUri.indexOf(';');
  const hash = requestUri.indexOf('#');
  if (from < 0 || (semi >= 0 && semi < from)) from = semi;
  if (from < 0 || (hash >= 0 && hash < from)) from = hash;
  return from < 0 ? requestUri : redactCredentials(requestUri, from, true);
}

/** Replaces credential values in any text (URLs, messages); names and structure are kept. */
export function redactSecretsInText(text: string): string {
  return redactCredentials(text);
}
