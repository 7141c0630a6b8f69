import { startGenesysSimulator } from '../sim/genesys/server.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: recording-audit genesys-sim [options]

Runs the Genesys Cloud API simulator on 127.0.0.1 until SIGINT/SIGTERM and prints one JSON line
with its URL and client credentials. Point the worker at it with GENESYS_API_URL=<url>,
GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET.

Options:
  --port N                 Port (default 0: any free port)
  --latency-ms N           Delay of every answer (default 0)
  --rate-limit-per-min N   API requests accepted per rolling minute, then 429 + Retry-After (default 0: none)
  --error-rate F           Share of API requests answered 503 (default 0)
  --token-expiry-secs N    Lifetime of issued tokens (default 86400)
  --seed N                 Dataset seed (default 1)
  --orgs N                 Organizations (default 1)
  --users N                Users (default 50)
  --conversations N        Conversations (default 200)
  --recordings N           Recordings, at least one per conversation (default 1.5 per conversation)
  --client-id ID           OAuth client id (default sim-client)
  --client-secret S        OAuth client secret (default sim-secret)
  --permissions LIST       Comma-separated permissions of the client (default: all the worker needs)
  --audit-query-delay-ms N     Time an audit query spends Queued, then Running (default 0)
  --audit-fail-rate F          Share of audit queries that end Failed (default 0)
  --audit-visibility-lag-ms N  An audit message is visible this long after its eventDate (default 0)
  --audit-cursor-ttl-ms N      Audit results cursors expire after this (default 600000)
  --audit-bad-share F          Share of generated audit messages without context or with an unknown action (default 0)
`;

function num(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      port: { type: 'string' },
      'latency-ms': { type: 'string' },
      'rate-limit-per-min': { type: 'string' },
      'error-rate': { type: 'string' },
      'token-expiry-secs': { type: 'string' },
      seed: { type: 'string' },
      orgs: { type: 'string' },
      users: { type: 'string' },
      conversations: { type: 'string' },
      recordings: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      permissions: { type: 'string' },
      'audit-query-delay-ms': { type: 'string' },
      'audit-fail-rate': { type: 'string' },
      'audit-visibility-lag-ms': { type: 'string' },
      'audit-cursor-ttl-ms': { type: 'string' },
      'audit-bad-share': { type: 'string' },
    },
    HELP,
  );
  if (!args.ok) return args.exit;
  const values = args.values;
  let sim;
  try {
    const seed = num(values.seed, 'seed', 1);
    const conversations = num(values.conversations, 'conversations', 200);
    sim = await startGenesysSimulator({
      port: num(values.port, 'port', 0),
      latencyMs: num(values['latency-ms'], 'latency-ms', 0),
      rateLimitPerMin: num(values['rate-limit-per-min'], 'rate-limit-per-min', 0),
      errorRate: num(values['error-rate'], 'error-rate', 0),
      tokenExpirySecs: num(values['token-expiry-secs'], 'token-expiry-secs', 86_400),
      auditQueryDelayMs: num(values['audit-query-delay-ms'], 'audit-query-delay-ms', 0),
      auditFailRate: num(values['audit-fail-rate'], 'audit-fail-rate', 0),
      auditVisibilityLagMs: num(values['audit-visibility-lag-ms'], 'audit-visibility-lag-ms', 0),
      auditCursorTtlMs: num(values['audit-cursor-ttl-ms'], 'audit-cursor-ttl-ms', 600_000),
      audits: { badShare: num(values['audit-bad-share'], 'audit-bad-share', 0) },
      seed,
      dataset: {
        seed,
        orgs: num(values.orgs, 'orgs', 1),
        users: num(values.users, 'users', 50),
        conversations,
        recordings: num(values.recordings, 'recordings', Math.round(conversations * 1.5)),
      },
      clients: [
        {
          id: values['client-id'] ?? 'sim-client',
          secret: values['client-secret'] ?? 'sim-secret',
          ...(values.permissions !== undefined
            ? {
                permissions: values.permissions
                  .split(',')
                  .map((p) => p.trim())
                  .filter((p) => p !== ''),
              }
            : {}),
        },
      ],
    });
  } catch (err) {
    process.stderr.write(`recording-audit genesys-sim: ${(err as Error).message}\n`);
    return 64;
  }
  const ds = sim.dataset;
  process.stdout.write(
    `${JSON.stringify({
      url: sim.url,
      port: sim.port,
      clientId: sim.clients[0]!.id,
      clientSecret: sim.clients[0]!.secret,
      seed: ds.seed,
      orgIds: ds.orgs.map((o) => o.id),
      users: ds.users.length,
      conversations: ds.conversations.length,
      recordings: ds.recordings.length,
      auditMessages: sim.auditMessages().length,
    })}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const stats = sim.stats();
  await sim.close();
  process.stderr.write(`${JSON.stringify({ stopped: true, requests: stats.requests, statuses: stats.statuses })}\n`);
  return 0;
}
