import { date, ipField, keyword, long, personName, props, stored } from './field-types.js';
import type { EnrichmentStatus, EventOutcome } from './types.js';

/**
 * The `genesys.audit` event: one Genesys Cloud audit message about a recording (a playback,
 * download, export, deletion or retention change inside Genesys, which S3 never sees), in the same
 * read alias as the S3 access events.
 *
 * These documents live in their own monthly indices, `<INDEX_PREFIX>.genesys-YYYY.MM`, with their
 * own mapping. In the access-event mapping the ECS names `client.ip`, `event.action`, `event.id` and
 * `source.ip` are aliases of raw S3 fields; here they are the stored values. A query on
 * `client.ip` or `event.action` through the read alias therefore finds both kinds of document,
 * with one type per name. Every name the two mappings share has the same type (a unit test pins it).
 */

export const GENESYS_AUDIT_DATASET = 'genesys.audit';

/** Goes up with every change of GENESYS_AUDIT_MAPPINGS; `setup` never replaces a later one. */
export const GENESYS_AUDIT_MAPPING_REVISION = 1;

export interface GenesysAuditEvent {
  '@timestamp': string;
  event: {
    kind: 'event';
    dataset: typeof GENESYS_AUDIT_DATASET;
    module: 'genesys';
    /** The audit's serviceName (ECS: the source of the event within the module). */
    provider?: string;
    /** The audit's action as Genesys wrote it (Read, Export, Delete, UpdateRetention, ...). */
    action: string;
    /** The audit message id. */
    id: string;
    outcome: EventOutcome;
    category: string[];
    type: string[];
    /** sha256 of the message's evidence form (genesysAuditEvidence): what a 409 is compared by. */
    hash: string;
    ingested?: string;
  };
  ecs: { version: string };
  actor: {
    /** human: a Genesys user acted; service: an OAuth client without a user; unknown: neither named. */
    kind: 'human' | 'service' | 'unknown';
    genesys_user_id?: string;
    /** The user's email in Genesys (users API), so `query person <email>` finds S3 and Genesys events alike. */
    email?: string;
    name?: string;
    name_folded?: string;
  };
  client?: { ip: string };
  related?: { ip: string[] };
  genesys: {
    conversation?: { id: string };
    recording?: { id: string };
    audit: {
      /** Which query found it: `quality` (interaction audit trail) or `audits` (general audits). */
      api: 'quality' | 'audits';
      entity_type?: string;
      entity_id?: string;
      level?: string;
      status?: string;
      client_id?: string;
      application?: string;
      /** Every remote address the message lists; `client.ip` is the first valid one. */
      remote_ips?: string[];
      /** The message as Genesys sent it, as JSON: the evidence, never searched. */
      original: string;
    };
  };
  log: { file: { path: string }; offset: number };
  enrichment: { status: EnrichmentStatus; resolved_at?: string; reason?: string };
}

/**
 * Strict, like the access events. Types match the access-event mapping name for name (a keyword
 * there is a keyword here, an alias of an ip field there is an ip field here).
 */
export const GENESYS_AUDIT_MAPPINGS = {
  dynamic: 'strict',
  date_detection: false,
  _meta: { schema: 'recording-audit genesys.audit event v1' },
  properties: {
    '@timestamp': date,
    event: props({
      kind: keyword,
      dataset: keyword,
      module: keyword,
      provider: keyword,
      action: keyword,
      id: keyword,
      outcome: keyword,
      category: keyword,
      type: keyword,
      hash: stored,
      ingested: date,
    }),
    ecs: props({ version: keyword }),
    actor: props({
      kind: keyword,
      email: keyword,
      genesys_user_id: keyword,
      name: personName,
      name_folded: keyword,
    }),
    client: props({ ip: ipField }),
    source: props({ ip: { type: 'alias', path: 'client.ip' } }),
    related: props({ ip: ipField }),
    genesys: props({
      conversation: props({ id: keyword }),
      recording: props({ id: keyword }),
      audit: props({
        api: keyword,
        entity_type: keyword,
        entity_id: keyword,
        level: keyword,
        status: keyword,
        client_id: keyword,
        application: keyword,
        remote_ips: { type: 'keyword', ignore_above: 256, doc_values: false },
        original: stored,
      }),
    }),
    log: props({ file: props({ path: keyword }), offset: long }),
    enrichment: props({ status: keyword, resolved_at: date, reason: keyword }),
  },
} as const;
