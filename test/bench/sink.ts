/**
 * Sink micro-benchmark: BulkIndexer against the raw `_bulk` loop (rawBulkLoad) with the same client,
 * the same documents and the same batch size, on the local stack. Prints docs/s and the ratio.
 *
 *   npm run bench -- sink [docs=50000] [batch=2000] [rounds=3] [fake]
 *
 * `fake`: instead of OpenSearch, a child process on 127.0.0.1 answers every bulk item 201 at once,
 * which isolates the client-side cost (serialization, gzip, bookkeeping) of both paths.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Client } from '@opensearch-project/opensearch';
import { createLogger } from '../../src/core/log.js';
import type { IndexableEvent } from '../../src/event/types.js';
import { createMetrics } from '../../src/core/metrics.js';
import { BulkIndexer, type ItemOutcome } from '../../src/sinks/opensearch/bulk.js';
import { createOpenSearchClient } from '../../src/sinks/opensearch/client.js';
import { ensureIndexSetupWith } from '../../src/sinks/opensearch/install.js';
import { rawBulkLoad } from './raw-bulk.js';
import type { QuarantineStore } from '../../src/sinks/quarantine/record.js';
import { dropPrefix, MAPPINGS, testDoc } from '../integration/sinks/support.js';
import { stackEnv, uniqueName } from '../support/stack-env.js';

const logger = createLogger('error');
const noQuarantine: QuarantineStore = { put: () => Promise.reject(new Error('unexpected quarantine')), close: () => Promise.resolve() };

function corpus(n: number): IndexableEvent[] {
  return Array.from({ length: n }, (_, i) =>
    testDoc('bench', i, `2024-08-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:00Z`, (e) => {
      e.aws.s3access.request_id = `REQ${i}`.padEnd(16, 'X');
      e.aws.s3.object.key = `org/abc/recordings/${i}/conversation-${i}-media.opus`.padEnd(200, '-');
      e.log.file.path = 's3://audit-logs/recordings/2024-08-01-00-00-00-0123456789ABCDEF';
    }),
  );
}

const FAKE_NODE = `
const { createServer } = require('node:http');
const { gunzipSync } = require('node:zlib');
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    let text = '{}';
    if (req.url.startsWith('/_bulk')) {
      let lines = 0;
      for (const b of body) if (b === 10) lines += 1;
      text = '{"errors":false,"items":[' + new Array(lines / 2).fill('{"create":{"status":201}}').join(',') + ']}';
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startFake(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', FAKE_NODE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}`, child };
}

let fake = false;

async function setup(client: Client, prefix: string): Promise<void> {
  if (fake) return;
  await ensureIndexSetupWith(client, { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 }, logger, MAPPINGS);
}

async function raw(client: Client, docs: IndexableEvent[], batch: number, gzip: boolean): Promise<number> {
  const prefix = uniqueName('t-bench-raw');
  await setup(client, prefix);
  const t0 = performance.now();
  const summary = await rawBulkLoad(client, docs, batch, prefix, gzip);
  const seconds = (performance.now() - t0) / 1000;
  if (!fake) await dropPrefix(client, prefix);
  if (summary.itemErrors > 0) throw new Error(`raw baseline had ${summary.itemErrors} item errors`);
  return docs.length / seconds;
}

async function sink(client: Client, docs: IndexableEvent[], batch: number, concurrency: number, gzip: boolean): Promise<number> {
  const prefix = uniqueName('t-bench-sink');
  await setup(client, prefix);
  let indexed = 0;
  const tracker = {
    onOutcome: (o: ItemOutcome): void => {
      if (o.status === 'indexed') indexed += 1;
    },
  };
  const indexer = new BulkIndexer(
    client,
    {
      prefix,
      maxBytes: 100 * 1024 * 1024,
      maxDocs: batch,
      flushIntervalMs: 1000,
      concurrency,
      gzip,
      retryBaseMs: 200,
      retryMaxMs: 30_000,
      retryMaxAttempts: 8,
    },
    { logger, metrics: createMetrics({ defaultMetrics: false }), quarantine: noQuarantine },
  );
  const t0 = performance.now();
  for (const d of docs) await indexer.write(d, tracker);
  await indexer.flush();
  const seconds = (performance.now() - t0) / 1000;
  await indexer.close();
  if (!fake) await dropPrefix(client, prefix);
  if (indexed !== docs.length) throw new Error(`sink indexed ${indexed} of ${docs.length}`);
  return docs.length / seconds;
}

export async function bench(args: string[]): Promise<void> {
  const n = Number(args[0] ?? 50_000);
  const batch = Number(args[1] ?? 2000);
  const rounds = Number(args[2] ?? 3);
  fake = args.includes('fake');
  const server = fake ? await startFake() : undefined;
  const docs = corpus(n);
  const bytes = docs.reduce((s, d) => s + Buffer.byteLength(JSON.stringify(d.event)), 0);
  console.log(`sink bench${fake ? ' (fake node: client-side cost only)' : ''}: ${n} docs, ${(bytes / n).toFixed(0)} B/doc, batch ${batch}, ${rounds} rounds`);
  for (const gzip of [true, false]) {
    const client = createOpenSearchClient({
      OPENSEARCH_URL: server?.url ?? stackEnv().opensearchUrl,
      OPENSEARCH_AUTH: 'none',
      OPENSEARCH_USERNAME: undefined,
      OPENSEARCH_PASSWORD: undefined,
      OPENSEARCH_SIGV4_SERVICE: 'es',
      OPENSEARCH_REQUEST_TIMEOUT_MS: 60_000,
    });
    const results: Record<string, number[]> = { raw: [], 'sink c=1': [], 'sink c=2': [] };
    for (let r = 0; r < rounds; r += 1) {
      results.raw!.push(await raw(client, docs, batch, gzip));
      results['sink c=1']!.push(await sink(client, docs, batch, 1, gzip));
      results['sink c=2']!.push(await sink(client, docs, batch, 2, gzip));
    }
    await client.close();
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const base = median(results.raw!);
    for (const [name, xs] of Object.entries(results)) {
      console.log(
        `gzip=${gzip} ${name.padEnd(9)} median ${median(xs).toFixed(0).padStart(7)} docs/s  ratio ${(median(xs) / base).toFixed(2)}  runs ${xs.map((x) => x.toFixed(0)).join(' ')}`,
      );
    }
  }
  server?.child.kill();
}

if (process.argv[1]?.endsWith('sink.ts')) await bench(process.argv.slice(2));
