import type { Client } from '@opensearch-project/opensearch';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../core/log.js';
import { INDEX_MAPPINGS } from '../../event/mapping.js';
import { ensureIndexSetupWith, type SetupOptions, type SetupReport } from './install.js';
import type { IndexMappings } from './template.js';

export { indexNameFor } from './index-name.js';
export { ensureIndexSetupWith, type SetupOptions, type SetupReport } from './install.js';
export { assertIndexSetup, verifyIndexSetup, SETUP_COMMAND, type SetupVerification } from './verify.js';

/**
 * Installs what the monthly indices need: the composable template (explicit mappings, shards,
 * replicas, read alias), the alias on monthly indices from before it and, when the cluster has
 * ISM, the retention policy. `recording-audit setup` runs it with an admin identity; the worker
 * only verifies (assertIndexSetup). Idempotent: a second run with the same settings changes nothing.
 */
export async function ensureIndexSetup(
  client: Client,
  cfg: Config,
  logger: Logger,
  mappings: IndexMappings = INDEX_MAPPINGS,
  options: SetupOptions = {},
): Promise<SetupReport> {
  return ensureIndexSetupWith(client, cfg, logger, mappings, options);
}
