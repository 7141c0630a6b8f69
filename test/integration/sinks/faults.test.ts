import { Writable } from 'node:stream';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { createMetrics, type Metrics } from '../../../src/core/metrics.js';
import { BulkIndexer, type BulkOptions } from '../../../src/sinks/opensearch/bulk.js';
import { createOpenSearchClient } from '../../../src/sinks/opensearch/client.js';
import { ensureIndexSetupWith } from '../../../src/sinks/opensearch/install.js';
import type { QuarantineRecord, QuarantineStore } from '../../../src/sinks/quarantine/record.js';
import { bulkDocCount, FaultProxy } from './fault-proxy.js';
import { dropPrefix, Outcomes, MAPPINGS, testDoc } from './support.js';
import { metricValue } from '../../support/metrics.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { closedPort } from '../../support/tcp-proxy.js';

const logger = createLogger('silent');

class MemoryQuarantine implements QuarantineStore {
  readonly records: QuarantineRecord[] = [];
  put(records: QuarantineRecord[]): Promise<void> {
    this.records.push(...records);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A bulk answer (HTTP 200) in which every item of the request is refused with the same error. */
function everyItemRefused(body: Buffer, status: number, error: { type: string; reason: string }): { status: number; body: unknown } {
  const items = Array.from({ length: bulkDocCount(body) }, () => ({ create: { status, error } }));
  return { status: 200, body: { errors: true, items } };
}

/** A logger at info that keeps the messages starting with `prefix`, in order. */
function messagesLogger(prefix: string, into: string[]): ReturnType<typeof createLogger> {
  return createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        const msg = String((JSON.parse(chunk.toString()) as { msg?: unknown }).msg);
        if (msg.startsWith(prefix)) into.push(msg);
        cb();
      },
    }),
  );
}

const clientCfg = (url: string, gzip: boolean) => ({
  OPENSEARCH_URL: url,
  OPENSEARCH_AUTH: 'none' as const,
  OPENSEARCH_USERNAME: undefined,
  OPENSEARCH_PASSWORD: undefined,
  OPENSEARCH_SIGV4_SERVICE: 'es' as const,
  // Generous: the shared 2-core machine can be slow; tests that need a timeout set their own.
  OPENSEARCH_REQUEST_TIMEOUT_MS: 10_000,
  BULK_GZIP: gzip,
});

