import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { redactSecretsInText } from '../core/redact-text.js';
import type { Metrics } from '../core/metrics.js';

/** The outcome of one readiness probe. `error` is secret-free, for the log; /readyz never serves it. */
export interface ProbeResult {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly error?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checkedAt: string;
  readonly probes: readonly ProbeResult[];
  /** Set while the process is still starting: the dependencies it waits for before it receives. */
  readonly waitingFor?: readonly string[];
}

/** A probe resolves when its dependency answers and rejects (with the reason) when it does not. */
export type Probe = () => Promise<void>;

/** Default per-probe timeout: an ALB/ECS health check must get an answer before its own timeout. */
export const DEFAULT_PROBE_TIMEOUT_MS = 3000;

/** SQS answers and this principal may read the queue's attributes (sqs:GetQueueAttributes). */
export async function probeSqs(sqs: SQSClient, queueUrl: string): Promise<void> {
  await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
}

/**
 * OpenSearch answers `HEAD /`. A ping needs only es:ESHttpHead, which the writer role has; cluster
 * health would need monitor rights the worker deliberately lacks.
 */
export async function probeOpenSearch(client: OpenSearchClient): Promise<void> {
  const res = await client.ping();
  if (!res.body) throw new Error(`OpenSearch answered HEAD / with HTTP ${String(res.statusCode)}`);
}

function withTimeout(name: string, probe: Probe, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${name} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  return Promise.race([probe(), timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/**
 * Turns named probes into the `readiness` function of the health server. Probes run concurrently,
 * each bounded by `timeoutMs`; one failing never hides another's result.
 */
export function readinessFrom(probes: Readonly<Record<string, Probe>>, options: { timeoutMs?: number } = {}): () => Promise<ReadinessReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  return async () => {
    const results = await Promise.all(
      Object.entries(probes).map(async ([name, probe]): Promise<ProbeResult> => {
        const started = performance.now();
        try {
          await withTimeout(name, probe, timeoutMs);
          return { name, ok: true, durationMs: Math.round(performance.now() - started) };
        } catch (err) {
          const { code, message } = describeError(err);
          return { name, ok: false, durationMs: Math.round(performance.now() - started), error: redactSecretsInText(`${code}: ${message}`) };
        }
      }),
    );
    return { ready: results.every((r) => r.ok), checkedAt: new Date().toISOString(), probes: results };
  };
}

export interface HealthServerOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: Metrics;
  readonly readiness: () => Promise<ReadinessReport>;
  /** How long a readiness report is served from cache; probes hit real services. Default 5000. */
  readonly cacheMs?: number;
  readonly logger: Logger;
}

export interface HealthServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const json = (res: ServerResponse, status: number, value: unknown): void => {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`);
};

/**
 * /livez, /readyz and /metrics on plain HTTP. Liveness answers from the event loop itself, so a
 * blocked loop shows as a timeout to the orchestrator rather than as a false 200. Readiness is
 * cached and coalesced so a burst of health checks costs one round of probes.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const { metrics, logger } = options;
  const cacheMs = options.cacheMs ?? 5000;
  const startedAt = Date.now();
  let cached: { report: ReadinessReport; at: number } | undefined;
  let inFlight: Promise<ReadinessReport> | undefined;

  const readiness = (): Promise<ReadinessReport> => {
    // A report of a process still starting costs no probe, and must not outlive the start.
    if (cached !== undefined && cached.report.waitingFor === undefined && Date.now() - cached.at < cacheMs) return Promise.resolve(cached.report);
    inFlight ??= options
      .readiness()
      .catch((err: unknown): ReadinessReport => {
        const { code, message } = describeError(err);
        return {
          ready: false,
          checkedAt: new Date().toISOString(),
          probes: [{ name: 'readiness', ok: false, durationMs: 0, error: redactSecretsInText(`${code}: ${message}`) }],
        };
      })
      .then((report) => {
        const previous = cached?.report;
        cached = { report, at: Date.now() };
        for (const probe of report.probes) metrics.readinessProbeUp.set({ probe: probe.name }, probe.ok ? 1 : 0);
        if (previous?.ready !== report.ready) {
          const failed = report.probes.filter((p) => !p.ok).map((p) => ({ probe: p.name, error: p.error }));
          if (report.ready) logger.info({ probes: report.probes.map((p) => p.name) }, 'Readiness probes pass.');
          else logger.warn({ failed }, 'Readiness probes fail.');
        }
        return report;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://health').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      json(res, 405, { error: 'method not allowed' });
      return;
    }
    switch (path) {
      case '/livez':
        json(res, 200, { status: 'alive', uptimeSecs: Math.round((Date.now() - startedAt) / 1000) });
        return;
      case '/readyz': {
        const report = await readiness();
        const failed = report.probes.filter((p) => !p.ok).map((p) => p.name);
        // Names and ok/fail only: a dependency's error names its ARNs and endpoints, which anyone
        // who reaches this port would read. The reasons are in the log ('Readiness probes fail.').
        const probes = report.probes.map((p) => ({ name: p.name, ok: p.ok }));
        json(res, report.ready ? 200 : 503, {
          status: report.waitingFor !== undefined ? 'starting' : report.ready ? 'ready' : 'not ready',
          failed,
          ...(report.waitingFor !== undefined ? { waitingFor: report.waitingFor } : {}),
          checkedAt: report.checkedAt,
          probes,
        });
        return;
      }
      case '/metrics':
        send(res, 200, metrics.registry.contentType, await metrics.registry.metrics());
        return;
      default:
        json(res, 404, { error: 'not found', paths: ['/livez', '/readyz', '/metrics'] });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err: describeError(err), path: req.url }, 'Health endpoint failed.');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  // Health checks are short; an idle keep-alive socket must not hold shutdown open.
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ host: options.host, port }, 'Health server listening.');

  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => {
          if (err) reject(err);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
