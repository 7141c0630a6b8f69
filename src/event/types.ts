/**
 * The unified access event: one document per S3 server access log record, the shape stored in
 * OpenSearch. Names follow ECS, and Elastic Filebeat's `aws.s3access.*` for the raw S3 fields, so
 * a security team's existing queries and habits carry over. A field whose log value is `-` is absent
 * (in memory it may be an `undefined` property, which JSON serialization omits).
 *
 * The raw line is not stored: event.hash (sha256 of its bytes) and log.file.path + log.offset
 * (object and line number) point to it, so the parsed event can be checked against the source.
 *
 * The OpenSearch mapping (src/event/mapping.ts) is kept in sync with these types by a test.
 */

import type { S3AccessFields } from '../decode/s3-access-log.js';
import type { PrincipalFields } from './principal.js';
import type { PresignedFields } from './request-params.js';

/**
 * Who the principal is, by configuration (SERVICE_PRINCIPALS, HUMAN_PRINCIPALS, SELF_ROLE_ARNS):
 * `self` is recording-audit (event.self), `anonymous` an unauthenticated request, `unknown` a
 * principal no setting names.
 */
export type ActorKind = 'human' | 'service' | 'self' | 'anonymous' | 'unknown';

export type EventOutcome = 'success' | 'failure' | 'unknown';

/**
 * `skipped`: a recording key the worker chose not to look up (anonymous request, 4xx answer):
 * only what the key says is stored, and `enrichment.reason` says why.
 */
export type EnrichmentStatus = 'resolved' | 'partial' | 'pending' | 'not_found' | 'not_a_recording' | 'skipped';

export interface GenesysParticipant {
  user_id?: string;
  name?: string;
  /** The name folded for search: lowercase, without accents (src/event/names.ts). */
  name_folded?: string;
  purpose?: string;
}

/**
 * The Genesys user an S3 principal is (enrichment: the users search by actor.email, or
 * ACTOR_DIRECTORY_FILE). Ids lowercased; name as Genesys spells it, name_folded for search.
 */
export interface ActorPersonFields {
  genesys_user_id?: string;
  name?: string;
  name_folded?: string;
  division?: { id?: string; name?: string };
  department?: string;
}

export interface GenesysFields {
  organization?: { id?: string };
  conversation?: { id?: string; start?: string };
  recording?: {
    id?: string;
    file?: 'media' | 'metadata';
    media_type?: string;
    start?: string;
    end?: string;
    file_state?: string;
  };
  participants?: GenesysParticipant[];
  agent?: { user_ids?: string[] };
}

/**
 * Stored fields only. The Elastic `aws_s3access` ECS names that repeat a raw value (client.ip,
 * client.user.id, event.id, event.code, event.action, url.domain, user_agent.original, ...) are
 * `alias` fields of the mapping (src/event/mapping.ts): queryable, never stored twice.
 */
/**
 * The correlation of one request's two records (an access-log event and its CloudTrail event, same
 * `event.id`), written after the fact by the linker: never evidence, never from the line.
 */
export interface LinkFields {
  /** Datasets that have the request: `aws.cloudtrail`, `aws.s3access`. */
  sources: string[];
  /** Document ids of the other source's events for the same request. */
  twin_id: string[];
  linked_at: string;
}

