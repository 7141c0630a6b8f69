import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reenrichPending } from '../../../src/enrich/reenrich.js';
import { buildEvent } from '../../../src/event/build.js';
import { INDEX_ANALYSIS, INDEX_MAPPINGS } from '../../../src/event/mapping.js';
import { emailOf, principalOf } from '../../../src/event/principal.js';
import type { AccessEvent } from '../../../src/event/types.js';
import { exportKey, exportMetadataKey, generateDataset, type Dataset } from '../../../src/sim/genesys/dataset.js';
import { accessEventForKey } from '../../../src/sim/genesys/events.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';
import { accessDay, castStaff, scenarioCast, type ExportedRecording } from '../../../src/sim/s3-logs/scenario.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { counter, enricherFor, logger, simConfig } from './support.js';

const ACCOUNT = '123456789012';
const cast = scenarioCast(ACCOUNT);
const staff = castStaff(cast);
const dataset = generateDataset({ seed: 11, users: 12, conversations: 30, recordings: 40, staff });
const sso = (email: string): string => `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_QAReviewer_8c2f4e1a9b7d3c55/${email}`;

/** An access event as the parser writes it for an email-named session (actor.email set, kind decided by enrichment). */
function personEvent(email: string, seq: number, key = exportKey(dataset, dataset.recordings[seq % dataset.recordings.length]!)): AccessEvent {
  const requester = sso(email);
  const e = accessEventForKey(key, { requester, seq, time: `2024-06-0${1 + (seq % 5)}T10:00:00.000Z` });
  const principal = principalOf(requester);
  e.aws.principal = principal;
  const mail = emailOf(principal.session_name);
  e.actor = { kind: 'unknown', ...(mail !== undefined ? { email: mail } : {}) };
  return e;
}

function userOf(ds: Dataset, email: string): { id: string; name: string; department?: string; division: { id: string; name: string } } {
  const u = ds.users.find((x) => x.email === email.toLowerCase());
  if (u === undefined) throw new Error(`no user ${email}`);
  return u;
}

