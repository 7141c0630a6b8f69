import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  type LifecycleRule,
  type S3Client,
  type ServerSideEncryptionByDefault,
} from '@aws-sdk/client-s3';
import { DescribeKeyCommand, GetKeyRotationStatusCommand } from '@aws-sdk/client-kms';
import { describeAwsError, fixForAwsError, isAccessDenied, isNotFound } from './aws-errors.js';
import { abortMultipartFinding, encryptionEnforcement, parsePolicy, sameKmsKey, type Statement } from './bucket-policy.js';
import { keyPolicyCheck } from './kms-key.js';
import { tlsCheck } from './s3-log-bucket.js';
import { earlyExpirations } from './lifecycle.js';
import { Rows, type CheckContext, type CheckGroup, type CheckResult } from './types.js';

const GUIDE = 'the HIPAA recording storage guide';

/** The deny statements `check` looks for, ready to paste into the bucket policy. */
export function denyUnencryptedStatements(bucket: string, kmsKeyArn?: string): object[] {
  const resource = `arn:aws:s3:::${bucket}/*`;
  const statements: object[] = [
    {
      Sid: 'DenyNonKmsUploads',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: resource,
      Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    },
  ];
  if (kmsKeyArn !== undefined) {
    statements.push({
      Sid: 'DenyOtherKmsKeys',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: resource,
      Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': kmsKeyArn } },
    });
  }
  return statements;
}

async function defaultEncryption(s3: S3Client, bucket: string): Promise<ServerSideEncryptionByDefault | undefined> {
  try {
    const res = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    return res.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
  } catch (err) {
    if (isNotFound(err, 'ServerSideEncryptionConfigurationNotFoundError')) return undefined;
    throw err;
  }
}

async function resolveKey(ctx: CheckContext, keyId: string): Promise<string> {
  if (!keyId.includes('alias/')) return keyId;
  const res = await ctx.kms().send(new DescribeKeyCommand({ KeyId: keyId }));
  return res.KeyMetadata?.Arn ?? keyId;
}

/** Returns the customer managed key the bucket should use (for the key policy check), if any. */
async function encryptionCheck(rows: Rows, ctx: CheckContext, bucket: string): Promise<string | undefined> {
  const check = 'default encryption SSE-KMS';
  const wanted = ctx.config.RECORDINGS_KMS_KEY_ARN;
  const fix = `aws s3api put-bucket-encryption --bucket ${bucket} --server-side-encryption-configuration '${JSON.stringify({ Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: wanted ?? '<key ARN>' }, BucketKeyEnabled: true }] })}'`;
  let sse: ServerSideEncryptionByDefault | undefined;
  try {
    sse = await defaultEncryption(ctx.s3(), bucket);
  } catch (err) {
    rows.fail(check, `GetBucketEncryption failed: ${describeAwsError(err)}`, fixForAwsError(err, 's3:GetEncryptionConfiguration', `arn:aws:s3:::${bucket}`));
    return wanted;
  }
  const algorithm = sse?.SSEAlgorithm;
  if (algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse') {
    rows.fail(
      check,
      `default encryption is ${algorithm ?? 'not set'}; ${GUIDE} requires SSE-KMS (key management separate from storage, every key use in CloudTrail)`,
      fix,
    );
    return wanted;
  }
  const keyId = sse?.KMSMasterKeyID;
  if (wanted === undefined) {
    rows.pass(check, `${algorithm} with ${keyId ?? 'the AWS managed key aws/s3'}`);
    if (keyId === undefined) return undefined;
    try {
      return await resolveKey(ctx, keyId);
    } catch {
      return undefined;
    }
  }
  if (keyId === undefined) {
    rows.fail(check, `${algorithm} with the AWS managed key aws/s3, not RECORDINGS_KMS_KEY_ARN`, fix);
    return wanted;
  }
  let resolved: string;
  try {
    resolved = await resolveKey(ctx, keyId);
  } catch (err) {
    rows.warn(
      check,
      `${algorithm} with ${keyId}, an alias this principal cannot resolve (${describeAwsError(err)})`,
      `Grant kms:DescribeKey on the key, or configure the key ARN instead of the alias.`,
    );
    return wanted;
  }
  if (!sameKmsKey(resolved, wanted)) {
    rows.fail(check, `${algorithm} with ${keyId}, not RECORDINGS_KMS_KEY_ARN ${wanted}`, fix);
    return wanted;
  }
  rows.pass(check, `${algorithm} with ${keyId}`);
  return wanted;
}

