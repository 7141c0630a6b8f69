// The simulator's audit trail and audit APIs without HTTP: the generator is deterministic and
// consistent with the dataset; the query lifecycle, paging, cursors and validation answer as
// audits.ts documents, on a clock the test moves.
import { describe, expect, it } from 'vitest';
import { generateAuditMessages, RECORDING_ACTIONS, renderMessage, SERVICE_MAPPING } from '../../../src/sim/genesys/audit-messages.js';
import { AuditBackend, type AuditFaults } from '../../../src/sim/genesys/audits.js';
import { generateDataset } from '../../../src/sim/genesys/dataset.js';
import type { Caller } from '../../../src/sim/genesys/routes.js';

const dataset = generateDataset({ seed: 7, orgs: 2, users: 40, conversations: 300, start: '2024-05-01T00:00:00Z', spanDays: 20 });
const caller: Caller = { clientId: 'c', permissions: ['audits:audit:view', 'audits:interactionDetails:view'] };
const Q = 'http://sim.local/api/v2/quality/conversations/audits/query';
const A = 'http://sim.local/api/v2/audits/query';

function backend(faults: AuditFaults = {}, generate: Parameters<typeof generateAuditMessages>[1] | false = {}) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  let f: AuditFaults = faults;
  let r = 0;
  const b = new AuditBackend({ dataset, generate, faults: () => f, random: () => (r++ % 10) / 10, now: () => now });
  return {
    b,
    advance: (ms: number) => (now += ms),
    set: (more: AuditFaults) => (f = { ...f, ...more }),
    post: (url: string, body: unknown) => b.handle('POST', new URL(url), caller, body)!,
    get: (url: string) => b.handle('GET', new URL(url), caller, undefined)!,
  };
}

function body(res: { body?: unknown }): Record<string, unknown> {
  return res.body as Record<string, unknown>;
}

describe('generated audit trail', () => {
  const messages = generateAuditMessages(dataset);

  it('is the same for the same dataset and options, and differs with the seed', () => {
    expect(generateAuditMessages(generateDataset({ seed: 7, orgs: 2, users: 40, conversations: 300, start: '2024-05-01T00:00:00Z', spanDays: 20 }))).toEqual(
      messages,
    );
    expect(generateAuditMessages(dataset, { seed: 8 })).not.toEqual(messages);
  });

  it('names only recordings, conversations and users of the dataset, after the call ended, in its organization', () => {
    expect(messages.length).toBeGreaterThan(dataset.recordings.length * 0.5);
    expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
    for (const m of messages) {
      const rec = dataset.recordingById.get(m.entityId!)!;
      expect(rec).toBeDefined();
      expect(m.conversationId).toBe(rec.conversationId);
      const conv = dataset.conversationById.get(rec.conversationId)!;
      expect(Date.parse(m.eventDate)).toBeGreaterThan(Date.parse(conv.conversationEnd));
      expect(m.orgId).toBe(rec.orgId);
      expect(m.entityType).toBe('Recording');
      expect(RECORDING_ACTIONS).toContain(m.action);
      if (m.userId !== undefined) {
        const user = dataset.userById.get(m.userId)!;
        expect(user.orgId).toBe(rec.orgId);
        expect(user.state).toBe('active');
        expect(m.clientId).toBeUndefined();
      } else expect(m.clientId).toBeDefined();
    }
    const actions = new Set(messages.map((m) => m.action));
    for (const a of ['Read', 'Export', 'Delete', 'UpdateRetention']) expect(actions).toContain(a);
    expect(messages.some((m) => m.userId === undefined)).toBe(true);
    expect(messages.some((m) => m.status === 'Failure')).toBe(true);
    expect(messages.filter((m) => m.action === 'UpdateRetention').every((m) => m.propertyChanges?.length === 1)).toBe(true);
  });

  it('adds bad input only when asked: messages without context and actions the service mapping does not list', () => {
    expect(messages.every((m) => m.conversationId !== undefined)).toBe(true);
    const bad = generateAuditMessages(dataset, { badShare: 0.2 });
    const known = new Set(SERVICE_MAPPING.services.flatMap((s) => s.entities.flatMap((e) => e.actions)));
    expect(bad.some((m) => m.conversationId === undefined)).toBe(true);
    expect(bad.some((m) => !known.has(m.action))).toBe(true);
    const noContext = bad.find((m) => m.conversationId === undefined)!;
    expect(renderMessage('quality', noContext, dataset, true).context).toBeUndefined();
  });

  it('renders the two APIs with their own field names and enum spellings', () => {
    const m = messages.find((x) => x.action === 'Read' && x.userId !== undefined)!;
    const q = renderMessage('quality', m, dataset, false);
    expect(q).toMatchObject({
      id: m.id,
      serviceName: 'RecordingPlaybackService',
      level: 'User',
      status: m.status,
      remoteIps: m.remoteIps,
      user: { id: m.userId },
    });
    expect((q.user as Record<string, unknown>).name).toBeUndefined();
    const a = renderMessage('audits', m, dataset, true);
    expect(a).toMatchObject({
      serviceName: 'Quality',
      level: 'USER',
      status: m.status.toUpperCase(),
      remoteIp: m.remoteIps,
      user: { name: dataset.userById.get(m.userId!)!.name },
    });
    expect(a.remoteIps).toBeUndefined();
  });
});

