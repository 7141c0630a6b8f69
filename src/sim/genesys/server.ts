import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createRandom, generateDataset, type Dataset, type DatasetOptions } from './dataset.js';
import type { AuditGenerationOptions, SimAuditMessage } from './audit-messages.js';
import { AUDIT_PERMISSIONS, AuditBackend, type AuditFaults } from './audits.js';
import { handleApi, type ApiContext } from './routes.js';

/**
 * A Genesys Cloud Platform API stand-in on 127.0.0.1: the real paths and JSON field names of the
 * endpoints the worker uses, client-credentials login, token expiry, permissions (403), a
 * per-minute rate limit answered with 429 + Retry-After, injected 5xx and outages, latency, and a
 * log of every request with its arrival and response times.
 */

export const ALL_PERMISSIONS = [
  'analytics:conversationDetail:view',
  'recording:recording:view',
  'directory:user:view',
  AUDIT_PERMISSIONS.audits,
  AUDIT_PERMISSIONS.quality,
] as const;

export interface SimClient {
  readonly id: string;
  readonly secret: string;
  readonly permissions?: readonly string[];
}

export interface ScriptedFault {
  readonly status: number;
  /** Sent as Retry-After (seconds) with a 429. */
  readonly retryAfterSecs?: number;
  /** Applies to this endpoint only; any API endpoint when absent. */
  readonly endpoint?: string;
}

export interface SimulatorFaults extends AuditFaults {
  readonly latencyMs?: number;
  /** API requests accepted per rolling minute; 0 = unlimited. */
  readonly rateLimitPerMin?: number;
  /** Share of API requests answered with `errorStatus`. */
  readonly errorRate?: number;
  readonly errorStatus?: number;
  /** Answers for the next API requests, in order, before any other rule. */
  readonly script?: readonly ScriptedFault[];
  /** Every connection is dropped without an answer (Genesys unreachable). */
  readonly down?: boolean;
  readonly tokenExpirySecs?: number;
}

export interface SimulatorOptions extends SimulatorFaults {
  readonly port?: number;
  readonly dataset?: Dataset | DatasetOptions;
  readonly clients?: readonly SimClient[];
  readonly seed?: number;
  readonly maxIdsPerRequest?: number;
  /** The generated audit trail (audits.ts); false: none, only messages added with addAuditMessages. */
  readonly audits?: AuditGenerationOptions | false;
}

export interface RequestRecord {
  /** Arrival, epoch ms with fractions. */
  readonly at: number;
  /** When the answer was written (or the connection dropped). */
  respondedAt: number;
  readonly method: string;
  readonly path: string;
  readonly endpoint: string;
  status: number;
  retryAfterSecs?: number;
  readonly ids?: number;
}

export interface SimulatorStats {
  readonly requests: Readonly<Record<string, number>>;
  readonly statuses: Readonly<Record<string, number>>;
  readonly log: readonly RequestRecord[];
  readonly tokensIssued: number;
}

export interface GenesysSimulator {
  readonly url: string;
  readonly port: number;
  readonly dataset: Dataset;
  readonly clients: readonly SimClient[];
  stats(): SimulatorStats;
  resetStats(): void;
  setFaults(faults: SimulatorFaults): void;
  /** Every issued token is rejected from now on (401), as after an expiry. */
  revokeTokens(): void;
  /** Adds messages to the audit trail, visible auditVisibilityLagMs after max(eventDate, now). */
  addAuditMessages(messages: readonly SimAuditMessage[]): void;
  /** The whole audit trail (generated and added), in the order added. */
  auditMessages(): readonly SimAuditMessage[];
  /** Every audit results cursor issued so far is refused from now on. */
  expireAuditCursors(): void;
  /** The next `n` audit queries end Failed. */
  failNextAuditQueries(n: number): void;
  close(): Promise<void>;
}

export const DEFAULT_CLIENT: SimClient = { id: 'sim-client', secret: 'sim-secret', permissions: ALL_PERMISSIONS };
const LOG_LIMIT = 200_000;
const WINDOW_MS = 60_000;

