/**
 * npm run bench -- audits [--conversations 2000] [--users 100] [--window-hours 24]
 *                         [--query-delay-ms 500] [--poll-ms 250] [--page-size 500] [--seed 1]
 *
 * Reads the simulator's generated audit trail (in-Genesys playbacks, exports, deletions and
 * retention changes of the dataset's recordings) through the real SDK, one quality audit query per
 * window, and prints the Genesys requests per 1,000 audit messages and the messages per second.
 * Baseline measured in the same run: the same trail in windows of the largest interval a query
 * may ask for (AUDIT_MAX_INTERVAL_MS), the fewest queries there can be.
 */
import { parseArgs } from 'node:util';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { createMetrics } from '../../src/core/metrics.js';
import { AUDIT_MAX_INTERVAL_MS, fetchAudits } from '../../src/enrich/genesys/audits.js';
import { genesysFromConfig } from '../../src/enrich/genesys/from-config.js';
import { generateDataset } from '../../src/sim/genesys/dataset.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../src/sim/genesys/server.js';

interface Run {
  readonly windows: number;
  readonly messages: number;
  readonly rejected: number;
  readonly requests: Record<string, number>;
  readonly apiRequests: number;
  readonly ms: number;
}

async function readAll(sim: GenesysSimulator, fromMs: number, toMs: number, windowMs: number, pollMs: number, pageSize: number): Promise<Run> {
  const cfg = loadConfigOrThrow({
    env: { GENESYS_CLIENT_ID: 'sim-client', GENESYS_CLIENT_SECRET: 'sim-secret', GENESYS_API_URL: sim.url, GENESYS_REQUESTS_PER_MINUTE: '100000' },
  });
  const { client } = genesysFromConfig(cfg, { logger: createLogger('silent'), metrics: createMetrics({ defaultMetrics: false }) })!;
  sim.resetStats();
  const signal = new AbortController().signal;
  const started = performance.now();
  let windows = 0;
  let messages = 0;
  let rejected = 0;
  try {
    for (let t = fromMs; t < toMs; t += windowMs) {
      windows++;
      const spec = { api: 'quality' as const, from: new Date(t).toISOString(), to: new Date(Math.min(toMs, t + windowMs)).toISOString(), filters: [] };
      for await (const page of fetchAudits(client, spec, { signal, pollIntervalMs: pollMs, pageSize })) {
        messages += page.messages.length;
        rejected += page.rejected.length;
      }
    }
  } finally {
    client.close();
  }
  const requests = { ...sim.stats().requests };
  const apiRequests = Object.entries(requests)
    .filter(([k]) => k !== 'oauth_token')
    .reduce((a, [, v]) => a + v, 0);
  return { windows, messages, rejected, requests, apiRequests, ms: performance.now() - started };
}

export async function bench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      conversations: { type: 'string', default: '2000' },
      users: { type: 'string', default: '100' },
      'window-hours': { type: 'string', default: '24' },
      'query-delay-ms': { type: 'string', default: '500' },
      'poll-ms': { type: 'string', default: '250' },
      'page-size': { type: 'string', default: '500' },
      seed: { type: 'string', default: '1' },
    },
  });
  const seed = Number(values.seed);
  const dataset = generateDataset({
    seed,
    users: Number(values.users),
    conversations: Number(values.conversations),
    start: '2024-05-01T00:00:00Z',
    spanDays: 30,
  });
  const sim = await startGenesysSimulator({ dataset, auditQueryDelayMs: Number(values['query-delay-ms']) });
  try {
    const trail = sim.auditMessages();
    const fromMs = Date.parse('2024-05-01T00:00:00Z');
    const toMs = Math.max(...trail.map((m) => Date.parse(m.eventDate))) + 1;
    const pollMs = Number(values['poll-ms']);
    const pageSize = Number(values['page-size']);
    const base = await readAll(sim, fromMs, toMs, AUDIT_MAX_INTERVAL_MS, pollMs, pageSize);
    const run = await readAll(sim, fromMs, toMs, Number(values['window-hours']) * 3_600_000, pollMs, pageSize);
    const per1000 = (r: Run): number => (r.apiRequests * 1000) / Math.max(1, r.messages);
    const line = (name: string, r: Run): string =>
      `${name.padEnd(28)} windows ${String(r.windows).padStart(4)}  messages ${r.messages} (+${r.rejected} rejected)  API requests ${r.apiRequests} ` +
      `(${JSON.stringify(r.requests)})  per 1,000 messages ${per1000(r).toFixed(1)}  ${((r.messages * 1000) / r.ms).toFixed(0)} msg/s`;
    process.stdout.write(
      `audit trail: ${trail.length} messages over ${dataset.recordings.length} recordings; query delay ${values['query-delay-ms']} ms, poll ${pollMs} ms\n`,
    );
    process.stdout.write(`${line(`baseline (${AUDIT_MAX_INTERVAL_MS / 86_400_000} d windows)`, base)}\n`);
    process.stdout.write(`${line(`${values['window-hours']} h windows`, run)}\n`);
    process.stdout.write(`ratio of requests per 1,000 messages vs baseline: ${(per1000(run) / per1000(base)).toFixed(2)}\n`);
    if (run.messages !== trail.length || base.messages !== trail.length) throw new Error(`read ${run.messages}/${base.messages} of ${trail.length} messages`);
  } finally {
    await sim.close();
  }
}
