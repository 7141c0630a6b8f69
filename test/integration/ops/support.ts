import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketLoggingCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
  type LifecycleRule,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { awsClientConfig, uniqueName } from '../../support/stack-env.js';

export const UPLOADER = 'arn:aws:iam::123456789012:role/GenesysCloudRecordingRole';

export interface RecordingsBucketSpec {
  /** 'kms' (the given key), 'aes' or 'none'. */
  encryption: 'kms' | 'aes' | 'none';
  kmsKeyArn?: string;
  /** The bucket policy statements, or undefined for no policy. */
  policy?: (bucket: string) => object[];
  versioning: boolean;
  /** Target bucket of access logging; 'self' logs into itself; undefined turns logging off. */
  logTo?: string;
  lifecycle?: LifecycleRule[];
}

/** The storage guide's setup, tightened: deny non-KMS uploads, uploader may put and abort. */
export const compliantPolicy =
  (kmsKeyArn: string) =>
  (bucket: string): object[] => [
    {
      Sid: 'DenyWithoutTls',
      Effect: 'Deny',
      Principal: '*',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'],
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Sid: 'DenyNonKmsUploads',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${bucket}/*`,
      Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    },
    {
      Sid: 'DenyOtherKmsKeys',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${bucket}/*`,
      Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': kmsKeyArn } },
    },
    {
      Sid: 'GenesysUpload',
      Effect: 'Allow',
      Principal: { AWS: UPLOADER },
      Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject', 's3:DeleteObject'],
      Resource: `arn:aws:s3:::${bucket}/*`,
    },
    { Sid: 'GenesysList', Effect: 'Allow', Principal: { AWS: UPLOADER }, Action: 's3:ListBucket', Resource: `arn:aws:s3:::${bucket}` },
  ];

/** Buckets, queues and keys made by one test file; `cleanup()` removes them all. */
export class Resources {
  readonly s3 = new S3Client(awsClientConfig());
  readonly sqs = new SQSClient(awsClientConfig());
  readonly kms = new KMSClient(awsClientConfig());
  private readonly buckets: string[] = [];
  private readonly queues: string[] = [];
  private readonly keys: string[] = [];

  async bucket(prefix = 't-ops'): Promise<string> {
    const name = uniqueName(prefix);
    await this.s3.send(new CreateBucketCommand({ Bucket: name }));
    this.buckets.push(name);
    return name;
  }

  /** A key; with `users`, its policy names them for uploads (the guide's key policy statement). */
  async kmsKey(users?: readonly string[], rotate = true): Promise<string> {
    const policy =
      users === undefined
        ? undefined
        : JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'KeyAdministration',
                Effect: 'Allow',
                Principal: { AWS: 'arn:aws:iam::123456789012:role/KeyAdmin' },
                Action: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'],
                Resource: '*',
              },
              {
                Sid: 'AllowGenesysCloudToUseKey',
                Effect: 'Allow',
                Principal: { AWS: [...users] },
                Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:Encrypt'],
                Resource: '*',
              },
            ],
          });
    const res = await this.kms.send(new CreateKeyCommand({ Description: 'recording-audit check test', ...(policy !== undefined ? { Policy: policy } : {}) }));
    const arn = res.KeyMetadata?.Arn ?? '';
    this.keys.push(arn);
    if (rotate) await this.kms.send(new EnableKeyRotationCommand({ KeyId: arn }));
    return arn;
  }

  /** A log bucket with SSE-S3 and the policy S3 log delivery needs. */
  async logBucket(encrypted = true): Promise<string> {
    const name = await this.bucket('t-ops-logs');
    if (encrypted)
      await this.s3.send(
        new PutBucketEncryptionCommand({
          Bucket: name,
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        }),
      );
    await this.logBucketPolicy(name, false);
    return name;
  }

  /**
   * `guarded`: the policy also denies writes by anyone but S3 log delivery, as the CloudFormation
   * stack's does (moto then refuses the test's own PutObject: write fixtures first).
   */
  async logBucketPolicy(name: string, guarded: boolean): Promise<void> {
    const statements: object[] = [
      {
        Sid: 'S3ServerAccessLogsPolicy',
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${name}/*`,
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      },
    ];
    if (guarded) {
      statements.push({
        Sid: 'DenyWritesButS3LogDelivery',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: `arn:aws:s3:::${name}/*`,
        Condition: { StringNotEquals: { 'aws:PrincipalServiceName': 'logging.s3.amazonaws.com' } },
      });
      statements.push({
        Sid: 'DenyWithoutTls',
        Effect: 'Deny',
        Principal: '*',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    }
    await this.s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
  }

  /**
   * An Object Lock bucket (compliance mode unless `mode` says otherwise) that `source` replicates
   * every object to. The archive stays empty on moto, which does not replicate, so it can be removed.
   */
  async lockedArchive(source: string, days: number, mode: 'COMPLIANCE' | 'GOVERNANCE' = 'COMPLIANCE'): Promise<string> {
    const name = uniqueName('t-ops-archive');
    await this.s3.send(new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: true }));
    this.buckets.push(name);
    await this.s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
    await this.s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: name,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: mode, Days: days } } },
      }),
    );
    await this.s3.send(new PutBucketVersioningCommand({ Bucket: source, VersioningConfiguration: { Status: 'Enabled' } }));
    await this.s3.send(
      new PutBucketReplicationCommand({
        Bucket: source,
        ReplicationConfiguration: {
          Role: 'arn:aws:iam::123456789012:role/log-replication',
          Rules: [
            {
              ID: 'archive',
              Status: 'Enabled',
              Priority: 1,
              Filter: { Prefix: '' },
              DeleteMarkerReplication: { Status: 'Disabled' },
              Destination: { Bucket: `arn:aws:s3:::${name}` },
            },
          ],
        },
      }),
    );
    return name;
  }

  async recordingsBucket(spec: RecordingsBucketSpec): Promise<string> {
    const name = await this.bucket('t-ops-rec');
    if (spec.encryption !== 'none') {
      const byDefault = spec.encryption === 'kms' ? { SSEAlgorithm: 'aws:kms' as const, KMSMasterKeyID: spec.kmsKeyArn } : { SSEAlgorithm: 'AES256' as const };
      await this.s3.send(
        new PutBucketEncryptionCommand({ Bucket: name, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: byDefault }] } }),
      );
    }
    if (spec.policy !== undefined) {
      await this.s3.send(new PutBucketPolicyCommand({ Bucket: name, Policy: JSON.stringify({ Version: '2012-10-17', Statement: spec.policy(name) }) }));
    }
    if (spec.versioning) await this.s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
    if (spec.logTo !== undefined) {
      const target = spec.logTo === 'self' ? name : spec.logTo;
      await this.s3.send(
        new PutBucketLoggingCommand({ Bucket: name, BucketLoggingStatus: { LoggingEnabled: { TargetBucket: target, TargetPrefix: `${name}/` } } }),
      );
    }
    if (spec.lifecycle !== undefined) {
      await this.s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: name, LifecycleConfiguration: { Rules: spec.lifecycle } }));
    }
    return name;
  }

  async queue(attributes: Record<string, string> = {}, name = uniqueName('t-ops-q')): Promise<{ url: string; arn: string }> {
    const res = await this.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const url = res.QueueUrl ?? '';
    this.queues.push(url);
    const attrs = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    return { url, arn: attrs.Attributes?.QueueArn ?? '' };
  }

  async cleanupQueue(url: string): Promise<void> {
    await this.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  }

  async sendMessage(url: string, body: string): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
  }

  async cleanup(): Promise<void> {
    // Logging off first: a bucket that logs into itself would otherwise refill while emptied.
    await Promise.all(this.buckets.map((Bucket) => this.s3.send(new PutBucketLoggingCommand({ Bucket, BucketLoggingStatus: {} })).catch(() => undefined)));
    for (const bucket of this.buckets.reverse()) {
      try {
        await emptyAndDeleteBucket(this.s3, bucket);
      } catch {
        // Best effort: a leftover bucket with a unique name disturbs nobody.
      }
    }
    await Promise.all(this.queues.map((QueueUrl) => this.sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined)));
    await Promise.all(this.keys.map((KeyId) => this.kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 })).catch(() => undefined)));
    this.s3.destroy();
    this.sqs.destroy();
    this.kms.destroy();
  }
}
