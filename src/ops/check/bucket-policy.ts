/**
 * Just enough of the IAM policy language to answer the recordings-bucket questions of the storage
 * guide from a bucket policy: is an upload without SSE-KMS refused, and may the uploader abort a
 * multipart upload. It does not evaluate identity policies, SCPs or KMS key policies, which a
 * bucket policy cannot show; the checks say so where it matters.
 */

export interface Statement {
  readonly sid: string | undefined;
  readonly effect: 'Allow' | 'Deny';
  /** `any`: Principal "*" or {"AWS": "*"}. `ids`: the named principals, normalised. */
  readonly principal: { readonly any: boolean; readonly ids: readonly string[]; readonly negated: boolean };
  readonly action: { readonly negated: boolean; readonly patterns: readonly string[] };
  readonly resource: { readonly negated: boolean; readonly patterns: readonly string[] };
  /** operator → condition key (lower-cased) → values. */
  readonly condition: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

export type ParsedPolicy = { ok: true; statements: Statement[] } | { ok: false; problem: string };

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

/** `123456789012` and `arn:aws:iam::123456789012:root` name the same principal. */
export function normalisePrincipal(id: string): string {
  return /^\d{12}$/.test(id) ? `arn:aws:iam::${id}:root` : id;
}

function parsePrincipal(raw: unknown, negated: boolean): Statement['principal'] {
  if (raw === '*') return { any: true, ids: [], negated };
  if (typeof raw !== 'object' || raw === null) return { any: false, ids: [], negated };
  const ids: string[] = [];
  let any = false;
  for (const [kind, value] of Object.entries(raw as Record<string, unknown>)) {
    for (const id of strings(value)) {
      if (id === '*' && kind === 'AWS') any = true;
      else ids.push(kind === 'AWS' ? normalisePrincipal(id) : `${kind}:${id}`);
    }
  }
  return { any, ids, negated };
}

function parseCondition(raw: unknown): Statement['condition'] {
  const out: Record<string, Record<string, string[]>> = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [op, block] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof block !== 'object' || block === null) continue;
    const keys: Record<string, string[]> = {};
    for (const [key, values] of Object.entries(block as Record<string, unknown>)) {
      keys[key.toLowerCase()] = Array.isArray(values) ? values.map(String) : [String(values)];
    }
    out[op] = keys;
  }
  return out;
}

export function parsePolicy(text: string): ParsedPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'the bucket policy is not JSON' };
  }
  const rawStatements = (doc as { Statement?: unknown } | null)?.Statement;
  const list = Array.isArray(rawStatements) ? (rawStatements as unknown[]) : rawStatements !== undefined ? [rawStatements] : [];
  const statements: Statement[] = [];
  for (const raw of list) {
    if (typeof raw !== 'object' || raw === null) continue;
    const s = raw as Record<string, unknown>;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') continue;
    statements.push({
      sid: typeof s.Sid === 'string' ? s.Sid : undefined,
      effect: s.Effect,
      principal: 'NotPrincipal' in s ? parsePrincipal(s.NotPrincipal, true) : parsePrincipal(s.Principal, false),
      action: 'NotAction' in s ? { negated: true, patterns: strings(s.NotAction) } : { negated: false, patterns: strings(s.Action) },
      resource: 'NotResource' in s ? { negated: true, patterns: strings(s.NotResource) } : { negated: false, patterns: strings(s.Resource) },
      condition: parseCondition(s.Condition),
    });
  }
  return { ok: true, statements };
}

function globMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'i' : '',
  );
  return re.test(value);
}

export function coversAction(s: Statement, action: string): boolean {
  const hit = s.action.patterns.some((p) => globMatch(p, action, true));
  return s.action.negated ? !hit : hit;
}

export function coversResource(s: Statement, arn: string): boolean {
  const hit = s.resource.patterns.some((p) => globMatch(p, arn, false));
  return s.resource.negated ? !hit : hit;
}

/** A representative object of the bucket: statements scoped to the whole bucket cover it. */
export const objectArn = (bucket: string): string => `arn:aws:s3:::${bucket}/recording-audit-check/object`;

