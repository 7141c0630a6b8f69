// The Genesys audit source end to end: the simulator's audit APIs through the real SDK, the real
// OpenSearch node, the product's templates. Exact sets of documents after re-reads, late
// messages, failed queries and expired cursors.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@opensearch-project/opensearch';
import { LRUCache } from 'lru-cache';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { ensureDetectSetup } from '../../../src/detect/mapping.js';
import type { GenesysClient } from '../../../src/enrich/genesys/client.js';
import { genesysFromConfig } from '../../../src/enrich/genesys/from-config.js';
import { genesysAuditDocId } from '../../../src/genesys-audit/build.js';
import { createEvidenceWriter } from '../../../src/genesys-audit/evidence.js';
import { verifyEvidence, type VerifyOutcome } from '../../../src/investigate/verify.js';
import type { AuditIngestDeps } from '../../../src/genesys-audit/ingest.js';
import { runAuditSource, watermarkId, type AuditSourceOptions } from '../../../src/genesys-audit/source.js';
import { BulkIndexer } from '../../../src/sinks/opensearch/bulk.js';
import { createOpenSearchClient } from '../../../src/sinks/opensearch/client.js';
import { genesysAuditPrefix } from '../../../src/sinks/opensearch/index-name.js';
import { ensureIndexSetup } from '../../../src/sinks/opensearch/setup.js';
import { readWatermark } from '../../../src/sinks/opensearch/state.js';
import { FileQuarantine } from '../../../src/sinks/quarantine/file.js';
import type { SimAuditMessage } from '../../../src/sim/genesys/audit-messages.js';
import { generateDataset } from '../../../src/sim/genesys/dataset.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { awsClientConfig, stackSettings, uniqueName } from '../../support/stack-env.js';
import { logger, simConfig } from '../enrich/support.js';

const dataset = generateDataset({ seed: 1616, users: 20, conversations: 80, start: '2024-05-01T00:00:00Z', spanDays: 5 });
const HOUR = 3_600_000;

interface Harness {
  readonly cfg: Config;
  readonly os: Client;
  readonly genesys: GenesysClient;
  readonly quarantineDir: string;
  options(over?: Partial<AuditSourceOptions>): Omit<AuditSourceOptions, 'mode'>;
  storedIds(): Promise<string[]>;
  close(): Promise<void>;
}

async function harness(sim: GenesysSimulator, env: Record<string, string> = {}): Promise<Harness> {
  const prefix = uniqueName('t-gaudit');
  const cfg = simConfig(sim, { ...stackSettings(), INDEX_PREFIX: prefix, INDEX_REPLICAS: '0', GENESYS_REQUESTS_PER_MINUTE: '100000', ...env });
  const os = createOpenSearchClient(cfg);
  await ensureIndexSetup(os, cfg, logger);
  await ensureDetectSetup(os, prefix, logger);
  const metrics = createMetrics({ defaultMetrics: false });
  const genesys = genesysFromConfig(cfg, { logger, metrics })!.client;
  const quarantineDir = mkdtempSync(join(tmpdir(), 'gaudit-q-'));
  const quarantine = new FileQuarantine(pathToFileURL(quarantineDir), logger);
  const bulk = new BulkIndexer(
    os,
    {
      prefix: genesysAuditPrefix(prefix),
      maxBytes: 1 << 20,
      maxDocs: 500,
      flushIntervalMs: 50,
      concurrency: 2,
      gzip: false,
      retryBaseMs: 20,
      retryMaxMs: 200,
      retryMaxAttempts: 5,
    },
    { logger, metrics, quarantine },
  );
  return {
    cfg,
    os,
    genesys,
    quarantineDir,
    options: (over = {}) => ({
      client: genesys,
      people: new LRUCache<string, { found: true; name?: string; email?: string } | { found: false }>({ max: 1000 }),
      bulk,
      quarantine,
      logger,
      metrics,
      fetch: { pollIntervalMs: 10, pageSize: 100 },
      opensearch: os,
      indexPrefix: prefix,
      apis: ['quality'],
      windowSecs: 2 * 86_400,
      overlapSecs: 3600,
      firstLookbackSecs: 6 * 3600,
      ...over,
    }),
    async storedIds() {
      await os.indices.refresh({ index: `${genesysAuditPrefix(prefix)}-*`, allow_no_indices: true });
      const res = await os.search({
        index: `${genesysAuditPrefix(prefix)}-*`,
        body: { size: 10_000, _source: false, query: { match_all: {} } },
        allow_no_indices: true,
      } as never);
      return (res.body as { hits: { hits: { _id: string }[] } }).hits.hits.map((h) => h._id).sort();
    },
    async close() {
      await bulk.close();
      await quarantine.close();
      genesys.close();
      await os.indices.delete({ index: `${prefix}*`, ignore_unavailable: true }).catch(() => undefined);
      await os.close();
    },
  };
}

