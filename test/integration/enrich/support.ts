import { loadConfigOrThrow } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/core/log.js';
import { createEnricher, type InspectableEnricher } from '../../../src/enrich/enricher.js';
import { createMetrics, type Metrics } from '../../../src/core/metrics.js';
import type { GenesysSimulator } from '../../../src/sim/genesys/server.js';

export const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

export function simConfig(sim: GenesysSimulator | { url: string }, env: Record<string, string> = {}): Config {
  return loadConfigOrThrow({
    env: {
      GENESYS_CLIENT_ID: 'sim-client',
      GENESYS_CLIENT_SECRET: 'sim-secret',
      GENESYS_API_URL: sim.url,
      GENESYS_BATCH_WINDOW_MS: '10',
      GENESYS_REQUEST_TIMEOUT_MS: '2000',
      ...env,
    },
  });
}

export function enricherFor(cfg: Config): { enricher: InspectableEnricher; metrics: Metrics } {
  const metrics = createMetrics({ defaultMetrics: false });
  return { enricher: createEnricher(cfg, { logger, metrics }), metrics };
}

export async function counter(metrics: Metrics, name: 'genesysRequests' | 'genesysCache' | 'enrichment' | 'actors'): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await metrics[name].get()).values) out[Object.values(v.labels).join('/')] = v.value;
  return out;
}
