import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Body bytes as sent on the wire. */
  wireBytes: number;
  /** The body as sent on the wire (compressed when content-encoding says so). */
  raw: Buffer;
  /** Body after undoing content-encoding. */
  body: Buffer;
}

/** What to do with one request: pass it to the real node, answer it here, or cut the connection. */
export type Plan = 'pass' | 'reset' | { status: number; body?: unknown } | { hold: Promise<void> };

/**
 * A real HTTP server on 127.0.0.1 in front of the real OpenSearch node: the seam for faults
 * (503/429 answers, per-item rejections, resets, held responses) without mocking the client.
 */
export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  plan: (req: SeenRequest) => Plan = () => 'pass';
  private server: Server | undefined;

  constructor(private readonly target: URL) {}

  /** `port`: listen on this one (a port that was closed until now); default any free port. */
  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        const seen: SeenRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, wireBytes: raw.length, raw, body };
        this.seen.push(seen);
        void this.handle(this.plan(seen), seen, raw, req.headers, res);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(plan: Plan, seen: SeenRequest, raw: Buffer, headers: IncomingHttpHeaders, res: import('node:http').ServerResponse): Promise<void> {
    if (typeof plan === 'object' && 'hold' in plan) {
      await plan.hold;
      plan = 'pass';
    }
    if (plan === 'reset') {
      res.socket?.destroy();
      return;
    }
    if (plan !== 'pass') {
      const text = JSON.stringify(plan.body ?? { error: { type: 'injected', reason: 'fault proxy' }, status: plan.status });
      res.writeHead(plan.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const up = request(
      { host: this.target.hostname, port: this.target.port, method: seen.method, path: seen.path, headers: { ...headers, host: this.target.host } },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.socket?.destroy());
    up.end(raw);
  }
}

/** Number of documents in a `_bulk` NDJSON body (action + source per document). */
export function bulkDocCount(body: Buffer): number {
  let lines = 0;
  for (const b of body) if (b === 0x0a) lines += 1;
  return lines / 2;
}
