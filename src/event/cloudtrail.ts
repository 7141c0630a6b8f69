import type { PrincipalFields } from './principal.js';
import type { ActorKind, EnrichmentStatus, EventOutcome, LinkFields } from './types.js';
import { bool, date, ipField, keyword, keywordText, linkProps, long, props, stored } from './field-types.js';

/**
 * The `aws.cloudtrail` event: one CloudTrail S3 data event on an audited bucket, the second source
 * of the same requests the access logs record (CloudTrail delivers reliably, S3 access logs are
 * best effort), in the same read alias.
 *
 * Like the Genesys audit events these documents live in their own monthly indices,
 * `<INDEX_PREFIX>.cloudtrail-YYYY.MM`, with their own strict mapping: the ECS names that are
 * aliases of raw S3 fields in the access-event mapping (`event.id`, `event.action`, `event.code`,
 * `client.ip`, `user_agent.original`, `tls.cipher`, `aws.s3.bucket.name`) are stored values here,
 * with the alias target's type, so one query through the read alias finds both sources, and a
 * request id finds an access-log record and its CloudTrail twin alike.
 */

export const CLOUDTRAIL_DATASET = 'aws.cloudtrail';

/** Goes up with every change of CLOUDTRAIL_MAPPINGS; `setup` never replaces a later one. */
export const CLOUDTRAIL_MAPPING_REVISION = 2;

export interface CloudTrailUserIdentity {
  type?: string;
  principal_id?: string;
  arn?: string;
  account_id?: string;
  /** Not a secret: the key id names the credential, it cannot sign. */
  access_key_id?: string;
  user_name?: string;
  invoked_by?: string;
  /** sessionContext.sourceIdentity: set by the caller when assuming the role, it follows the chain. */
  source_identity?: string;
  mfa_authenticated?: boolean;
  session_issuer?: { type?: string; principal_id?: string; arn?: string; account_id?: string; user_name?: string };
}

export interface CloudTrailEvent {
  '@timestamp': string;
  event: {
    kind: 'event';
    dataset: typeof CLOUDTRAIL_DATASET;
    module: 'aws';
    /** eventSource (`s3.amazonaws.com`). */
    provider: string;
    /** eventName (GetObject, PutObject, ...). */
    action: string;
    /** requestID: the same value as the access log's Request ID, the correlation key of the two sources. */
    id: string;
    /** errorCode (AccessDenied, ...), absent on success. */
    code?: string;
    outcome: EventOutcome;
    category: string[];
    type: string[];
    /** sha256 of the record's canonical JSON (keys sorted): what a 409 is compared by. */
    hash: string;
    self?: boolean;
    ingested?: string;
  };
  ecs: { version: string };
  cloud: { provider: 'aws'; region?: string };
  /** Only when sourceIPAddress is an address; a service name stays in aws.cloudtrail.source_ip_address. */
  client?: { ip: string };
  related?: { ip: string[] };
  user_agent?: { original: string };
  tls?: { version?: string; cipher?: string };
  actor: { kind: ActorKind; email?: string };
  aws: {
    principal?: PrincipalFields;
    s3: { bucket?: { name: string }; object?: { key?: string; version_id?: string } };
    cloudtrail: {
      event_id: string;
      event_version?: string;
      event_type?: string;
      event_category?: string;
      read_only?: boolean;
      source_ip_address?: string;
      error_message?: string;
      recipient_account_id?: string;
      vpc_endpoint_id?: string;
      shared_event_id?: string;
      authentication_method?: string;
      signature_version?: string;
      bytes_transferred_in?: number;
      bytes_transferred_out?: number;
      user_identity?: CloudTrailUserIdentity;
      /** The record as CloudTrail wrote it, canonical JSON: the evidence, never searched. */
      original: string;
    };
  };
  /** What the object key says (src/enrich/keys.ts); no Genesys lookup is made for CloudTrail events. */
  genesys?: {
    organization?: { id: string };
    conversation?: { id?: string; start?: string };
    recording?: { id?: string; file?: 'media' | 'metadata' };
  };
  log: { file: { path: string }; offset: number };
  enrichment: { status: EnrichmentStatus; resolved_at?: string; reason?: string };
  /** Written by the linker only (src/sinks/opensearch/link.ts). */
  link?: LinkFields;
}

/** Strict; every name the access-event mapping also has is of the same type (a unit test pins it). */
export const CLOUDTRAIL_MAPPINGS = {
  dynamic: 'strict',
  date_detection: false,
  _meta: { schema: 'recording-audit aws.cloudtrail event v1' },
  properties: {
    '@timestamp': date,
    event: props({
      kind: keyword,
      dataset: keyword,
      module: keyword,
      provider: keyword,
      action: keyword,
      id: keyword,
      code: keyword,
      outcome: keyword,
      category: keyword,
      type: keyword,
      hash: stored,
      self: bool,
      ingested: date,
    }),
    ecs: props({ version: keyword }),
    cloud: props({ provider: keyword, region: keyword }),
    client: props({ ip: ipField }),
    source: props({ ip: { type: 'alias', path: 'client.ip' } }),
    related: props({ ip: ipField }),
    user_agent: props({ original: keywordText }),
    tls: props({ version: keyword, cipher: keyword }),
    actor: props({ kind: keyword, email: keyword }),
    aws: props({
      principal: props({ type: keyword, account_id: keyword, role_name: keyword, session_name: keyword }),
      s3: props({
        bucket: props({ name: keyword }),
        object: props({ key: keyword, version_id: keyword }),
      }),
      cloudtrail: props({
        event_id: keyword,
        event_version: keyword,
        event_type: keyword,
        event_category: keyword,
        read_only: bool,
        source_ip_address: keyword,
        error_message: keyword,
        recipient_account_id: keyword,
        vpc_endpoint_id: keyword,
        shared_event_id: keyword,
        authentication_method: keyword,
        signature_version: keyword,
        bytes_transferred_in: long,
        bytes_transferred_out: long,
        user_identity: props({
          type: keyword,
          principal_id: keyword,
          arn: keyword,
          account_id: keyword,
          access_key_id: keyword,
          user_name: keyword,
          invoked_by: keyword,
          source_identity: keyword,
          mfa_authenticated: bool,
          session_issuer: props({ type: keyword, principal_id: keyword, arn: keyword, account_id: keyword, user_name: keyword }),
        }),
        original: stored,
      }),
    }),
    genesys: props({
      organization: props({ id: keyword }),
      conversation: props({ id: keyword, start: date }),
      recording: props({ id: keyword, file: keyword }),
    }),
    log: props({ file: props({ path: keyword }), offset: long }),
    enrichment: props({ status: keyword, resolved_at: date, reason: keyword }),
    // Revision 2, add-only: the access-log twins, found by the linker.
    link: linkProps,
  },
} as const;
