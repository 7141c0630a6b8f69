import type { FieldDoc } from './field-docs.js';
import { GENESYS_AUDIT_MAPPINGS } from './genesys-audit.js';
import { fieldReference } from './field-docs.js';

/**
 * The field reference of the `genesys.audit` events in docs/event-schema.md, checked against
 * GENESYS_AUDIT_MAPPINGS by the same unit test as the access events' one.
 */
export const GENESYS_AUDIT_FIELD_DOCS: Readonly<Record<string, FieldDoc>> = {
  '@timestamp': { meaning: "The audit message's `eventDate`: when the action happened in Genesys (UTC).", question: 'when' },
  'event.kind': { meaning: 'Always `event`.', question: 'schema' },
  'event.dataset': { meaning: 'Always `genesys.audit`: an action inside Genesys Cloud, from its audit trail.', question: 'schema' },
  'event.module': { meaning: 'Always `genesys`.', question: 'schema' },
  'event.provider': {
    meaning: 'The audit `serviceName` (`RecordingPlaybackService`, `RecordingService` in the interaction audit trail; `Quality` in the general audits).',
    question: 'how',
  },
  'event.action': {
    meaning:
      'The audit `action` as Genesys wrote it: `Read` (a playback or a download: the trail does not tell them apart), `Export`, `Delete`, `UpdateRetention`, ...',
    question: 'what',
  },
  'event.id': { meaning: 'The audit message id.', question: 'evidence' },
  'event.outcome': { meaning: 'From the audit `status`: Success → success, Failure → failure, else unknown.', question: 'outcome' },
  'event.category': { meaning: 'Always `file` (the recording).', question: 'what' },
  'event.type': {
    meaning:
      'ECS type of the action: access (Read, Download, Export), deletion (Delete, Abandon), change (retention, protection, archive, restore), creation, info (unknown actions).',
    question: 'what',
  },
  'event.hash': {
    meaning:
      "sha256 of the message's evidence form (keys sorted, user and OAuth client reduced to their ids): a second read of the same message with other content is an integrity alarm.",
    question: 'evidence',
  },
  'event.ingested': { meaning: 'When the worker first wrote the document.', question: 'evidence' },
  'ecs.version': { meaning: 'ECS version the names follow.', question: 'schema' },
  'actor.kind': { meaning: '`human` when a Genesys user acted, `service` for an OAuth client without a user, else `unknown`.', question: 'who' },
  'actor.email': { meaning: "The user's email in Genesys (users API): the same field S3 events carry for the person.", question: 'who' },
  'actor.genesys_user_id': { meaning: 'The Genesys user id of the person who acted.', question: 'who' },
  'actor.name': { meaning: "The user's name in Genesys, exact; `.lower` lowercase, `.text` by word.", question: 'who' },
  'actor.name_folded': { meaning: 'The name lowercased without accents, for `query person <name>`.', question: 'who' },
  'client.ip': { meaning: 'The first valid address of the audit `remoteIps`.', question: 'from where' },
  'source.ip': { meaning: 'Alias of `client.ip` (the access events answer to both names).', question: 'from where' },
  'related.ip': { meaning: 'Every valid address of the audit `remoteIps`.', question: 'from where' },
  'genesys.conversation.id': { meaning: "The audit context's conversation id.", question: 'which recording' },
  'genesys.recording.id': { meaning: 'The entity id when the entity is a recording.', question: 'which recording' },
  'genesys.audit.api': {
    meaning: 'Which query found the message: `quality` (the interaction audit trail) or `audits` (the general audits).',
    question: 'evidence',
  },
  'genesys.audit.entity_type': { meaning: 'The audit `entityType` (Recording, ScreenRecording, ...).', question: 'what' },
  'genesys.audit.entity_id': { meaning: 'The audit entity id, whatever its type.', question: 'what' },
  'genesys.audit.level': { meaning: 'The audit `level` (User, System, ...).', question: 'how' },
  'genesys.audit.status': { meaning: 'The audit `status` as written (Success, Failure, Warning).', question: 'outcome' },
  'genesys.audit.client_id': { meaning: 'The OAuth client the action was made with.', question: 'who' },
  'genesys.audit.application': { meaning: 'The audit `application`, when the general audits give one.', question: 'how' },
  'genesys.audit.remote_ips': { meaning: 'The audit `remoteIps` as written, valid or not (at most 16).', question: 'from where' },
  'genesys.audit.original': { meaning: 'The message as Genesys sent it, as JSON: the evidence. Stored, not searched.', question: 'evidence' },
  'log.file.path': {
    meaning: '`genesys-audit:<api>/<transaction id>`: the audit query that first wrote the document (a later read of the same message finds it by id).',
    question: 'evidence',
  },
  'log.offset': { meaning: "The message's 1-based position in that query's results.", question: 'evidence' },
  'enrichment.status': { meaning: '`resolved` when the message names its conversation and recording, else `partial`.', question: 'completeness' },
  'enrichment.resolved_at': { meaning: 'When the document was built.', question: 'completeness' },
  'enrichment.reason': {
    meaning:
      'What was missing: `no_conversation`, `no_recording_id`, `not_a_recording`, `unknown_action`, `no_action`, `user_not_found`, `user_lookup_failed` (comma-separated).',
    question: 'completeness',
  },
};

export function genesysAuditFieldReference(): string {
  return fieldReference(GENESYS_AUDIT_MAPPINGS, GENESYS_AUDIT_FIELD_DOCS);
}

export const AUDIT_FIELDS_BEGIN = '<!-- genesys-audit-fields:begin (generated by `npm run docs`) -->';
export const AUDIT_FIELDS_END = '<!-- genesys-audit-fields:end -->';
