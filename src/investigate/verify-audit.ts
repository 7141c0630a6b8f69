import { createHash } from 'node:crypto';
import type { RawLine } from '../decode/lines.js';
import { parseAuditMessage, type AuditApi } from '../enrich/genesys/audits.js';
import { buildGenesysAuditEvent, genesysAuditDocId, genesysAuditEvidence } from '../genesys-audit/build.js';
import { compareDocuments, type FieldDifference } from './compare.js';

/**
 * The chain of custody of a `genesys.audit` event: its log.file.path is an evidence page in
 * EVIDENCE_BUCKET and log.offset the line of its message there. The message's evidence hash,
 * the document id from its API and id, and every field built from it must match the document.
 * Not compared: what the users API, the sink and the build time add (actor.email, the name when
 * the message did not carry it, enrichment.*, event.ingested).
 */

const NOT_FROM_THE_MESSAGE: ReadonlySet<string> = new Set([
  'event.hash',
  'event.ingested',
  'actor.email',
  'actor.name',
  'actor.name_folded',
  'enrichment.status',
  'enrichment.reason',
  'enrichment.resolved_at',
]);

export function isGenesysAuditSource(source: Readonly<Record<string, unknown>>): boolean {
  const event = source.event as { dataset?: unknown } | undefined;
  return event?.dataset === 'genesys.audit';
}

function apiOf(source: Readonly<Record<string, unknown>>): AuditApi | undefined {
  const api = (source.genesys as { audit?: { api?: unknown } } | undefined)?.audit?.api;
  return api === 'quality' || api === 'audits' ? api : undefined;
}

/** The differences between a stored audit event and the evidence line it names; none: verified. */
export function auditDifferences(
  source: Readonly<Record<string, unknown>>,
  id: string,
  storedHash: string | undefined,
  line: RawLine,
  path: string,
  offset: number,
): FieldDifference[] {
  const differences: FieldDifference[] = [];
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(line.bytes).toString('utf8'));
  } catch {
    return [{ field: '(line)', stored: 'a Genesys audit message', fromLine: 'not JSON' }];
  }
  const hash =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw)
      ? createHash('sha256')
          .update(genesysAuditEvidence(raw as Record<string, unknown>))
          .digest('hex')
      : undefined;
  if (storedHash !== hash) differences.push({ field: 'event.hash', stored: storedHash, fromLine: hash });
  const api = apiOf(source);
  if (api === undefined) return [...differences, { field: 'genesys.audit.api', stored: undefined, fromLine: 'quality or audits' }];
  const message = parseAuditMessage(api, raw);
  if (!('id' in message)) return [...differences, { field: '(line)', stored: 'a Genesys audit message', fromLine: `not one: ${message.reason}` }];
  const expectedId = genesysAuditDocId(api, message.id);
  if (id !== expectedId) differences.push({ field: '_id', stored: id, fromLine: expectedId });
  const fresh: unknown = JSON.parse(JSON.stringify(buildGenesysAuditEvent(message, { path, position: offset }).event));
  differences.push(...compareDocuments(source, fresh, NOT_FROM_THE_MESSAGE));
  return differences;
}
