/**
 * Shape checks for single access-log fields, on a string range [a, b). They decide where fields
 * end when quotes or spaces are ambiguous, so they are strict about what S3 writes and nothing else.
 */

export const SP = 32;
export const DQ = 34;
export const DASH = 45;

export const isDash = (s: string, a: number, b: number): boolean => b - a === 1 && s.charCodeAt(a) === DASH;

/** PREFIX.VERB.RESOURCE: 2 to 4 dot-separated parts of [A-Za-z0-9_] (S3.COMPUTE.OBJECT.CHECKSUM has 4). */
export function isOperation(s: string, a: number, b: number): boolean {
  let dots = 0;
  let partLen = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (partLen === 0) return false;
      dots++;
      partLen = 0;
    } else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95) partLen++;
    else return false;
  }
  return dots >= 1 && dots <= 3 && partLen > 0;
}

/** Letters and digits only: what may continue a Requester ARN that contains spaces. */
export function isWord(s: string, a: number, b: number): boolean {
  if (a === b) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

export function isLetters(s: string, a: number, b: number): boolean {
  if (a === b) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

/** `-` or SigV2, SigV4, SigV4a... */
export function isSigVersion(s: string, a: number, b: number): boolean {
  if (isDash(s, a, b)) return true;
  // charCodeAt, not startsWith: startsWith at an offset is a slow builtin.
  return (
    b - a >= 5 && s.charCodeAt(a) === 83 && s.charCodeAt(a + 1) === 105 && s.charCodeAt(a + 2) === 103 && s.charCodeAt(a + 3) === 86 && isWord(s, a + 4, b)
  );
}

/**
 * `-` or base64 (x-amz-id-2) or an IAM unique id: how each token of a two-token Host Id looks. Only
 * a Host Id read as two tokens is checked, so that a second reading of a tail cannot take a Host
 * Header or a User-Agent word for one.
 */
export function isHostIdToken(s: string, a: number, b: number): boolean {
  if (a === b) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61)) return isDash(s, a, b);
  }
  return true;
}

/**
 * An OpenSSL cipher suite name (ECDHE-RSA-AES128-GCM-SHA256, TLS_AES_128_GCM_SHA256): letters,
 * digits, `-` and `_`. Never a dot, so a Host Header read one field too early does not fit.
 */
export function isCipherSuite(s: string, a: number, b: number): boolean {
  if (a === b) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === DASH || c === 95)) return false;
  }
  return true;
}

/** TLSv1.2, TLSV1.2 (the documentation's spelling), or a later TLS label. */
export function isTlsVersion(s: string, a: number, b: number): boolean {
  return b - a >= 4 && (s.charCodeAt(a) | 0x20) === 116 && (s.charCodeAt(a + 1) | 0x20) === 108 && (s.charCodeAt(a + 2) | 0x20) === 115;
}

/** A region name such as us-east-1. */
export function isRegion(s: string, a: number, b: number): boolean {
  if (a === b) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === DASH)) return false;
  }
  return true;
}

export const isArn = (s: string, a: number, b: number): boolean =>
  b - a > 4 && s.charCodeAt(a) === 97 && s.charCodeAt(a + 1) === 114 && s.charCodeAt(a + 2) === 110 && s.charCodeAt(a + 3) === 58;
