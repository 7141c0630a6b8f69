import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { recordingsBucketChecks } from '../../../src/ops/check/recordings-bucket.js';
import type { CheckContext, CheckResult, CheckStatus } from '../../../src/ops/check/types.js';
import { Resources, UPLOADER, compliantPolicy, type RecordingsBucketSpec } from './support.js';

const res = new Resources();
let kmsKey = '';
let otherKey = '';
let logBucket = '';

function ctx(env: Record<string, string>): CheckContext {
  const never = (): never => {
    throw new Error('not used by this group');
  };
  return { config: loadConfigOrThrow({ env }), s3: () => res.s3, sqs: () => res.sqs, kms: () => res.kms, opensearch: never, genesys: undefined };
}

async function check(
  spec: Partial<RecordingsBucketSpec>,
  env: Record<string, string> = {},
): Promise<{ rows: CheckResult[]; status: (name: string) => CheckStatus | undefined; row: (name: string) => CheckResult | undefined }> {
  const full: RecordingsBucketSpec = { encryption: 'kms', kmsKeyArn: kmsKey, policy: compliantPolicy(kmsKey), versioning: true, logTo: logBucket, ...spec };
  const bucket = await res.recordingsBucket(full);
  const rows = await recordingsBucketChecks.run(ctx({ RECORDINGS_BUCKET: bucket, RECORDINGS_KMS_KEY_ARN: kmsKey, LOG_BUCKETS: logBucket, ...env }));
  const row = (name: string): CheckResult | undefined => rows.find((r) => r.check === name);
  return { rows, row, status: (name) => row(name)?.status };
}

beforeAll(async () => {
  kmsKey = await res.kmsKey([UPLOADER]);
  otherKey = await res.kmsKey([UPLOADER]);
  logBucket = await res.logBucket();
});
afterAll(async () => {
  await res.cleanup();
});