function policyEncryptionCheck(rows: Rows, statements: readonly Statement[] | undefined, bucket: string, kmsKeyArn: string | undefined): void {
  const check = 'uploads without SSE-KMS refused';
  const fix = `Add to the bucket policy: ${JSON.stringify(denyUnencryptedStatements(bucket, kmsKeyArn))}`;
  if (statements === undefined) {
    rows.fail(check, 'the bucket has no bucket policy, so nothing refuses an upload without SSE-KMS', fix);
    return;
  }
  const e = encryptionEnforcement(statements, bucket, kmsKeyArn);
  if (e.wrongAlgorithm === undefined) {
    const parts: string[] = [];
    if (e.missingHeader !== undefined)
      parts.push(
        `"${e.missingHeader.sid ?? 'a Null-condition Deny'}" refuses uploads without an encryption header, but an upload asking for SSE-S3 (AES256) is still accepted`,
      );
    else parts.push('no Deny statement refuses s3:PutObject when s3:x-amz-server-side-encryption is not aws:kms');
    if (e.conditionalAllows.length > 0) {
      parts.push(
        `the SSE-KMS condition on the Allow for the uploader (${e.conditionalAllows.map((s) => s.sid ?? 'unnamed').join(', ')}) does not refuse uploads by principals whose own IAM policy grants s3:PutObject`,
      );
    }
    rows.fail(check, parts.join('; '), fix);
    return;
  }
  const by = e.wrongAlgorithm.sid ?? 'a Deny statement';
  if (kmsKeyArn !== undefined && e.wrongKey === undefined) {
    rows.warn(check, `"${by}" refuses non-KMS uploads, but an upload may name another KMS key than RECORDINGS_KMS_KEY_ARN`, fix);
    return;
  }
  rows.pass(
    check,
    `"${by}" refuses uploads that are not SSE-KMS${e.wrongKey !== undefined ? `; "${e.wrongKey.sid ?? 'a Deny statement'}" refuses other keys` : ''}`,
  );
}

async function versioningCheck(rows: Rows, s3: S3Client, bucket: string): Promise<void> {
  const check = 'versioning enabled';
  try {
    const res = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    if (res.Status === 'Enabled') rows.pass(check, `Enabled${res.MFADelete === 'Enabled' ? ', MFA delete on' : ''}`);
    else
      rows.fail(
        check,
        `versioning is ${res.Status ?? 'never enabled'}: an overwritten or deleted recording cannot be recovered`,
        `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled`,
      );
  } catch (err) {
    rows.fail(check, `GetBucketVersioning failed: ${describeAwsError(err)}`, fixForAwsError(err, 's3:GetBucketVersioning', `arn:aws:s3:::${bucket}`));
  }
}