const quarantined = (dir: string): Record<string, unknown>[] =>
  readdirSync(dir).flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  );

function span(messages: readonly SimAuditMessage[]): { from: number; to: number } {
  const times = messages.map((m) => Date.parse(m.eventDate));
  return { from: Math.min(...times), to: Math.max(...times) + 1 };
}

describe('Genesys audit source, range mode (the genesys-audit command)', () => {
  let sim: GenesysSimulator;
  let h: Harness;

  beforeAll(async () => {
    sim = await startGenesysSimulator({ dataset, audits: { badShare: 0.03 } });
    h = await harness(sim);
  });
  afterAll(async () => {
    await h.close();
    await sim.close();
  });

  it('indexes every message once and quarantines the unreadable ones; a second read adds nothing', async () => {
    const all = sim.auditMessages();
    const { from, to } = span(all);
    const withId = all.filter((m) => m.id !== undefined && m.overrides === undefined);
    expect(withId.length).toBeGreaterThan(100);
    const first = await runAuditSource({ ...h.options(), mode: { kind: 'range', from, to } });
    expect(first[0]!.error).toBeUndefined();
    const expected = withId.map((m) => genesysAuditDocId('quality', m.id!)).sort();
    const stored = await h.storedIds();
    // Every message served with an id is a document, and nothing else is.
    expect(stored.filter((id) => !expected.includes(id))).toEqual([]);
    expect(expected.filter((id) => !stored.includes(id))).toEqual([]);
    const t1 = first[0]!.tally;
    // Counters reconcile: every message read is indexed, a duplicate, or quarantined.
    expect(t1.indexed + t1.duplicate + t1.quarantined).toBe(t1.messages);
    expect(t1.indexed).toBe(expected.length);
    const rejected = quarantined(h.quarantineDir);
    expect(rejected.length).toBe(t1.quarantined);
    expect(rejected.length).toBe(all.length - withId.length);

    const second = await runAuditSource({ ...h.options(), mode: { kind: 'range', from, to } });
    expect(second[0]!.tally).toMatchObject({ indexed: 0, duplicate: expected.length });
    expect(await h.storedIds()).toEqual(stored);
  });

  it('writes what the person, the recording and the conversation are, searchable beside S3 events', async () => {
    const read = sim.auditMessages().find((m) => m.action === 'Read' && m.userId !== undefined && m.id !== undefined && m.overrides === undefined)!;
    const res = await h.os.get({
      index: `${genesysAuditPrefix(h.cfg.INDEX_PREFIX)}-${read.eventDate.slice(0, 4)}.${read.eventDate.slice(5, 7)}`,
      id: genesysAuditDocId('quality', read.id!),
    });
    const doc = (
      res.body as {
        _source: { event: unknown; actor: unknown; genesys: { conversation: { id: string }; recording: { id: string } } };
      }
    )._source;
    const user = dataset.userById.get(read.userId!)!;
    expect(doc.event).toMatchObject({ dataset: 'genesys.audit', action: 'Read', id: read.id, type: ['access'] });
    expect(doc.actor).toMatchObject({ kind: 'human', genesys_user_id: user.id, name: user.name, email: user.email });
    expect(doc.genesys.conversation.id).toBe(read.conversationId);
    expect(doc.genesys.recording.id).toBe(read.entityId);
    // The read alias finds it by the ECS names the access events answer to as well.
    await h.os.indices.refresh({ index: h.cfg.INDEX_PREFIX });
    const byIp = await h.os.search({
      index: h.cfg.INDEX_PREFIX,
      body: { query: { bool: { filter: [{ term: { 'source.ip': read.remoteIps[0] } }, { term: { 'event.id': read.id } }] } } },
    });
    expect((byIp.body as { hits: { total: { value: number } } }).hits.total.value).toBe(1);
  });
});

