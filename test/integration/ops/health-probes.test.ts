import { request } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { createLogger } from '../../../src/core/log.js';
import { probeOpenSearch, probeSqs, readinessFrom, startHealthServer } from '../../../src/ops/health.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { createOpenSearchClient } from '../../../src/sinks/opensearch/client.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { Resources } from './support.js';

const res = new Resources();
const quiet = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
const os = (url: string) =>
  createOpenSearchClient(loadConfigOrThrow({ env: { OPENSEARCH_URL: url, OPENSEARCH_REQUEST_TIMEOUT_MS: '2000', BULK_GZIP: 'false' } }));

afterAll(async () => {
  await res.cleanup();
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (body += c));
      r.on('end', () => {
        resolve({ status: r.statusCode ?? 0, body });
      });
    })
      .on('error', reject)
      .end();
  });
}

describe('readiness probes against the local stack', () => {
  it('probeSqs answers for an existing queue and rejects a missing one', async () => {
    const q = await res.queue();
    await expect(probeSqs(res.sqs, q.url)).resolves.toBeUndefined();
    await expect(probeSqs(res.sqs, `${stackEnv().awsEndpointUrl}/123456789012/${uniqueName('t-ops-none')}`)).rejects.toThrow(/exist/i);
  });

  it('probeOpenSearch answers for the local node and rejects a closed port', async () => {
    const good = os(stackEnv().opensearchUrl);
    const bad = os('http://127.0.0.1:1');
    await expect(probeOpenSearch(good)).resolves.toBeUndefined();
    await expect(probeOpenSearch(bad)).rejects.toThrow();
    await Promise.all([good.close(), bad.close()]);
  });

  it('/readyz goes 503 naming sqs when the queue disappears, after the cache expires', async () => {
    const q = await res.queue();
    const client = os(stackEnv().opensearchUrl);
    const server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      metrics: createMetrics({ defaultMetrics: false }),
      readiness: readinessFrom({ sqs: () => probeSqs(res.sqs, q.url), opensearch: () => probeOpenSearch(client) }),
      cacheMs: 200,
      logger: quiet,
    });
    try {
      expect((await get(server.port, '/readyz')).status).toBe(200);
      await res.cleanupQueue(q.url);
      // Served from cache until it expires.
      expect((await get(server.port, '/readyz')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 250));
      const after = await get(server.port, '/readyz');
      expect(after.status).toBe(503);
      expect(JSON.parse(after.body)).toMatchObject({ status: 'not ready', failed: ['sqs'] });
      expect((await get(server.port, '/livez')).status).toBe(200);
    } finally {
      await server.close();
      await client.close();
    }
  });
});
