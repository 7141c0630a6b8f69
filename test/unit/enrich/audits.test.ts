// The audit client's own logic on a scripted transport and a manual clock: polling backoff, the
// wait limit, Cancelled, abort, and the parsing of single messages (the real SDK path is in
// test/integration/enrich/audits.test.ts).
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { fetchAudits, parseAuditMessage, type AuditPage } from '../../../src/enrich/genesys/audits.js';
import { GenesysClient } from '../../../src/enrich/genesys/client.js';
import type { GenesysTransport, RawResponse } from '../../../src/enrich/genesys/sdk.js';
import { manualClock, type ManualClock } from './manual-clock.js';

const HOUR = 3_600_000;
const res = (body: unknown, status = 200): RawResponse => ({ status, headers: {}, body });
const spec = { api: 'quality' as const, from: '2024-05-01T00:00:00Z', to: '2024-05-02T00:00:00Z', filters: [] };

/** Answers the query with `states` in turn (then Succeeded) and one empty results page. */
function scripted(clock: ManualClock, states: string[]): { client: GenesysClient; polls: number[] } {
  const polls: number[] = [];
  let i = 0;
  const transport = {
    login: () => Promise.resolve({ ok: true as const, expiresAtMs: clock.now() + HOUR }),
    postQualityConversationsAuditsQuery: () => Promise.resolve(res({ id: 'tx', state: states[i++] ?? 'Succeeded' })),
    getQualityConversationsAuditsQueryTransactionId: () => {
      polls.push(clock.now());
      return Promise.resolve(res({ id: 'tx', state: states[i++] ?? 'Succeeded' }));
    },
    getQualityConversationsAuditsQueryTransactionIdResults: () => Promise.resolve(res({ id: 'tx', pageSize: 500, entities: [] })),
  } as unknown as GenesysTransport;
  const client = new GenesysClient({
    transport,
    requestsPerMinute: 60_000,
    retryMaxAttempts: 3,
    requestTimeoutMs: 1_000,
    logger: createLogger('silent'),
    metrics: createMetrics({ defaultMetrics: false }),
    clock,
  });
  return { client, polls };
}

async function all(gen: AsyncGenerator<AuditPage>): Promise<AuditPage[]> {
  const out: AuditPage[] = [];
  for await (const p of gen) out.push(p);
  return out;
}

describe('fetchAudits polling', () => {
  it('polls with a backoff growing 1.5× from pollIntervalMs, capped at 8×', async () => {
    const clock = manualClock();
    const start = clock.now();
    const { client, polls } = scripted(clock, ['Queued', ...Array<string>(8).fill('Running')]);
    const out = await clock.settle(all(fetchAudits(client, spec, { signal: new AbortController().signal, pollIntervalMs: 100 })));
    expect(out).toMatchObject({ status: 'fulfilled', value: [{ transactionId: 'tx', pageNumber: 1, messages: [] }] });
    const gaps = polls.map((t, k) => t - (k === 0 ? start : polls[k - 1]!));
    expect(gaps).toEqual([100, 150, 225, 338, 506, 759, 800, 800, 800]);
    client.close();
  });

  it('gives up after maxWaitMs with reason timeout, and on Cancelled with reason cancelled', async () => {
    const clock = manualClock();
    const slow = scripted(clock, Array<string>(100).fill('Running'));
    const timeout = await clock.settle(all(fetchAudits(slow.client, spec, { signal: new AbortController().signal, pollIntervalMs: 100, maxWaitMs: 2_000 })));
    expect(timeout).toMatchObject({
      status: 'rejected',
      reason: { code: 'GENESYS_AUDIT_QUERY_FAILED', retryable: true, details: { reason: 'timeout', transactionId: 'tx' } },
    });
    slow.client.close();

    const cancelled = scripted(clock, ['Queued', 'Cancelled']);
    const out = await clock.settle(all(fetchAudits(cancelled.client, spec, { signal: new AbortController().signal, pollIntervalMs: 100 })));
    expect(out).toMatchObject({ status: 'rejected', reason: { code: 'GENESYS_AUDIT_QUERY_FAILED', details: { reason: 'cancelled' } } });
    cancelled.client.close();
  });

  it('stops polling when aborted', async () => {
    const clock = manualClock();
    const { client, polls } = scripted(clock, Array<string>(100).fill('Running'));
    const ac = new AbortController();
    const p = all(fetchAudits(client, spec, { signal: ac.signal, pollIntervalMs: 100 }));
    await clock.advance(250);
    ac.abort();
    const out = await clock.settle(p);
    expect(out).toMatchObject({ status: 'rejected', reason: { details: { reason: 'aborted' } } });
    expect(polls.length).toBe(2);
    client.close();
  });

  it('refuses an empty, malformed or too long interval and a page size above 500 before any request', async () => {
    const clock = manualClock();
    const { client } = scripted(clock, []);
    const signal = new AbortController().signal;
    for (const [from, to] of [
      ['2024-05-02T00:00:00Z', '2024-05-01T00:00:00Z'],
      ['yesterday', '2024-05-01T00:00:00Z'],
      ['2024-01-01T00:00:00Z', '2024-03-01T00:00:00Z'],
    ] as const) {
      await expect(all(fetchAudits(client, { ...spec, from, to }, { signal }))).rejects.toMatchObject({ details: { reason: 'bad_interval' } });
    }
    await expect(all(fetchAudits(client, spec, { signal, pageSize: 501 }))).rejects.toMatchObject({ code: 'INTERNAL' });
    client.close();
  });
});

