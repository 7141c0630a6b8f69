import { redactSecretsInText } from '../../core/redact-text.js';

interface AwsErrorShape {
  name?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The AWS error code (AccessDenied, NoSuchBucket, ...) or the error's name. */
export function awsErrorCode(err: unknown): string {
  if (typeof err !== 'object' || err === null) return 'Error';
  const e = err as AwsErrorShape;
  if (typeof e.Code === 'string') return e.Code;
  if (typeof e.name === 'string') return e.name;
  return 'Error';
}

export function awsStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as AwsErrorShape).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isAccessDenied(err: unknown): boolean {
  const code = awsErrorCode(err);
  return code === 'AccessDenied' || code === 'AccessDeniedException' || code === 'AllAccessDisabled' || awsStatus(err) === 403;
}

export function isNotFound(err: unknown, ...codes: string[]): boolean {
  return codes.includes(awsErrorCode(err));
}

/** One line, secret-free: `AccessDenied: message (HTTP 403)`. */
export function describeAwsError(err: unknown): string {
  const code = awsErrorCode(err);
  const message =
    typeof err === 'object' && err !== null && typeof (err as AwsErrorShape).message === 'string' ? String((err as AwsErrorShape).message) : String(err);
  const status = awsStatus(err);
  const text = message !== '' && message !== code ? `${code}: ${message}` : code;
  return redactSecretsInText(status !== undefined ? `${text} (HTTP ${status})` : text);
}

/** The generic "what to change" for a failed call. */
export function fixForAwsError(err: unknown, action: string, resource: string): string {
  if (isAccessDenied(err)) {
    return `Grant ${action} on ${resource} to the principal running check: an operator role (config/iam/check-operator-policy.json), or the task role where the worker itself needs it (config/iam/task-role-policy.json).`;
  }
  const code = awsErrorCode(err);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'TimeoutError' || code === 'ETIMEDOUT') {
    return 'Check the network path and the endpoint (AWS_REGION, AWS_ENDPOINT_URL*, VPC endpoints, security groups).';
  }
  return `Check ${resource} and the credentials in use (AWS_PROFILE / task role).`;
}
