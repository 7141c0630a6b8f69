import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * Every AWS client the product makes is made here, so they share timeouts and the User-Agent
 * suffix that marks the worker's own requests (event.self) in later access logs.
 */

/** The one setting client construction reads (a structural slice of Config). */
export interface WorkerIdentity {
  readonly SELF_USER_AGENT_SUFFIX: string;
}

/** The AWS variables that decide client construction (read by the SDK too; never our settings). */
export interface AwsEndpointEnv {
  readonly AWS_ENDPOINT_URL?: string | undefined;
  readonly AWS_ENDPOINT_URL_S3?: string | undefined;
}

const CONNECT_TIMEOUT_MS = 5000;

function hasEndpointOverride(env: AwsEndpointEnv): boolean {
  return Boolean(env.AWS_ENDPOINT_URL_S3) || Boolean(env.AWS_ENDPOINT_URL);
}

/**
 * The S3 client of the worker. Region, credentials and an endpoint override come from the SDK's
 * own chain (AWS_REGION, AWS_ENDPOINT_URL[_S3], ...). With an endpoint override (moto, a VPC
 * endpoint URL) requests are path-style, because such endpoints do not serve bucket subdomains.
 * The User-Agent carries SELF_USER_AGENT_SUFFIX, so the reads the worker itself causes can be
 * recognised when they show up in later access logs.
 */
export function createS3Client(cfg: WorkerIdentity, options: { userAgentSuffix?: string; env?: AwsEndpointEnv } = {}): S3Client {
  const env: AwsEndpointEnv = options.env ?? process.env;
  const suffix = options.userAgentSuffix ?? cfg.SELF_USER_AGENT_SUFFIX;
  return new S3Client({
    forcePathStyle: hasEndpointOverride(env),
    ...(suffix ? { customUserAgent: suffix } : {}),
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS },
  });
}

/** The SQS client of the worker; same conventions as createS3Client. */
export function createSqsClient(cfg: WorkerIdentity): SQSClient {
  const suffix = cfg.SELF_USER_AGENT_SUFFIX;
  return new SQSClient({
    ...(suffix ? { customUserAgent: suffix } : {}),
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS },
  });
}

/** The KMS client of `check`; same conventions. */
export function createKmsClient(cfg: WorkerIdentity): KMSClient {
  const suffix = cfg.SELF_USER_AGENT_SUFFIX;
  return new KMSClient({
    ...(suffix ? { customUserAgent: suffix } : {}),
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS },
  });
}

/** The SNS client of the detection alerts (ALERT_SNS_TOPIC_ARN); same conventions. */
export function createSnsClient(cfg: WorkerIdentity): SNSClient {
  const suffix = cfg.SELF_USER_AGENT_SUFFIX;
  return new SNSClient({
    ...(suffix ? { customUserAgent: suffix } : {}),
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS },
  });
}