describe('Genesys audit source, watermark mode (the worker task)', () => {
  let sim: GenesysSimulator;
  let h: Harness;
  const rec = dataset.recordings[3]!;
  const user = dataset.users[2]!;
  const message = (id: string, eventDate: number): SimAuditMessage => ({
    id,
    eventDate: new Date(eventDate).toISOString(),
    action: 'Read',
    entityType: 'Recording',
    userId: user.id,
    remoteIps: ['10.9.8.7'],
    status: 'Success',
    entityId: rec.id,
    conversationId: rec.conversationId,
  });

  beforeAll(async () => {
    sim = await startGenesysSimulator({ dataset, audits: false });
    h = await harness(sim);
  });
  afterAll(async () => {
    await h.close();
    await sim.close();
  });

  it('moves the watermark only past what is written, and the overlap finds a message Genesys shows late', async () => {
    const now = Date.now();
    sim.addAuditMessages([message('w-1', now - 2 * HOUR), message('w-2', now - 30 * 60_000)]);
    const first = await runAuditSource({ ...h.options(), mode: { kind: 'watermark' }, now: () => now });
    expect(first[0]!.error).toBeUndefined();
    expect(first[0]!.tally.indexed).toBe(2);
    const mark = await readWatermark(h.os, h.cfg.INDEX_PREFIX, watermarkId('quality'));
    expect(mark?.at).toBe(now);

    // An action 10 minutes before the watermark that Genesys makes queryable only now.
    sim.addAuditMessages([message('w-late', now - 10 * 60_000)]);
    const second = await runAuditSource({ ...h.options(), mode: { kind: 'watermark' }, now: () => now + 60_000 });
    expect(second[0]!.error).toBeUndefined();
    expect(second[0]!.tally).toMatchObject({ indexed: 1, duplicate: 1 });
    expect(await h.storedIds()).toEqual(['w-1', 'w-2', 'w-late'].map((id) => genesysAuditDocId('quality', id)).sort());
  });

  it('a failed query is tried again with backoff; one that keeps failing leaves the watermark where it was', async () => {
    const before = await readWatermark(h.os, h.cfg.INDEX_PREFIX, watermarkId('quality'));
    const now = before!.at + 5 * 60_000;
    // Behind the watermark (inside the overlap) and in the past, so the simulator shows it now.
    sim.addAuditMessages([message('f-1', Date.now() - 60_000)]);
    sim.failNextAuditQueries(3);
    const failed = await runAuditSource({ ...h.options({ retryBaseMs: 10 }), mode: { kind: 'watermark' }, now: () => now });
    expect(failed[0]!.error).toMatch(/Failed|failed/);
    expect((await readWatermark(h.os, h.cfg.INDEX_PREFIX, watermarkId('quality')))!.at).toBe(before!.at);
    expect(await h.storedIds()).not.toContain(genesysAuditDocId('quality', 'f-1'));

    sim.failNextAuditQueries(1);
    const again = await runAuditSource({ ...h.options({ retryBaseMs: 10 }), mode: { kind: 'watermark' }, now: () => now });
    expect(again[0]!.error).toBeUndefined();
    expect((await readWatermark(h.os, h.cfg.INDEX_PREFIX, watermarkId('quality')))!.at).toBe(now);
    expect(await h.storedIds()).toContain(genesysAuditDocId('quality', 'f-1'));
  });

  it('an expired cursor starts the query again, and the window still comes out exact', async () => {
    const base = Date.parse('2025-03-01T00:00:00Z');
    const many = Array.from({ length: 260 }, (_, i) => message(`c-${String(i).padStart(3, '0')}`, base + i * 1000));
    sim.addAuditMessages(many);
    let expired = false;
    const o = h.options();
    // After the first page is written, every cursor handed out so far stops working.
    const bulk: AuditIngestDeps['bulk'] = {
      write: (doc, tracker) => o.bulk.write(doc, tracker),
      flush: async () => {
        await o.bulk.flush();
        if (!expired) {
          expired = true;
          sim.expireAuditCursors();
        }
      },
    };
    const res = await runAuditSource({ ...o, bulk, mode: { kind: 'range', from: base, to: base + HOUR } });
    expect(res[0]!.error).toBeUndefined();
    expect(res[0]!.tally.restarts).toBe(1);
    expect(res[0]!.tally.indexed).toBe(260);
    expect(res[0]!.tally.duplicate).toBe(100);
    const ids = (await h.storedIds()).filter((id) => many.some((m) => genesysAuditDocId('quality', m.id!) === id));
    expect(ids).toHaveLength(260);
  });
});

