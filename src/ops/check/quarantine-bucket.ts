import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describeAwsError, fixForAwsError, isAccessDenied, isNotFound } from './aws-errors.js';
import { parsePolicy, type Statement } from './bucket-policy.js';
import { readersOnlyDeny, tlsOnlyDeny } from './guard-policy.js';
import { Rows, type CheckContext, type CheckGroup, type CheckResult } from './types.js';

/**
 * The quarantine holds lines that are not in the index, with everything but their credentials:
 * it is encrypted with KMS, reached over TLS only, read by the incident reader role only, and
 * expires by a lifecycle rule (issue 20). config/cloudformation/recording-audit.yaml sets all four.
 */

const KMS = ['aws:kms', 'aws:kms:dsse'];

/** The bucket QUARANTINE_URL names, or undefined for a local directory. */
export function quarantineBucketOf(url: string): string | undefined {
  const m = /^s3:\/\/([^/]+)/.exec(url);
  return m?.[1];
}

async function encryption(rows: Rows, s3: S3Client, bucket: string): Promise<void> {
  const check = `${bucket} default encryption SSE-KMS`;
  const fix = `aws s3api put-bucket-encryption --bucket ${bucket} --server-side-encryption-configuration '${JSON.stringify({ Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }] })}'`;
  let algorithm: string | undefined;
  try {
    const res = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    algorithm = res.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
  } catch (err) {
    if (!isNotFound(err, 'ServerSideEncryptionConfigurationNotFoundError')) {
      rows.fail(check, `GetBucketEncryption failed: ${describeAwsError(err)}`, fixForAwsError(err, 's3:GetEncryptionConfiguration', `arn:aws:s3:::${bucket}`));
      return;
    }
  }
  if (algorithm !== undefined && KMS.includes(algorithm)) rows.pass(check, `default encryption ${algorithm}`);
  else rows.fail(check, `default encryption is ${algorithm ?? 'not set'}: anyone with s3:GetObject reads the quarantined lines without a KMS grant`, fix);
}

async function policyStatements(rows: Rows, s3: S3Client, bucket: string, checks: readonly string[]): Promise<Statement[] | undefined> {
  try {
    const text = (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy;
    const parsed = text === undefined ? { ok: true as const, statements: [] } : parsePolicy(text);
    if (parsed.ok) return parsed.statements;
    for (const c of checks) rows.fail(c, parsed.problem, 'Fix the bucket policy JSON.');
  } catch (err) {
    if (isNotFound(err, 'NoSuchBucketPolicy')) return [];
    if (isAccessDenied(err))
      for (const c of checks) rows.skip(c, 'cannot read the bucket policy (s3:GetBucketPolicy); run `check` with an operator role to verify');
    else
      for (const c of checks)
        rows.fail(c, `GetBucketPolicy failed: ${describeAwsError(err)}`, fixForAwsError(err, 's3:GetBucketPolicy', `arn:aws:s3:::${bucket}`));
  }
  return undefined;
}

async function policy(rows: Rows, s3: S3Client, bucket: string): Promise<void> {
  const tls = `${bucket} refuses requests without TLS`;
  const readers = `${bucket} read by the incident reader role only`;
  const statements = await policyStatements(rows, s3, bucket, [tls, readers]);
  if (statements === undefined) return;
  const resources = [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`];
  const t = tlsOnlyDeny(statements, bucket);
  if (t !== undefined) rows.pass(tls, `Deny ${t.sid ?? '(no Sid)'} refuses requests with aws:SecureTransport false`);
  else
    rows.fail(
      tls,
      'no Deny refuses requests without TLS',
      `Add ${JSON.stringify({ Sid: 'DenyWithoutTls', Effect: 'Deny', Principal: '*', Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:ListBucket'], Resource: resources, Condition: { Bool: { 'aws:SecureTransport': 'false' } } })}`,
    );
  const r = readersOnlyDeny(statements, bucket);
  if (r !== undefined) rows.pass(readers, `Deny ${r.statement.sid ?? '(no Sid)'} refuses s3:GetObject to all but ${r.readers.join(', ')}`);
  else {
    rows.fail(
      readers,
      'no Deny limits who reads quarantined lines: any principal whose IAM policy allows s3:GetObject can',
      `Add ${JSON.stringify({ Sid: 'ReadOnlyByIncidentReader', Effect: 'Deny', Principal: '*', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: `arn:aws:s3:::${bucket}/*`, Condition: { ArnNotLike: { 'aws:PrincipalArn': '<incident reader role ARN>' } } })} (the stack's QuarantineReaderRole).`,
    );
  }
}

function expires(rule: LifecycleRule): boolean {
  return rule.Status === 'Enabled' && (rule.Expiration?.Days !== undefined || rule.Expiration?.Date !== undefined);
}

async function lifecycle(rows: Rows, s3: S3Client, bucket: string): Promise<void> {
  const check = `${bucket} lifecycle expires quarantine records`;
  const fix = `Add a lifecycle rule that expires objects (and noncurrent versions) after your retention, e.g. ${JSON.stringify({ Rules: [{ ID: 'ExpireQuarantine', Status: 'Enabled', Filter: {}, Expiration: { Days: 2192 }, NoncurrentVersionExpiration: { NoncurrentDays: 30 } }] })}`;
  let rules: LifecycleRule[] = [];
  try {
    rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
  } catch (err) {
    if (!isNotFound(err, 'NoSuchLifecycleConfiguration')) {
      rows.fail(
        check,
        `GetBucketLifecycleConfiguration failed: ${describeAwsError(err)}`,
        fixForAwsError(err, 's3:GetLifecycleConfiguration', `arn:aws:s3:::${bucket}`),
      );
      return;
    }
  }
  const rule = rules.find(expires);
  if (rule !== undefined)
    rows.pass(check, `rule ${rule.ID ?? '(no ID)'} expires objects${rule.Expiration?.Days !== undefined ? ` after ${rule.Expiration.Days} days` : ''}`);
  else rows.fail(check, 'no enabled lifecycle rule expires quarantine records: lines with their recovered fields are kept forever', fix);
}

async function run(ctx: CheckContext): Promise<CheckResult[]> {
  const rows = new Rows('quarantine-bucket');
  const bucket = quarantineBucketOf(ctx.config.QUARANTINE_URL);
  if (bucket === undefined) {
    rows.skip('quarantine bucket', 'QUARANTINE_URL is a local directory');
    return rows.rows;
  }
  const s3 = ctx.s3();
  await encryption(rows, s3, bucket);
  await policy(rows, s3, bucket);
  await lifecycle(rows, s3, bucket);
  return rows.rows;
}

export const quarantineBucketChecks: CheckGroup = {
  name: 'quarantine-bucket',
  summary: 'The S3 quarantine bucket is SSE-KMS encrypted, TLS only, read by the incident reader role only, and expires its records.',
  needs: [],
  run,
};
