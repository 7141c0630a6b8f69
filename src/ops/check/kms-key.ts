import { GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { describeAwsError, isAccessDenied } from './aws-errors.js';
import { coversAction, normalisePrincipal, parsePolicy, type Statement } from './bucket-policy.js';
import type { CheckContext } from './types.js';
import type { Rows } from './types.js';

/** What an SSE-KMS upload needs from the key: a data key, and Decrypt to complete a multipart upload. */
export const UPLOAD_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;

const accountRoot = (principal: string): string | undefined => {
  const m = /^arn:[\w-]+:(?:iam|sts)::(\d{12}):/.exec(principal);
  return m?.[1] !== undefined ? `arn:aws:iam::${m[1]}:root` : undefined;
};

export type KeyAccess = { kind: 'direct' } | { kind: 'delegated'; root: string } | { kind: 'missing'; actions: string[] };

/**
 * Whether a key policy lets `principal` upload with the key. A grant to the principal itself is
 * direct. A grant to its account root only delegates to IAM policies (the usual default key
 * policy), which this check cannot read.
 */
export function keyAccessFor(statements: readonly Statement[], principal: string): KeyAccess {
  const allows = statements.filter((s) => s.effect === 'Allow' && !s.principal.negated);
  const root = accountRoot(principal);
  const direct = (action: string): boolean =>
    allows.some((s) => (s.principal.any || s.principal.ids.includes(normalisePrincipal(principal))) && coversAction(s, action));
  const viaRoot = (action: string): boolean => root !== undefined && allows.some((s) => s.principal.ids.includes(root) && coversAction(s, action));
  const missingDirect = UPLOAD_KEY_ACTIONS.filter((a) => !direct(a));
  if (missingDirect.length === 0) return { kind: 'direct' };
  if (root !== undefined && missingDirect.every(viaRoot)) return { kind: 'delegated', root };
  return { kind: 'missing', actions: missingDirect.filter((a) => !viaRoot(a)) };
}

/** The guide's Edge Case 1: the bucket policy allows the upload but the key policy refuses the key. */
export async function keyPolicyCheck(rows: Rows, ctx: CheckContext, keyArn: string | undefined, uploaders: readonly string[]): Promise<void> {
  const check = 'uploader may use the KMS key';
  if (keyArn === undefined) {
    rows.skip(check, 'no customer managed key to inspect (RECORDINGS_KMS_KEY_ARN unset and no key in the default encryption)');
    return;
  }
  if (uploaders.length === 0) {
    rows.skip(check, 'the bucket policy names no uploading principal');
    return;
  }
  let text: string | undefined;
  try {
    text = (await ctx.kms().send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy;
  } catch (err) {
    if (isAccessDenied(err)) rows.skip(check, `cannot read the key policy (kms:GetKeyPolicy on ${keyArn}); run check with an operator role to verify`);
    else rows.fail(check, `GetKeyPolicy failed: ${describeAwsError(err)}`, `Check that ${keyArn} exists in this account and region.`);
    return;
  }
  const parsed = parsePolicy(text ?? '{}');
  if (!parsed.ok) {
    rows.fail(check, `the key policy of ${keyArn} is not JSON`, 'Fix the key policy.');
    return;
  }
  const findings = uploaders.map((p) => ({ principal: p, access: keyAccessFor(parsed.statements, p) }));
  const missing = findings.filter((f) => f.access.kind === 'missing');
  if (missing.length > 0) {
    rows.fail(
      check,
      missing.map((f) => `${f.principal} lacks ${f.access.kind === 'missing' ? f.access.actions.join(', ') : ''} on ${keyArn}`).join('; ') +
        ': uploads fail with AccessDenied (the guide\'s "Recording Storage Error")',
      `Add to the key policy: ${JSON.stringify({ Sid: 'AllowGenesysCloudToUseKey', Effect: 'Allow', Principal: { AWS: missing.map((f) => f.principal) }, Action: ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:Encrypt'], Resource: '*' })}`,
    );
    return;
  }
  const delegated = findings.filter((f) => f.access.kind === 'delegated');
  if (delegated.length > 0) {
    rows.warn(
      check,
      `the key policy leaves ${delegated.map((f) => f.principal).join(', ')} to IAM (account root grant), which this check cannot read`,
      `Make sure the uploader's IAM policy allows kms:GenerateDataKey and kms:Decrypt on ${keyArn}, or name it in the key policy.`,
    );
    return;
  }
  rows.pass(check, `${uploaders.join(', ')} may generate data keys and decrypt with ${keyArn}`);
}