describe('Genesys audit evidence pages (EVIDENCE_BUCKET) and verify', () => {
  let sim: GenesysSimulator;
  let h: Harness;
  const s3 = new S3Client({ ...awsClientConfig(), forcePathStyle: true });
  const bucket = uniqueName('t-evidence');

  beforeAll(async () => {
    sim = await startGenesysSimulator({ dataset, audits: { badShare: 0.02 } });
    h = await harness(sim);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    await h.close();
    await sim.close();
    await emptyAndDeleteBucket(s3, bucket);
    s3.destroy();
  });

  it('stores each page before its events, and verify proves every event against its line; an edit is caught', async () => {
    const all = sim.auditMessages();
    const { from, to } = span(all);
    const res = await runAuditSource({ ...h.options({ evidence: createEvidenceWriter(s3, bucket) }), mode: { kind: 'range', from, to } });
    expect(res[0]!.error).toBeUndefined();
    const pages = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'genesys-audit/quality/' }));
    expect(pages.KeyCount).toBe(res[0]!.tally.pages);

    await h.os.indices.refresh({ index: `${genesysAuditPrefix(h.cfg.INDEX_PREFIX)}-*` });
    const outcomes: VerifyOutcome[] = [];
    const verify = (): Promise<unknown> =>
      verifyEvidence({
        client: h.os,
        s3,
        index: `${genesysAuditPrefix(h.cfg.INDEX_PREFIX)}-*`,
        selection: {},
        objectReadTimeoutMs: 10_000,
        onOutcome: (o) => outcomes.push(o),
      });
    await verify();
    expect(outcomes.length).toBe(res[0]!.tally.indexed);
    expect(outcomes.filter((o) => o.status !== 'verified')).toEqual([]);
    expect(outcomes.every((o) => o.source?.startsWith(`s3://${bucket}/genesys-audit/quality/`) === true)).toBe(true);

    // Someone with write access to the index turns a playback into someone else's.
    const target = outcomes[0]!;
    await h.os.update({ index: target.index, id: target.id, body: { doc: { actor: { genesys_user_id: 'someone-else' } } }, refresh: true });
    outcomes.length = 0;
    await verify();
    const altered = outcomes.filter((o) => o.status === 'altered');
    expect(altered.map((o) => o.id)).toEqual([target.id]);
    expect(altered[0]!.differences?.map((d) => d.field)).toEqual(['actor.genesys_user_id']);
  });
});
