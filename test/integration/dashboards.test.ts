// The saved searches and visualizations of config/dashboards/recording-audit.ndjson, run as
// Dashboards would run them, on the real node over demo-like events: the demo scenario's log lines,
// parsed by buildEvent, enriched by the worker's enricher against the Genesys simulator, and indexed
// under the product's template. No Dashboards server is fetched here, so this is its stand-in.
import { readFileSync } from 'node:fs';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { createMetrics } from '../../src/core/metrics.js';
import { createEnricher } from '../../src/enrich/enricher.js';
import { buildEvent } from '../../src/event/build.js';
import type { AccessEvent } from '../../src/event/types.js';
import { ensureIndexSetup, indexNameFor } from '../../src/sinks/opensearch/setup.js';
import { exportKey, exportMetadataKey } from '../../src/sim/genesys/dataset.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../src/sim/genesys/server.js';
import { accessDay, castStaff, scenarioCast } from '../../src/sim/s3-logs/scenario.js';
import { DASHBOARDS_FILE, PLACEHOLDERS } from '../support/dashboards.js';
import { aggsOf, parseSavedObjects, queryOf, searchSourceOf, visStateOf, type ParsedObject } from '../support/saved-objects.js';
import { stackEnv, uniqueName } from '../support/stack-env.js';

const ACCOUNT = '123456789012';
const cast = scenarioCast(ACCOUNT);
const objects = parseSavedObjects(readFileSync(DASHBOARDS_FILE, 'utf8'));
const search = (form: string): ParsedObject => objects.find((o) => o.id === `recording-audit-search-${form}`)!;
const WRITES = new Set(['REST.PUT.OBJECT', 'REST.POST.OBJECT', 'REST.COPY.OBJECT', 'REST.POST.UPLOADS', 'REST.PUT.PART', 'REST.COPY.PART', 'REST.POST.UPLOAD']);

interface Doc {
  id: string;
  event: AccessEvent;
}

