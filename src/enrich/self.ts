import type { AccessEvent } from '../event/types.js';

/**
 * Recognises the worker's own requests in later access logs (event.self). The User-Agent suffix
 * alone is a claim any client can copy, and a copied one would drop the client's reads from every
 * `NOT event.self:true` dashboard; with role ARNs configured, the requester must be one of them.
 */
export interface SelfRecognizer {
  /** True when the event is one of the worker's own requests. */
  isSelf(event: AccessEvent): boolean;
  /** Whether the requester is checked (SELF_ROLE_ARNS set), or the User-Agent alone decides. */
  readonly checksRequester: boolean;
}

/**
 * The requester prefix an S3 access log writes for sessions of a role: an IAM role ARN
 * `arn:aws:iam::<account>:role/<path/><name>` logs as `arn:aws:sts::<account>:assumed-role/<name>/<session>`.
 */
export function requesterPrefixOf(roleArn: string): string {
  const iam = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  if (iam !== null) return `arn:${iam[1]!}:sts::${iam[2]!}:assumed-role/${iam[3]!}/`;
  return roleArn.endsWith('/') ? roleArn : `${roleArn}/`;
}

export function selfRecognizer(userAgentSuffix: string, roleArns: readonly string[]): SelfRecognizer {
  const prefixes = roleArns.map(requesterPrefixOf);
  return {
    checksRequester: prefixes.length > 0,
    isSelf(event: AccessEvent): boolean {
      if (userAgentSuffix === '') return false;
      const ua = event.aws.s3access.user_agent;
      if (ua?.includes(userAgentSuffix) !== true) return false;
      if (prefixes.length === 0) return true;
      const requester = event.aws.s3access.requester;
      return requester !== undefined && prefixes.some((p) => requester.startsWith(p));
    },
  };
}
