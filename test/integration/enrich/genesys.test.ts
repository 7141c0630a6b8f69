import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AccessEvent } from '../../../src/event/types.js';
import { exportKey, exportMetadataKey, generateDataset, recordingIdOnlyKey, type SimRecording } from '../../../src/sim/genesys/dataset.js';
import { accessEventForKey } from '../../../src/sim/genesys/events.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';
import { counter, enricherFor, simConfig } from './support.js';
import { participantName } from '../../../src/event/names.js';

const dataset = generateDataset({ seed: 42, users: 30, conversations: 300, recordings: 450, deletedUserRatio: 0.2 });
const unknown = '0c0c0c0c-0000-4000-8000-000000000000';

function expectFieldsOf(event: AccessEvent, rec: SimRecording): void {
  const conv = dataset.conversationById.get(rec.conversationId)!;
  const agents = conv.participants.filter((p) => p.userId !== undefined && (p.purpose === 'agent' || p.purpose === 'user')).map((p) => p.userId!);
  expect(event.genesys?.conversation).toEqual({ id: conv.conversationId, start: conv.conversationStart });
  expect(event.genesys?.recording).toMatchObject({ id: rec.id, media_type: rec.media });
  expect(event.genesys?.agent?.user_ids).toEqual(agents);
  expect(event.genesys?.participants).toEqual(
    conv.participants.map((p) =>
      p.userId !== undefined ? { user_id: p.userId, ...participantName(dataset.userById.get(p.userId)!.name), purpose: p.purpose } : { purpose: p.purpose },
    ),
  );
  // v2: the users are stored once, in genesys.*; related.user is a query alias of the raw Requester.
  expect('related' in event).toBe(false);
  expect(event.enrichment?.status).toBe('resolved');
  expect(event.enrichment?.resolved_at).toBeDefined();
}