export interface AccessEvent {
  '@timestamp': string;
  event: {
    kind: 'event';
    dataset: 'aws.s3access';
    module: 'aws';
    outcome: EventOutcome;
    category: string[];
    type: string[];
    /** sha256 of the raw line bytes, hex. The evidence fingerprint. */
    hash: string;
    // The booleans are written true or false on every event the parser builds (so `term: false`
    // queries work); optional only for documents made elsewhere (simulators, older documents).
    /** Whether credential values were removed from request_uri/referrer/user_agent. */
    redacted?: boolean;
    /** Whether the raw line was not valid UTF-8: text fields hold U+FFFD where bytes were invalid. */
    invalid_utf8?: boolean;
    /** Version of the parser that produced the fields; the same line always parses the same way within one. */
    parser_version?: number;
    /** Whether the request was made by recording-audit itself; false from the parser, set true by enrichment. */
    self?: boolean;
    /** When the worker first produced this document. */
    ingested?: string;
    /** Total Time in nanoseconds (ECS; S3 logs milliseconds). */
    duration?: number;
  };
  ecs: { version: string };
  cloud: { provider: 'aws'; region?: string };
  http?: {
    request?: { method?: string };
    /** From the Request-URI's protocol, e.g. `1.1`. */
    version?: string;
  };
  tls?: { version?: string };
  /** extension: of the object key's last segment, lowercase, without the dot. */
  url?: { extension?: string };
  /** kind: decided by configuration in enrichment (the parser alone writes anonymous, service for AWS services, else unknown). email: the session name when it is an email address. The person fields: enrichment (src/enrich/person.ts). */
  actor?: { kind: ActorKind; email?: string } & ActorPersonFields;
  aws: {
    s3access: S3AccessFields;
    /** The Requester in CloudTrail's userIdentity vocabulary (src/event/principal.ts). */
    principal?: PrincipalFields;
    s3: {
      /** key: the Key field URL-decoded (key_decode_failed, always written, says it could not be); version_id is a DELETE's versionId parameter. */
      object: { key?: string; key_decode_failed?: boolean; version_id?: string };
      /** A request authenticated in the query string (a presigned URL). */
      presigned?: PresignedFields;
    };
  };
  log: { file: { path: string }; offset: number };
  genesys?: GenesysFields;
  enrichment?: { status: EnrichmentStatus; resolved_at?: string; reason?: string };
  /** Written by the linker only (src/sinks/opensearch/link.ts). */
  link?: LinkFields;
}

/**
 * What the sink needs of any document it writes: the time that picks the monthly index, the hash
 * a 409 is compared by, and where the line came from (for the quarantine record).
 */
export interface IndexedDocument {
  '@timestamp': string;
  event: { hash: string; ingested?: string };
  log: { file: { path: string }; offset: number };
}

/** A document ready for the sink, with its deterministic id. */
export interface IndexableDocument<E extends IndexedDocument = IndexedDocument> {
  readonly id: string;
  readonly event: E;
}

/** An access event ready for the sink; its id is sha256(log bucket name, raw line bytes), so the same record delivered twice has one id. */
export type IndexableEvent = IndexableDocument<AccessEvent>;

/**
 * The index's trace of a line that went to quarantine (a parse reject, a record refused by the
 * admission rules, or a document OpenSearch would not take): an analyst searching the index sees
 * that something was there, and the quarantine record holds the rest. Only keyword fields are
 * recovered from the line, so this document cannot be refused for the reason its line was.
 */
export interface PipelineErrorEvent {
  /** The log object's time, never the line's own claim: a forged time must not pick the index. */
  '@timestamp': string;
  event: {
    kind: 'pipeline_error';
    dataset: 'aws.s3access';
    outcome: 'unknown';
    category: string[];
    type: string[];
    /** sha256 of the original raw line bytes, hex, as in the quarantine record. */
    hash: string;
    /** The raw line, credentials redacted (parse and admission rejects only; absent for documents refused by OpenSearch). */
    original?: string;
    redacted?: boolean;
    parser_version: number;
    ingested?: string;
  };
  /** code: the quarantine reason; type: the stage that refused the line; message: its detail, redacted. */
  error: { code: string; type: 'decode' | 'parse' | 'admission' | 'index'; message?: string };
  aws?: {
    s3access: Partial<Record<RecoveredField, string>>;
    s3: { object: { key?: string } };
  };
  log: { file: { path: string }; offset: number };
}

/** The keyword fields of S3AccessFields a pipeline_error event may carry. */
export type RecoveredField = {
  [K in keyof S3AccessFields]-?: NonNullable<S3AccessFields[K]> extends string ? K : never;
}[keyof S3AccessFields];
