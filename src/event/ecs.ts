import { isIPv6 } from 'node:net';
import type { EventOutcome } from './types.js';

/**
 * Derivations from raw S3 access log fields to ECS fields. Each rule is small and documented in
 * the field table of docs/event-schema.md; the raw values stay in aws.s3access.* unchanged.
 */

/** 2xx/3xx success (304 and redirects are answered requests), 4xx/5xx failure, no status unknown. */
export function outcomeOf(status: number | undefined): EventOutcome {
  if (status === undefined) return 'unknown';
  if (status >= 200 && status < 400) return 'success';
  if (status >= 400 && status < 600) return 'failure';
  return 'unknown';
}

const DELETION_OPS = new Set(['REST.POST.MULTI_OBJECT_DELETE', 'S3.EXPIRE.OBJECT', 'S3.CREATE.DELETEMARKER', 'S3.DELETE.UPLOAD']);
const CREATION_RESOURCES = new Set(['OBJECT', 'PART', 'UPLOAD', 'UPLOADS']);

/**
 * ECS event.type from the operation (PREFIX.VERB.RESOURCE): `deletion` for deletes and lifecycle
 * expirations, `creation` for writes of objects and upload parts (PUT/POST/COPY of OBJECT, PART,
 * UPLOAD(S)), `change` for other PUT/POST (ACLs, policies, tags, configuration) and lifecycle
 * transitions, `access` for everything else (GET, HEAD, OPTIONS, the GET half of a copy). `denied`
 * is added when S3 answered 403.
 */
export function typesOf(operation: string, status: number | undefined): string[] {
  const first = operation.indexOf('.');
  const second = operation.indexOf('.', first + 1);
  const verb = second < 0 ? operation.slice(first + 1) : operation.slice(first + 1, second);
  const resource = second < 0 ? '' : operation.slice(second + 1);
  let type: string;
  if (verb === 'DELETE' || DELETION_OPS.has(operation)) type = 'deletion';
  else if ((verb === 'PUT' || verb === 'POST' || verb === 'COPY') && CREATION_RESOURCES.has(resource)) type = 'creation';
  else if (verb === 'PUT' || verb === 'POST' || verb.startsWith('TRANSITION')) type = 'change';
  else type = 'access';
  return status === 403 ? [type, 'denied'] : [type];
}

/** `GET /key?query HTTP/1.1` split at its first and last space; raw quotes in the target stay. */
export interface RequestLine {
  method?: string;
  target: string;
  version?: string;
}

export function splitRequestLine(requestUri: string): RequestLine {
  const a = requestUri.indexOf(' ');
  if (a < 0) return { target: requestUri };
  const n = requestUri.length;
  // Nearly always `... HTTP/1.x`: found without lastIndexOf, a slow builtin.
  let b = n - 9;
  if (!(b > a && requestUri.charCodeAt(b) === 32 && requestUri.charCodeAt(b + 1) === 72 && requestUri.charCodeAt(b + 5) === 47))
    b = requestUri.lastIndexOf(' ');
  if (b === a) return { method: requestUri.slice(0, a), target: requestUri.slice(a + 1) };
  const protocol = requestUri.slice(b + 1);
  const version = protocol.startsWith('HTTP/') ? protocol.slice(5) : undefined;
  return { method: requestUri.slice(0, a), target: requestUri.slice(a + 1, b), ...(version !== undefined && version !== '' ? { version } : {}) };
}

/**
 * The Key field is URL-encoded, form style (`+` for space). Decoded exactly once: a key that looks
 * double-encoded (`%2522`) decodes to `%22`, never to `"`. Undecodable input (a lone `%`, bytes
 * that are not UTF-8) is kept as written and flagged.
 */