describe('actor to person against the simulator (real SDK)', () => {
  let sim: GenesysSimulator;
  beforeAll(async () => {
    sim = await startGenesysSimulator({ dataset });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('resolves emails in one batched search, caches found and not-found answers, and marks strangers final', async () => {
    const { enricher, metrics } = enricherFor(simConfig(sim));
    const emails = [...staff.map((s) => s.email), 'Sofia.Moreno@Example-Health.org', 'nobody@example-health.org', 'ghost@bpo-partner.example'];
    const events = Array.from({ length: 60 }, (_, i) => personEvent(emails[i % emails.length]!, i));
    try {
      await enricher.enrich(events);
      expect(sim.stats().requests.users_search).toBe(1);
      for (const e of events) {
        const email = e.actor!.email!.toLowerCase();
        expect(e.actor?.kind).toBe('human');
        if (email.endsWith('@example-health.org') && email !== 'nobody@example-health.org') {
          const u = userOf(sim.dataset, email);
          expect(e.actor).toMatchObject({
            genesys_user_id: u.id,
            name: u.name,
            name_folded: u.name.toLowerCase(),
            division: u.division,
            department: u.department,
          });
          expect(e.enrichment?.status).toBe('resolved');
        } else if (email === 'tom.becker@bpo-partner.example') {
          expect(e.actor?.genesys_user_id).toBe(userOf(sim.dataset, email).id);
        } else {
          expect(e.actor?.genesys_user_id).toBeUndefined();
          expect(e.enrichment).toMatchObject({ status: 'partial', reason: 'actor_not_in_genesys' });
        }
      }
      // Again: every answer, "not found" included, comes from the cache.
      const again = Array.from({ length: 30 }, (_, i) => personEvent(emails[i % emails.length]!, 100 + i));
      await enricher.enrich(again);
      expect(sim.stats().requests.users_search).toBe(1);
      expect(again.filter((e) => e.actor?.genesys_user_id !== undefined)).toHaveLength(again.filter((e) => !/nobody|ghost/.test(e.actor!.email!)).length);
      const cache = await counter(metrics, 'genesysCache');
      expect(cache['people/hit']).toBeGreaterThanOrEqual(emails.length - 1);
      const people = await counter(metrics, 'actors');
      const strangers = [...events, ...again].filter((e) => /nobody|ghost/.test(e.actor!.email!)).length;
      expect(people).toEqual({ found: events.length + again.length - strangers, not_in_genesys: strangers });
    } finally {
      await enricher.close();
    }
  });

  it('usersByEmail: at most 50 emails per search, every answer parsed, keyed by the lowercased email', async () => {
    sim.resetStats();
    const { enricher } = enricherFor(simConfig(sim));
    try {
      const known = dataset.users.filter((u) => u.state !== 'deleted').map((u) => u.email.toUpperCase());
      const unknown = Array.from({ length: 120 - known.length }, (_, i) => `nobody.${i}@example.test`);
      const found = await enricher.client!.usersByEmail([...known, ...unknown, known[0]!], { deadline: Date.now() + 10_000 });
      expect(sim.stats().requests.users_search).toBe(3);
      expect([...found.keys()].sort()).toEqual(known.map((e) => e.toLowerCase()).sort());
      const sofia = found.get(staff[0]!.email)!;
      expect(sofia).toMatchObject({ id: userOf(dataset, staff[0]!.email).id, name: 'Sofia Moreno', department: 'Quality Assurance' });
      expect(sofia.division?.id).toBe(dataset.users[0]!.division.id);
    } finally {
      await enricher.close();
    }
  });

  it('honours a 429 Retry-After on the search and still resolves within the wait budget', async () => {
    sim.resetStats();
    const { enricher } = enricherFor(simConfig(sim, { GENESYS_WAIT_BUDGET_MS: '10000' }));
    try {
      // Warm the token and the recording lookups so that the 429 meets the search.
      await enricher.enrich([accessEventForKey(exportKey(dataset, dataset.recordings[0]!), { seq: 1 })]);
      sim.setFaults({ script: [{ status: 429, retryAfterSecs: 1, endpoint: 'users_search' }] });
      const events = [personEvent(staff[0]!.email, 0), personEvent(staff[1]!.email, 1)];
      await enricher.enrich(events);
      expect(events.map((e) => e.actor?.genesys_user_id)).toEqual([userOf(sim.dataset, staff[0]!.email).id, userOf(sim.dataset, staff[1]!.email).id]);
      const searches = sim.stats().log.filter((r) => r.endpoint === 'users_search');
      expect(searches.map((r) => r.status)).toEqual([429, 200]);
      // The retry waited for Retry-After (measured from when the 429 was written).
      expect(searches[1]!.at).toBeGreaterThanOrEqual(searches[0]!.respondedAt + 1000 - 5);
    } finally {
      await enricher.close();
    }
  });
});

describe('ACTOR_DIRECTORY_FILE: principals whose sessions are not emails', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'actors-')), 'people.json');
  const byId = () => userOf(dataset, staff[3]!.email);
  function event(requester: string, seq: number): AccessEvent {
    const e = accessEventForKey(exportKey(dataset, dataset.recordings[seq]!), { requester, seq });
    e.aws.principal = principalOf(requester);
    e.actor = { kind: 'unknown' };
    return e;
  }

  it('maps a session name to an email (searched) and an IAM user to a user id (fetched by id, no search)', async () => {
    writeFileSync(
      file,
      JSON.stringify([
        { principal: 'E10442', email: staff[2]!.email },
        { principal: `arn:aws:iam::${ACCOUNT}:user/*`, genesys_user_id: byId().id },
      ]),
    );
    const sim = await startGenesysSimulator({ dataset });
    const { enricher } = enricherFor(simConfig(sim, { ACTOR_DIRECTORY_FILE: file }));
    try {
      const events = [
        event(`arn:aws:sts::${ACCOUNT}:assumed-role/qa/E10442`, 0),
        event(`arn:aws:iam::${ACCOUNT}:user/ops-laptop`, 1),
        event(`arn:aws:sts::${ACCOUNT}:assumed-role/qa/E99999`, 2),
      ];
      await enricher.enrich(events);
      const target = userOf(dataset, staff[2]!.email);
      expect(events[0]!.actor).toMatchObject({ kind: 'human', genesys_user_id: target.id, name: target.name });
      expect(events[1]!.actor).toMatchObject({ kind: 'human', genesys_user_id: byId().id, name: byId().name, department: byId().department });
      // Not in the directory, no email: not a person by configuration, nothing looked up.
      expect(events[2]!.actor).toEqual({ kind: 'unknown' });
      expect(sim.stats().requests.users_search).toBe(1);
    } finally {
      await enricher.close();
      await sim.close();
    }
  });

  it('keys-only: a directory user id is written as it is; emails are not searched', async () => {
    writeFileSync(file, JSON.stringify([{ principal: `arn:aws:iam::${ACCOUNT}:user/*`, genesys_user_id: byId().id }]));
    const { enricher } = enricherFor(loadConfigOrThrow({ env: { ACTOR_DIRECTORY_FILE: file } }));
    try {
      const events = [event(`arn:aws:iam::${ACCOUNT}:user/ops-laptop`, 1), personEvent(staff[0]!.email, 2)];
      await enricher.enrich(events);
      expect(enricher.mode).toBe('keys-only');
      expect(events[0]!.actor).toEqual({ kind: 'human', genesys_user_id: byId().id });
      expect(events[1]!.actor).toEqual({ kind: 'human', email: staff[0]!.email });
      expect(events.map((e) => e.enrichment?.status)).toEqual(['partial', 'partial']);
      expect(events[1]!.enrichment?.reason).toBe('keys_only');
    } finally {
      await enricher.close();
    }
  });
});

