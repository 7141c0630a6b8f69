import { createHash } from 'node:crypto';
import { ECS_VERSION } from '../../event/build.js';
import type { AccessEvent } from '../../event/types.js';

/** The requester of accessEventForKey when none is given: an authenticated (canonical) user. */
export const DEFAULT_SIM_REQUESTER = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';

/**
 * A minimal access event for a recording key, as the parser would produce for a REST.GET.OBJECT
 * line: for tests and benchmarks of the enrichment stage without parsing log files. The request
 * is authenticated unless `requester` is null (anonymous).
 */
export function accessEventForKey(
  key: string,
  options: { bucket?: string; userAgent?: string; time?: string; requester?: string | null; status?: number; seq?: number; hash?: string } = {},
): AccessEvent {
  const bucket = options.bucket ?? 'recordings-bucket';
  const requester = options.requester === null ? undefined : (options.requester ?? DEFAULT_SIM_REQUESTER);
  const status = options.status ?? 200;
  const time = options.time ?? '2024-06-01T12:00:00.000Z';
  const line = `${bucket} ${key} ${options.seq ?? 0} ${time}`;
  return {
    '@timestamp': time,
    event: {
      kind: 'event',
      dataset: 'aws.s3access',
      module: 'aws',
      outcome: status < 400 ? 'success' : 'failure',
      category: ['file'],
      type: ['access'],
      // Benchmarks pass their own cheap unique value; tests get the real kind of fingerprint.
      hash: options.hash ?? createHash('sha256').update(line).digest('hex'),
    },
    ecs: { version: ECS_VERSION },
    cloud: { provider: 'aws' },
    aws: {
      s3access: {
        bucket,
        remote_ip: '192.0.2.10',
        operation: 'REST.GET.OBJECT',
        key: encodeURIComponent(key).replace(/%2F/g, '/'),
        http_status: status,
        ...(status >= 400 ? { error_code: status === 403 ? 'AccessDenied' : 'NoSuchKey' } : {}),
        ...(options.userAgent !== undefined ? { user_agent: options.userAgent } : {}),
        ...(requester !== undefined ? { requester } : {}),
      },
      s3: { object: { key } },
    },
    log: { file: { path: `s3://logs/${bucket}/2024-06-01-12-00-00-ABCDEF` }, offset: options.seq ?? 0 },
  };
}