describe('audit query lifecycle', () => {
  it('goes Queued, Running, Succeeded after the configured delays', () => {
    const s = backend({ auditQueryDelayMs: 1_000 });
    const res = s.post(Q, { interval: '2024-05-01T00:00:00Z/2024-05-20T00:00:00Z', filters: [] });
    expect(res.status).toBe(200);
    const id = body(res).id as string;
    expect(body(res).state).toBe('Queued');
    expect(s.get(`${Q}/${id}/results`)).toMatchObject({ status: 400 });
    s.advance(1_000);
    expect(body(s.get(`${Q}/${id}`)).state).toBe('Running');
    s.advance(1_000);
    expect(body(s.get(`${Q}/${id}`))).toMatchObject({ id, state: 'Succeeded', interval: '2024-05-01T00:00:00Z/2024-05-20T00:00:00Z' });
    expect(s.get(`${Q}/${id}/results`).status).toBe(200);
    expect(s.get(`${A}/${id}`)).toMatchObject({ status: 404 });
    expect(s.get(`${Q}/nope`)).toMatchObject({ status: 404 });
  });

  it('fails scripted queries and a share of queries given by the fail rate', () => {
    const s = backend();
    s.b.failNextQueries(1);
    const failed = body(s.post(A, { interval: '2024-05-01T00:00:00Z/2024-05-02T00:00:00Z' })).id as string;
    expect(body(s.get(`${A}/${failed}`)).state).toBe('Failed');
    expect(s.get(`${A}/${failed}/results`).status).toBe(400);
    s.set({ auditFailRate: 0.5 });
    const states = Array.from(
      { length: 10 },
      () => body(s.get(`${A}/${body(s.post(A, { interval: '2024-05-01T00:00:00Z/2024-05-02T00:00:00Z' })).id as string}`)).state,
    );
    expect(states.filter((x) => x === 'Failed').length).toBe(5);
  });

  it('pages by cursor (25 by default, 500 at most) until the last page, which has no cursor', () => {
    const s = backend();
    const submitted = body(s.post(Q, { interval: '2024-05-01T00:00:00Z/2024-06-01T00:00:00Z', filters: [] }));
    // Queued on submission even without a delay; Succeeded from the first look.
    expect(submitted.state).toBe('Queued');
    const id = submitted.id as string;
    expect(body(s.get(`${Q}/${id}`)).state).toBe('Succeeded');
    expect(s.get(`${Q}/${id}/results?pageSize=501`).status).toBe(400);
    expect(s.get(`${Q}/${id}/results?pageSize=0`).status).toBe(400);
    const first = body(s.get(`${Q}/${id}/results`));
    expect((first.entities as unknown[]).length).toBe(25);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = body(s.get(`${Q}/${id}/results?pageSize=100${cursor !== undefined ? `&cursor=${cursor}` : ''}`));
      seen.push(...(page.entities as { id: string }[]).map((e) => e.id));
      cursor = page.cursor as string | undefined;
    } while (cursor !== undefined);
    const expected = s.b
      .messages()
      .filter((m) => m.eventDate >= '2024-05-01' && m.eventDate < '2024-06-01')
      .map((m) => m.id);
    expect(seen).toEqual(expected);
  });

  it('refuses cursors after their lifetime, after expireCursors, and from another query, with 400', () => {
    const s = backend({ auditCursorTtlMs: 60_000 });
    const id = body(s.post(Q, { interval: '2024-05-01T00:00:00Z/2024-06-01T00:00:00Z', filters: [] })).id as string;
    const other = body(s.post(Q, { interval: '2024-05-01T00:00:00Z/2024-06-01T00:00:00Z', filters: [] })).id as string;
    const c1 = body(s.get(`${Q}/${id}/results?pageSize=10`)).cursor as string;
    expect(s.get(`${Q}/${other}/results?cursor=${c1}`)).toMatchObject({ status: 400, code: 'bad.request' });
    s.advance(60_001);
    expect(s.get(`${Q}/${id}/results?cursor=${c1}`)).toMatchObject({ status: 400 });
    const c2 = body(s.get(`${Q}/${id}/results?pageSize=10`)).cursor as string;
    expect(s.get(`${Q}/${id}/results?cursor=${c2}`).status).toBe(200);
    s.b.expireCursors();
    expect(s.get(`${Q}/${id}/results?cursor=${c2}`)).toMatchObject({ status: 400 });
  });

  it('validates the request: interval present, well formed, within the cap; quality filters present; known filter properties', () => {
    const s = backend({ auditMaxIntervalMs: 7 * 86_400_000 });
    expect(s.post(Q, { filters: [] }).status).toBe(400);
    expect(s.post(Q, undefined).status).toBe(400);
    expect(s.post(Q, { interval: '2024-05-01', filters: [] }).status).toBe(400);
    expect(s.post(Q, { interval: '2024-05-02T00:00:00Z/2024-05-01T00:00:00Z', filters: [] }).status).toBe(400);
    expect(s.post(Q, { interval: '2024-05-01T00:00:00Z/2024-05-09T00:00:00Z', filters: [] }).status).toBe(400);
    expect(s.post(Q, { interval: '2024-05-01T00:00:00Z/2024-05-08T00:00:00Z', filters: [] }).status).toBe(200);
    expect(s.post(Q, { interval: '2024-05-01T00:00:00Z/2024-05-02T00:00:00Z' }).status).toBe(400);
    expect(s.post(Q, { interval: '2024-05-01T00:00:00Z/2024-05-02T00:00:00Z', filters: [{ property: 'Colour', value: 'x' }] }).status).toBe(400);
    expect(s.post(A, { interval: '2024-05-01T00:00:00Z/2024-05-02T00:00:00Z', filters: [{ property: 'ConversationId', value: 'x' }] }).status).toBe(400);
    expect(s.post(A, { interval: '2024-05-01T00:00:00Z/2024-05-02T00:00:00Z', sort: [{ name: 'Timestamp', sortOrder: 'sideways' }] }).status).toBe(400);
  });

  it('filters, sorts descending when asked, and sees only messages past the visibility lag', () => {
    const s = backend({ auditVisibilityLagMs: 60_000 }, false);
    const rec = dataset.recordings[3]!;
    const base = { entityType: 'Recording', remoteIps: [], status: 'Success' as const, entityId: rec.id, conversationId: rec.conversationId };
    s.b.add([
      { ...base, id: 'a', eventDate: '2025-12-31T23:00:00Z', action: 'Read', userId: dataset.users[0]!.id },
      { ...base, id: 'b', eventDate: '2025-12-31T23:30:00Z', action: 'Export', clientId: 'cli' },
      // Added now with an older eventDate: visible only a lag after it was added.
      { ...base, id: 'c', eventDate: '2025-12-31T22:00:00Z', action: 'Read', userId: dataset.users[1]!.id },
    ]);
    const run = (filters: unknown[], sort?: unknown[]) => {
      const id = body(s.post(Q, { interval: '2025-12-31T00:00:00Z/2026-01-01T00:00:00Z', filters, ...(sort ? { sort } : {}) })).id as string;
      return (body(s.get(`${Q}/${id}/results?pageSize=500`)).entities as { id: string }[]).map((e) => e.id);
    };
    expect(run([])).toEqual([]);
    s.advance(60_000);
    expect(run([])).toEqual(['c', 'a', 'b']);
    expect(run([], [{ name: 'Timestamp', sortOrder: 'descending' }])).toEqual(['b', 'a', 'c']);
    expect(run([{ property: 'Action', value: 'Read' }])).toEqual(['c', 'a']);
    expect(run([{ property: 'ClientId', value: 'cli' }])).toEqual(['b']);
    expect(run([{ property: 'ServiceName', value: 'RecordingService' }])).toEqual(['b']);
    expect(run([{ property: 'UserId', value: dataset.users[0]!.id }])).toEqual(['a']);
    expect(run([{ property: 'ConversationId', value: 'other' }])).toEqual([]);
  });

  it('answers 403 without the permission of each API, and serves the service mapping', () => {
    const s = backend();
    const general: Caller = { clientId: 'c', permissions: ['audits:audit:view'] };
    expect(s.b.handle('POST', new URL(Q), general, { interval: '2024-05-01T00:00:00Z/2024-05-02T00:00:00Z', filters: [] })).toMatchObject({ status: 403 });
    expect(s.b.handle('GET', new URL(`${A}/servicemapping`), general, undefined)).toMatchObject({ status: 200, body: SERVICE_MAPPING });
    expect(s.b.handle('GET', new URL(`${A}/servicemapping`), { clientId: 'c', permissions: [] }, undefined)).toMatchObject({ status: 403 });
    expect(s.b.handle('GET', new URL('http://sim.local/api/v2/users'), general, undefined)).toBeUndefined();
  });
});
