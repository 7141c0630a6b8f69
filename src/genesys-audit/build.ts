import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { AuditMessage } from '../enrich/genesys/audits.js';
import { ECS_VERSION } from '../event/build.js';
import { GENESYS_AUDIT_DATASET, type GenesysAuditEvent } from '../event/genesys-audit.js';
import { foldName } from '../event/names.js';
import type { EventOutcome, IndexableDocument } from '../event/types.js';

/**
 * One Genesys audit message → one `genesys.audit` event. Nothing is dropped for being incomplete:
 * a message without a conversation, or with an action this build does not know, is indexed with
 * the action as given and `enrichment.reason` naming what was missing.
 */

/** ECS event.type by audit action. Views and downloads are both `Read` in the interaction audit trail. */
const TYPE_OF_ACTION: Readonly<Record<string, string>> = {
  Read: 'access',
  View: 'access',
  Download: 'access',
  Export: 'access',
  Delete: 'deletion',
  Abandon: 'deletion',
  Create: 'creation',
  Update: 'change',
  UpdateRetention: 'change',
  ApplyProtection: 'change',
  RevokeProtection: 'change',
  Archive: 'change',
  RestoreRequest: 'change',
  RestoreComplete: 'change',
  Transcode: 'info',
  Start: 'start',
  Stop: 'end',
};

/** Entity types whose entity id is a recording id. */
const RECORDING_ENTITIES = new Set(['Recording', 'ScreenRecording', 'SnippetRecording', 'OrphanedRecording']);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_REMOTE_IPS = 16;

/** The document id: one per audit message and API, whatever query or page brought it. */
export function genesysAuditDocId(api: string, messageId: string): string {
  return createHash('sha256').update(`${GENESYS_AUDIT_DATASET}\n${api}\n${messageId}`).digest('hex');
}

/**
 * The form of a message the hash covers: the message with keys sorted at every level, and the
 * user and OAuth client reduced to their ids. `expand=user` fills in the user's *current* name, so
 * a rename between two reads of the same message must not look like altered evidence.
 */
export function genesysAuditEvidence(raw: Readonly<Record<string, unknown>>): string {
  const reduced: Record<string, unknown> = { ...raw };
  for (const ref of ['user', 'client']) {
    const v = reduced[ref];
    if (v !== null && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string') reduced[ref] = { id: (v as { id: string }).id };
  }
  return canonicalJson(reduced);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function outcomeOf(status: string | undefined): EventOutcome {
  switch (status?.toLowerCase()) {
    case 'success':
      return 'success';
    case 'failure':
      return 'failure';
    default:
      return 'unknown';
  }
}

function conversationIdOf(context: Readonly<Record<string, string>>): string | undefined {
  for (const [k, v] of Object.entries(context)) if (k.toLowerCase() === 'conversationid' && UUID.test(v)) return v.toLowerCase();
  return undefined;
}

/** Where the event says its message is: an evidence page and line, or the query and position. */
export interface AuditProvenance {
  /** `s3://<EVIDENCE_BUCKET>/...page-N.ndjson`, or `genesys-audit:<api>/<transaction id>` without an evidence bucket. */
  readonly path: string;
  /** 1-based line in the page, or position in the query's results. */
  readonly position: number;
}

/** The Genesys user behind an audit message's user id, from the users API; `lookup_failed` when it could not be asked. */
export type AuditPerson = { readonly found: true; readonly name?: string; readonly email?: string } | { readonly found: false } | 'lookup_failed';

export function buildGenesysAuditEvent(m: AuditMessage, from: AuditProvenance, person?: AuditPerson): IndexableDocument<GenesysAuditEvent> {
  const reasons: string[] = [];
  if (m.user !== undefined && person === 'lookup_failed') reasons.push('user_lookup_failed');
  if (m.user !== undefined && person !== undefined && person !== 'lookup_failed' && !person.found) reasons.push('user_not_found');
  const known = person !== undefined && person !== 'lookup_failed' && person.found ? person : undefined;
  const action = m.action ?? '';
  if (action === '') reasons.push('no_action');
  const type = TYPE_OF_ACTION[action];
  if (action !== '' && type === undefined) reasons.push('unknown_action');

  const conversationId = conversationIdOf(m.context);
  if (conversationId === undefined) reasons.push('no_conversation');
  const isRecording = m.entityType !== undefined && RECORDING_ENTITIES.has(m.entityType);
  const recordingId = isRecording && m.entity !== undefined && UUID.test(m.entity.id) ? m.entity.id.toLowerCase() : undefined;
  if (recordingId === undefined) reasons.push(isRecording ? 'no_recording_id' : 'not_a_recording');

  const ips = m.remoteIps.slice(0, MAX_REMOTE_IPS);
  const valid = ips.filter((ip) => isIP(ip) !== 0);
  const userName = m.user?.name ?? known?.name;
  const evidence = genesysAuditEvidence(m.raw);

  const event: GenesysAuditEvent = {
    '@timestamp': new Date(Date.parse(m.eventDate)).toISOString(),
    event: {
      kind: 'event',
      dataset: GENESYS_AUDIT_DATASET,
      module: 'genesys',
      ...(m.serviceName !== undefined ? { provider: m.serviceName } : {}),
      action,
      id: m.id,
      outcome: outcomeOf(m.status),
      category: ['file'],
      type: [type ?? 'info'],
      hash: createHash('sha256').update(evidence).digest('hex'),
    },
    ecs: { version: ECS_VERSION },
    actor: {
      kind: m.user !== undefined ? 'human' : m.clientId !== undefined ? 'service' : 'unknown',
      ...(m.user !== undefined ? { genesys_user_id: m.user.id.toLowerCase() } : {}),
      ...(known?.email !== undefined && known.email !== '' ? { email: known.email } : {}),
      ...(userName !== undefined && userName !== '' ? { name: userName, name_folded: foldName(userName) } : {}),
    },
    ...(valid[0] !== undefined ? { client: { ip: valid[0] }, related: { ip: valid } } : {}),
    genesys: {
      ...(conversationId !== undefined ? { conversation: { id: conversationId } } : {}),
      ...(recordingId !== undefined ? { recording: { id: recordingId } } : {}),
      audit: {
        api: m.api,
        ...(m.entityType !== undefined ? { entity_type: m.entityType } : {}),
        ...(m.entity !== undefined ? { entity_id: m.entity.id } : {}),
        ...(m.level !== undefined ? { level: m.level } : {}),
        ...(m.status !== undefined ? { status: m.status } : {}),
        ...(m.clientId !== undefined ? { client_id: m.clientId } : {}),
        ...(m.application !== undefined ? { application: m.application } : {}),
        ...(ips.length > 0 ? { remote_ips: ips } : {}),
        original: JSON.stringify(m.raw),
      },
    },
    log: { file: { path: from.path }, offset: from.position },
    enrichment: {
      status: reasons.length === 0 ? 'resolved' : 'partial',
      resolved_at: new Date().toISOString(),
      ...(reasons.length > 0 ? { reason: reasons.join(',') } : {}),
    },
  };
  return { id: genesysAuditDocId(m.api, m.id), event };
}