async function loggingChecks(rows: Rows, ctx: CheckContext, bucket: string): Promise<void> {
  const s3 = ctx.s3();
  let target: string | undefined;
  let prefix = '';
  try {
    const res = await s3.send(new GetBucketLoggingCommand({ Bucket: bucket }));
    target = res.LoggingEnabled?.TargetBucket;
    prefix = res.LoggingEnabled?.TargetPrefix ?? '';
  } catch (err) {
    rows.fail(
      'server access logging',
      `GetBucketLogging failed: ${describeAwsError(err)}`,
      fixForAwsError(err, 's3:GetBucketLogging', `arn:aws:s3:::${bucket}`),
    );
    rows.skip('access-log bucket encrypted', 'the logging configuration is unknown');
    return;
  }
  const logFix = (b: string): string =>
    `aws s3api put-bucket-logging --bucket ${bucket} --bucket-logging-status '${JSON.stringify({ LoggingEnabled: { TargetBucket: b, TargetPrefix: `${bucket}/` } })}'`;
  if (target === undefined) {
    rows.fail('server access logging', 'off: no access to a recording is logged, so there is no audit trail to index', logFix('<log bucket>'));
    rows.skip('access-log bucket encrypted', 'server access logging is off');
    return;
  }
  if (target === bucket) {
    rows.fail(
      'server access logging',
      `logs go to the recordings bucket itself: if it is compromised or deleted the audit trail goes with it (${GUIDE})`,
      logFix('<a separate log bucket>'),
    );
  } else {
    rows.pass('server access logging', `to ${target}${prefix !== '' ? `/${prefix}` : ''}`);
  }

  const logBuckets = ctx.config.LOG_BUCKETS;
  if (logBuckets === undefined) rows.skip('access logs reach the worker', 'LOG_BUCKETS is not set');
  else if (logBuckets.includes(target)) rows.pass('access logs reach the worker', `${target} is in LOG_BUCKETS`);
  else
    rows.fail(
      'access logs reach the worker',
      `the access logs go to ${target}, which is not in LOG_BUCKETS (${logBuckets.join(', ')}): they are never indexed`,
      `Add ${target} to LOG_BUCKETS and notify the queue from it, or point the logging at one of LOG_BUCKETS.`,
    );

  const check = 'access-log bucket encrypted';
  try {
    const sse = await defaultEncryption(s3, target);
    if (sse?.SSEAlgorithm === 'AES256') rows.pass(check, `${target}: SSE-S3`);
    else if (sse?.SSEAlgorithm === undefined)
      rows.fail(
        check,
        `${target} has no default encryption (${GUIDE})`,
        `aws s3api put-bucket-encryption --bucket ${target} --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'`,
      );
    // S3 log delivery supports SSE-S3 targets only; with SSE-KMS, logs may be undeliverable or unreadable.
    else
      rows.warn(
        check,
        `${target}: ${sse.SSEAlgorithm}; S3 delivers server access logs only to SSE-S3 buckets, so logs may be missing`,
        `Use SSE-S3 (AES256) default encryption on ${target}.`,
      );
  } catch (err) {
    rows.fail(
      check,
      `GetBucketEncryption on ${target} failed: ${describeAwsError(err)}`,
      fixForAwsError(err, 's3:GetEncryptionConfiguration', `arn:aws:s3:::${target}`),
    );
  }
}

async function lifecycleCheck(rows: Rows, s3: S3Client, bucket: string, retentionDays: number): Promise<void> {
  const check = 'no early expiry';
  let rules: LifecycleRule[];
  try {
    const res = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    rules = res.Rules ?? [];
  } catch (err) {
    if (isNotFound(err, 'NoSuchLifecycleConfiguration')) {
      rows.pass(check, 'no lifecycle rules');
      return;
    }
    rows.fail(
      check,
      `GetBucketLifecycleConfiguration failed: ${describeAwsError(err)}`,
      fixForAwsError(err, 's3:GetLifecycleConfiguration', `arn:aws:s3:::${bucket}`),
    );
    return;
  }
  const early = earlyExpirations(rules, retentionDays);
  if (early.length === 0) {
    rows.pass(check, `${rules.length} lifecycle rule(s), none removes recordings before ${retentionDays} days`);
    return;
  }
  rows.fail(
    check,
    `${early.map((e) => `rule ${e.rule} ${e.what}`).join('; ')}: before RECORDINGS_RETENTION_DAYS (${retentionDays})`,
    `Remove the expiration from these rules or raise it to at least ${retentionDays} days; ${GUIDE} recommends letting Genesys Cloud delete recordings at the end of their retention.`,
  );
}

function abortCheck(rows: Rows, statements: readonly Statement[] | undefined, bucket: string): void {
  const check = 'uploader may abort multipart uploads';
  if (statements === undefined) {
    rows.warn(
      check,
      "no bucket policy: the uploader's rights come from its IAM policy, which this check cannot read",
      'Make sure the Genesys upload principal is allowed s3:AbortMultipartUpload, or incomplete uploads stay behind.',
    );
    return;
  }
  const f = abortMultipartFinding(statements, bucket);
  if (f.publicWrite) {
    rows.fail(check, 'the bucket policy allows s3:PutObject to everyone', 'Grant s3:PutObject only to the Genesys upload role.');
    return;
  }
  if (f.uploaders.length === 0) {
    rows.warn(
      check,
      "the bucket policy grants s3:PutObject to no named principal; the uploader's rights come from its IAM policy",
      'Make sure the Genesys upload principal is allowed s3:AbortMultipartUpload.',
    );
    return;
  }
  if (f.missing.length > 0) {
    rows.fail(
      check,
      `${f.missing.map((m) => `${m.principal}: ${m.reason}`).join('; ')}. Failed multipart uploads of recordings then stay behind, possibly unencrypted (${GUIDE})`,
      `Allow s3:AbortMultipartUpload on arn:aws:s3:::${bucket}/* to ${f.missing.map((m) => m.principal).join(', ')} in a statement without an encryption condition.`,
    );
    return;
  }
  rows.pass(check, `${f.uploaders.join(', ')} may abort`);
}

