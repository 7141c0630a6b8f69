import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Client, type ClientOptions } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import type { Config } from '../../config/schema.js';
import { AuditError } from '../../core/errors.js';

export type OpenSearchClientSettings = Pick<
  Config,
  'OPENSEARCH_URL' | 'OPENSEARCH_AUTH' | 'OPENSEARCH_USERNAME' | 'OPENSEARCH_PASSWORD' | 'OPENSEARCH_SIGV4_SERVICE' | 'OPENSEARCH_REQUEST_TIMEOUT_MS'
>;

/**
 * The one OpenSearch client of the worker.
 *
 * - `maxRetries: 0`: the bulk writer retries per item with backoff; the client's own retries would
 *   resend whole requests at once, hiding failures from our counters.
 * - No client-side compression: the bulk writer gzips bulk bodies itself (BULK_GZIP, at a cheaper
 *   level than the client's); the other requests are small.
 * - `resurrectStrategy: 'none'`: one node; the bulk writer probes availability itself.
 * - TLS verification stays on (the client's default); credentials are passed as options, never in
 *   the URL, so they cannot appear in an error message.
 */
export function createOpenSearchClient(cfg: OpenSearchClientSettings, env: Readonly<Record<string, string | undefined>> = process.env): Client {
  if (cfg.OPENSEARCH_URL === undefined) throw new AuditError('CONFIG_INVALID', 'OPENSEARCH_URL is required');
  let node: URL;
  try {
    node = new URL(cfg.OPENSEARCH_URL);
  } catch (cause) {
    throw new AuditError('CONFIG_INVALID', 'OPENSEARCH_URL is not a URL', { cause });
  }
  if (node.username !== '' || node.password !== '') {
    throw new AuditError('CONFIG_INVALID', 'OPENSEARCH_URL must not carry credentials; use OPENSEARCH_AUTH=basic with OPENSEARCH_USERNAME/PASSWORD');
  }
  const options: ClientOptions = {
    node: node.toString(),
    maxRetries: 0,
    requestTimeout: cfg.OPENSEARCH_REQUEST_TIMEOUT_MS,
    resurrectStrategy: 'none',
  };

  switch (cfg.OPENSEARCH_AUTH) {
    case 'none':
      return new Client(options);
    case 'basic': {
      if (cfg.OPENSEARCH_USERNAME === undefined || cfg.OPENSEARCH_PASSWORD === undefined) {
        throw new AuditError('CONFIG_INVALID', 'OPENSEARCH_AUTH=basic needs OPENSEARCH_USERNAME and OPENSEARCH_PASSWORD');
      }
      return new Client({ ...options, auth: { username: cfg.OPENSEARCH_USERNAME, password: cfg.OPENSEARCH_PASSWORD } });
    }
    case 'sigv4': {
      // AWS_REGION is the AWS SDK's own variable (see src/config/schema.ts), not one of our settings.
      const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
      if (region === undefined || region === '') {
        throw new AuditError('CONFIG_INVALID', 'OPENSEARCH_AUTH=sigv4 needs AWS_REGION');
      }
      const provider = defaultProvider();
      return new Client({
        ...options,
        ...AwsSigv4Signer({ region, service: cfg.OPENSEARCH_SIGV4_SERVICE, getCredentials: () => provider() }),
      });
    }
  }
}