describe('recordings bucket against the storage guide (moto)', () => {
  it('passes every rule for a compliant bucket', async () => {
    const { rows } = await check({
      lifecycle: [
        { ID: 'abort-mpu', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
        {
          ID: 'archive',
          Status: 'Enabled',
          Filter: { Prefix: '' },
          Transitions: [{ Days: 90, StorageClass: 'GLACIER' }],
          NoncurrentVersionExpiration: { NoncurrentDays: 2200 },
        },
      ],
    });
    expect(rows.map((r) => [r.check, r.status, r.detail])).toEqual([
      ['default encryption SSE-KMS', 'pass', expect.stringContaining(kmsKey)],
      ['uploads without SSE-KMS refused', 'pass', expect.stringContaining('DenyNonKmsUploads')],
      ['TLS only', 'pass', expect.stringContaining('DenyWithoutTls')],
      ['versioning enabled', 'pass', 'Enabled'],
      ['server access logging', 'pass', expect.stringContaining(logBucket)],
      ['access logs reach the worker', 'pass', expect.any(String)],
      ['access-log bucket encrypted', 'pass', expect.stringContaining('SSE-S3')],
      ['no early expiry', 'pass', expect.stringContaining('2 lifecycle rule(s)')],
      ['uploader may abort multipart uploads', 'pass', expect.stringContaining(UPLOADER)],
      ['uploader may use the KMS key', 'pass', expect.stringContaining(UPLOADER)],
      ['KMS key rotates', 'pass', expect.stringContaining('automatic rotation on')],
    ]);
  });

  it('warns when the key policy leaves the uploader to IAM, fails when it shuts the uploader out', async () => {
    const delegating = await res.kmsKey();
    let c = await check({ kmsKeyArn: delegating, policy: compliantPolicy(delegating) }, { RECORDINGS_KMS_KEY_ARN: delegating });
    expect(c.status('uploader may use the KMS key')).toBe('warn');
    expect(c.row('uploader may use the KMS key')?.detail).toContain('arn:aws:iam::123456789012:role/GenesysCloudRecordingRole');
    const closed = await res.kmsKey(['arn:aws:iam::123456789012:role/SomeoneElse']);
    c = await check({ kmsKeyArn: closed, policy: compliantPolicy(closed) }, { RECORDINGS_KMS_KEY_ARN: closed });
    expect(c.status('uploader may use the KMS key')).toBe('fail');
    expect(c.row('uploader may use the KMS key')?.fix).toContain('AllowGenesysCloudToUseKey');
  });

  it('fails SSE-S3 default encryption', async () => {
    const c = await check({ encryption: 'aes' });
    expect(c.status('default encryption SSE-KMS')).toBe('fail');
    expect(c.row('default encryption SSE-KMS')?.detail).toContain('AES256');
    expect(c.row('default encryption SSE-KMS')?.fix).toContain('put-bucket-encryption');
  });

  it('fails a bucket without default encryption', async () => {
    const c = await check({ encryption: 'none' });
    expect(c.status('default encryption SSE-KMS')).toBe('fail');
  });

  it('fails SSE-KMS with another key than RECORDINGS_KMS_KEY_ARN', async () => {
    const c = await check({ kmsKeyArn: otherKey });
    expect(c.status('default encryption SSE-KMS')).toBe('fail');
    expect(c.row('default encryption SSE-KMS')?.detail).toContain('not RECORDINGS_KMS_KEY_ARN');
  });

  it('fails without a bucket policy', async () => {
    const c = await check({ policy: undefined });
    expect(c.status('uploads without SSE-KMS refused')).toBe('fail');
    expect(c.row('uploads without SSE-KMS refused')?.fix).toContain('DenyNonKmsUploads');
    expect(c.status('uploader may abort multipart uploads')).toBe('warn');
  });

  it('fails a policy that refuses only header-less uploads', async () => {
    const c = await check({
      policy: (b) => [
        {
          Sid: 'DenyNoHeader',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${b}/*`,
          Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
        },
        { Sid: 'Upload', Effect: 'Allow', Principal: { AWS: UPLOADER }, Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: `arn:aws:s3:::${b}/*` },
      ],
    });
    expect(c.status('uploads without SSE-KMS refused')).toBe('fail');
    expect(c.row('uploads without SSE-KMS refused')?.detail).toContain('AES256');
  });

  it("fails the guide's Allow-with-condition policy on both policy rules", async () => {
    const c = await check({
      policy: (b) => [
        {
          Sid: 'AllowGenesysCloudUpload',
          Effect: 'Allow',
          Principal: { AWS: UPLOADER },
          Action: ['s3:PutObject', 's3:GetObject', 's3:ListBucket', 's3:DeleteObject', 's3:AbortMultipartUpload'],
          Resource: [`arn:aws:s3:::${b}`, `arn:aws:s3:::${b}/*`],
          Condition: { StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': kmsKey } },
        },
      ],
    });
    expect(c.status('uploads without SSE-KMS refused')).toBe('fail');
    expect(c.row('uploads without SSE-KMS refused')?.detail).toContain('AllowGenesysCloudUpload');
    expect(c.status('uploader may abort multipart uploads')).toBe('fail');
    expect(c.row('uploader may abort multipart uploads')?.detail).toContain('never carries');
  });

  it('warns when uploads may name another KMS key', async () => {
    const c = await check({ policy: (b) => compliantPolicy(kmsKey)(b).filter((s) => (s as { Sid: string }).Sid !== 'DenyOtherKmsKeys') });
    expect(c.status('uploads without SSE-KMS refused')).toBe('warn');
  });

  it('fails without versioning', async () => {
    const c = await check({ versioning: false });
    expect(c.status('versioning enabled')).toBe('fail');
    expect(c.row('versioning enabled')?.fix).toContain('Status=Enabled');
  });

  it('fails with access logging off', async () => {
    const c = await check({ logTo: undefined });
    expect(c.status('server access logging')).toBe('fail');
    expect(c.status('access-log bucket encrypted')).toBe('skip');
  });

  it('fails access logging into the recordings bucket itself', async () => {
    // moto validates the target's policy for log delivery and cannot read Principal "*" there.
    const selfLogging = (b: string): object[] => [
      ...compliantPolicy(kmsKey)(b).map((s) => ((s as { Principal: unknown }).Principal === '*' ? { ...s, Principal: { AWS: '*' } } : s)),
      {
        Sid: 'S3ServerAccessLogsPolicy',
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${b}/*`,
      },
    ];
    const c = await check({ logTo: 'self', policy: selfLogging }, { LOG_BUCKETS: logBucket });
    expect(c.status('uploads without SSE-KMS refused')).toBe('pass');
    expect(c.status('server access logging')).toBe('fail');
    expect(c.row('server access logging')?.detail).toContain('itself');
    expect(c.status('access logs reach the worker')).toBe('fail');
  });

  it('fails an unencrypted log bucket', async () => {
    const plainLogs = await res.logBucket(false);
    const c = await check({ logTo: plainLogs }, { LOG_BUCKETS: plainLogs });
    // moto, like S3 before 2023, leaves a new bucket without default encryption.
    expect(c.status('access-log bucket encrypted')).toBe('fail');
    expect(c.status('access logs reach the worker')).toBe('pass');
  });

  it('fails when the access logs go to a bucket the worker does not read', async () => {
    const c = await check({}, { LOG_BUCKETS: 'some-other-log-bucket' });
    expect(c.status('access logs reach the worker')).toBe('fail');
    expect(c.row('access logs reach the worker')?.fix).toContain('LOG_BUCKETS');
  });

  it('fails a lifecycle rule expiring current versions early', async () => {
    const c = await check({ lifecycle: [{ ID: 'cleanup-30d', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 30 } }] });
    expect(c.status('no early expiry')).toBe('fail');
    expect(c.row('no early expiry')?.detail).toContain('cleanup-30d');
  });

  it('fails a lifecycle rule purging noncurrent versions early', async () => {
    const c = await check({ lifecycle: [{ ID: 'nc-7d', Status: 'Enabled', Filter: { Prefix: '' }, NoncurrentVersionExpiration: { NoncurrentDays: 7 } }] });
    expect(c.status('no early expiry')).toBe('fail');
    expect(c.row('no early expiry')?.detail).toContain('noncurrent');
  });

  it('honours RECORDINGS_RETENTION_DAYS', async () => {
    const c = await check(
      { lifecycle: [{ ID: 'seven-years', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 2557 } }] },
      { RECORDINGS_RETENTION_DAYS: '2557' },
    );
    expect(c.status('no early expiry')).toBe('pass');
  });

  it('fails an uploader that may not abort multipart uploads', async () => {
    const c = await check({
      policy: (b) =>
        compliantPolicy(kmsKey)(b).map((s) => ((s as { Sid: string }).Sid === 'GenesysUpload' ? { ...s, Action: ['s3:PutObject', 's3:GetObject'] } : s)),
    });
    expect(c.status('uploader may abort multipart uploads')).toBe('fail');
    expect(c.row('uploader may abort multipart uploads')?.fix).toContain('s3:AbortMultipartUpload');
  });

  it('fails a missing bucket with one row', async () => {
    const rows = await recordingsBucketChecks.run(ctx({ RECORDINGS_BUCKET: 't-ops-does-not-exist-zz' }));
    expect(rows.map((r) => [r.check, r.status])).toEqual([['recordings bucket', 'fail']]);
  });
});