describe('actor lookup that cannot settle: pending, then reenrich completes it', () => {
  const client = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-actor');
  let sim: GenesysSimulator;

  beforeAll(async () => {
    sim = await startGenesysSimulator({ dataset });
    // The product's strict mapping: an update it refuses fails the test.
    const body: Record<string, unknown> = { settings: { number_of_replicas: 0, analysis: INDEX_ANALYSIS }, mappings: INDEX_MAPPINGS };
    await client.indices.create({ index: `${prefix}-2024.06`, body });
  });
  afterAll(async () => {
    await client.indices.delete({ index: `${prefix}-*` });
    await client.close();
    await sim.close();
  });

  it('writes pending actor_lookup within the budget, and reenrich adds actor.* and the final status', async () => {
    // Every search answered 429 with a Retry-After far beyond the wait budget.
    sim.setFaults({ script: Array.from({ length: 20 }, () => ({ status: 429, retryAfterSecs: 120, endpoint: 'users_search' })) });
    const events = [
      ...staff.slice(0, 4).map((s, i) => personEvent(s.email, i)),
      personEvent('nobody@example-health.org', 10),
      personEvent(staff[0]!.email, 11, 'not/a/recording.txt'),
    ];
    const { enricher } = enricherFor(simConfig(sim, { GENESYS_WAIT_BUDGET_MS: '1500' }));
    await enricher.enrich(events);
    await enricher.close();
    for (const e of events) {
      expect(e.enrichment?.status).toBe('pending');
      expect(e.enrichment?.reason?.split(',')).toContain('actor_lookup');
      expect(e.actor?.genesys_user_id).toBeUndefined();
    }
    // A 429 holds the shared rate gate for every lookup, so the recordings wait too.
    expect(events[0]!.genesys?.recording?.id).toBeDefined();
    const body = events.flatMap((e) => [{ create: { _index: `${prefix}-2024.06`, _id: e.event.hash } }, e]);
    expect((await client.bulk({ body, refresh: true })).body.errors).toBe(false);

    sim.setFaults({ script: [] });
    const fresh = enricherFor(simConfig(sim));
    const result = await reenrichPending({
      client,
      enricher: fresh.enricher,
      logger,
      indexPrefix: prefix,
      from: '2024-06-01T00:00:00Z',
      to: '2024-07-01T00:00:00Z',
      refresh: true,
    });
    await fresh.enricher.close();
    expect(result).toMatchObject({ scanned: 6, updated: 6, stillPending: 0, conflicts: 0, failed: 0 });
    expect(result.byStatus).toEqual({ resolved: 4, partial: 1, not_a_recording: 1 });

    const res = await client.search({ index: `${prefix}-*`, body: { size: 10, query: { match_all: {} } } });
    const stored = new Map((res.body.hits.hits as { _id: string; _source: AccessEvent }[]).map((h) => [h._id, h._source]));
    for (const e of events) {
      const s = stored.get(e.event.hash)!;
      expect(s.actor?.kind).toBe('human');
      expect(s.actor?.email).toBe(e.actor?.email);
      if (e.actor?.email === 'nobody@example-health.org') {
        expect(s.actor?.genesys_user_id).toBeUndefined();
        expect(s.enrichment).toMatchObject({ status: 'partial', reason: 'actor_not_in_genesys' });
      } else {
        const u = userOf(sim.dataset, e.actor!.email!);
        expect(s.actor).toMatchObject({ genesys_user_id: u.id, name: u.name, department: u.department, division: u.division });
      }
    }
    // Searchable by the person's id and by the folded name.
    const byName = await client.count({ index: `${prefix}-*`, body: { query: { term: { 'actor.name_folded': 'sofia moreno' } } } });
    expect(byName.body.count).toBe(2);
  });
});