export function decodeKey(raw: string): { key: string; failed: boolean } {
  let i = raw.indexOf('%');
  if (i < 0) return { key: raw.indexOf('+') < 0 ? raw : raw.replaceAll('+', ' '), failed: false };
  // ASCII escapes (the common %3D, %2F, %20) decoded here; decodeURIComponent, a slow runtime
  // call, only for UTF-8 sequences and errors.
  let out = '';
  let last = 0;
  while (i >= 0) {
    const a = hex(raw.charCodeAt(i + 1));
    const b = hex(raw.charCodeAt(i + 2));
    const c = a * 16 + b;
    if (a < 0 || b < 0 || c >= 0x80) return decodeSlow(raw);
    const seg = raw.slice(last, i);
    out += (seg.indexOf('+') < 0 ? seg : seg.replaceAll('+', ' ')) + String.fromCharCode(c);
    last = i + 3;
    i = raw.indexOf('%', last);
  }
  const tail = raw.slice(last);
  return { key: out + (tail.indexOf('+') < 0 ? tail : tail.replaceAll('+', ' ')), failed: false };
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

function decodeSlow(raw: string): { key: string; failed: boolean } {
  try {
    return { key: decodeURIComponent(raw.replaceAll('+', ' ')), failed: false };
  } catch {
    return { key: raw, failed: true };
  }
}

/**
 * ECS url.extension: the last segment's text after its last dot, lowercase, 1–16 letters or
 * digits (`opus`, `json`, `wav`); otherwise absent. Elastic derives it the same way from the path.
 */
export function extensionOf(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const dot = key.lastIndexOf('.');
  if (dot <= slash + 1 || key.length - dot - 1 > 16 || dot === key.length - 1) return undefined;
  const ext = key.slice(dot + 1);
  return /^[A-Za-z0-9]+$/.test(ext) ? ext.toLowerCase() : undefined;
}

/** Dotted-quad IPv4 (no leading zeros beyond a single 0) or IPv6; what an OpenSearch `ip` accepts. */
export function isIp(s: string): boolean {
  if (s.indexOf(':') >= 0) return isIPv6(s);
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i === s.length ? 46 : s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false;
      value = value * 10 + (c - 48);
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return parts === 4;
}

/**
 * ECS user from the Requester: user.id is the Requester as logged (canonical id, IAM/STS ARN,
 * `svc:...` service principal, `AmazonS3` for lifecycle); user.name is the short name an ARN
 * carries: the IAM user or role name, or an assumed role's session name (often the person or the
 * instance). Canonical ids and service principals have no name.
 */
export function userOf(requester: string): { id: string; name?: string } {
  if (requester === lastRequester) return lastUserName === undefined ? { id: requester } : { id: requester, name: lastUserName };
  lastRequester = requester;
  lastUserName = userNameOf(requester);
  return lastUserName === undefined ? { id: requester } : { id: requester, name: lastUserName };
}
let lastRequester = '';
let lastUserName: string | undefined;

function userNameOf(requester: string): string | undefined {
  if (!requester.startsWith('arn:')) return undefined;
  // arn:partition:service:region:account:resource
  let colon = 3;
  for (let k = 0; k < 4 && colon >= 0; k++) colon = requester.indexOf(':', colon + 1);
  const resource = colon < 0 ? '' : requester.slice(colon + 1);
  if (resource === 'root') return 'root';
  const slash = resource.lastIndexOf('/');
  const name = slash < 0 ? '' : resource.slice(slash + 1);
  return name === '' ? undefined : name;
}

/** `TLSv1.2` / `TLSV1.2` → `1.2`; undefined for anything else. */
export function tlsVersionOf(raw: string): string | undefined {
  if (
    raw.length < 5 ||
    (raw.charCodeAt(0) | 0x20) !== 116 ||
    (raw.charCodeAt(1) | 0x20) !== 108 ||
    (raw.charCodeAt(2) | 0x20) !== 115 ||
    (raw.charCodeAt(3) | 0x20) !== 118
  )
    return undefined;
  const v = raw.slice(4);
  return /^\d+(?:\.\d+)?$/.test(v) ? v : undefined;
}

const HOST_REGION =
  /(?:^|\.)s3[.-](?:dualstack\.|fips\.|website[.-]|accesspoint\.|external-1\.|control\.)*((?:[a-z]{2}-(?:gov-|iso[a-z]?-)?[a-z]+-\d+))\.amazonaws\.com(?:\.cn)?(?::\d+)?$/;
// Host headers repeat within a log object: the last one, then a bounded cache ('' = no region).
const regionCache = new Map<string, string>();
let lastHost = '';
let lastRegion: string | undefined;

/**
 * The bucket's region (ECS cloud.region): from the access point ARN when one was used, else from a
 * regional endpoint in the Host header (`bucket.s3.eu-west-1.amazonaws.com`, `s3-eu-west-1...`,
 * dual-stack and website endpoints). The global endpoint and custom domains name no region.
 * Not the Source region field: that is where the request came from.
 */
export function bucketRegionOf(hostHeader: string | undefined, accessPointArn: string | undefined): string | undefined {
  if (accessPointArn !== undefined) {
    const parts = accessPointArn.split(':');
    if (parts.length > 4 && parts[3] !== '') return parts[3];
  }
  if (hostHeader === undefined) return undefined;
  if (hostHeader === lastHost) return lastRegion;
  let region = regionCache.get(hostHeader);
  if (region === undefined) {
    region = HOST_REGION.exec(hostHeader.toLowerCase())?.[1] ?? '';
    if (regionCache.size >= 4096) regionCache.clear();
    regionCache.set(hostHeader, region);
  }
  lastHost = hostHeader;
  lastRegion = region === '' ? undefined : region;
  return lastRegion;
}