function now(): number {
  return performance.timeOrigin + performance.now();
}

export async function startGenesysSimulator(options: SimulatorOptions = {}): Promise<GenesysSimulator> {
  const dataset =
    options.dataset !== undefined && 'recordingById' in options.dataset ? options.dataset : generateDataset(options.dataset ?? { seed: options.seed ?? 1 });
  const clients = options.clients ?? [DEFAULT_CLIENT];
  let faults: SimulatorFaults = { ...options };
  let script: ScriptedFault[] = [...(options.script ?? [])];
  const rand = createRandom((options.seed ?? dataset.seed) ^ 0x5eed);
  const tokens = new Map<string, { client: SimClient; expiresAt: number }>();
  const accepted: number[] = [];
  let log: RequestRecord[] = [];
  let requests: Record<string, number> = {};
  let statuses: Record<string, number> = {};
  let tokensIssued = 0;
  const sockets = new Set<import('node:net').Socket>();

  const audits = new AuditBackend({ dataset, generate: options.audits ?? {}, faults: () => faults, random: rand });
  const ctx: ApiContext = { dataset, maxIds: options.maxIdsPerRequest ?? 100, audits };

  function record(req: IncomingMessage, endpoint: string, ids?: number): RequestRecord {
    const rec: RequestRecord = {
      at: now(),
      respondedAt: 0,
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0]!,
      endpoint,
      status: 0,
      ...(ids !== undefined ? { ids } : {}),
    };
    requests[endpoint] = (requests[endpoint] ?? 0) + 1;
    if (log.length < LOG_LIMIT) log.push(rec);
    return rec;
  }

  function send(res: ServerResponse, rec: RequestRecord, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const write = (): void => {
      rec.status = status;
      rec.respondedAt = now();
      statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'inin-correlation-id': randomBytes(8).toString('hex'),
        ...headers,
      });
      res.end(text);
    };
    const latency = faults.latencyMs ?? 0;
    if (latency > 0) setTimeout(write, latency);
    else write();
  }

  function errorBody(status: number, code: string, message: string): Record<string, unknown> {
    return { message, code, status, contextId: randomBytes(8).toString('hex'), details: [], errors: [] };
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const endpoint = endpointOf(req.method ?? 'GET', url.pathname);
    const idsParam = url.searchParams.get('id');
    const rec = record(req, endpoint, idsParam !== null ? idsParam.split(',').filter((s) => s !== '').length : undefined);
    if (faults.down === true) {
      rec.respondedAt = now();
      req.socket.destroy();
      return;
    }
    if (endpoint === 'oauth_token') return login(req, res, rec, body);

    const auth = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    const token = auth?.[1] !== undefined ? tokens.get(auth[1]) : undefined;
    if (token === undefined || token.expiresAt <= Date.now()) {
      send(res, rec, 401, errorBody(401, 'authentication.required', 'No authentication bearer token specified in authorization header.'));
      return;
    }
    const fault = nextFault(endpoint);
    if (fault !== undefined) {
      if (fault.status === 429) {
        const secs = fault.retryAfterSecs ?? 1;
        rec.retryAfterSecs = secs;
        send(res, rec, 429, errorBody(429, 'too.many.requests.retry.after', `Rate limit exceeded the maximum. Retry the request in [${secs}] seconds`), {
          'retry-after': String(secs),
        });
      } else send(res, rec, fault.status, errorBody(fault.status, 'service.unavailable', 'Injected failure.'));
      return;
    }
    const limit = faults.rateLimitPerMin ?? 0;
    if (limit > 0) {
      const t = now();
      while (accepted.length > 0 && accepted[0]! <= t - WINDOW_MS) accepted.shift();
      if (accepted.length >= limit) {
        const secs = Math.max(1, Math.ceil((accepted[0]! + WINDOW_MS - t) / 1000));
        rec.retryAfterSecs = secs;
        send(res, rec, 429, errorBody(429, 'too.many.requests.retry.after', `Rate limit exceeded the maximum. Retry the request in [${secs}] seconds`), {
          'retry-after': String(secs),
        });
        return;
      }
      accepted.push(t);
    }
    let json: unknown;
    if (body.trim() !== '') {
      try {
        json = JSON.parse(body);
      } catch {
        send(res, rec, 400, errorBody(400, 'bad.request', 'The request body is not valid JSON.'));
        return;
      }
    }
    const result = handleApi(ctx, req.method ?? 'GET', url, { clientId: token.client.id, permissions: token.client.permissions ?? ALL_PERMISSIONS }, json);
    send(res, rec, result.status, result.status >= 400 ? errorBody(result.status, result.code ?? 'error', result.message ?? 'error') : result.body);
  }

  function nextFault(endpoint: string): ScriptedFault | undefined {
    const i = script.findIndex((f) => f.endpoint === undefined || f.endpoint === endpoint);
    if (i >= 0) return script.splice(i, 1)[0];
    const rate = faults.errorRate ?? 0;
    if (rate > 0 && rand() < rate) return { status: faults.errorStatus ?? 503 };
    return undefined;
  }

  function login(req: IncomingMessage, res: ServerResponse, rec: RequestRecord, body: string): void {
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    const [id, secret] = basic?.[1] !== undefined ? Buffer.from(basic[1], 'base64').toString('utf8').split(':') : [];
    const client = clients.find((c) => c.id === id && c.secret === secret);
    if (new URLSearchParams(body).get('grant_type') !== 'client_credentials') {
      send(res, rec, 400, {
        error: 'unsupported_grant_type',
        description: 'grant_type must be client_credentials',
        error_description: 'grant_type must be client_credentials',
      });
      return;
    }
    if (client === undefined) {
      send(res, rec, 401, { error: 'invalid_client', description: 'client not found', error_description: 'client not found' });
      return;
    }
    const expiresIn = faults.tokenExpirySecs ?? 86_400;
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, { client, expiresAt: Date.now() + expiresIn * 1000 });
    tokensIssued++;
    send(res, rec, 200, { access_token: token, token_type: 'bearer', expires_in: expiresIn });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataset,
    clients,
    stats: () => ({ requests: { ...requests }, statuses: { ...statuses }, log: [...log], tokensIssued }),
    resetStats() {
      log = [];
      requests = {};
      statuses = {};
      tokensIssued = 0;
    },
    setFaults(f) {
      faults = { ...faults, ...f };
      if (f.script !== undefined) script = [...f.script];
    },
    revokeTokens() {
      tokens.clear();
    },
    addAuditMessages: (messages) => audits.add(messages),
    auditMessages: () => audits.messages(),
    expireAuditCursors: () => audits.expireCursors(),
    failNextAuditQueries: (n) => audits.failNextQueries(n),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Endpoint names as the worker's metrics use them. */