const SSE = 's3:x-amz-server-side-encryption';
const SSE_KEY = 's3:x-amz-server-side-encryption-aws-kms-key-id';
const KMS_ALGORITHMS = ['aws:kms', 'aws:kms:dsse'];
/** Negated string operators also match when the key is absent, so they refuse header-less uploads too. */
const NEGATED_STRING_OPS = ['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'StringNotEqualsIfExists', 'StringNotLikeIfExists'];

/** The single operator/key/values of a statement's condition, or undefined when it has more. */
function onlyCondition(s: Statement): { op: string; key: string; values: readonly string[] } | undefined {
  const ops = Object.entries(s.condition);
  if (ops.length !== 1) return undefined;
  const [op, keys] = ops[0] ?? ['', {}];
  const entries = Object.entries(keys);
  if (entries.length !== 1) return undefined;
  const [key, values] = entries[0] ?? ['', []];
  return { op, key, values };
}

/** Deny statements that apply to every principal's PutObject on the bucket's objects. */
function blanketPutDenies(statements: readonly Statement[], bucket: string): Statement[] {
  return statements.filter(
    (s) => s.effect === 'Deny' && s.principal.any && !s.principal.negated && coversAction(s, 's3:PutObject') && coversResource(s, objectArn(bucket)),
  );
}

export interface EncryptionEnforcement {
  /** A Deny refusing uploads whose encryption header is not SSE-KMS (absent header included). */
  readonly wrongAlgorithm: Statement | undefined;
  /** A Deny refusing uploads without an encryption header (Null condition). */
  readonly missingHeader: Statement | undefined;
  /** A Deny refusing uploads naming another KMS key than `kmsKeyArn`. */
  readonly wrongKey: Statement | undefined;
  /** Allow statements granting PutObject only with an SSE-KMS condition (the guide's form). */
  readonly conditionalAllows: readonly Statement[];
}

export function encryptionEnforcement(statements: readonly Statement[], bucket: string, kmsKeyArn?: string): EncryptionEnforcement {
  let wrongAlgorithm: Statement | undefined;
  let missingHeader: Statement | undefined;
  let wrongKey: Statement | undefined;
  for (const s of blanketPutDenies(statements, bucket)) {
    const c = onlyCondition(s);
    if (c === undefined) continue;
    if (c.key === SSE && NEGATED_STRING_OPS.includes(c.op) && c.values.length > 0 && c.values.every((v) => KMS_ALGORITHMS.includes(v))) wrongAlgorithm ??= s;
    else if (c.key === SSE && c.op === 'Null' && c.values.every((v) => v.toLowerCase() === 'true')) missingHeader ??= s;
    else if (
      c.key === SSE_KEY &&
      NEGATED_STRING_OPS.includes(c.op) &&
      kmsKeyArn !== undefined &&
      c.values.length > 0 &&
      c.values.every((v) => sameKmsKey(v, kmsKeyArn))
    )
      wrongKey ??= s;
  }
  const conditionalAllows = statements.filter(
    (s) =>
      s.effect === 'Allow' &&
      coversAction(s, 's3:PutObject') &&
      coversResource(s, objectArn(bucket)) &&
      (s.condition.StringEquals?.[SSE] ?? []).some((v) => KMS_ALGORITHMS.includes(v)),
  );
  return { wrongAlgorithm, missingHeader, wrongKey, conditionalAllows };
}

/** A key ARN, key id or the same key written either way. Aliases are not resolved. */
export function sameKmsKey(a: string, b: string): boolean {
  if (a === b) return true;
  const id = (v: string): string => /key\/([\w-]+)$/.exec(v)?.[1] ?? v;
  return id(a) === id(b);
}

/** Keys an AbortMultipartUpload request never carries: an Allow conditioned on them cannot match it. */
function conditionsUnmatchableByAbort(s: Statement): string[] {
  const out: string[] = [];
  for (const [op, keys] of Object.entries(s.condition)) {
    if (NEGATED_STRING_OPS.includes(op) || op.endsWith('IfExists') || op === 'Null') continue;
    for (const key of Object.keys(keys)) if (key === SSE || key === SSE_KEY) out.push(`${op} ${key}`);
  }
  return out;
}

export interface AbortFinding {
  /** Principals granted s3:PutObject on the bucket's objects by the bucket policy. */
  readonly uploaders: readonly string[];
  /** Uploaders with no usable s3:AbortMultipartUpload grant, each with why. */
  readonly missing: readonly { principal: string; reason: string }[];
  /** PutObject granted to everyone: a public-write bucket. */
  readonly publicWrite: boolean;
}

export function abortMultipartFinding(statements: readonly Statement[], bucket: string): AbortFinding {
  const arn = objectArn(bucket);
  const allows = statements.filter((s) => s.effect === 'Allow' && !s.principal.negated && coversResource(s, arn));
  const putAllows = allows.filter((s) => coversAction(s, 's3:PutObject'));
  const publicWrite = putAllows.some((s) => s.principal.any && Object.keys(s.condition).length === 0);
  const uploaders = [...new Set(putAllows.flatMap((s) => s.principal.ids))];
  const abortAllows = allows.filter((s) => coversAction(s, 's3:AbortMultipartUpload'));
  const missing: { principal: string; reason: string }[] = [];
  for (const principal of uploaders) {
    const grants = abortAllows.filter((s) => s.principal.any || s.principal.ids.includes(principal));
    if (grants.length === 0) {
      missing.push({ principal, reason: 'no statement allows it s3:AbortMultipartUpload' });
      continue;
    }
    if (grants.every((s) => conditionsUnmatchableByAbort(s).length > 0)) {
      const blocking = [...new Set(grants.flatMap(conditionsUnmatchableByAbort))].join(', ');
      missing.push({
        principal,
        reason: `its s3:AbortMultipartUpload grant is conditioned on ${blocking}, which an abort request never carries, so it never applies`,
      });
    }
  }
  return { uploaders, missing, publicWrite };
}
