import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { createLogger } from '../../../src/core/log.js';
import { startHealthServer, readinessFrom, type HealthServer, type ReadinessReport } from '../../../src/ops/health.js';
import { createMetrics } from '../../../src/core/metrics.js';

const logLines: string[] = [];
const logger = createLogger(
  'info',
  new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString('utf8'));
      cb();
    },
  }),
);

function get(port: number, path: string, method = 'GET', host = '127.0.0.1'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  logLines.length = 0;
});

const okReport = (): Promise<ReadinessReport> =>
  Promise.resolve({ ready: true, checkedAt: new Date().toISOString(), probes: [{ name: 'sqs', ok: true, durationMs: 1 }] });

describe('health server', () => {
  it('answers /livez with 200 on an ephemeral port', async () => {
    server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics: createMetrics({ defaultMetrics: false }), readiness: okReport, logger });
    expect(server.port).toBeGreaterThan(0);
    const res = await get(server.port, '/livez');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'alive' });
  });

  it('answers /readyz 200 when every probe passes', async () => {
    const readiness = readinessFrom({ sqs: () => Promise.resolve(), opensearch: () => Promise.resolve() });
    server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics: createMetrics({ defaultMetrics: false }), readiness, logger });
    const res = await get(server.port, '/readyz');
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { status: string; failed: string[]; probes: { name: string; ok: boolean }[] };
    expect(body.status).toBe('ready');
    expect(body.failed).toEqual([]);
    expect(body.probes.map((p) => p.name).sort()).toEqual(['opensearch', 'sqs']);
  });

  it('answers /readyz 503 naming the failed probe; the reason goes to the log only, secret-free', async () => {
    const readiness = readinessFrom({
      sqs: () => Promise.resolve(),
      opensearch: () => Promise.reject(new Error('connect ECONNREFUSED https://x/?X-Amz-Signature=abcdef123')),
    });
    server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics: createMetrics({ defaultMetrics: false }), readiness, logger });
    const res = await get(server.port, '/readyz');
    expect(res.status).toBe(503);
    const body = JSON.parse(res.body) as { status: string; failed: string[]; probes: { name: string; ok: boolean; error?: string }[] };
    expect(body.status).toBe('not ready');
    expect(body.failed).toEqual(['opensearch']);
    expect(res.body).not.toContain('ECONNREFUSED');
    expect(logLines.join('')).toContain('ECONNREFUSED');
    expect(res.body).not.toContain('abcdef123');
    expect(logLines.join('')).not.toContain('abcdef123');
  });

  it('while the process starts: 503 "starting" naming what it waits for, never cached past the start', async () => {
    let starting = true;
    const readiness = (): Promise<ReadinessReport> =>
      starting
        ? Promise.resolve({
            ready: false,
            checkedAt: new Date().toISOString(),
            probes: [
              { name: 'opensearch', ok: false, durationMs: 0, error: 'ConnectionError: connect ECONNREFUSED 127.0.0.1:9200' },
              { name: 'sqs', ok: true, durationMs: 0 },
            ],
            waitingFor: ['opensearch'],
          })
        : okReport();
    server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics: createMetrics({ defaultMetrics: false }), readiness, logger, cacheMs: 60_000 });
    const res = await get(server.port, '/readyz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'starting', failed: ['opensearch'], waitingFor: ['opensearch'] });
    expect(res.body).not.toContain('ECONNREFUSED');
    starting = false;
    const after = await get(server.port, '/readyz');
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body)).not.toHaveProperty('waitingFor');
  });

  it('serves probe names and ok/fail only, never the error of a dependency (it names ARNs)', async () => {
    const arn = 'arn:aws:sqs:us-east-1:123456789012:recording-audit-log-objects';
    const readiness = readinessFrom({
      sqs: () =>
        Promise.reject(
          new Error(
            `User: arn:aws:sts::123456789012:assumed-role/recording-audit-task/x is not authorized to perform: sqs:getqueueattributes on resource: ${arn}`,
          ),
        ),
      opensearch: () => Promise.resolve(),
    });
    server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics: createMetrics({ defaultMetrics: false }), readiness, logger });
    const res = await get(server.port, '/readyz');
    expect(res.status).toBe(503);
    const body = JSON.parse(res.body) as { probes: Record<string, unknown>[] };
    expect(body.probes.map((p) => Object.keys(p).sort())).toEqual([
      ['name', 'ok'],
      ['name', 'ok'],
    ]);
    expect(body.probes).toContainEqual({ name: 'sqs', ok: false });
    expect(res.body).not.toContain('arn:aws');
    expect(res.body).not.toContain('123456789012');
  });

  it('times out a probe that never answers', async () => {
    const readiness = readinessFrom({ genesys: () => new Promise<void>(() => undefined) }, { timeoutMs: 50 });
    server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics: createMetrics({ defaultMetrics: false }), readiness, logger });
    const res = await get(server.port, '/readyz');
    expect(res.status).toBe(503);
    expect(logLines.join('')).toContain('did not answer within 50 ms');
  });

  it('caches readiness and coalesces concurrent requests', async () => {
    let calls = 0;
    const readiness = async (): Promise<ReadinessReport> => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 20));
      return okReport();
    };
    server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics: createMetrics({ defaultMetrics: false }), readiness, logger, cacheMs: 60_000 });
    const port = server.port;
    const results = await Promise.all([get(port, '/readyz'), get(port, '/readyz'), get(port, '/readyz')]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    await get(port, '/readyz');
    expect(calls).toBe(1);
  });

  it('re-probes after the cache expires', async () => {
    let calls = 0;
    const readiness = (): Promise<ReadinessReport> => {
      calls += 1;
      return okReport();
    };
    server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics: createMetrics({ defaultMetrics: false }), readiness, logger, cacheMs: 0 });
    await get(server.port, '/readyz');
    await get(server.port, '/readyz');
    expect(calls).toBe(2);
  });

  it('turns a throwing readiness function into 503', async () => {
    server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      metrics: createMetrics({ defaultMetrics: false }),
      readiness: () => Promise.reject(new Error('boom')),
      logger,
    });
    const res = await get(server.port, '/readyz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ failed: ['readiness'] });
    expect(res.body).not.toContain('boom');
    expect(logLines.join('')).toContain('boom');
  });

  it('serves Prometheus text on /metrics including the probe gauge', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.messagesReceived.inc(3);
    const readiness = readinessFrom({ sqs: () => Promise.resolve(), opensearch: () => Promise.reject(new Error('down')) });
    server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics, readiness, logger });
    await get(server.port, '/readyz');
    const res = await get(server.port, '/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toContain('text/plain');
    expect(res.body).toContain('recording_audit_sqs_messages_received_total 3');
    expect(res.body).toContain('recording_audit_readiness_probe_up{probe="sqs"} 1');
    expect(res.body).toContain('recording_audit_readiness_probe_up{probe="opensearch"} 0');
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics: createMetrics({ defaultMetrics: false }), readiness: okReport, logger });
    expect((await get(server.port, '/nope')).status).toBe(404);
    expect((await get(server.port, '/livez', 'POST')).status).toBe(405);
    const head = await get(server.port, '/livez', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('close() releases the port', async () => {
    const s = await startHealthServer({ host: '127.0.0.1', port: 0, metrics: createMetrics({ defaultMetrics: false }), readiness: okReport, logger });
    await get(s.port, '/livez');
    await s.close();
    await expect(get(s.port, '/livez')).rejects.toThrow(/ECONNREFUSED/);
  });

  // Not reachable from the network unless HEALTH_HOST says so.
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && !i.internal && i.family === 'IPv4')?.address;
  it.skipIf(external === undefined)('binds to loopback by default: not reachable on a network interface', async () => {
    const cfg = loadConfigOrThrow({ env: {} });
    expect(cfg.HEALTH_HOST).toBe('127.0.0.1');
    server = await startHealthServer({ host: cfg.HEALTH_HOST, port: 0, metrics: createMetrics({ defaultMetrics: false }), readiness: okReport, logger });
    expect((await get(server.port, '/livez')).status).toBe(200);
    await expect(get(server.port, '/livez', 'GET', external)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rejects when the port is taken', async () => {
    server = await startHealthServer({ host: '127.0.0.1', port: 0, metrics: createMetrics({ defaultMetrics: false }), readiness: okReport, logger });
    await expect(
      startHealthServer({ host: '127.0.0.1', port: server.port, metrics: createMetrics({ defaultMetrics: false }), readiness: okReport, logger }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
