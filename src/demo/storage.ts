/**
 * The demo's storage, built the storage guide's way: the worker's queue (as the worker stack makes
 * it), then config/cloudformation/recording-storage.yaml deployed to moto's CloudFormation, and the
 * `recording-audit check` table for what it made.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { KMSClient } from '@aws-sdk/client-kms';
import { DeleteBucketPolicyCommand, PutBucketLoggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { PurgeQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { loadConfigOrThrow } from '../config/load.js';
import { CHECK_GROUPS, runChecks, summarize } from '../ops/check/runner.js';
import { renderTable } from '../ops/check/table.js';
import type { CheckContext } from '../ops/check/types.js';
import { createLogQueue } from '../sim/s3-logs/log-pipeline.js';
import { STORAGE_TEMPLATE, deployStorageStack } from '../sim/storage/deploy.js';

export interface DemoStorage {
  readonly recordingsBucket: string;
  readonly logBucket: string;
  readonly logPrefix: string;
  readonly queueUrl: string;
  readonly kmsKeyArn: string;
  /** EVIDENCE_BUCKET: the Object Lock bucket for the Genesys audit pages. */
  readonly evidenceBucket: string;
}

const STORAGE_GROUPS = new Set(['recordings-bucket', 's3-log-bucket']);

export async function buildGuideStorage(
  clients: { readonly s3: S3Client; readonly sqs: SQSClient; readonly kms: KMSClient; readonly cfn: CloudFormationClient },
  run: string,
  say: (text: string) => void,
): Promise<DemoStorage> {
  const { s3, sqs, kms, cfn } = clients;
  const logBucket = `demo-access-logs-${run}`;
  const queue = await createLogQueue(sqs, { queue: `recording-audit-demo-${run}`, logBucket });
  const stack = await deployStorageStack(
    { cfn, s3, kms },
    {
      stackName: `recording-audit-demo-storage-${run}`,
      recordingsBucket: `demo-recordings-${run}`,
      logBucket,
      logArchiveBucket: `demo-access-log-archive-${run}`,
      evidenceBucket: `demo-audit-evidence-${run}`,
      queueArn: queue.queueArn,
      genesysAccountId: '111122223333',
      genesysExternalId: 'demo-org',
    },
    { completeForMoto: true },
  );
  say(
    `Deployed ${STORAGE_TEMPLATE} as stack ${stack.stackName}: KMS key ${stack.kmsKeyArn} (rotating), s3://${stack.recordingsBucket} ` +
      `(SSE-KMS, versioned, TLS only, Genesys upload role ${stack.uploadRoleArn}), access logs to s3://${stack.logBucket}/${stack.logPrefix} ` +
      `notifying queue ${queue.queueUrl} (with a dead-letter queue), replicated to s3://${stack.logArchiveBucket} under Object Lock.`,
  );
  say(
    `moto's CloudFormation ignores ${stack.completedBySdk.length} of the template's settings; they were applied from the same template through the S3 and KMS APIs.`,
  );

  const config = loadConfigOrThrow({
    env: {
      ...process.env,
      RECORDINGS_BUCKET: stack.recordingsBucket,
      RECORDINGS_KMS_KEY_ARN: stack.kmsKeyArn,
      LOG_BUCKETS: stack.logBucket,
      SQS_QUEUE_URL: queue.queueUrl,
    },
  });
  const ctx: CheckContext = {
    config,
    s3: () => s3,
    sqs: () => sqs,
    kms: () => kms,
    opensearch: () => {
      throw new Error('the storage groups do not use OpenSearch');
    },
    genesys: undefined,
  };
  const results = await runChecks(
    CHECK_GROUPS.filter((g) => STORAGE_GROUPS.has(g.name)),
    ctx,
  );
  const summary = summarize(results);
  say('`recording-audit check --only recordings-bucket,s3-log-bucket` for this storage:');
  say(renderTable(results, summary));
  if (!summary.ok) throw new Error('the storage the guide describes does not pass check; see the table above');

  // moto, unlike S3, refuses any request a conditional statement of a bucket policy names, cannot
  // sign as S3 log delivery or Genesys Cloud, and delivers access logs of its own format. The demo
  // plays those parts itself from here, so on moto only: the two bucket policies go, the
  // recordings bucket's logging goes off, and the notifications for moto's own log objects are
  // dropped.
  await s3.send(new PutBucketLoggingCommand({ Bucket: stack.recordingsBucket, BucketLoggingStatus: {} }));
  await s3.send(new DeleteBucketPolicyCommand({ Bucket: stack.recordingsBucket }));
  await s3.send(new DeleteBucketPolicyCommand({ Bucket: stack.logBucket }));
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queue.queueUrl }));
  say("On moto only, the demo now plays Genesys Cloud and S3 log delivery: bucket policies lifted, moto's own access logging off.");
  return {
    recordingsBucket: stack.recordingsBucket,
    logBucket: stack.logBucket,
    logPrefix: stack.logPrefix,
    queueUrl: queue.queueUrl,
    kmsKeyArn: stack.kmsKeyArn,
    evidenceBucket: stack.evidenceBucket,
  };
}
