// config/cloudformation/recording-storage.yaml deployed to moto's CloudFormation, then checked with
// the same groups `recording-audit check` runs: every storage rule passes on what the stack made,
// and each rule fails once the one setting it guards is broken through the SDK.
//
// moto 5.2's CloudFormation creates the KMS key (policy, rotation), the roles and the buckets with
// their default encryption, but ignores the other bucket properties and AWS::S3::BucketPolicy, and
// stores the key policy with AWS::NoValue as null. Those parts are applied from the same template
// through the S3 and KMS APIs (src/sim/storage/deploy.ts); the first test names them and shows moto
// really left them out. moto also does not replicate objects or enforce Object Lock on log delivery:
// the archive's lock is checked as configuration, as `check` reads it in AWS.
import { spawn } from 'node:child_process';
import { CloudFormationClient, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { DisableKeyRotationCommand, EnableKeyRotationCommand, GetKeyPolicyCommand, PutKeyPolicyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import {
  DeleteBucketEncryptionCommand,
  DeleteBucketReplicationCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketLoggingCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  type ReplicationConfiguration,
  GetObjectLockConfigurationCommand,
  GetObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { recordingsBucketChecks } from '../../../src/ops/check/recordings-bucket.js';
import { summarize } from '../../../src/ops/check/runner.js';
import { s3LogBucketChecks } from '../../../src/ops/check/s3-log-bucket.js';
import { renderTable } from '../../../src/ops/check/table.js';
import type { CheckContext, CheckResult } from '../../../src/ops/check/types.js';
import { createEvidenceWriter } from '../../../src/genesys-audit/evidence.js';
import { deployStorageStack, type StorageStack } from '../../../src/sim/storage/deploy.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { awsClientConfig, stackSettings, uniqueName } from '../../support/stack-env.js';
import { Resources } from './support.js';

const res = new Resources();
const cfn = new CloudFormationClient(awsClientConfig());
let stack: StorageStack;
let queueUrl = '';
let queueArn = '';
const stacks: StorageStack[] = [];

async function deploy(completeForMoto: boolean): Promise<StorageStack> {
  const s = await deployStorageStack(
    { cfn, s3: res.s3, kms: res.kms },
    {
      stackName: uniqueName('t-storage'),
      recordingsBucket: uniqueName('t-storage-rec'),
      logBucket: uniqueName('t-storage-logs'),
      logArchiveBucket: uniqueName('t-storage-archive'),
      evidenceBucket: uniqueName('t-storage-evidence'),
      queueArn,
      genesysAccountId: '111122223333',
      genesysExternalId: 'test-org',
    },
    { completeForMoto },
  );
  stacks.push(s);
  return s;
}

function env(): Record<string, string> {
  return {
    RECORDINGS_BUCKET: stack.recordingsBucket,
    RECORDINGS_KMS_KEY_ARN: stack.kmsKeyArn,
    LOG_BUCKETS: stack.logBucket,
    SQS_QUEUE_URL: queueUrl,
  };
}

async function storageRows(): Promise<CheckResult[]> {
  const never = (): never => {
    throw new Error('not used by these groups');
  };
  const ctx: CheckContext = {
    config: loadConfigOrThrow({ env: env() }),
    s3: () => res.s3,
    sqs: () => res.sqs,
    kms: () => res.kms,
    opensearch: never,
    genesys: undefined,
  };
  return [...(await recordingsBucketChecks.run(ctx)), ...(await s3LogBucketChecks.run(ctx))];
}

async function policyOf(bucket: string): Promise<string> {
  return (await res.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? '';
}

/** The bucket's policy without the statements named. */
async function policyWithout(bucket: string, ...sids: string[]): Promise<string> {
  const doc = JSON.parse(await policyOf(bucket)) as { Statement: { Sid?: string; Action?: unknown }[] };
  doc.Statement = doc.Statement.filter((s) => !sids.includes(s.Sid ?? ''));
  return JSON.stringify(doc);
}

function cli(args: string[], extra: Record<string, string>): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check', ...args], {
      cwd: new URL('../../../', import.meta.url),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...stackSettings(), ...extra },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout }));
  });
}

beforeAll(async () => {
  const q = await res.queue();
  queueUrl = q.url;
  queueArn = q.arn;
  stack = await deploy(true);
});