export function endpointOf(method: string, path: string): string {
  if (method === 'POST' && /\/oauth\/token$/.test(path)) return 'oauth_token';
  if (path === '/api/v2/analytics/conversations/details') return 'conversation_details';
  if (path === '/api/v2/users') return 'users';
  if (path === '/api/v2/users/search') return 'users_search';
  if (path === '/api/v2/users/me') return 'users_me';
  if (/^\/api\/v2\/conversations\/[^/]+\/recordingmetadata(\/[^/]+)?$/.test(path)) return 'recording_metadata';
  if (path === '/api/v2/recordings/retention/query') return 'retention_query';
  if (path === '/api/v2/tokens/me') return 'tokens_me';
  if (path === '/api/v2/organizations/me') return 'organizations_me';
  const audit = /^\/api\/v2\/(quality\/conversations\/)?audits\/query(\/[^/]+)?(\/results)?$/.exec(path);
  if (audit !== null) {
    const prefix = audit[1] !== undefined ? 'quality_audits' : 'audits';
    if (audit[2] === '/servicemapping' && audit[1] === undefined) return 'audits_servicemapping';
    return `${prefix}_${audit[3] !== undefined ? 'results' : audit[2] !== undefined ? 'status' : 'query'}`;
  }
  return 'unknown';
}