describe('enrichment with the real Genesys SDK against the simulator', () => {
  let sim: GenesysSimulator;

  beforeAll(async () => {
    sim = await startGenesysSimulator({ dataset, latencyMs: 5 });
  });
  afterAll(async () => {
    await sim.close();
  });
  afterEach(() => {
    sim.setFaults({ script: [], down: false, errorRate: 0, rateLimitPerMin: 0, tokenExpirySecs: 86_400 });
    sim.resetStats();
  });

  it('resolves export-layout media and metadata keys and recording-id-only keys to the right fields', async () => {
    const { enricher, metrics } = enricherFor(simConfig(sim));
    const screen = dataset.recordings.find((r) => r.media === 'screen')!;
    const recs = [...dataset.recordings.slice(0, 20), screen];
    const withDeletedUser = dataset.recordings.find((r) => r.userIds.some((u) => dataset.userById.get(u)!.state === 'deleted'))!;
    const media = [...recs, withDeletedUser].map((r) => accessEventForKey(exportKey(dataset, r)));
    const meta = recs.slice(0, 5).map((r) => accessEventForKey(exportMetadataKey(dataset, r, { pad: true })));
    const ridOnly = recs.slice(5, 10).map((r) => accessEventForKey(recordingIdOnlyKey(r)));
    const others = [accessEventForKey('logs/2024-06-01-12-00-00-ABCDEF'), accessEventForKey(`recordings/2024/06/01/${unknown}.opus`)];
    const unknownConversation = accessEventForKey(exportKey(dataset, recs[0]!).replace(recs[0]!.conversationId, unknown));
    await enricher.enrich([...media, ...meta, ...ridOnly, ...others, unknownConversation]);

    [...recs, withDeletedUser].forEach((r, i) => expectFieldsOf(media[i]!, r));
    recs.slice(0, 5).forEach((r, i) => {
      expectFieldsOf(meta[i]!, r);
      expect(meta[i]!.genesys?.recording?.file).toBe('metadata');
      expect(meta[i]!.genesys?.organization?.id).toBe(r.orgId);
    });
    recs.slice(5, 10).forEach((r, i) => expectFieldsOf(ridOnly[i]!, r));
    expect(media[0]!.genesys?.recording?.file).toBe('media');
    expect(others[0]!.enrichment?.status).toBe('not_a_recording');
    expect(others[0]!.genesys).toBeUndefined();
    expect(others[1]!.enrichment).toMatchObject({ status: 'partial', reason: 'conversation_unknown' });
    expect(unknownConversation.enrichment).toMatchObject({ status: 'not_found', reason: 'conversation_not_found' });
    expect(unknownConversation.genesys?.conversation?.id).toBe(unknown);

    const requests = sim.stats().requests;
    // 1 login, batched analytics and users, one retention scan (1 page of 450), no recordingmetadata
    expect(requests).toMatchObject({ oauth_token: 1 });
    expect(requests.conversation_details).toBeLessThanOrEqual(2);
    expect(requests.users).toBeLessThanOrEqual(2);
    expect(requests.retention_query).toBe(1);
    expect(requests.recording_metadata).toBeUndefined();
    expect(await counter(metrics, 'enrichment')).toMatchObject({ resolved: 32, not_a_recording: 1, partial: 1, not_found: 1 });
    await enricher.close();
  });

  it('asks recordingmetadata only when nothing cheaper tells the media type, or always when configured', async () => {
    const { enricher } = enricherFor(simConfig(sim, { GENESYS_RECORDING_METADATA: 'always' }));
    const rec = dataset.recordings[3]!;
    const event = accessEventForKey(exportKey(dataset, rec));
    await enricher.enrich([event]);
    expect(event.genesys?.recording).toEqual({
      id: rec.id,
      file: 'media',
      media_type: 'audio',
      start: rec.startTime,
      end: rec.endTime,
      file_state: 'AVAILABLE',
    });
    expect(sim.stats().requests.recording_metadata).toBe(1);
    await enricher.close();

    sim.resetStats();
    const lazy = enricherFor(simConfig(sim)).enricher;
    const noExt = accessEventForKey(
      exportKey(
        dataset,
        dataset.recordings.find((r) => r.media === 'screen')!,
      ).replace(/\.webm$/, ''),
    );
    await lazy.enrich([noExt]);
    expect(noExt.genesys?.recording?.media_type).toBe('screen');
    expect(sim.stats().requests.recording_metadata).toBe(1);
    await lazy.close();
  });

  it('coalesces lookups across concurrent calls', async () => {
    const { enricher } = enricherFor(simConfig(sim));
    const batches = Array.from({ length: 8 }, (_, b) => dataset.recordings.slice(b * 40, b * 40 + 80).map((r) => accessEventForKey(exportKey(dataset, r))));
    await Promise.all(batches.map((batch) => enricher.enrich(batch)));
    for (const batch of batches) for (const e of batch) expect(e.enrichment?.status).toBe('resolved');
    const conversations = new Set(batches.flat().map((e) => e.genesys?.conversation?.id)).size;
    const requests = sim.stats().requests;
    expect(requests.conversation_details).toBeLessThanOrEqual(Math.ceil(conversations / 100) + 2);
    await enricher.close();
  });

  it('waits out every Retry-After of a 429 storm before sending anything', async () => {
    const { enricher } = enricherFor(simConfig(sim));
    sim.setFaults({ script: Array.from({ length: 4 }, () => ({ status: 429, retryAfterSecs: 1 })) });
    const events = dataset.recordings.slice(100, 160).map((r) => accessEventForKey(exportKey(dataset, r)));
    const half = events.length / 2;
    await Promise.all([enricher.enrich(events.slice(0, half)), enricher.enrich(events.slice(half))]);
    for (const e of events) expect(e.enrichment?.status).toBe('resolved');

    const log = sim.stats().log;
    const storms = log.filter((r) => r.status === 429);
    expect(storms).toHaveLength(4);
    for (const r429 of storms) {
      const until = r429.respondedAt + r429.retryAfterSecs! * 1000;
      // Requests already on the wire when the 429 was written (loopback: well under 20 ms) are
      // not the client's choice; anything later inside the Retry-After window would be.
      const early = log.filter((r) => r.at > r429.respondedAt + 20 && r.at < until);
      expect(early).toEqual([]);
    }
    await enricher.close();
  });

  it('writes events pending at once when Retry-After is beyond the wait budget, and sends nothing meanwhile', async () => {
    const { enricher } = enricherFor(simConfig(sim, { GENESYS_WAIT_BUDGET_MS: '1500' }));
    // warm up the token so the 429 hits an API call
    await enricher.enrich([accessEventForKey(exportKey(dataset, dataset.recordings.at(-1)!))]);
    sim.resetStats();
    sim.setFaults({ script: [{ status: 429, retryAfterSecs: 60 }] });
    const events = dataset.recordings.slice(201, 221).map((r) => accessEventForKey(exportKey(dataset, r)));
    const started = Date.now();
    await enricher.enrich(events);
    expect(Date.now() - started).toBeLessThan(3_000);
    for (const e of events) {
      expect(e.enrichment).toEqual({ status: 'pending', reason: 'rate_limited' });
      expect(e.genesys?.recording?.id).toBeDefined();
    }
    // a second batch within the Retry-After window does not reach the server at all
    const more = dataset.recordings.slice(221, 231).map((r) => accessEventForKey(exportKey(dataset, r)));
    await enricher.enrich(more);
    for (const e of more) expect(e.enrichment?.status).toBe('pending');
    expect(sim.stats().log.map((r) => r.status)).toEqual([429]);
    await enricher.close();
  });

  it('renews the token before it expires, and once after a 401', async () => {
    sim.setFaults({ tokenExpirySecs: 2 });
    const { enricher } = enricherFor(simConfig(sim));
    const slice = (from: number) => dataset.recordings.slice(from, from + 5).map((r) => accessEventForKey(exportKey(dataset, r)));
    const first = slice(240);
    await enricher.enrich(first);
    await new Promise((r) => setTimeout(r, 2_200));
    const second = slice(250);
    await enricher.enrich(second);
    sim.revokeTokens();
    const third = slice(260);
    await enricher.enrich(third);
    for (const e of [...first, ...second, ...third]) expect(e.enrichment?.status).toBe('resolved');
    const stats = sim.stats();
    expect(stats.requests.oauth_token).toBe(3);
    // the expiry mid-run was anticipated; only the revocation produced a 401
    expect(stats.statuses['401']).toBe(1);
    await enricher.close();
  });

  it('retries 5xx with backoff', async () => {
    const { enricher, metrics } = enricherFor(simConfig(sim));
    sim.setFaults({ script: [{ status: 503 }, { status: 502 }] });
    const events = dataset.recordings.slice(270, 275).map((r) => accessEventForKey(exportKey(dataset, r)));
    await enricher.enrich(events);
    for (const e of events) expect(e.enrichment?.status).toBe('resolved');
    expect(await counter(metrics, 'genesysRequests')).toMatchObject({
      'conversation_details/503': 1,
      'conversation_details/502': 1,
      'conversation_details/200': 1,
    });
    await enricher.close();
  });

  it('writes events pending within the budget when Genesys is unreachable, then stops calling for a while', async () => {
    sim.setFaults({ down: true });
    const { enricher } = enricherFor(simConfig(sim, { GENESYS_WAIT_BUDGET_MS: '5000', GENESYS_RETRY_MAX_ATTEMPTS: '3' }));
    const events = dataset.recordings.slice(280, 290).map((r) => accessEventForKey(exportKey(dataset, r)));
    const started = Date.now();
    await enricher.enrich(events);
    expect(Date.now() - started).toBeLessThan(6_000);
    for (const e of events) expect(e.enrichment).toEqual({ status: 'pending', reason: 'genesys_unavailable' });
    // three failed attempts (GENESYS_RETRY_MAX_ATTEMPTS) open the circuit: the next batch sends nothing
    const seen = sim.stats().log.length;
    expect(seen).toBe(3);
    const next = dataset.recordings.slice(290, 295).map((r) => accessEventForKey(exportKey(dataset, r)));
    await enricher.enrich(next);
    for (const e of next) expect(e.enrichment).toEqual({ status: 'pending', reason: 'genesys_unavailable' });
    expect(sim.stats().log.length).toBe(seen);
    await enricher.close();
  });

  it('keeps every cache within GENESYS_CACHE_MAX_ENTRIES', async () => {
    const { enricher } = enricherFor(simConfig(sim, { GENESYS_CACHE_MAX_ENTRIES: '10' }));
    const events = dataset.recordings.slice(0, 200).map((r) => accessEventForKey(exportKey(dataset, r)));
    await enricher.enrich(events);
    for (const e of events) expect(e.enrichment?.status).toBe('resolved');
    expect(enricher.lookups!.conversations.cache.size).toBe(10);
    expect(enricher.lookups!.users.cache.size).toBeLessThanOrEqual(10);
    await enricher.close();
  });

  it('marks the worker’s own requests as self and still enriches them', async () => {
    const { enricher } = enricherFor(simConfig(sim, { SELF_USER_AGENT_SUFFIX: 'recording-audit/0.1' }));
    const rec = dataset.recordings[5]!;
    const own = accessEventForKey(exportKey(dataset, rec), { userAgent: 'aws-sdk-js/3.1 ua/2.1 os/linux recording-audit/0.1' });
    const other = accessEventForKey(exportKey(dataset, rec), { userAgent: 'aws-cli/2.15' });
    await enricher.enrich([own, other]);
    expect(own.event.self).toBe(true);
    expect(other.event.self).toBe(false);
    expect(own.actor?.kind).toBe('self');
    expect(own.enrichment?.status).toBe('resolved');
    await enricher.close();
  });

  it('runs keys-only without credentials', async () => {
    const { enricher } = enricherFor(simConfig({ url: sim.url }, { GENESYS_CLIENT_ID: '', GENESYS_CLIENT_SECRET: '' }));
    expect(enricher.mode).toBe('keys-only');
    const rec = dataset.recordings[0]!;
    const event = accessEventForKey(exportKey(dataset, rec));
    await enricher.enrich([event]);
    expect(event.enrichment).toMatchObject({ status: 'partial', reason: 'keys_only' });
    expect(event.genesys).toMatchObject({
      organization: { id: rec.orgId },
      conversation: { id: rec.conversationId },
      recording: { id: rec.id, file: 'media' },
    });
    expect(sim.stats().log).toEqual([]);
    await enricher.close();
  });

  it('does not hold events back for lazily wanted recording metadata it may not read', async () => {
    const limited = await startGenesysSimulator({
      dataset,
      clients: [{ id: 'sim-client', secret: 'sim-secret', permissions: ['analytics:conversationDetail:view'] }],
    });
    try {
      const { enricher } = enricherFor(simConfig(limited));
      const noExt = accessEventForKey(
        exportKey(
          dataset,
          dataset.recordings.find((r) => r.media === 'screen')!,
        ).replace(/\.webm$/, ''),
      );
      await enricher.enrich([noExt]);
      expect(noExt.enrichment).toMatchObject({ status: 'partial', reason: 'recording_metadata_unavailable' });
      expect(noExt.genesys?.participants?.length).toBeGreaterThan(0);
      expect(limited.stats().statuses['403']).toBe(1);
      await enricher.close();
    } finally {
      await limited.close();
    }
  });

  it('ignores an SDK config file in the home directory', async () => {
    const home = await mkdtemp(join(tmpdir(), 'enr-home-'));
    await mkdir(join(home, '.genesyscloudjavascript'));
    await writeFile(
      join(home, '.genesyscloudjavascript', 'config'),
      '[gateway]\nhost = 127.0.0.1\nprotocol = http\nport = 9\n[logging]\nlog_level = trace\nlog_to_console = true\n',
    );
    const saved = process.env.HOME;
    process.env.HOME = home;
    try {
      const { enricher } = enricherFor(simConfig(sim));
      const event = accessEventForKey(exportKey(dataset, dataset.recordings[7]!));
      await enricher.enrich([event]);
      expect(event.enrichment?.status).toBe('resolved');
      await enricher.close();
    } finally {
      process.env.HOME = saved;
      await rm(home, { recursive: true, force: true });
    }
  });
});