describe('BulkIndexer under faults (real HTTP seam on 127.0.0.1)', () => {
  const direct = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-faults');
  let proxy: FaultProxy;
  let proxyUrl: string;
  let metrics: Metrics;
  const clients: Client[] = [];

  const options = (over: Partial<BulkOptions> = {}): BulkOptions => ({
    prefix,
    maxBytes: 1 << 20,
    maxDocs: 100,
    flushIntervalMs: 10,
    concurrency: 2,
    gzip: true,
    retryBaseMs: 20,
    retryMaxMs: 200,
    retryMaxAttempts: 8,
    ...over,
  });
  const through = (url: string, gzip = true): Client => {
    const c = createOpenSearchClient(clientCfg(url, gzip));
    clients.push(c);
    return c;
  };
  const stored = async (ids: string[]): Promise<number> => {
    const res = await direct.mget({ index: prefix, body: { ids } });
    return (res.body.docs as { found?: boolean }[]).filter((d) => d.found === true).length;
  };
  const docs = (tag: string, n: number) => Array.from({ length: n }, (_, i) => testDoc(`${prefix}-${tag}`, i, '2024-07-15T00:00:00Z'));

  beforeAll(async () => {
    await ensureIndexSetupWith(direct, { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 }, logger, MAPPINGS);
    proxy = new FaultProxy(new URL(stackEnv().opensearchUrl));
    proxyUrl = await proxy.start();
  });
  afterEach(() => {
    proxy.plan = () => 'pass';
    proxy.seen.length = 0;
    metrics = createMetrics({ defaultMetrics: false });
  });
  afterAll(async () => {
    await proxy.stop();
    for (const c of clients) await c.close();
    await dropPrefix(direct, prefix);
    // A request held by the proxy may still reach the node after the first cleanup.
    await new Promise((r) => setTimeout(r, 500));
    await dropPrefix(direct, prefix);
    await direct.close();
  });
  metrics = createMetrics({ defaultMetrics: false });

  it('gzips bulk bodies when BULK_GZIP is on (header and wire bytes), and not when off', async () => {
    for (const gzip of [true, false]) {
      proxy.seen.length = 0;
      const batch = docs(`gz${gzip}`, 200);
      const w = new BulkIndexer(through(proxyUrl, gzip), options({ gzip }), { logger, metrics, quarantine: new MemoryQuarantine() });
      const o = new Outcomes();
      for (const d of batch) await w.write(d, o);
      await w.close();
      expect(o.count('indexed') + o.count('duplicate')).toBe(200);
      const bulks = proxy.seen.filter((r) => r.path.startsWith('/_bulk'));
      expect(bulks.length).toBeGreaterThan(0);
      for (const r of bulks) {
        if (gzip) {
          expect(r.headers['content-encoding']).toBe('gzip');
          expect(r.wireBytes).toBeLessThan(r.body.length / 3);
        } else {
          expect(r.headers['content-encoding']).toBeUndefined();
          expect(r.wireBytes).toBe(r.body.length);
        }
        // Every action line is a `create`: the sink never overwrites.
        const actions = r.body
          .toString('utf8')
          .trimEnd()
          .split('\n')
          .filter((_, i) => i % 2 === 0);
        for (const a of actions) expect(Object.keys(JSON.parse(a) as object)).toEqual(['create']);
      }
      expect(bulks.reduce((n, r) => n + bulkDocCount(r.body), 0)).toBeGreaterThanOrEqual(200);
    }
  });

  it('OpenSearch unreachable: items are retried, then reported failed (never dropped); available goes false', async () => {
    const port = await closedPort();
    const w = new BulkIndexer(through(`http://127.0.0.1:${port}`), options({ retryMaxAttempts: 3, retryBaseMs: 5, retryMaxMs: 20 }), {
      logger,
      metrics,
      quarantine: new MemoryQuarantine(),
    });
    const o = new Outcomes();
    for (const d of docs('down', 30)) await w.write(d, o);
    await w.flush();
    expect(o.all).toHaveLength(30);
    for (const outcome of o.all) {
      expect(outcome.status).toBe('failed');
      if (outcome.status === 'failed') expect(outcome.error).toMatchObject({ code: 'SINK_UNAVAILABLE', retryable: true });
    }
    expect(w.available).toBe(false);
    expect(await metricValue(metrics.sinkAvailable)).toBe(0);
    expect(await metricValue(metrics.bulkItemRetries, { status: 'connection' })).toBe(60);
    const ctl = new AbortController();
    const waiting = w.waitUntilAvailable(ctl.signal);
    ctl.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'SHUTDOWN' });
    await w.close();
  });

  it('503 storm then recovery: every item indexed exactly once, availability false then true', async () => {
    let bulkCalls = 0;
    proxy.plan = (r) => (r.path.startsWith('/_bulk') && ++bulkCalls <= 4 ? { status: 503 } : 'pass');
    const batch = docs('storm', 150);
    const transitions: string[] = [];
    const watching = messagesLogger('OpenSearch', transitions);
    const w = new BulkIndexer(through(proxyUrl), options({ concurrency: 1, maxDocs: 150 }), { logger: watching, metrics, quarantine: new MemoryQuarantine() });
    const o = new Outcomes();
    for (const d of batch) await w.write(d, o);
    await w.flush();
    expect(o.count('indexed') + o.count('duplicate')).toBe(150);
    expect([...o.byId.values()].every((x) => x.length === 1)).toBe(true);
    expect(transitions).toEqual(['OpenSearch is not answering; bulk items wait for retries.', 'OpenSearch answers again.']);
    expect(w.available).toBe(true);
    // Full jitter spreads the retried items over several smaller requests; each item was retried.
    expect(await metricValue(metrics.bulkItemRetries, { status: '5xx' })).toBeGreaterThanOrEqual(150);
    expect(await stored(batch.map((d) => d.id))).toBe(150);
    await w.close();
  });

  it('a short whole-request 429 storm logs one warning and one recovery, not one line per retried request', async () => {
    let bulkCalls = 0;
    proxy.plan = (r) => (r.path.startsWith('/_bulk') && ++bulkCalls <= 2 ? { status: 429 } : 'pass');
    const batch = docs('throttled', 60);
    const lines: string[] = [];
    const watching = messagesLogger('Bulk', lines);
    const w = new BulkIndexer(through(proxyUrl), options({ concurrency: 1, maxDocs: 60 }), { logger: watching, metrics, quarantine: new MemoryQuarantine() });
    const o = new Outcomes();
    for (const d of batch) await w.write(d, o);
    await w.flush();
    expect(bulkCalls).toBeGreaterThan(2);
    expect(o.count('indexed') + o.count('duplicate')).toBe(60);
    expect(lines).toEqual(['Bulk request failed; its items will be retried.', 'Bulk requests are answered again.']);
    await w.close();
  });

  it('per-item 429 (write queue full) is retried with backoff until indexed', async () => {
    let answered = 0;
    proxy.plan = (r) => {
      if (!r.path.startsWith('/_bulk') || answered >= 2) return 'pass';
      answered += 1;
      const n = bulkDocCount(r.body);
      const items = Array.from({ length: n }, (_, i) =>
        i % 2 === 0
          ? { create: { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } } }
          : { create: { status: 429, error: { type: 'es_rejected_execution_exception' } } },
      );
      return { status: 200, body: { errors: true, items } };
    };
    const batch = docs('429', 40);
    const w = new BulkIndexer(through(proxyUrl), options({ concurrency: 1 }), { logger, metrics, quarantine: new MemoryQuarantine() });
    const o = new Outcomes();
    for (const d of batch) await w.write(d, o);
    await w.close();
    expect(o.count('indexed') + o.count('duplicate')).toBe(40);
    expect(await metricValue(metrics.bulkItemRetries, { status: '429' })).toBeGreaterThanOrEqual(40);
    expect(w.available).toBe(true);
    expect(await stored(batch.map((d) => d.id))).toBe(40);
  });

  it('a node that refuses every document (flood-stage block) pauses the sink; refused items are held past their attempts and written once writes are taken again', async () => {
    let refusing = true;
    let refusals = 0;
    proxy.plan = (r) => {
      if (!r.path.startsWith('/_bulk') || !refusing) return 'pass';
      refusals += 1;
      return everyItemRefused(r.body, 429, {
        type: 'cluster_block_exception',
        reason: 'index [x] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];',
      });
    };
    const batch = docs('flood', 20);
    const quarantine = new MemoryQuarantine();
    const w = new BulkIndexer(through(proxyUrl), options({ concurrency: 1, retryMaxAttempts: 3, retryBaseMs: 10, retryMaxMs: 50 }), {
      logger,
      metrics,
      quarantine,
    });
    const o = new Outcomes();
    for (const d of batch) await w.write(d, o);
    w.sendNow();
    while (refusals < 10) await new Promise((r) => setTimeout(r, 10));
    // Well past three attempts: nothing failed, nothing quarantined, the sink reports itself down,
    // and a probe that only asks whether the node answers does not end the refusal.
    expect(w.available).toBe(false);
    expect(o.all).toEqual([]);
    let resumed = false;
    const waiting = w.waitUntilAvailable().then(() => (resumed = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed).toBe(false);
    refusing = false;
    await w.flush();
    await waiting;
    expect(w.available).toBe(true);
    expect(o.count('indexed') + o.count('duplicate')).toBe(20);
    expect(quarantine.records).toEqual([]);
    expect(await stored(batch.map((d) => d.id))).toBe(20);
    await w.close();
  });

  it('a whole-request 403 in a row pauses the sink the same way; closing fails the held items instead of hanging', async () => {
    let refusals = 0;
    proxy.plan = (r) => {
      if (!r.path.startsWith('/_bulk')) return 'pass';
      refusals += 1;
      return { status: 403, body: { error: { type: 'security_exception', reason: 'no permissions for [indices:data/write/bulk]' }, status: 403 } };
    };
    const w = new BulkIndexer(through(proxyUrl), options({ concurrency: 1, retryMaxAttempts: 2, retryBaseMs: 10, retryMaxMs: 50 }), {
      logger,
      metrics,
      quarantine: new MemoryQuarantine(),
    });
    const o = new Outcomes();
    for (const d of docs('denied', 5)) await w.write(d, o);
    w.sendNow();
    while (refusals < 6) await new Promise((r) => setTimeout(r, 10));
    expect(w.available).toBe(false);
    expect(o.all).toEqual([]);
    await w.close();
    expect(o.count('failed')).toBe(5);
    for (const x of o.all) expect(x).toMatchObject({ status: 'failed', error: { code: 'SINK_REJECTED', retryable: true } });
  });

  it('413 (a proxy with a smaller body limit): the request is split and every document written; no attempt used, nothing quarantined', async () => {
    let tooLarge = 0;
    proxy.plan = (r) => {
      if (!r.path.startsWith('/_bulk') || bulkDocCount(r.body) <= 10) return 'pass';
      tooLarge += 1;
      return { status: 413, body: { error: { type: 'content_too_long', reason: 'Request Entity Too Large' }, status: 413 } };
    };
    const batch = docs('413', 60);
    const quarantine = new MemoryQuarantine();
    // One attempt only: a split must not count as one.
    const w = new BulkIndexer(through(proxyUrl), options({ concurrency: 1, maxDocs: 100, retryMaxAttempts: 1 }), { logger, metrics, quarantine });
    const o = new Outcomes();
    for (const d of batch) await w.write(d, o);
    await w.close();
    expect(tooLarge).toBeGreaterThanOrEqual(3);
    expect(o.count('indexed') + o.count('duplicate')).toBe(60);
    expect(quarantine.records).toEqual([]);
    expect(await stored(batch.map((d) => d.id))).toBe(60);
  });

  it('an index that cannot be created (shard limit) refuses every item: retried, never quarantined', async () => {
    let answered = 0;
    proxy.plan = (r) => {
      if (!r.path.startsWith('/_bulk') || answered >= 2) return 'pass';
      answered += 1;
      return everyItemRefused(r.body, 400, {
        type: 'validation_exception',
        reason: 'Validation Failed: 1: this action would add [2] total shards, but this cluster currently has [1000]/[1000] maximum shards open;',
      });
    };
    const batch = docs('shards', 30);
    const quarantine = new MemoryQuarantine();
    const w = new BulkIndexer(through(proxyUrl), options({ concurrency: 1 }), { logger, metrics, quarantine });
    const o = new Outcomes();
    for (const d of batch) await w.write(d, o);
    await w.close();
    expect(answered).toBe(2);
    expect(o.count('indexed') + o.count('duplicate')).toBe(30);
    expect(quarantine.records).toEqual([]);
    expect(await metricValue(metrics.bulkItemRetries, { status: '400' })).toBeGreaterThanOrEqual(30);
    expect(await stored(batch.map((d) => d.id))).toBe(30);
  });

  it('a request that times out after OpenSearch applied it comes back as 409 with the same hash: duplicate, not loss', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held = false;
    proxy.plan = (r) => {
      if (!r.path.startsWith('/_bulk') || held) return 'pass';
      held = true;
      // Forwarded only after the client gave up: the node still applies it.
      return { hold: gate };
    };
    const client = createOpenSearchClient({ ...clientCfg(proxyUrl, true), OPENSEARCH_REQUEST_TIMEOUT_MS: 1500 });
    clients.push(client);
    const batch = docs('timeout', 25);
    // Jitter pinned to its top: the retry goes out ~2 s after the timeout, after the held request
    // reached the node.
    const w = new BulkIndexer(client, options({ retryBaseMs: 2000, retryMaxMs: 2000 }), {
      logger,
      metrics,
      quarantine: new MemoryQuarantine(),
      random: () => 0.999999,
    });
    const o = new Outcomes();
    for (const d of batch) await w.write(d, o);
    setTimeout(release, 1700);
    await w.close();
    expect(o.all).toHaveLength(25);
    expect(o.count('indexed') + o.count('duplicate')).toBe(25);
    expect(o.count('duplicate')).toBe(25);
    // Under load a retry may time out too; it is then retried again and still ends as a duplicate.
    expect(await metricValue(metrics.bulkItemRetries, { status: 'timeout' })).toBeGreaterThanOrEqual(25);
    expect(await stored(batch.map((d) => d.id))).toBe(25);
  });

  it('connection resets: waitUntilAvailable resolves once OpenSearch answers again', async () => {
    proxy.plan = () => 'reset';
    const w = new BulkIndexer(through(proxyUrl), options({ retryBaseMs: 50, retryMaxMs: 100, retryMaxAttempts: 20 }), {
      logger,
      metrics,
      quarantine: new MemoryQuarantine(),
    });
    const batch = docs('reset', 10);
    const o = new Outcomes();
    for (const d of batch) await w.write(d, o);
    while (w.available) await new Promise((r) => setTimeout(r, 5));
    const back = w.waitUntilAvailable();
    let resolved = false;
    void back.then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(resolved).toBe(false);
    proxy.plan = () => 'pass';
    await back;
    expect(w.available).toBe(true);
    await w.close();
    expect(o.count('indexed') + o.count('duplicate')).toBe(10);
    expect(await metricValue(metrics.sinkAvailable)).toBe(1);
  });

  it('bounded memory: write() waits while the byte budget is spent, and resumes when requests complete', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    proxy.plan = (r) => (r.path.startsWith('/_bulk') ? { hold: gate } : 'pass');
    const batch = docs('budget', 60);
    const perDoc = Buffer.byteLength(JSON.stringify(batch[0]!.event)) + 120;
    const w = new BulkIndexer(through(proxyUrl), options({ maxBytes: perDoc * 5, maxBufferedBytes: perDoc * 15, concurrency: 1, flushIntervalMs: 5 }), {
      logger,
      metrics,
      quarantine: new MemoryQuarantine(),
    });
    const o = new Outcomes();
    let accepted = 0;
    const producer = (async () => {
      for (const d of batch) {
        await w.write(d, o);
        accepted += 1;
      }
    })();
    // Wait until the producer stalls (no timing assumption about how fast it gets there).
    for (let last = -1; accepted !== last;) {
      last = accepted;
      await new Promise((r) => setTimeout(r, 250));
    }
    const lineBytes = Math.min(...batch.map((d) => Buffer.byteLength(JSON.stringify(d.event)) + 100));
    expect(accepted).toBeLessThanOrEqual(Math.floor((perDoc * 15) / lineBytes));
    expect(accepted).toBeLessThan(60);
    expect(o.all).toHaveLength(0);
    release();
    await producer;
    await w.close();
    // A request held past the client timeout is retried and may come back as a duplicate.
    expect(o.count('indexed') + o.count('duplicate')).toBe(60);
    expect(o.all).toHaveLength(60);
  });
});