afterAll(async () => {
  for (const s of stacks) {
    await cfn.send(new DeleteStackCommand({ StackName: s.stackName })).catch(() => undefined);
    await res.s3.send(new PutBucketLoggingCommand({ Bucket: s.recordingsBucket, BucketLoggingStatus: {} })).catch(() => undefined);
    for (const b of [s.recordingsBucket, s.logBucket, s.logArchiveBucket, s.evidenceBucket]) await emptyAndDeleteBucket(res.s3, b).catch(() => undefined);
    await res.kms.send(new ScheduleKeyDeletionCommand({ KeyId: s.kmsKeyArn, PendingWindowInDays: 7 })).catch(() => undefined);
  }
  await res.cleanup();
  cfn.destroy();
});

describe('the storage stack on moto', () => {
  it("names what moto's CloudFormation leaves out, and moto does leave it out", async () => {
    expect(stack.completedBySdk).toEqual([
      'RecordingsKey.KeyPolicy',
      'RecordingsBucketPolicy (AWS::S3::BucketPolicy)',
      'LogBucketPolicy (AWS::S3::BucketPolicy)',
      'LogArchiveBucketPolicy (AWS::S3::BucketPolicy)',
      'RecordingsBucket.VersioningConfiguration',
      'RecordingsBucket.PublicAccessBlockConfiguration',
      'RecordingsBucket.OwnershipControls',
      'RecordingsBucket.LifecycleConfiguration',
      'LogArchiveBucket.VersioningConfiguration',
      'LogArchiveBucket.ObjectLockConfiguration',
      'LogArchiveBucket.PublicAccessBlockConfiguration',
      'LogArchiveBucket.OwnershipControls',
      'EvidenceBucket.VersioningConfiguration',
      'EvidenceBucket.ObjectLockConfiguration',
      'EvidenceBucket.PublicAccessBlockConfiguration',
      'EvidenceBucket.OwnershipControls',
      'LogBucket.VersioningConfiguration',
      'LogBucket.PublicAccessBlockConfiguration',
      'LogBucket.OwnershipControls',
      'LogBucket.NotificationConfiguration',
      'LogBucket.ReplicationConfiguration',
      'RecordingsBucket.LoggingConfiguration',
    ]);
    const bare = await deploy(false);
    expect((await res.s3.send(new GetBucketVersioningCommand({ Bucket: bare.recordingsBucket }))).Status).toBeUndefined();
    await expect(policyOf(bare.recordingsBucket)).rejects.toThrow(/policy/i);
    await expect(res.s3.send(new GetBucketReplicationCommand({ Bucket: bare.logBucket }))).rejects.toThrow();
    // What moto's CloudFormation does apply, and `check` relies on unchanged.
    const rows = await (async () => {
      const saved = stack;
      stack = bare;
      try {
        return await storageRows();
      } finally {
        stack = saved;
      }
    })();
    const status = (check: string): string | undefined => rows.find((r) => r.check === check)?.status;
    expect(status('default encryption SSE-KMS')).toBe('pass');
    expect(status('KMS key rotates')).toBe('pass');
  });

  it('passes every storage rule', async () => {
    const rows = await storageRows();
    const table = renderTable(rows, summarize(rows));
    expect(
      rows.filter((r) => r.status !== 'pass'),
      table,
    ).toEqual([]);
    expect(rows.map((r) => r.check)).toEqual([
      'default encryption SSE-KMS',
      'uploads without SSE-KMS refused',
      'TLS only',
      'versioning enabled',
      'server access logging',
      'access logs reach the worker',
      'access-log bucket encrypted',
      'no early expiry',
      'uploader may abort multipart uploads',
      'uploader may use the KMS key',
      'KMS key rotates',
      `${stack.logBucket} readable`,
      `${stack.logBucket} notifies the queue`,
      `${stack.logBucket} accepts log objects from S3 log delivery only`,
      `${stack.logBucket} TLS only`,
      `${stack.logBucket} log objects immutable`,
    ]);
    expect(rows.find((r) => r.check === `${stack.logBucket} log objects immutable`)?.detail).toBe(
      `every log object is replicated to ${stack.logArchiveBucket}: Object Lock COMPLIANCE, 2192 days`,
    );
  });

  it('`recording-audit check` passes the stack, and fails it with key rotation off', async () => {
    const only = ['--only', 'recordings-bucket,s3-log-bucket'];
    const ok = await cli(only, env());
    expect(ok.stdout).toContain('check OK: 17 pass, 0 warn, 0 fail, 0 skip');
    expect(ok.code).toBe(0);
    await res.kms.send(new DisableKeyRotationCommand({ KeyId: stack.kmsKeyArn }));
    try {
      const bad = await cli(only, env());
      expect(bad.stdout).toMatch(/^FAIL\s+recordings-bucket\s+KMS key rotates\s+automatic rotation of \S+ is off$/m);
      expect(bad.stdout).toContain('fix: aws kms enable-key-rotation --key-id');
      expect(bad.stdout).toContain('check FAILED: 16 pass, 0 warn, 1 fail, 0 skip');
      expect(bad.code).toBe(1);
    } finally {
      await res.kms.send(new EnableKeyRotationCommand({ KeyId: stack.kmsKeyArn }));
    }
  });

  it('warns when S3 log delivery may write for buckets of other accounts (no source condition)', async () => {
    const original = await policyOf(stack.logBucket);
    const doc = JSON.parse(await policyWithout(stack.logBucket, 'DenyLogDeliveryForOtherBuckets', 'DenyLogDeliveryFromOtherAccounts')) as {
      Statement: { Sid?: string; Condition?: unknown }[];
    };
    for (const st of doc.Statement) if (st.Sid === 'S3ServerAccessLogDelivery') delete st.Condition;
    await res.s3.send(new PutBucketPolicyCommand({ Bucket: stack.logBucket, Policy: JSON.stringify(doc) }));
    try {
      const rows = await storageRows();
      const row = rows.find((r) => r.check === `${stack.logBucket} accepts log objects from S3 log delivery only`);
      expect(row?.status).toBe('warn');
      expect(row?.detail).toContain('no aws:SourceAccount or aws:SourceArn condition');
      expect(rows.filter((r) => r.status === 'fail')).toEqual([]);
    } finally {
      await res.s3.send(new PutBucketPolicyCommand({ Bucket: stack.logBucket, Policy: original }));
    }
  });

  // One break per rule, each undone before the next. `readable` is left out: moto grants every
  // caller everything, so no setting can make a bucket unreadable to `check`.
  const cases: { rule: (s: StorageStack) => string; detail: RegExp; breakIt: () => Promise<() => Promise<void>> }[] = [
    {
      rule: () => 'default encryption SSE-KMS',
      detail: /AES256/,
      breakIt: async () => {
        await res.s3.send(
          new PutBucketEncryptionCommand({
            Bucket: stack.recordingsBucket,
            ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
          }),
        );
        return async () => {
          await res.s3.send(
            new PutBucketEncryptionCommand({
              Bucket: stack.recordingsBucket,
              ServerSideEncryptionConfiguration: {
                Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: stack.kmsKeyArn }, BucketKeyEnabled: true }],
              },
            }),
          );
        };
      },
    },
    ...(
      [
        ['uploads without SSE-KMS refused', ['DenyNonKmsUploads'], /no Deny statement refuses/],
        ['TLS only', ['DenyWithoutTls'], /without TLS/],
        ['uploader may abort multipart uploads', ['AllowGenesysCloudUpload'], /no statement allows it s3:AbortMultipartUpload/],
      ] as const
    ).map(([rule, sids, detail]) => ({
      rule: () => rule,
      detail,
      breakIt: async () => {
        const original = await policyOf(stack.recordingsBucket);
        let policy = await policyWithout(stack.recordingsBucket, ...sids);
        if (rule === 'uploader may abort multipart uploads') {
          // The uploader keeps its other rights; only the abort goes.
          const doc = JSON.parse(original) as { Statement: { Sid?: string; Action?: string[] }[] };
          for (const s of doc.Statement) if (s.Sid === 'AllowGenesysCloudUpload') s.Action = (s.Action ?? []).filter((a) => a !== 's3:AbortMultipartUpload');
          policy = JSON.stringify(doc);
        }
        await res.s3.send(new PutBucketPolicyCommand({ Bucket: stack.recordingsBucket, Policy: policy }));
        return async () => {
          await res.s3.send(new PutBucketPolicyCommand({ Bucket: stack.recordingsBucket, Policy: original }));
        };
      },
    })),
    {
      rule: () => 'versioning enabled',
      detail: /Suspended/,
      breakIt: async () => {
        await res.s3.send(new PutBucketVersioningCommand({ Bucket: stack.recordingsBucket, VersioningConfiguration: { Status: 'Suspended' } }));
        return async () => {
          await res.s3.send(new PutBucketVersioningCommand({ Bucket: stack.recordingsBucket, VersioningConfiguration: { Status: 'Enabled' } }));
        };
      },
    },
    {
      rule: () => 'server access logging',
      detail: /^off/,
      breakIt: async () => {
        await res.s3.send(new PutBucketLoggingCommand({ Bucket: stack.recordingsBucket, BucketLoggingStatus: {} }));
        return restoreLogging;
      },
    },
    {
      rule: () => 'access logs reach the worker',
      detail: /not in LOG_BUCKETS/,
      breakIt: async () => {
        const elsewhere = await res.logBucket();
        await res.s3.send(
          new PutBucketLoggingCommand({
            Bucket: stack.recordingsBucket,
            BucketLoggingStatus: { LoggingEnabled: { TargetBucket: elsewhere, TargetPrefix: 'x/' } },
          }),
        );
        return restoreLogging;
      },
    },
    {
      rule: () => 'access-log bucket encrypted',
      detail: /no default encryption/,
      breakIt: async () => {
        await res.s3.send(new DeleteBucketEncryptionCommand({ Bucket: stack.logBucket }));
        return async () => {
          await res.s3.send(
            new PutBucketEncryptionCommand({
              Bucket: stack.logBucket,
              ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
            }),
          );
        };
      },
    },
    {
      rule: () => 'no early expiry',
      detail: /expires current versions after 30 days/,
      breakIt: async () => {
        const original = (await res.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: stack.recordingsBucket }))).Rules ?? [];
        await res.s3.send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket: stack.recordingsBucket,
            LifecycleConfiguration: { Rules: [...original, { ID: 'cleanup-30d', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 30 } }] },
          }),
        );
        return async () => {
          await res.s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: stack.recordingsBucket, LifecycleConfiguration: { Rules: original } }));
        };
      },
    },
    {
      rule: () => 'uploader may use the KMS key',
      detail: /lacks kms:GenerateDataKey, kms:Decrypt/,
      breakIt: async () => {
        const original = (await res.kms.send(new GetKeyPolicyCommand({ KeyId: stack.kmsKeyArn, PolicyName: 'default' }))).Policy ?? '';
        const doc = JSON.parse(original) as { Statement: { Sid?: string }[] };
        doc.Statement = doc.Statement.filter((s) => s.Sid !== 'AllowGenesysCloudToUseKey');
        await res.kms.send(new PutKeyPolicyCommand({ KeyId: stack.kmsKeyArn, PolicyName: 'default', Policy: JSON.stringify(doc) }));
        return async () => {
          await res.kms.send(new PutKeyPolicyCommand({ KeyId: stack.kmsKeyArn, PolicyName: 'default', Policy: original }));
        };
      },
    },
    {
      rule: () => 'KMS key rotates',
      detail: /rotation .* is off/,
      breakIt: async () => {
        await res.kms.send(new DisableKeyRotationCommand({ KeyId: stack.kmsKeyArn }));
        return async () => {
          await res.kms.send(new EnableKeyRotationCommand({ KeyId: stack.kmsKeyArn }));
        };
      },
    },
    {
      rule: (s) => `${s.logBucket} notifies the queue`,
      detail: /no notification of this bucket goes to/,
      breakIt: async () => {
        await res.s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: stack.logBucket, NotificationConfiguration: {} }));
        return async () => {
          await res.s3.send(
            new PutBucketNotificationConfigurationCommand({
              Bucket: stack.logBucket,
              NotificationConfiguration: { QueueConfigurations: [{ QueueArn: queueArn, Events: ['s3:ObjectCreated:*'] }] },
            }),
          );
        };
      },
    },
    ...(
      [
        [
          (s: StorageStack) => `${s.logBucket} accepts log objects from S3 log delivery only`,
          ['DenyWritesButS3LogDelivery', 'DenyLogDeliveryForOtherBuckets'],
          /forged/,
        ],
        [(s: StorageStack) => `${s.logBucket} TLS only`, ['DenyWithoutTls'], /without TLS/],
      ] as const
    ).map(([rule, sids, detail]) => ({
      rule,
      detail,
      breakIt: async () => {
        const original = await policyOf(stack.logBucket);
        await res.s3.send(new PutBucketPolicyCommand({ Bucket: stack.logBucket, Policy: await policyWithout(stack.logBucket, ...sids) }));
        return async () => {
          await res.s3.send(new PutBucketPolicyCommand({ Bucket: stack.logBucket, Policy: original }));
        };
      },
    })),
    {
      rule: (s) => `${s.logBucket} log objects immutable`,
      detail: /GOVERNANCE, 2192 days; governance mode can be bypassed/,
      breakIt: async () => {
        await archiveLock('GOVERNANCE', 2192);
        return async () => archiveLock('COMPLIANCE', 2192);
      },
    },
    {
      rule: (s) => `${s.logBucket} log objects immutable`,
      detail: /COMPLIANCE, 365 days; shorter than LOG_RETENTION_DAYS \(2192\)/,
      breakIt: async () => {
        await archiveLock('COMPLIANCE', 365);
        return async () => archiveLock('COMPLIANCE', 2192);
      },
    },
    {
      rule: (s) => `${s.logBucket} log objects immutable`,
      detail: /no replication copies its objects to a locked bucket/,
      breakIt: async () => {
        const original = (await res.s3.send(new GetBucketReplicationCommand({ Bucket: stack.logBucket }))).ReplicationConfiguration as ReplicationConfiguration;
        await res.s3.send(new DeleteBucketReplicationCommand({ Bucket: stack.logBucket }));
        return async () => {
          await res.s3.send(new PutBucketReplicationCommand({ Bucket: stack.logBucket, ReplicationConfiguration: original }));
        };
      },
    },
  ];

  async function restoreLogging(): Promise<void> {
    await res.s3.send(
      new PutBucketLoggingCommand({
        Bucket: stack.recordingsBucket,
        BucketLoggingStatus: { LoggingEnabled: { TargetBucket: stack.logBucket, TargetPrefix: stack.logPrefix } },
      }),
    );
  }

  async function archiveLock(mode: 'COMPLIANCE' | 'GOVERNANCE', days: number): Promise<void> {
    await res.s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: stack.logArchiveBucket,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: mode, Days: days } } },
      }),
    );
  }

  it.each(cases.map((c, i) => [i + 1, c] as const))('break %i: the broken rule fails, and only it', async (_n, c) => {
    const restore = await c.breakIt();
    try {
      const rows = await storageRows();
      const rule = c.rule(stack);
      const table = renderTable(rows, summarize(rows));
      const failed = rows.filter((r) => r.status === 'fail');
      expect(
        failed.map((r) => r.check),
        table,
      ).toEqual([rule]);
      expect(failed[0]?.detail).toMatch(c.detail);
      // Rules that depend on the broken one may skip (no logging: no log bucket to inspect); none warns.
      expect(
        rows.filter((r) => r.status === 'warn'),
        table,
      ).toEqual([]);
    } finally {
      await restore();
    }
    expect((await storageRows()).filter((r) => r.status !== 'pass')).toEqual([]);
  });
});

describe('the evidence bucket of the storage stack (EVIDENCE_BUCKET)', () => {
  it("is under Object Lock in compliance mode, and takes the audit source's pages", async () => {
    const lock = await res.s3.send(new GetObjectLockConfigurationCommand({ Bucket: stack.evidenceBucket }));
    expect(lock.ObjectLockConfiguration?.Rule?.DefaultRetention).toMatchObject({ Mode: 'COMPLIANCE', Days: 2192 });
    const page = await createEvidenceWriter(res.s3, stack.evidenceBucket).putPage('quality', '2026-12-01T00:00:00.000Z', 'tx-1', 1, [
      { id: 'm-1' },
      { id: 'm-2' },
    ]);
    expect(page.path).toBe(`s3://${stack.evidenceBucket}/genesys-audit/quality/2026-12-01/tx-1/page-00001.ndjson`);
    const body = await (
      await res.s3.send(new GetObjectCommand({ Bucket: stack.evidenceBucket, Key: page.path.split('/').slice(3).join('/') }))
    ).Body!.transformToString();
    expect(body).toBe('{"id":"m-1"}\n{"id":"m-2"}\n');
  });
});
