/**
 * The principal model (aws.principal.*, actor.email): what kind of AWS identity the Requester field
 * names, in CloudTrail's userIdentity vocabulary, and its account, role and session. S3 writes the
 * Requester as an IAM/STS ARN, a canonical user id (64 or 96 hex), a service principal
 * (`svc:delivery.logs.amazonaws.com`, `delivery.logs.amazonaws.com`, `AmazonS3` for lifecycle) or
 * `-` (unauthenticated). Anything else, or an ARN that does not parse, leaves the fields absent:
 * a derivation never rejects a line.
 */

export type PrincipalType = 'IAMUser' | 'AssumedRole' | 'FederatedUser' | 'Root' | 'AWSService' | 'AWSAccount' | 'Anonymous';

export interface PrincipalFields {
  type?: PrincipalType;
  account_id?: string;
  role_name?: string;
  session_name?: string;
}

const ACCOUNT = /^\d{12}$/;
const CANONICAL = /^[0-9a-f]{64}(?:[0-9a-f]{32})?$/;
// A DNS-like service principal: lowercase labels ending in amazonaws.com (or .cn).
const SERVICE = /^(?:svc:)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$/;
// IAM and STS names: letters, digits and +=,.@_- (role names up to 64, session names 2–64;
// user names up to 64; generous bounds, the log is what it is).
const NAME = /^[\w+=,.@-]{1,128}$/;
const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;

/** The principal fields of a Requester value; undefined (the `-` of the log) is Anonymous. */
export function principalOf(requester: string | undefined): PrincipalFields {
  if (requester === undefined || requester === '-') return { type: 'Anonymous' };
  if (requester === lastRequester) return { ...lastFields };
  lastRequester = requester;
  lastFields = derive(requester);
  return { ...lastFields };
}
let lastRequester = '';
let lastFields: PrincipalFields = {};

function derive(requester: string): PrincipalFields {
  if (requester.startsWith('arn:')) return fromArn(requester);
  if (requester === 'AmazonS3' || SERVICE.test(requester)) return { type: 'AWSService' };
  if (ACCOUNT.test(requester)) return { type: 'AWSAccount', account_id: requester };
  if (CANONICAL.test(requester)) return { type: 'AWSAccount' };
  return {};
}

function fromArn(arn: string): PrincipalFields {
  // arn:partition:service:region:account:resource (the resource may hold more colons).
  const parts = arn.split(':');
  if (parts.length < 6 || !/^aws[a-z-]*$/.test(parts[1]!)) return {};
  const service = parts[2]!;
  const account = parts[4]!;
  const resource = parts.slice(5).join(':');
  const account_id = ACCOUNT.test(account) ? account : undefined;
  if (service === 'iam' && account === 'cloudfront' && resource.startsWith('user/')) {
    // CloudFront's origin access identity: AWS's own principal acting for a distribution.
    return { type: 'AWSService' };
  }
  if (account_id === undefined || parts[3] !== '') return {};
  if (service === 'iam') {
    if (resource === 'root') return { type: 'Root', account_id };
    if (resource.startsWith('user/')) {
      const name = resource.slice(resource.lastIndexOf('/') + 1);
      return NAME.test(name) ? { type: 'IAMUser', account_id } : { account_id };
    }
    return { account_id };
  }
  if (service === 'sts') {
    if (resource.startsWith('assumed-role/')) {
      const rest = resource.slice('assumed-role/'.length);
      const slash = rest.indexOf('/');
      const role = slash < 0 ? rest : rest.slice(0, slash);
      const session = slash < 0 ? '' : rest.slice(slash + 1);
      if (!NAME.test(role)) return { account_id };
      return NAME.test(session)
        ? { type: 'AssumedRole', account_id, role_name: role, session_name: session }
        : { type: 'AssumedRole', account_id, role_name: role };
    }
    if (resource.startsWith('federated-user/')) {
      const name = resource.slice('federated-user/'.length);
      return NAME.test(name) ? { type: 'FederatedUser', account_id, session_name: name } : { type: 'FederatedUser', account_id };
    }
  }
  return { account_id };
}

/** The session name when it is an email address (an SSO or federated person), else undefined. */
export function emailOf(sessionName: string | undefined): string | undefined {
  return sessionName !== undefined && sessionName.length <= 254 && EMAIL.test(sessionName) ? sessionName : undefined;
}
