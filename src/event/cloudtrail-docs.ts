import { CLOUDTRAIL_MAPPINGS } from './cloudtrail.js';
import { fieldReference, LINK_FIELD_DOCS, type FieldDoc } from './field-docs.js';

/**
 * The field reference of the `aws.cloudtrail` events in docs/event-schema.md, checked against
 * CLOUDTRAIL_MAPPINGS by a unit test.
 */
export const CLOUDTRAIL_FIELD_DOCS: Readonly<Record<string, FieldDoc>> = {
  '@timestamp': { meaning: "The record's `eventTime` (UTC, whole seconds).", question: 'when' },
  'event.kind': { meaning: 'Always `event`.', question: 'schema' },
  'event.dataset': { meaning: 'Always `aws.cloudtrail`: an S3 data event from a CloudTrail trail.', question: 'schema' },
  'event.module': { meaning: 'Always `aws`.', question: 'schema' },
  'event.provider': { meaning: 'The `eventSource`: `s3.amazonaws.com`.', question: 'how' },
  'event.action': { meaning: 'The `eventName` (GetObject, PutObject, DeleteObject, ...): the S3 API action.', question: 'what' },
  'event.id': {
    meaning: "The `requestID`: the same value as the access log's Request ID (`event.id` there), so one request's two records share it.",
    question: 'evidence',
  },
  'event.code': { meaning: 'The `errorCode` (AccessDenied, NoSuchKey, ...); absent on success.', question: 'outcome' },
  'event.outcome': { meaning: '`failure` with an errorCode, else `success`.', question: 'outcome' },
  'event.category': { meaning: 'Always `file`.', question: 'what' },
  'event.type': { meaning: 'access, creation, deletion or change by the action; `denied` is added for AccessDenied.', question: 'what' },
  'event.hash': { meaning: "sha256 of the record's canonical JSON (keys sorted): what a second delivery is compared by.", question: 'evidence' },
  'event.self': { meaning: "Whether the request was recording-audit's own (SELF_USER_AGENT_SUFFIX, SELF_ROLE_ARNS).", question: 'who' },
  'event.ingested': { meaning: 'When the worker first wrote the document.', question: 'evidence' },
  'ecs.version': { meaning: 'ECS version the names follow.', question: 'schema' },
  'cloud.provider': { meaning: 'Always `aws`.', question: 'schema' },
  'cloud.region': { meaning: 'The `awsRegion` of the request.', question: 'from where' },
  'client.ip': {
    meaning: 'The `sourceIPAddress` when it is an address (a service name stays in `aws.cloudtrail.source_ip_address` only).',
    question: 'from where',
  },
  'source.ip': { meaning: 'Alias of `client.ip`.', question: 'from where' },
  'related.ip': { meaning: '`client.ip`, as a list.', question: 'from where' },
  'user_agent.original': { meaning: 'The `userAgent` as CloudTrail wrote it (console and CLI values often in `[...]`).', question: 'how' },
  'tls.version': { meaning: '`tlsDetails.tlsVersion` without `TLSv` (`1.2`), as the access events write it.', question: 'how' },
  'tls.cipher': { meaning: '`tlsDetails.cipherSuite`.', question: 'how' },
  'actor.kind': { meaning: "human, service, self, anonymous or unknown: the access events' settings, matched against `userIdentity.arn`.", question: 'who' },
  'actor.email': { meaning: '`sourceIdentity` or the session name, when it is an email address.', question: 'who' },
  'aws.principal.type': { meaning: '`userIdentity.type` (IAMUser, AssumedRole, Root, AWSService, ...), or Anonymous.', question: 'who' },
  'aws.principal.account_id': { meaning: '`userIdentity.accountId`.', question: 'who' },
  'aws.principal.role_name': { meaning: 'The session issuer (role) of an AssumedRole identity.', question: 'who' },
  'aws.principal.session_name': { meaning: 'The session name in the assumed-role or federated-user ARN.', question: 'who' },
  'aws.s3.bucket.name': { meaning: '`requestParameters.bucketName`, else the bucket of `resources`.', question: 'which recording' },
  'aws.s3.object.key': { meaning: '`requestParameters.key`, else the key in the object resource ARN.', question: 'which recording' },
  'aws.s3.object.version_id': { meaning: 'The versionId requested, or the version a PutObject created.', question: 'which recording' },
  'aws.cloudtrail.event_id': { meaning: 'The `eventID`: unique per record; the document id is `sha256("aws.cloudtrail\\n" + eventID)`.', question: 'evidence' },
  'aws.cloudtrail.event_version': { meaning: 'The record format version (`eventVersion`).', question: 'schema' },
  'aws.cloudtrail.event_type': { meaning: '`eventType` (AwsApiCall).', question: 'schema' },
  'aws.cloudtrail.event_category': { meaning: '`eventCategory` (Data).', question: 'schema' },
  'aws.cloudtrail.read_only': { meaning: '`readOnly`: whether the action only reads.', question: 'what' },
  'aws.cloudtrail.source_ip_address': { meaning: '`sourceIPAddress` as written: an address or an AWS service name.', question: 'from where' },
  'aws.cloudtrail.error_message': { meaning: '`errorMessage`.', question: 'outcome' },
  'aws.cloudtrail.recipient_account_id': { meaning: 'The account the trail delivered the record to.', question: 'evidence' },
  'aws.cloudtrail.vpc_endpoint_id': { meaning: 'The VPC endpoint the request came through.', question: 'from where' },
  'aws.cloudtrail.shared_event_id': { meaning: '`sharedEventID`: the same event delivered to several accounts.', question: 'evidence' },
  'aws.cloudtrail.authentication_method': { meaning: '`AuthHeader` or `QueryString` (a presigned URL).', question: 'how' },
  'aws.cloudtrail.signature_version': { meaning: '`SigV4`, `SigV2`.', question: 'how' },
  'aws.cloudtrail.bytes_transferred_in': { meaning: 'Bytes uploaded.', question: 'what' },
  'aws.cloudtrail.bytes_transferred_out': { meaning: 'Bytes downloaded.', question: 'what' },
  'aws.cloudtrail.user_identity.type': { meaning: '`userIdentity.type` as written.', question: 'who' },
  'aws.cloudtrail.user_identity.principal_id': { meaning: '`userIdentity.principalId`.', question: 'who' },
  'aws.cloudtrail.user_identity.arn': { meaning: '`userIdentity.arn`: what SERVICE_PRINCIPALS and HUMAN_PRINCIPALS are matched against.', question: 'who' },
  'aws.cloudtrail.user_identity.account_id': { meaning: '`userIdentity.accountId` as written.', question: 'who' },
  'aws.cloudtrail.user_identity.access_key_id': { meaning: 'The access key id that signed the request (not a secret).', question: 'who' },
  'aws.cloudtrail.user_identity.user_name': { meaning: '`userIdentity.userName`.', question: 'who' },
  'aws.cloudtrail.user_identity.invoked_by': { meaning: "The AWS service that made the request on the principal's behalf.", question: 'who' },
  'aws.cloudtrail.user_identity.source_identity': {
    meaning: '`sessionContext.sourceIdentity`: set when the role was assumed, kept along role chains.',
    question: 'who',
  },
  'aws.cloudtrail.user_identity.mfa_authenticated': { meaning: 'Whether the session was signed in with MFA.', question: 'who' },
  'aws.cloudtrail.user_identity.session_issuer.type': { meaning: "The session issuer's type (Role, ...).", question: 'who' },
  'aws.cloudtrail.user_identity.session_issuer.principal_id': { meaning: "The session issuer's principal id.", question: 'who' },
  'aws.cloudtrail.user_identity.session_issuer.arn': { meaning: 'The role (or user) that issued the session.', question: 'who' },
  'aws.cloudtrail.user_identity.session_issuer.account_id': { meaning: "The session issuer's account.", question: 'who' },
  'aws.cloudtrail.user_identity.session_issuer.user_name': { meaning: "The session issuer's name.", question: 'who' },
  'aws.cloudtrail.original': { meaning: 'The record as CloudTrail wrote it, canonical JSON: the evidence. Stored, not searched.', question: 'evidence' },
  'genesys.organization.id': { meaning: 'The Genesys organization the object key names.', question: 'which recording' },
  'genesys.conversation.id': { meaning: 'The conversation the object key names.', question: 'which recording' },
  'genesys.conversation.start': { meaning: "The conversation start from the key's partitions.", question: 'which recording' },
  'genesys.recording.id': { meaning: 'The recording the object key names.', question: 'which recording' },
  'genesys.recording.file': { meaning: '`media` or `metadata` (a `_metadata.json` sidecar).', question: 'which recording' },
  'log.file.path': { meaning: 'The CloudTrail log file, `s3://bucket/key`.', question: 'evidence' },
  'log.offset': { meaning: "The record's 1-based position in the file's `Records`.", question: 'evidence' },
  'enrichment.status': { meaning: '`partial` (reason `key_only`) when the key names a recording, else `not_a_recording`.', question: 'completeness' },
  'enrichment.resolved_at': { meaning: 'When the key was resolved.', question: 'completeness' },
  'enrichment.reason': { meaning: '`key_only`: only what the key says; the access-log twin (same `event.id`) carries the rest.', question: 'completeness' },
  ...LINK_FIELD_DOCS,
};

export function cloudTrailFieldReference(): string {
  return fieldReference(CLOUDTRAIL_MAPPINGS, CLOUDTRAIL_FIELD_DOCS);
}

export const CLOUDTRAIL_FIELDS_BEGIN = '<!-- cloudtrail-fields:begin (generated by `npm run docs`) -->';
export const CLOUDTRAIL_FIELDS_END = '<!-- cloudtrail-fields:end -->';
