// The audit APIs through the real Genesys SDK against the simulator: the async lifecycle, cursor
// paging, failures, expired cursors, 429s, token renewal, bad messages and the service mapping.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAuditError, type AuditError } from '../../../src/core/errors.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { fetchAudits, fetchServiceMapping, type AuditPage, type AuditQuerySpec } from '../../../src/enrich/genesys/audits.js';
import type { GenesysClient } from '../../../src/enrich/genesys/client.js';
import { genesysFromConfig } from '../../../src/enrich/genesys/from-config.js';
import type { SimAuditMessage } from '../../../src/sim/genesys/audit-messages.js';
import { generateDataset } from '../../../src/sim/genesys/dataset.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';
import { logger, simConfig } from './support.js';

const dataset = generateDataset({ seed: 16, users: 25, conversations: 120, start: '2024-05-01T00:00:00Z', spanDays: 10 });
const signal = new AbortController().signal;

/** Messages in a year of their own (2025), so that the generated trail does not mix in. */
function added(n: number, prefix: string, startIso = '2025-01-05T00:00:00.000Z'): SimAuditMessage[] {
  const start = Date.parse(startIso);
  const rec = dataset.recordings[0]!;
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${String(i).padStart(5, '0')}`,
    eventDate: new Date(start + i * 1_000).toISOString(),
    action: 'Read',
    entityType: 'Recording',
    userId: dataset.users[i % dataset.users.length]!.id,
    remoteIps: ['10.0.0.1'],
    status: 'Success' as const,
    entityId: rec.id,
    conversationId: rec.conversationId,
  }));
}

async function collect(client: GenesysClient, spec: AuditQuerySpec, pageSize?: number): Promise<AuditPage[]> {
  const pages: AuditPage[] = [];
  for await (const page of fetchAudits(client, spec, { signal, pollIntervalMs: 20, ...(pageSize !== undefined ? { pageSize } : {}) })) pages.push(page);
  return pages;
}

async function failure(p: Promise<unknown>): Promise<AuditError> {
  try {
    await p;
  } catch (err) {
    if (isAuditError(err)) return err;
    throw err;
  }
  throw new Error('expected an AuditError');
}

describe('Genesys audit APIs through the real SDK', () => {
  let sim: GenesysSimulator;
  let client: GenesysClient;

  beforeAll(async () => {
    sim = await startGenesysSimulator({ dataset });
    client = genesysFromConfig(simConfig(sim, { GENESYS_REQUESTS_PER_MINUTE: '100000' }), {
      logger,
      metrics: createMetrics({ defaultMetrics: false }),
    })!.client;
  });
  afterAll(async () => {
    client.close();
    await sim.close();
  });
  afterEach(() => {
    sim.setFaults({ script: [], auditQueryDelayMs: 0, auditFailRate: 0, auditVisibilityLagMs: 0, tokenExpirySecs: 86_400 });
    sim.resetStats();
  });

  it('runs the async lifecycle (Queued, Running, Succeeded) and returns the window of the generated trail with user names', async () => {
    sim.setFaults({ auditQueryDelayMs: 150 });
    const from = '2024-05-03T00:00:00.000Z';
    const to = '2024-05-08T00:00:00.000Z';
    const expected = sim
      .auditMessages()
      .filter((m) => m.eventDate >= from && m.eventDate < to)
      .map((m) => m.id);
    expect(expected.length).toBeGreaterThan(20);
    const pages = await collect(client, { api: 'quality', from, to, filters: [{ property: 'EntityType', value: 'Recording' }] });
    const messages = pages.flatMap((p) => p.messages);
    expect(messages.map((m) => m.id).sort()).toEqual([...expected].sort());
    expect(pages.flatMap((p) => p.rejected)).toEqual([]);
    // Ascending by eventDate, as asked.
    expect(messages.map((m) => m.eventDate)).toEqual(messages.map((m) => m.eventDate).sort());
    const read = messages.find((m) => m.action === 'Read' && m.user !== undefined)!;
    expect(read).toMatchObject({ api: 'quality', serviceName: 'RecordingPlaybackService', entityType: 'Recording', level: 'User' });
    expect(read.user!.name).toBe(dataset.userById.get(read.user!.id)!.name);
    expect(read.context.conversationId).toBe(dataset.recordingById.get(read.entity!.id)!.conversationId);
    expect(read.remoteIps.length).toBe(1);
    expect(read.raw.id).toBe(read.id);
    const byClient = messages.filter((m) => m.user === undefined);
    for (const m of byClient) expect(m.clientId).toBeDefined();

    const statusPolls = sim.stats().log.filter((r) => r.endpoint === 'quality_audits_status');
    expect(statusPolls.length).toBeGreaterThanOrEqual(2);
    expect(sim.stats().requests).toMatchObject({ quality_audits_query: 1 });
  });

  it('serves the general API (serviceName Quality, remoteIp, USER level) for the same messages', async () => {
    const from = '2024-05-03T00:00:00.000Z';
    const to = '2024-05-05T00:00:00.000Z';
    const quality = (await collect(client, { api: 'quality', from, to, filters: [] })).flatMap((p) => p.messages);
    const general = (
      await collect(client, { api: 'audits', from, to, serviceName: 'Quality', filters: [{ property: 'EntityType', value: 'Recording' }] })
    ).flatMap((p) => p.messages);
    expect(general.map((m) => m.id)).toEqual(quality.map((m) => m.id));
    expect(general[0]).toMatchObject({ api: 'audits', serviceName: 'Quality', level: 'USER' });
    expect(general[0]!.remoteIps).toEqual(quality[0]!.remoteIps);
    expect(sim.stats().requests).toMatchObject({ audits_query: 1, quality_audits_query: 1 });
  });

  it('pages 1,234 messages at 500 a page: 3 pages, exact ids in order, and counts its requests', async () => {
    const msgs = added(1_234, 'paging');
    sim.addAuditMessages(msgs);
    sim.resetStats();
    const pages = await collect(client, { api: 'quality', from: '2025-01-05T00:00:00Z', to: '2025-01-06T00:00:00Z', filters: [] });
    expect(pages.map((p) => [p.pageNumber, p.messages.length])).toEqual([
      [1, 500],
      [2, 500],
      [3, 234],
    ]);
    expect(pages.flatMap((p) => p.messages.map((m) => m.id))).toEqual(msgs.map((m) => m.id));
    expect(new Set(pages.map((p) => p.transactionId)).size).toBe(1);
    const requests = sim.stats().requests;
    expect(requests).toMatchObject({ quality_audits_query: 1, quality_audits_results: 3 });
    const total = Object.values(requests).reduce((a, b) => a + b, 0);
    logger.info({ requests, perThousand: (total * 1000) / 1_234 }, 'audit requests per 1,000 messages');
  });

  it('throws a retryable GENESYS_AUDIT_QUERY_FAILED when the query ends Failed, and succeeds on the next try', async () => {
    sim.failNextAuditQueries(1);
    const spec: AuditQuerySpec = { api: 'audits', from: '2024-05-03T00:00:00Z', to: '2024-05-04T00:00:00Z', filters: [] };
    const err = await failure(collect(client, spec));
    expect(err.code).toBe('GENESYS_AUDIT_QUERY_FAILED');
    expect(err.retryable).toBe(true);
    expect(err.details).toMatchObject({ reason: 'failed', api: 'audits' });
    expect(sim.stats().requests.audits_results).toBeUndefined();
    expect((await collect(client, spec)).length).toBeGreaterThan(0);
  });

  it('throws cursor_expired when a cursor has expired between pages', async () => {
    sim.addAuditMessages(added(30, 'cursor', '2025-02-01T00:00:00.000Z'));
    const it = fetchAudits(client, { api: 'quality', from: '2025-02-01T00:00:00Z', to: '2025-02-02T00:00:00Z', filters: [] }, { signal, pageSize: 10 });
    const first = await it.next();
    expect(first.done).toBe(false);
    sim.expireAuditCursors();
    const err = await failure(it.next());
    expect(err.code).toBe('GENESYS_AUDIT_QUERY_FAILED');
    expect(err.details).toMatchObject({ reason: 'cursor_expired', pageNumber: 2 });
    expect(sim.stats().statuses['400']).toBe(1);
  });

  it('honours Retry-After through a 429 storm and renews an expired token in the middle of paging', async () => {
    const msgs = added(60, 'storm', '2025-03-01T00:00:00.000Z');
    sim.addAuditMessages(msgs);
    sim.setFaults({
      script: [
        { status: 429, retryAfterSecs: 1, endpoint: 'quality_audits_query' },
        { status: 429, retryAfterSecs: 1, endpoint: 'quality_audits_results' },
        { status: 429, retryAfterSecs: 1, endpoint: 'quality_audits_results' },
      ],
    });
    const ids: string[] = [];
    for await (const page of fetchAudits(
      client,
      { api: 'quality', from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z', filters: [] },
      { signal, pageSize: 20 },
    )) {
      ids.push(...page.messages.map((m) => m.id));
      if (page.pageNumber === 1) sim.revokeTokens();
    }
    expect(ids).toEqual(msgs.map((m) => m.id));
    const log = sim.stats().log;
    const limited = log.filter((r) => r.status === 429);
    expect(limited.length).toBe(3);
    for (const r of limited) {
      const next = log.find((x) => x.at > r.at && x.endpoint === r.endpoint)!;
      expect(next.at - r.respondedAt).toBeGreaterThanOrEqual(1_000 - 5);
    }
    expect(sim.stats().statuses['401']).toBe(1);
    expect(sim.stats().requests.oauth_token).toBe(1);
  });

  it('rejects messages without an id or with a bad eventDate, with a reason, and keeps the rest', async () => {
    const [good, noId, badDate, badType] = added(4, 'bad', '2025-04-01T00:00:00.000Z');
    sim.addAuditMessages([
      good!,
      { ...noId!, id: undefined },
      { ...badDate!, overrides: { eventDate: 'yesterday' } },
      { ...badType!, overrides: { context: { conversationId: 42 } } },
    ]);
    const pages = await collect(client, { api: 'quality', from: '2025-04-01T00:00:00Z', to: '2025-04-02T00:00:00Z', filters: [] });
    expect(pages.flatMap((p) => p.messages.map((m) => m.id))).toEqual([good!.id]);
    const rejected = pages.flatMap((p) => p.rejected);
    expect(rejected.map((r) => r.reason)).toEqual(['missing_id', 'invalid_event_date', 'invalid_field:context.conversationId']);
    expect(rejected[0]!.raw).toMatchObject({ eventDate: noId!.eventDate, action: 'Read' });
  });

  it('hides messages the audit backend has not caught up with (visibility lag)', async () => {
    const late = added(3, 'lag', '2025-05-01T00:00:00.000Z');
    sim.setFaults({ auditVisibilityLagMs: 3_600_000 });
    sim.addAuditMessages(late);
    const spec: AuditQuerySpec = { api: 'quality', from: '2025-05-01T00:00:00Z', to: '2025-05-02T00:00:00Z', filters: [] };
    expect((await collect(client, spec)).flatMap((p) => p.messages)).toEqual([]);
    sim.setFaults({ auditVisibilityLagMs: 0 });
    expect((await collect(client, spec)).flatMap((p) => p.messages.map((m) => m.id))).toEqual(late.map((m) => m.id));
  });

  it('filters by conversation and action', async () => {
    const target = sim.auditMessages().find((m) => m.action === 'Read' && m.conversationId !== undefined)!;
    const day = target.eventDate.slice(0, 10);
    const to = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
    const msgs = (
      await collect(client, {
        api: 'quality',
        from: `${day}T00:00:00Z`,
        to,
        filters: [
          { property: 'ConversationId', value: target.conversationId! },
          { property: 'Action', value: 'Read' },
        ],
      })
    ).flatMap((p) => p.messages);
    expect(msgs.map((m) => m.id)).toContain(target.id);
    for (const m of msgs) expect(m).toMatchObject({ action: 'Read', context: { conversationId: target.conversationId } });
  });

  it('refuses an interval longer than the cap, and a client without the audit permission', async () => {
    const tooLong = await failure(collect(client, { api: 'quality', from: '2024-01-01T00:00:00Z', to: '2024-03-01T00:00:00Z', filters: [] }));
    expect(tooLong.details).toMatchObject({ reason: 'bad_interval' });
    expect(sim.stats().requests.quality_audits_query).toBeUndefined();

    const limited = await startGenesysSimulator({
      dataset,
      audits: false,
      clients: [{ id: 'sim-client', secret: 'sim-secret', permissions: ['audits:audit:view'] }],
    });
    const limitedClient = genesysFromConfig(simConfig(limited), { logger, metrics: createMetrics({ defaultMetrics: false }) })!.client;
    try {
      const denied = await failure(collect(limitedClient, { api: 'quality', from: '2024-05-03T00:00:00Z', to: '2024-05-04T00:00:00Z', filters: [] }));
      expect(denied.code).toBe('GENESYS_AUTH_FAILED');
      expect(denied.details).toMatchObject({ status: 403 });
      const empty = await collect(limitedClient, { api: 'audits', from: '2024-05-03T00:00:00Z', to: '2024-05-04T00:00:00Z', filters: [] });
      expect(empty.map((p) => p.messages.length)).toEqual([0]);
    } finally {
      limitedClient.close();
      await limited.close();
    }
  });

  it('reads the service mapping', async () => {
    const mapping = await fetchServiceMapping(client, { signal });
    const recording = mapping.services.find((s) => s.name === 'Quality')!.entities.find((e) => e.name === 'Recording')!;
    expect(recording.actions).toEqual(expect.arrayContaining(['Read', 'Download', 'Export', 'Delete', 'UpdateRetention', 'ApplyProtection']));
    expect(sim.stats().requests).toMatchObject({ audits_servicemapping: 1 });
  });
});
