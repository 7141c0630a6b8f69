import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import type { AccessEvent } from '../../../src/event/types.js';
import { createMetrics, type Metrics } from '../../../src/core/metrics.js';
import { BulkIndexer, type BulkOptions, type SettledWrite } from '../../../src/sinks/opensearch/bulk.js';
import { ensureIndexSetupWith } from '../../../src/sinks/opensearch/install.js';
import { type QuarantineStore, type StoredQuarantineRecord } from '../../../src/sinks/quarantine/record.js';
import { createQuarantineStore } from '../../../src/sinks/quarantine/store.js';
import { dropPrefix, Outcomes, MAPPINGS, testDoc } from './support.js';
import { metricValue } from '../../support/metrics.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';

const logger = createLogger('silent');

describe('BulkIndexer against the real node', () => {
  const client = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-bulk');
  let dir: string;
  let quarantine: QuarantineStore;
  let metrics: Metrics;

  const options = (over: Partial<BulkOptions> = {}): BulkOptions => ({
    prefix,
    maxBytes: 1 << 20,
    maxDocs: 500,
    flushIntervalMs: 20,
    concurrency: 2,
    gzip: false,
    retryBaseMs: 10,
    retryMaxMs: 100,
    retryMaxAttempts: 4,
    ...over,
  });
  const indexer = (over: Partial<BulkOptions> = {}): BulkIndexer => new BulkIndexer(client, options(over), { logger, metrics, quarantine });
  const quarantined = async (): Promise<StoredQuarantineRecord[]> => {
    const out: StoredQuarantineRecord[] = [];
    for (const f of await readdir(dir)) {
      for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) if (line !== '') out.push(JSON.parse(line) as StoredQuarantineRecord);
    }
    return out;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sink-q-'));
    const s3 = new S3Client({ region: 'us-east-1' });
    quarantine = createQuarantineStore({ QUARANTINE_URL: pathToFileURL(dir).href }, { s3, logger });
    metrics = createMetrics({ defaultMetrics: false });
    await ensureIndexSetupWith(client, { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 }, logger, MAPPINGS);
  });

  afterAll(async () => {
    await quarantine.close();
    await dropPrefix(client, prefix);
    await rm(dir, { recursive: true, force: true });
    await client.close();
  });

  it('routes each document to the monthly index of its own time, then recognises duplicates', async () => {
    const docs = [
      testDoc(prefix, 1, '2024-01-31T23:59:59.999Z'),
      testDoc(prefix, 2, '2024-02-01T00:00:00.000Z'),
      testDoc(prefix, 3, '2024-02-01T01:30:00+02:00'), // still January in UTC
      ...Array.from({ length: 120 }, (_, i) => testDoc(prefix, 100 + i, `2024-03-${String(1 + (i % 28)).padStart(2, '0')}T12:00:00Z`)),
    ];
    const first = new Outcomes();
    const w = indexer({ maxDocs: 50 });
    for (const d of docs) await w.write(d, first);
    await w.flush();
    expect(first.count('indexed')).toBe(docs.length);
    expect([...first.byId.values()].every((o) => o.length === 1)).toBe(true);

    await client.indices.refresh({ index: prefix });
    const counts = await client.transport.request({ method: 'GET', path: `/_cat/indices/${prefix}-*`, querystring: { format: 'json', h: 'index,docs.count' } });
    const rows = counts.body as { index: string; 'docs.count': string }[];
    expect(Object.fromEntries(rows.map((r) => [r.index, Number(r['docs.count'])]))).toEqual({
      [`${prefix}-2024.01`]: 2,
      [`${prefix}-2024.02`]: 1,
      [`${prefix}-2024.03`]: 120,
    });

    const second = new Outcomes();
    for (const d of docs) await w.write(d, second);
    await w.close();
    expect(second.count('duplicate')).toBe(docs.length);
    expect(await metricValue(metrics.integrityAlarms)).toBe(0);
  });

  it('hands its tracker the write as sent (id, hash, time, the document read back from the bytes it held), not the event object', async () => {
    const doc = testDoc(prefix, 9, '2024-04-03T00:00:00Z');
    const seen: SettledWrite[] = [];
    const w = indexer();
    await w.write(doc, { onOutcome: (_o, write) => void seen.push(write) });
    await w.close();
    expect(seen).toHaveLength(1);
    const write = seen[0]!;
    expect({ id: write.id, hash: write.hash, timestamp: write.timestamp }).toEqual({
      id: doc.id,
      hash: doc.event.event.hash,
      timestamp: doc.event['@timestamp'],
    });
    expect(Object.values(write)).not.toContain(doc.event);
    expect(write.document()).toEqual({ id: doc.id, event: JSON.parse(JSON.stringify(doc.event)) as unknown });
  });

  it('a stored document with the same id but another hash raises an integrity alarm; the new record is quarantined, the stored one kept', async () => {
    const doc = testDoc(prefix, 7, '2024-04-02T03:04:05Z');
    const index = `${prefix}-2024.04`;
    const w = indexer();
    const o = new Outcomes();
    await w.write(doc, o);
    await w.flush();
    expect(o.all).toEqual([{ status: 'indexed' }]);

    // Tamper with the stored copy directly (what a compromised writer could do).
    const tampered: AccessEvent = {
      ...doc.event,
      event: { ...doc.event.event, hash: 'f'.repeat(64) },
      aws: { ...doc.event.aws, s3access: { ...doc.event.aws.s3access, http_status: 204 } },
    };
    await client.index({ index, id: doc.id, body: tampered, refresh: true });
    const alarmsBefore = await metricValue(metrics.integrityAlarms);

    const again = new Outcomes();
    await w.write(doc, again);
    await w.close();
    expect(again.all).toEqual([{ status: 'quarantined', reason: 'integrity_mismatch' }]);
    expect(await metricValue(metrics.integrityAlarms)).toBe(alarmsBefore + 1);
    expect(await metricValue(metrics.quarantined, { reason: 'integrity_mismatch' })).toBeGreaterThanOrEqual(1);

    const stored = await client.get({ index, id: doc.id });
    expect(stored.body._version).toBe(2);
    expect((stored.body._source as AccessEvent).event.hash).toBe('f'.repeat(64));

    const record = (await quarantined()).find((r) => r.id === doc.id && r.reason === 'integrity_mismatch');
    expect(record).toMatchObject({ stage: 'index', source: doc.event.log.file.path, hash: doc.event.event.hash, document: doc.event });
    expect(record?.detail).toContain('f'.repeat(64));
  });

  it('documents OpenSearch refuses are quarantined with the error type; the rest of the batch is indexed', async () => {
    const good = Array.from({ length: 5 }, (_, i) => testDoc(prefix, 300 + i, '2024-05-01T00:00:00Z'));
    const badType = testDoc(prefix, 400, '2024-05-01T00:00:00Z', (e) => {
      (e.aws.s3access as Record<string, unknown>).http_status = 'not-a-number';
    });
    const unknownField = testDoc(prefix, 401, '2024-05-01T00:00:00Z', (e) => {
      (e as unknown as Record<string, unknown>).surprise = { nested: true };
    });
    const noTime = testDoc(prefix, 402, 'not a time');
    const injected = testDoc(prefix, 403, '2024-05-01T00:00:00Z', (e) => {
      e.aws.s3access.request_id = 'x"}}\n{"delete":{"_index":"' + prefix + '-2024.05","_id":"' + good[0]!.id + '"}}\n';
    });
    const o = new Outcomes();
    const w = indexer();
    for (const d of [good[0]!, badType, good[1]!, unknownField, good[2]!, noTime, good[3]!, injected, good[4]!]) await w.write(d, o);
    await w.close();

    expect(o.byId.get(badType.id)).toEqual([{ status: 'quarantined', reason: 'mapper_parsing_exception' }]);
    expect(o.byId.get(unknownField.id)).toEqual([{ status: 'quarantined', reason: 'strict_dynamic_mapping_exception' }]);
    expect(o.byId.get(noTime.id)).toEqual([{ status: 'quarantined', reason: 'invalid_timestamp' }]);
    expect(o.byId.get(injected.id)).toEqual([{ status: 'indexed' }]);
    for (const d of good) expect(o.byId.get(d.id)).toEqual([{ status: 'indexed' }]);

    // The crafted value stayed a value: the document it named still exists.
    const victim = await client.get({ index: `${prefix}-2024.05`, id: good[0]!.id });
    expect(victim.body.found).toBe(true);

    const records = await quarantined();
    for (const d of [badType, unknownField, noTime]) {
      const r = records.find((x) => x.id === d.id);
      expect(r).toMatchObject({ stage: 'index', hash: d.event.event.hash, document: d.event });
      expect(r?.key).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('flushes by document count and by bytes', async () => {
    const before = await metricValue(metrics.bulkRequests, { result: 'ok' });
    const byCount = indexer({ maxDocs: 10, flushIntervalMs: 60_000 });
    const o = new Outcomes();
    for (let i = 0; i < 35; i += 1) await byCount.write(testDoc(`${prefix}-c`, i, '2024-06-01T00:00:00Z'), o);
    await byCount.flush();
    expect(o.count('indexed')).toBe(35);
    expect((await metricValue(metrics.bulkRequests, { result: 'ok' })) - before).toBe(4);

    const sample = testDoc(`${prefix}-b`, 0, '2024-06-01T00:00:00Z');
    const perDoc = Buffer.byteLength(JSON.stringify(sample.event)) + 150;
    const mid = await metricValue(metrics.bulkRequests, { result: 'ok' });
    const byBytes = indexer({ maxBytes: perDoc * 5, maxDocs: 10_000, flushIntervalMs: 60_000 });
    const o2 = new Outcomes();
    for (let i = 0; i < 20; i += 1) await byBytes.write(testDoc(`${prefix}-b`, i, '2024-06-01T00:00:00Z'), o2);
    await byBytes.close();
    expect(o2.count('indexed')).toBe(20);
    const requests = (await metricValue(metrics.bulkRequests, { result: 'ok' })) - mid;
    expect(requests).toBeGreaterThanOrEqual(4);
    expect(requests).toBeLessThanOrEqual(7);
  });
});