/** A rotated key limits how much data one key version protects; the guide's CMK should rotate. */
async function rotationCheck(rows: Rows, ctx: CheckContext, keyArn: string | undefined): Promise<void> {
  const check = 'KMS key rotates';
  if (keyArn === undefined) {
    rows.skip(check, 'no customer managed key to inspect (RECORDINGS_KMS_KEY_ARN unset and no key in the default encryption)');
    return;
  }
  try {
    const res = await ctx.kms().send(new GetKeyRotationStatusCommand({ KeyId: keyArn }));
    if (res.KeyRotationEnabled === true)
      rows.pass(check, `automatic rotation on${res.RotationPeriodInDays !== undefined ? `, every ${res.RotationPeriodInDays} days` : ''}`);
    else rows.fail(check, `automatic rotation of ${keyArn} is off`, `aws kms enable-key-rotation --key-id ${keyArn}`);
  } catch (err) {
    if (isAccessDenied(err))
      rows.skip(check, `cannot read the rotation status (kms:GetKeyRotationStatus on ${keyArn}); run check with an operator role to verify`);
    else rows.fail(check, `GetKeyRotationStatus failed: ${describeAwsError(err)}`, `Check that ${keyArn} exists in this account and region.`);
  }
}

async function run(ctx: CheckContext): Promise<CheckResult[]> {
  const rows = new Rows('recordings-bucket');
  const bucket = ctx.config.RECORDINGS_BUCKET;
  if (bucket === undefined) {
    rows.skip('recordings bucket', 'RECORDINGS_BUCKET is not set');
    return rows.rows;
  }
  const s3 = ctx.s3();
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const missing = isNotFound(err, 'NotFound', 'NoSuchBucket');
    rows.fail(
      'recordings bucket',
      missing ? `${bucket} does not exist` : `HeadBucket failed: ${describeAwsError(err)}`,
      missing ? 'Correct RECORDINGS_BUCKET.' : fixForAwsError(err, 's3:ListBucket', `arn:aws:s3:::${bucket}`),
    );
    return rows.rows;
  }

  let statements: Statement[] | undefined;
  let policyProblem: string | undefined;
  try {
    const res = await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    const parsed = parsePolicy(res.Policy ?? '{}');
    if (parsed.ok) statements = parsed.statements;
    else policyProblem = parsed.problem;
  } catch (err) {
    if (!isNotFound(err, 'NoSuchBucketPolicy')) policyProblem = `GetBucketPolicy failed: ${describeAwsError(err)}`;
  }

  const keyArn = await encryptionCheck(rows, ctx, bucket);
  if (policyProblem !== undefined)
    rows.fail('uploads without SSE-KMS refused', policyProblem, 'Grant s3:GetBucketPolicy to the principal running check, or fix the policy.');
  else policyEncryptionCheck(rows, statements, bucket, ctx.config.RECORDINGS_KMS_KEY_ARN);
  if (policyProblem !== undefined) rows.skip('TLS only', 'the bucket policy could not be read');
  else tlsCheck(rows, 'TLS only', statements ?? [], bucket);
  await versioningCheck(rows, s3, bucket);
  await loggingChecks(rows, ctx, bucket);
  await lifecycleCheck(rows, s3, bucket, ctx.config.RECORDINGS_RETENTION_DAYS);
  if (policyProblem !== undefined) rows.skip('uploader may abort multipart uploads', 'the bucket policy could not be read');
  else abortCheck(rows, statements, bucket);
  await keyPolicyCheck(rows, ctx, keyArn, statements !== undefined ? abortMultipartFinding(statements, bucket).uploaders : []);
  await rotationCheck(rows, ctx, keyArn);
  return rows.rows;
}

export const recordingsBucketChecks: CheckGroup = {
  name: 'recordings-bucket',
  summary: 'The recordings bucket follows the HIPAA recording storage guide.',
  needs: ['RECORDINGS_BUCKET'],
  run,
};
