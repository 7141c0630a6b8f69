import {
  CreateBucketCommand,
  PutBucketLoggingCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface LogPipelineResources {
  readonly recordingsBucket: string;
  readonly logBucket: string;
  readonly logPrefix: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
}

/** Names and settings of the log pipeline createLogPipeline builds. */
export interface LogPipelineSettings {
  readonly recordingsBucket: string;
  readonly logBucket: string;
  readonly queue: string;
  readonly logPrefix?: string;
  readonly maxReceiveCount?: number;
  readonly visibilityTimeoutSecs?: number;
  /**
   * Turn on the recordings bucket's server access logging (default true). moto delivers log
   * objects of its own for it, in a format that is not S3's (the Request-URI unquoted): the
   * worker quarantines those lines, as it would any malformed record.
   */
  readonly accessLogging?: boolean;
}

/** The queue policy that lets S3 send `bucket`'s event notifications to the queue, and no one else. */
export function notificationQueuePolicy(queueArn: string, bucket: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${bucket}` } },
      },
    ],
  };
}

/**
 * The worker's queue with its dead-letter queue behind a redrive policy, open to `logBucket`'s
 * event notifications (what config/cloudformation/recording-audit.yaml makes).
 */
export async function createLogQueue(
  sqs: SQSClient,
  names: { readonly queue: string; readonly logBucket: string; readonly maxReceiveCount?: number; readonly visibilityTimeoutSecs?: number },
): Promise<{ queueUrl: string; queueArn: string; dlqUrl: string }> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${names.queue}-dlq` }));
  const dlqUrl = dlq.QueueUrl ?? '';
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: names.queue,
      Attributes: {
        VisibilityTimeout: String(names.visibilityTimeoutSecs ?? 300),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: String(names.maxReceiveCount ?? 5) }),
      },
    }),
  );
  const queueUrl = queue.QueueUrl ?? '';
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queueUrl,
      Attributes: {
        Policy: JSON.stringify(notificationQueuePolicy(queueArn, names.logBucket)),
      },
    }),
  );
  return { queueUrl, queueArn, dlqUrl };
}

/**
 * Creates what a production deployment has (config/cloudformation does the same in AWS): a
 * recordings bucket with server access logging into a separate log bucket, and the log bucket's
 * ObjectCreated notifications going to a queue with a dead-letter queue behind a redrive policy.
 */
export async function createLogPipeline(s3: S3Client, sqs: SQSClient, names: LogPipelineSettings): Promise<LogPipelineResources> {
  const logPrefix = names.logPrefix ?? 'access-logs/';
  await s3.send(new CreateBucketCommand({ Bucket: names.logBucket }));
  await s3.send(new CreateBucketCommand({ Bucket: names.recordingsBucket }));
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: names.logBucket,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'S3ServerAccessLogsPolicy',
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: `arn:aws:s3:::${names.logBucket}/${logPrefix}*`,
          },
        ],
      }),
    }),
  );
  if (names.accessLogging ?? true) {
    await s3.send(
      new PutBucketLoggingCommand({
        Bucket: names.recordingsBucket,
        BucketLoggingStatus: { LoggingEnabled: { TargetBucket: names.logBucket, TargetPrefix: logPrefix } },
      }),
    );
  }

  const { queueUrl, queueArn, dlqUrl } = await createLogQueue(sqs, names);
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: names.logBucket,
      NotificationConfiguration: {
        QueueConfigurations: [{ QueueArn: queueArn, Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: logPrefix }] } } }],
      },
    }),
  );
  return { recordingsBucket: names.recordingsBucket, logBucket: names.logBucket, logPrefix, queueUrl, queueArn, dlqUrl };
}

/** Writes one log object the way S3 log delivery does (PutObject into the log bucket). */
export async function putLogObject(s3: S3Client, bucket: string, key: string, body: Buffer | string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}
