import { coversAction, coversResource, objectArn, type Statement } from './bucket-policy.js';

/**
 * The bucket-policy questions of issue 20 about the log bucket (who may write a log object) and the
 * quarantine bucket (TLS only, who may read). Like bucket-policy.ts, it reads only the bucket
 * policy; identity policies and SCPs cannot widen a Deny, which is why the answers look for one.
 */

export const LOG_DELIVERY_SERVICE = 'logging.s3.amazonaws.com';

const NEGATED_STRING = ['StringNotEquals', 'StringNotEqualsIfExists', 'StringNotLike', 'StringNotLikeIfExists'];
const NEGATED_ARN = ['ArnNotEquals', 'ArnNotLike', 'ArnNotEqualsIfExists', 'ArnNotLikeIfExists', ...NEGATED_STRING];
const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]*[a-z0-9]$/;

/** The one operator and key of a condition (more would narrow a Deny), or undefined. */
function single(s: Statement): { op: string; key: string; values: readonly string[] } | undefined {
  const ops = Object.entries(s.condition);
  if (ops.length !== 1) return undefined;
  const [op, keys] = ops[0]!;
  const entries = Object.entries(keys);
  if (entries.length !== 1) return undefined;
  const [key, values] = entries[0]!;
  return { op, key, values };
}

function deniesEveryone(s: Statement): boolean {
  return s.effect === 'Deny' && s.principal.any && !s.principal.negated;
}

/**
 * A Deny of PutObject on the bucket's objects for every principal but S3 log delivery: by its
 * service name (aws:PrincipalServiceName), by NotPrincipal, or by a source that must be one of the
 * named buckets (aws:SourceArn, which only a service acting for a bucket carries).
 */
export function logDeliveryOnlyDeny(statements: readonly Statement[], bucket: string): Statement | undefined {
  return statements.find((s) => {
    if (s.effect !== 'Deny' || !coversAction(s, 's3:PutObject') || !coversResource(s, objectArn(bucket))) return false;
    if (s.principal.negated) {
      return s.principal.ids.length > 0 && s.principal.ids.every((id) => id === `Service:${LOG_DELIVERY_SERVICE}`) && Object.keys(s.condition).length === 0;
    }
    if (!deniesEveryone(s)) return false;
    const c = single(s);
    if (c === undefined) return false;
    if (c.key === 'aws:principalservicename') return NEGATED_STRING.includes(c.op) && c.values.length > 0 && c.values.every((v) => v === LOG_DELIVERY_SERVICE);
    if (c.key === 'aws:sourcearn') return NEGATED_ARN.includes(c.op) && c.values.length > 0 && c.values.every((v) => BUCKET_ARN.test(v));
    return false;
  });
}

const SOURCE_KEYS = ['aws:sourceaccount', 'aws:sourcearn'];
const POSITIVE_OPS = ['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike'];

/**
 * Whether S3 log delivery may write here only for this account's buckets (confused deputy): every
 * Allow to the logging service is conditioned on aws:SourceAccount or aws:SourceArn, or a blanket
 * Deny refuses other source accounts or buckets. Returns the statement that binds it, if any.
 */
export function logDeliverySourceBinding(statements: readonly Statement[], bucket: string): Statement | undefined {
  const deny = statements.find((s) => {
    if (!deniesEveryone(s) || !coversAction(s, 's3:PutObject') || !coversResource(s, objectArn(bucket))) return false;
    const c = single(s);
    return c !== undefined && SOURCE_KEYS.includes(c.key) && NEGATED_ARN.includes(c.op) && c.values.length > 0 && !c.values.includes('*');
  });
  if (deny !== undefined) return deny;
  const allows = statements.filter(
    (s) =>
      s.effect === 'Allow' &&
      s.principal.ids.includes(`Service:${LOG_DELIVERY_SERVICE}`) &&
      coversAction(s, 's3:PutObject') &&
      coversResource(s, objectArn(bucket)),
  );
  const bound = (s: Statement): boolean =>
    Object.entries(s.condition).some(([op, keys]) => POSITIVE_OPS.includes(op) && SOURCE_KEYS.some((k) => (keys[k] ?? []).some((v) => v !== '*')));
  return allows.length > 0 && allows.every(bound) ? allows[0] : undefined;
}

/** Statements allowing PutObject to anyone but S3 log delivery. */
export function otherWriters(statements: readonly Statement[], bucket: string): Statement[] {
  return statements.filter(
    (s) =>
      s.effect === 'Allow' &&
      coversAction(s, 's3:PutObject') &&
      coversResource(s, objectArn(bucket)) &&
      (s.principal.any || s.principal.negated || s.principal.ids.some((id) => id !== `Service:${LOG_DELIVERY_SERVICE}`)),
  );
}

/** The statements `check` asks for on a log bucket, ready to paste. */
export function logBucketDenyStatements(bucket: string, sourceBuckets: readonly string[]): object[] {
  const resource = `arn:aws:s3:::${bucket}/*`;
  const out: object[] = [
    {
      Sid: 'DenyWritesButS3LogDelivery',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: resource,
      Condition: { StringNotEquals: { 'aws:PrincipalServiceName': LOG_DELIVERY_SERVICE } },
    },
  ];
  if (sourceBuckets.length > 0) {
    out.push({
      Sid: 'DenyLogDeliveryForOtherBuckets',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: resource,
      Condition: { ArnNotLike: { 'aws:SourceArn': sourceBuckets.map((b) => `arn:aws:s3:::${b}`) } },
    });
  }
  return out;
}

/** A Deny of object reads and writes for every principal when the request is not over TLS. */
export function tlsOnlyDeny(statements: readonly Statement[], bucket: string): Statement | undefined {
  return statements.find((s) => {
    if (!deniesEveryone(s) || !coversAction(s, 's3:GetObject') || !coversAction(s, 's3:PutObject') || !coversResource(s, objectArn(bucket))) return false;
    const c = single(s);
    return c !== undefined && c.op === 'Bool' && c.key === 'aws:securetransport' && c.values.length > 0 && c.values.every((v) => v.toLowerCase() === 'false');
  });
}

/** A Deny of object reads for every principal but the named ones (aws:PrincipalArn); the names. */
export function readersOnlyDeny(statements: readonly Statement[], bucket: string): { statement: Statement; readers: readonly string[] } | undefined {
  for (const s of statements) {
    if (!deniesEveryone(s) || !coversAction(s, 's3:GetObject') || !coversResource(s, objectArn(bucket))) continue;
    const c = single(s);
    if (c !== undefined && c.key === 'aws:principalarn' && NEGATED_ARN.includes(c.op) && c.values.length > 0 && !c.values.some((v) => v === '*')) {
      return { statement: s, readers: c.values };
    }
  }
  return undefined;
}
