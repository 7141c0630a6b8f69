import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../config/schema.js';
import { AuditError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { FileQuarantine } from './file.js';
import type { QuarantineStore } from './record.js';
import { S3Quarantine } from './s3.js';

const DEFAULT_WRITE_TIMEOUT_MS = 30_000;

/**
 * The store QUARANTINE_URL names: `file:///dir` appends NDJSON to a file per UTC day;
 * `s3://bucket/prefix` writes one NDJSON object per batch.
 */
export function createQuarantineStore(
  cfg: Pick<Config, 'QUARANTINE_URL'> & Partial<Pick<Config, 'QUARANTINE_WRITE_TIMEOUT_MS'>>,
  deps: { s3: S3Client; logger: Logger },
): QuarantineStore {
  const target = cfg.QUARANTINE_URL;
  let url: URL;
  try {
    url = new URL(target);
  } catch (cause) {
    throw new AuditError('CONFIG_INVALID', 'QUARANTINE_URL is not a URL', { cause });
  }
  if (url.protocol === 'file:') return new FileQuarantine(url, deps.logger);
  if (url.protocol === 's3:') {
    const prefix = decodeURIComponent(url.pathname).replace(/^\/+/, '').replace(/\/+$/, '');
    return new S3Quarantine(deps.s3, url.hostname, prefix, deps.logger, cfg.QUARANTINE_WRITE_TIMEOUT_MS ?? DEFAULT_WRITE_TIMEOUT_MS);
  }
  throw new AuditError('CONFIG_INVALID', 'QUARANTINE_URL must be file:///path or s3://bucket/prefix');
}