describe('parseAuditMessage', () => {
  const good = {
    id: 'm1',
    eventDate: '2024-05-01T10:00:00.123Z',
    serviceName: 'Quality',
    level: 'USER',
    status: 'SUCCESS',
    action: 'Read',
    entityType: 'Recording',
    entity: { id: 'r1' },
    user: { id: 'u1', name: 'Ada' },
    remoteIp: ['10.0.0.1'],
    context: { conversationId: 'c1' },
    application: 'Genesys Cloud',
    propertyChanges: [{ property: 'deleteDate', newValues: ['2030-01-01'] }],
    messageInfo: { localizableMessageCode: 'x' },
  };

  it('keeps the fields, both IP spellings, and the raw object', () => {
    const m = parseAuditMessage('audits', good);
    expect(m).toEqual({
      api: 'audits',
      id: 'm1',
      eventDate: '2024-05-01T10:00:00.123Z',
      serviceName: 'Quality',
      entityType: 'Recording',
      action: 'Read',
      level: 'USER',
      status: 'SUCCESS',
      user: { id: 'u1', name: 'Ada' },
      remoteIps: ['10.0.0.1'],
      entity: { id: 'r1' },
      context: { conversationId: 'c1' },
      application: 'Genesys Cloud',
      propertyChanges: [{ property: 'deleteDate', oldValues: [], newValues: ['2030-01-01'] }],
      raw: good,
    });
  });

  it('reads an OAuth client without a user and a message without context', () => {
    const m = parseAuditMessage('quality', { id: 'm2', eventDate: '2024-05-01T10:00:00+02:00', client: { id: 'cli' }, remoteIps: ['1.2.3.4'] });
    expect(m).toMatchObject({ id: 'm2', clientId: 'cli', remoteIps: ['1.2.3.4'], context: {}, propertyChanges: [] });
    expect('user' in m).toBe(false);
  });

  it('rejects with a reason: not an object, no id, no or invalid eventDate, a field of the wrong type', () => {
    const reasons = [
      'x',
      [good],
      { ...good, id: undefined },
      { ...good, id: '' },
      { ...good, eventDate: undefined },
      { ...good, eventDate: '2024-05-01 10:00' },
      { ...good, eventDate: '2024-05-01T10:00:00' },
      { ...good, eventDate: '2024-13-45T10:00:00Z' },
      { ...good, remoteIp: '10.0.0.1' },
      { ...good, context: { conversationId: 5 } },
    ].map((raw) => {
      const r = parseAuditMessage('audits', raw);
      return 'reason' in r ? r.reason : 'parsed';
    });
    expect(reasons).toEqual([
      'not_an_object',
      'not_an_object',
      'missing_id',
      'missing_id',
      'missing_event_date',
      'invalid_event_date',
      'invalid_event_date',
      'invalid_event_date',
      'invalid_field:remoteIp',
      'invalid_field:context.conversationId',
    ]);
  });
});