describe('Dashboards saved objects on demo-like events', () => {
  const os = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-dash');
  let sim: GenesysSimulator;
  let docs: Doc[] = [];

  /** The ids a saved search returns; `value` replaces its filter's placeholder, as an analyst edits the pill. */
  const run = async (o: ParsedObject, placeholder?: string, value?: string): Promise<string[]> => {
    const edit = (f: string): string => (placeholder === undefined || value === undefined ? f : f.split(placeholder).join(value));
    const res = await os.search({ index: prefix, body: { size: 2000, query: queryOf(searchSourceOf(o), edit), _source: false } });
    const body = res.body as unknown as { hits: { hits: { _id: string }[] } };
    return body.hits.hits.map((h) => h._id).sort();
  };
  const ids = (pred: (e: AccessEvent) => boolean): string[] =>
    docs
      .filter((d) => pred(d.event))
      .map((d) => d.id)
      .sort();
  /** What the CLI's defaults leave out, computed here without the saved query. */
  const notRoutine = (e: AccessEvent): boolean => e.event.self !== true && !(e.actor?.kind === 'service' && WRITES.has(e.aws.s3access.operation ?? ''));

  beforeAll(async () => {
    // As the demo's: the scenario's people are Genesys users (else their reads are partial: actor_not_in_genesys).
    sim = await startGenesysSimulator({
      seed: 2024,
      dataset: { seed: 2024, conversations: 30, users: 12, start: '2024-05-14T00:00:00Z', spanDays: 1, staff: castStaff(scenarioCast(ACCOUNT)) },
    });
    const recordings = sim.dataset.recordings.map((r) => {
      const conv = sim.dataset.conversationById.get(r.conversationId)!;
      return {
        orgId: r.orgId,
        conversationId: r.conversationId,
        recordingId: r.id,
        start: new Date(conv.conversationStart),
        end: new Date(conv.conversationEnd),
        keys: { media: exportKey(sim.dataset, r), metadata: exportMetadataKey(sim.dataset, r) },
      };
    });
    const lines = accessDay({
      recordingsBucket: 'demo-recordings',
      bucketOwner: 'd'.repeat(64),
      accountId: ACCOUNT,
      recordings,
      day: new Date(Date.UTC(2024, 4, 14)),
      seed: 2024,
    }).objects.flatMap((o) => o.lines);
    docs = lines.map((line, i) => {
      const r = buildEvent({ number: i + 1, bytes: Buffer.from(line) }, { logBucket: 'demo-logs', filePath: 's3://demo-logs/access-logs/demo' });
      if (!r.ok) throw new Error(`line ${i + 1} did not build: ${r.rejection.reason}`);
      return r.doc;
    });
    // The demo's settings: who is a service, a person, the product itself.
    const cfg = loadConfigOrThrow({
      env: {
        OPENSEARCH_URL: stackEnv().opensearchUrl,
        INDEX_PREFIX: prefix,
        INDEX_REPLICAS: '0',
        GENESYS_CLIENT_ID: 'sim-client',
        GENESYS_CLIENT_SECRET: 'sim-secret',
        GENESYS_API_URL: sim.url,
        SELF_ROLE_ARNS: `arn:aws:iam::${ACCOUNT}:role/recording-audit-task`,
        SERVICE_PRINCIPALS: 'arn:aws:sts::*:assumed-role/genesys-recording-export/*,arn:aws:sts::*:assumed-role/qa-playback/presigner',
        HUMAN_PRINCIPALS: `arn:aws:sts::*:assumed-role/*/*@*,arn:aws:iam::${ACCOUNT}:user/*`,
      },
    });
    const logger = createLogger('silent');
    const enricher = createEnricher(cfg, { logger, metrics: createMetrics({ defaultMetrics: false }) });
    await enricher.enrich(docs.map((d) => d.event));
    await enricher.close();
    await ensureIndexSetup(os, cfg, logger);
    const body = docs.flatMap((d) => [{ index: { _index: indexNameFor(prefix, d.event['@timestamp']), _id: d.id } }, d.event]);
    const res = await os.bulk({ body, refresh: true });
    expect((res.body as { errors: boolean }).errors).toBe(false);
  }, 120_000);

  afterAll(async () => {
    await os.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
    await os.indices.deleteIndexTemplate({ name: prefix }).catch(() => undefined);
    await os.close();
    await sim.close();
  });

  it('the events are enriched as the demo is: conversations, participants, actor kinds', () => {
    expect(docs.length).toBeGreaterThan(200);
    expect(docs.filter((d) => d.event.enrichment?.status === 'resolved').length).toBeGreaterThan(docs.length / 2);
    expect(new Set(docs.map((d) => d.event.actor?.kind))).toEqual(new Set(['human', 'service', 'self']));
  });

  it('conversation and recording: every access to its objects but the routine ones', async () => {
    const read = docs.find((d) => d.event.actor?.kind === 'human' && d.event.genesys?.conversation?.id !== undefined)!.event;
    const cid = read.genesys!.conversation!.id!;
    const expected = ids((e) => e.genesys?.conversation?.id === cid && notRoutine(e));
    expect(expected.length).toBeGreaterThan(0);
    expect(await run(search('conversation'), PLACEHOLDERS.conversation, cid)).toEqual(expected);
    // As imported, the placeholder matches nothing.
    expect(await run(search('conversation'))).toEqual([]);
    const rid = read.genesys!.recording!.id!;
    expect(await run(search('recording'), PLACEHOLDERS.recording, rid)).toEqual(ids((e) => e.genesys?.recording?.id === rid && notRoutine(e)));
  });

  it('principal: everything one person did', async () => {
    const email = 'kevin.walsh@example-health.org';
    const expected = ids((e) => e.actor?.email === email);
    expect(expected.length).toBeGreaterThan(12);
    expect(await run(search('principal'), PLACEHOLDERS.principal, email)).toEqual(expected);
  });

  it('agent: accesses to recordings the agent took part in, by user id or by name in any case', async () => {
    const agent = docs
      .flatMap((d) => d.event.genesys?.participants ?? [])
      .find((p) => p.purpose === 'agent' && p.user_id !== undefined && p.name !== undefined)!;
    const expected = ids((e) => (e.genesys?.participants ?? []).some((p) => p.user_id === agent.user_id) && notRoutine(e));
    expect(expected.length).toBeGreaterThan(0);
    expect(await run(search('agent'), PLACEHOLDERS.agent, agent.user_id)).toEqual(expected);
    expect(await run(search('agent'), PLACEHOLDERS.agent, agent.name!.toUpperCase())).toEqual(expected);
  });

  it('ip: one address, and a CIDR block', async () => {
    expect(await run(search('ip'), PLACEHOLDERS.ip, cast.bulkIp)).toEqual(ids((e) => e.aws.s3access.remote_ip === cast.bulkIp && notRoutine(e)));
    const office = ids((e) => (e.aws.s3access.remote_ip ?? '').startsWith('10.20.4.') && notRoutine(e));
    expect(office.length).toBeGreaterThan(0);
    expect(await run(search('ip'), PLACEHOLDERS.ip, '10.20.4.0/24')).toEqual(office);
  });

  it('denied, deletions, presigned', async () => {
    const denied = await run(search('denied'));
    expect(denied).toEqual(ids((e) => e.aws.s3access.http_status === 403));
    expect(new Set(docs.filter((d) => denied.includes(d.id)).map((d) => d.event.actor?.email))).toEqual(new Set(['tom.becker@bpo-partner.example']));
    const deletions = await run(search('deletions'));
    expect(deletions).toEqual(ids((e) => e.aws.s3access.operation === 'REST.DELETE.OBJECT'));
    expect(deletions).toHaveLength(2);
    const presigned = await run(search('presigned'));
    expect(presigned).toEqual(ids((e) => e.aws.s3.presigned !== undefined));
    expect(presigned.length).toBeGreaterThan(0);
  });

  it('the visualizations aggregate: kinds over time, the people reading most, denied and presigned tables', async () => {
    const results = new Map<string, Record<string, { buckets: { key: string | number; doc_count: number }[] }>>();
    for (const o of objects.filter((x) => x.type === 'visualization')) {
      const res = await os.search({ index: prefix, body: { size: 0, query: queryOf(searchSourceOf(o)), aggs: aggsOf(visStateOf(o)) } } as never);
      results.set(o.id, (res.body as unknown as { aggregations: Record<string, { buckets: { key: string | number; doc_count: number }[] }> }).aggregations);
    }
    expect(results.get('recording-audit-vis-accesses-by-kind')!['2']!.buckets.length).toBeGreaterThan(10);
    const people = results.get('recording-audit-vis-top-humans')!['3']!.buckets.map((b) => b.key);
    expect(people).toEqual(expect.arrayContaining(['kevin.walsh@example-health.org', 'grace.lin@example-health.org', 'maria.gonzalez@example-health.org']));
    expect(results.get('recording-audit-vis-denied')!['2']!.buckets.map((b) => b.key)).toEqual([cast.contractor.arn]);
    expect(results.get('recording-audit-vis-presigned')!['3']!.buckets.map((b) => b.key)).toEqual([cast.presigner.arn]);
  });
});
