import { describe, expect, it } from 'vitest';
import type { AuditMessage } from '../../../src/enrich/genesys/audits.js';
import { buildGenesysAuditEvent, genesysAuditDocId, genesysAuditEvidence } from '../../../src/genesys-audit/build.js';

const CID = '0b5a3c6e-1f2d-4e8a-9b7c-2d4e6f8a0b1c';
const RID = '7c9e6f1a-3b2d-4c5e-8f9a-0b1c2d3e4f5a';
const UID = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

function message(over: Partial<AuditMessage> = {}): AuditMessage {
  const raw = {
    id: 'm-1',
    eventDate: '2026-12-06T10:15:00.123Z',
    serviceName: 'RecordingPlaybackService',
    action: 'Read',
    entityType: 'Recording',
    entity: { id: RID },
    user: { id: UID, name: 'José López' },
    remoteIps: ['10.1.2.3', 'not-an-ip'],
    status: 'Success',
    context: { conversationId: CID },
  };
  return {
    api: 'quality',
    id: 'm-1',
    eventDate: raw.eventDate,
    serviceName: raw.serviceName,
    action: raw.action,
    entityType: raw.entityType,
    entity: raw.entity,
    user: raw.user,
    remoteIps: raw.remoteIps,
    status: raw.status,
    context: raw.context,
    propertyChanges: [],
    raw,
    ...over,
  };
}

describe('buildGenesysAuditEvent', () => {
  it('maps a playback inside Genesys to one access event of the person, the recording and the conversation', () => {
    const { id, event } = buildGenesysAuditEvent(message(), { path: 'genesys-audit:quality/tx', position: 3 });
    expect(id).toBe(genesysAuditDocId('quality', 'm-1'));
    expect(event['@timestamp']).toBe('2026-12-06T10:15:00.123Z');
    expect(event.event).toMatchObject({
      dataset: 'genesys.audit',
      action: 'Read',
      id: 'm-1',
      outcome: 'success',
      type: ['access'],
      provider: 'RecordingPlaybackService',
    });
    expect(event.actor).toEqual({ kind: 'human', genesys_user_id: UID, name: 'José López', name_folded: 'jose lopez' });
    expect(event.client).toEqual({ ip: '10.1.2.3' });
    expect(event.related).toEqual({ ip: ['10.1.2.3'] });
    expect(event.genesys.conversation).toEqual({ id: CID });
    expect(event.genesys.recording).toEqual({ id: RID });
    expect(event.genesys.audit.remote_ips).toEqual(['10.1.2.3', 'not-an-ip']);
    expect(event.enrichment.status).toBe('resolved');
    expect(JSON.parse(event.genesys.audit.original)).toEqual(message().raw);
    expect(event.log).toEqual({ file: { path: 'genesys-audit:quality/tx' }, offset: 3 });
  });

  it('indexes what is incomplete and says what was missing', () => {
    const { event } = buildGenesysAuditEvent(message({ action: 'Teleport', context: {}, user: undefined, clientId: 'oauth-1', status: 'Failure' }), {
      path: 'genesys-audit:quality/tx',
      position: 1,
    });
    expect(event.event.action).toBe('Teleport');
    expect(event.event.type).toEqual(['info']);
    expect(event.event.outcome).toBe('failure');
    expect(event.actor.kind).toBe('service');
    expect(event.genesys.audit.client_id).toBe('oauth-1');
    expect(event.enrichment).toMatchObject({ status: 'partial', reason: 'unknown_action,no_conversation' });
  });

  it('classifies deletions and retention changes', () => {
    expect(buildGenesysAuditEvent(message({ action: 'Delete' }), { path: 'p', position: 1 }).event.event.type).toEqual(['deletion']);
    expect(buildGenesysAuditEvent(message({ action: 'UpdateRetention' }), { path: 'p', position: 1 }).event.event.type).toEqual(['change']);
    expect(buildGenesysAuditEvent(message({ action: 'Export' }), { path: 'p', position: 1 }).event.event.type).toEqual(['access']);
  });

  it('hashes the message, not the name expand=user filled in, nor key order', () => {
    const a = genesysAuditEvidence({ id: 'm', user: { id: UID, name: 'Old Name' }, action: 'Read' });
    const b = genesysAuditEvidence({ action: 'Read', user: { name: 'New Name', id: UID, selfUri: '/x' }, id: 'm' });
    expect(a).toBe(b);
    expect(genesysAuditEvidence({ id: 'm', action: 'Delete', user: { id: UID } })).not.toBe(a);
    const one = buildGenesysAuditEvent(message(), { path: 'a', position: 1 });
    const two = buildGenesysAuditEvent(message(), { path: 'b', position: 9 });
    expect(two.id).toBe(one.id);
    expect(two.event.event.hash).toBe(one.event.event.hash);
  });
});
