import type { Config } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import type { Metrics } from '../../core/metrics.js';
import { GenesysClient } from './client.js';
import { createSdkTransport, type GenesysTransport } from './sdk.js';

/**
 * The Genesys client the configuration describes, and the SDK transport under it, or undefined
 * without credentials. One construction for the worker's enricher and the `check` command's probes.
 */
export function genesysFromConfig(
  cfg: Config,
  deps: { logger: Logger; metrics: Metrics },
  over: { retryMaxAttempts?: number } = {},
): { client: GenesysClient; transport: GenesysTransport } | undefined {
  if (cfg.GENESYS_CLIENT_ID === undefined || cfg.GENESYS_CLIENT_SECRET === undefined) return undefined;
  const transport = createSdkTransport({
    clientId: cfg.GENESYS_CLIENT_ID,
    clientSecret: cfg.GENESYS_CLIENT_SECRET,
    environment: cfg.GENESYS_ENVIRONMENT,
    ...(cfg.GENESYS_API_URL !== undefined ? { apiUrl: cfg.GENESYS_API_URL } : {}),
    timeoutMs: cfg.GENESYS_REQUEST_TIMEOUT_MS,
  });
  const client = new GenesysClient({
    transport,
    requestsPerMinute: cfg.GENESYS_REQUESTS_PER_MINUTE,
    retryMaxAttempts: over.retryMaxAttempts ?? cfg.GENESYS_RETRY_MAX_ATTEMPTS,
    requestTimeoutMs: cfg.GENESYS_REQUEST_TIMEOUT_MS,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  return { client, transport };
}