describe("the demo's day: human S3 accesses carry actor.genesys_user_id", () => {
  it('resolves at least 95% of the human accesses built from scenario lines, and QA reads calls they were on and calls they were not', async () => {
    const ds = generateDataset({ seed: 2024, conversations: 60, users: 40, start: '2024-05-14T00:00:00Z', spanDays: 1, staff });
    const sim = await startGenesysSimulator({ dataset: ds });
    const recordings: ExportedRecording[] = ds.recordings.map((r) => {
      const conv = ds.conversationById.get(r.conversationId)!;
      return {
        orgId: r.orgId,
        conversationId: r.conversationId,
        recordingId: r.id,
        start: new Date(conv.conversationStart),
        end: new Date(conv.conversationEnd),
        keys: { media: exportKey(ds, r), metadata: exportMetadataKey(ds, r) },
      };
    });
    const day = accessDay({
      recordingsBucket: 'demo-recordings',
      bucketOwner: 'f'.repeat(64),
      accountId: ACCOUNT,
      recordings,
      day: new Date(Date.UTC(2024, 4, 14)),
      seed: 2024,
    });
    const events: AccessEvent[] = [];
    let n = 0;
    for (const o of day.objects) {
      for (const line of o.lines) {
        const built = buildEvent({ number: n++, bytes: Buffer.from(line) }, { logBucket: 'demo-logs', filePath: 's3://demo-logs/x' });
        if (built.ok) events.push(built.doc.event);
      }
    }
    // The demo's principal settings (src/demo/main.ts).
    const { enricher } = enricherFor(
      simConfig(sim, {
        SERVICE_PRINCIPALS: `arn:aws:sts::*:assumed-role/genesys-recording-export/*,arn:aws:sts::*:assumed-role/qa-playback/presigner`,
        HUMAN_PRINCIPALS: `arn:aws:sts::*:assumed-role/*/*@*,arn:aws:iam::${ACCOUNT}:user/*`,
        SELF_ROLE_ARNS: `arn:aws:iam::${ACCOUNT}:role/recording-audit-task`,
        GENESYS_WAIT_BUDGET_MS: '10000',
      }),
    );
    try {
      for (let i = 0; i < events.length; i += 200) await enricher.enrich(events.slice(i, i + 200));
    } finally {
      await enricher.close();
      await sim.close();
    }
    const human = events.filter((e) => e.actor?.kind === 'human');
    const attributed = human.filter((e) => e.actor?.genesys_user_id !== undefined);
    expect(human.length).toBeGreaterThan(50);
    expect(attributed.length / human.length).toBeGreaterThanOrEqual(0.95);
    expect(human.filter((e) => e.enrichment?.status === 'pending')).toEqual([]);
    // The QA team's reads: some of calls they were on, some of calls they were not.
    const qa = new Set(cast.qaTeam.map((p) => p.arn));
    const reads = human.filter(
      (e) => qa.has(e.aws.s3access.requester ?? '') && e.aws.s3access.operation === 'REST.GET.OBJECT' && e.genesys?.participants !== undefined,
    );
    const onCall = reads.filter((e) => e.genesys!.participants!.some((p) => p.user_id === e.actor?.genesys_user_id));
    expect(onCall.length).toBeGreaterThan(0);
    expect(reads.length - onCall.length).toBeGreaterThan(0);
    // Search asked once per window, not per event.
    expect(attributed.length).toBeGreaterThan(new Set(attributed.map((e) => e.actor?.genesys_user_id)).size);
  });
});
