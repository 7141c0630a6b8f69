import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Enricher } from '../../../src/enrich/enricher.js';
import { reenrichPending } from '../../../src/enrich/reenrich.js';
import { INDEX_ANALYSIS, INDEX_MAPPINGS } from '../../../src/event/mapping.js';
import type { AccessEvent } from '../../../src/event/types.js';
import { exportKey, generateDataset } from '../../../src/sim/genesys/dataset.js';
import { accessEventForKey } from '../../../src/sim/genesys/events.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { enricherFor, logger, simConfig } from './support.js';

const dataset = generateDataset({ seed: 7, users: 20, conversations: 150, recordings: 240 });
const unknown = '0c0c0c0c-0000-4000-8000-000000000000';

/** The product's strict mapping: a stored event or a re-enrichment update it refuses fails the test. */
const INDEX_BODY: Record<string, unknown> = { settings: { number_of_replicas: 0, analysis: INDEX_ANALYSIS }, mappings: INDEX_MAPPINGS };

function withoutEnrichment(source: Record<string, unknown>): Record<string, unknown> {
  const { genesys: _g, enrichment: _e, ...rest } = source as { genesys?: unknown; enrichment?: unknown };
  return rest;
}

describe('reenrich: Genesys down for a whole run, completed later', () => {
  const client = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-enr');
  let sim: GenesysSimulator;
  const events: AccessEvent[] = [];

  beforeAll(async () => {
    sim = await startGenesysSimulator({ dataset, down: true });
    for (const month of ['2024.06', '2024.07']) await client.indices.create({ index: `${prefix}-${month}`, body: INDEX_BODY });
    // 240 recordings, read in June and July, plus one export key of a conversation Genesys never had
    dataset.recordings.forEach((r, i) =>
      events.push(
        accessEventForKey(exportKey(dataset, r), {
          time: `2024-0${6 + (i % 2)}-1${i % 10}T10:00:00.000Z`,
          seq: i,
          requester: 'arn:aws:iam::123456789012:user/alice',
        }),
      ),
    );
    events.push(
      accessEventForKey(exportKey(dataset, dataset.recordings[0]!).replace(dataset.recordings[0]!.conversationId, unknown), {
        time: '2024-06-20T00:00:00.000Z',
        seq: 999,
      }),
    );
    events.push(accessEventForKey('not/a/recording.txt', { time: '2024-06-21T00:00:00.000Z', seq: 1000 }));

    const { enricher } = enricherFor(simConfig(sim, { GENESYS_WAIT_BUDGET_MS: '2000', GENESYS_RETRY_MAX_ATTEMPTS: '2' }));
    for (let i = 0; i < events.length; i += 50) await enricher.enrich(events.slice(i, i + 50));
    await enricher.close();
    const body = events.flatMap((e) => [{ create: { _index: `${prefix}-${e['@timestamp'].slice(0, 7).replace('-', '.')}`, _id: e.event.hash } }, e]);
    const res = await client.bulk({ body, refresh: true });
    expect(res.body.errors).toBe(false);
  });

  afterAll(async () => {
    await client.indices.delete({ index: `${prefix}-*` });
    await client.close();
    await sim.close();
  });

  async function all(): Promise<Map<string, Record<string, unknown>>> {
    const res = await client.search({ index: `${prefix}-*`, body: { size: 1000, query: { match_all: {} } } });
    return new Map((res.body.hits.hits as { _id: string; _source: Record<string, unknown> }[]).map((h) => [h._id, h._source]));
  }

  it('completes every pending event and touches nothing but genesys and enrichment', async () => {
    const before = await all();
    const statuses = [...before.values()].map((s) => (s.enrichment as { status: string }).status);
    expect(statuses.filter((s) => s === 'pending')).toHaveLength(241);
    expect(statuses.filter((s) => s === 'not_a_recording')).toHaveLength(1);

    sim.setFaults({ down: false });
    const { enricher } = enricherFor(simConfig(sim));
    const result = await reenrichPending({
      client,
      enricher,
      logger,
      indexPrefix: prefix,
      from: '2024-06-01T00:00:00Z',
      to: '2024-08-01T00:00:00Z',
      pageSize: 100,
      refresh: true,
    });
    await enricher.close();
    expect(result).toEqual({ scanned: 241, updated: 241, stillPending: 0, conflicts: 0, failed: 0, byStatus: { resolved: 240, not_found: 1 } });

    const after = await all();
    expect(after.size).toBe(before.size);
    for (const [id, source] of after) {
      const old = before.get(id)!;
      expect(withoutEnrichment(source)).toEqual(withoutEnrichment(old));
      expect((source.event as { hash: string }).hash).toBe(id);
    }
    for (const e of events.slice(0, 240)) {
      const source = after.get(e.event.hash) as unknown as AccessEvent;
      const rec = dataset.recordings.find((r) => source.genesys?.recording?.id === r.id)!;
      expect(source.enrichment?.status).toBe('resolved');
      expect(source.genesys?.conversation?.id).toBe(rec.conversationId);
      // v2: no related.user is written; the users are in genesys.participants, the requester stays raw.
      expect('related' in source).toBe(false);
      expect(source.aws.s3access.requester).toBe('arn:aws:iam::123456789012:user/alice');
      expect(source.genesys?.participants?.flatMap((p) => (p.user_id !== undefined ? [p.user_id] : []))).toEqual(expect.arrayContaining([...rec.userIds]));
    }
    // Genesys was asked per batch of conversations, not per event
    expect(sim.stats().requests.conversation_details).toBeLessThanOrEqual(6);

    const again = await reenrichPending({
      client,
      enricher: enricherFor(simConfig(sim)).enricher,
      logger,
      indexPrefix: prefix,
      from: '2024-06-01T00:00:00Z',
      to: '2024-08-01T00:00:00Z',
    });
    expect(again.scanned).toBe(0);
  });

  it('leaves a document alone when someone changed it after it was read', async () => {
    sim.setFaults({ down: false });
    const event = accessEventForKey(exportKey(dataset, dataset.recordings[3]!), { time: '2024-06-25T00:00:00.000Z', seq: 5000 });
    event.enrichment = { status: 'pending', reason: 'genesys_unavailable' };
    const index = `${prefix}-2024.06`;
    await client.index({ index, id: event.event.hash, body: event, refresh: true });
    const inner = enricherFor(simConfig(sim)).enricher;
    // A stand-in for a concurrent writer, at our own Enricher seam.
    const racing: Enricher = {
      mode: inner.mode,
      close: () => inner.close(),
      async enrich(batch, signal) {
        await client.update({ index, id: event.event.hash, body: { doc: { enrichment: { status: 'pending', reason: 'touched' } } }, refresh: true });
        await inner.enrich(batch, signal);
      },
    };
    const result = await reenrichPending({ client, enricher: racing, logger, indexPrefix: prefix, from: '2024-06-24T00:00:00Z', to: '2024-06-26T00:00:00Z' });
    expect(result).toMatchObject({ scanned: 1, updated: 0, conflicts: 1 });
    const stored = await client.get({ index, id: event.event.hash });
    expect((stored.body._source as AccessEvent).enrichment).toEqual({ status: 'pending', reason: 'touched' });
    await racing.close();
  });

  it('a scan that loses a shard stops with an error instead of reporting fewer pending events', async () => {
    const lossy = uniqueName('t-enr-lossy');
    const pending = (seq: number, month: string): AccessEvent => {
      const e = accessEventForKey(exportKey(dataset, dataset.recordings[seq % 200]!), { time: `2024-${month}-05T00:00:00.000Z`, seq: 7000 + seq });
      e.enrichment = { status: 'pending', reason: 'genesys_unavailable' };
      return e;
    };
    const docs = [...Array.from({ length: 30 }, (_, i) => pending(i, '06')), ...Array.from({ length: 30 }, (_, i) => pending(100 + i, '07'))];
    for (const month of ['2024.06', '2024.07']) await client.indices.create({ index: `${lossy}-${month}`, body: INDEX_BODY });
    const body = docs.flatMap((e) => [{ create: { _index: `${lossy}-${e['@timestamp'].slice(0, 7).replace('-', '.')}`, _id: e.event.hash } }, e]);
    expect((await client.bulk({ body, refresh: true })).body.errors).toBe(false);
    sim.setFaults({ down: false });
    const inner = enricherFor(simConfig(sim)).enricher;
    let closed = false;
    // Closing one month's index while the scroll is open takes that shard out of the scan.
    const closing: Enricher = {
      mode: inner.mode,
      close: () => inner.close(),
      async enrich(batch, signal) {
        if (!closed) {
          closed = true;
          await client.indices.close({ index: `${lossy}-2024.07` });
        }
        await inner.enrich(batch, signal);
      },
    };
    try {
      await expect(
        reenrichPending({ client, enricher: closing, logger, indexPrefix: lossy, from: '2024-06-01T00:00:00Z', to: '2024-08-01T00:00:00Z', pageSize: 10 }),
      ).rejects.toMatchObject({ code: 'SINK_UNAVAILABLE' });
    } finally {
      await closing.close();
      await client.indices.delete({ index: `${lossy}-*`, expand_wildcards: 'all' });
    }
  });
});
