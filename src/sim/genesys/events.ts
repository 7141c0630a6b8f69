import { createHash } from 'node:crypto';
import type { AccessEvent } from '../../event/types.js';

/** The requester of accessEventForKey when none is given: an authenticated (canonical) user. */
export const DEFAULT_SIM_REQUESTER = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';

/**
 * A minimal access event for a recording key, as the parser would produce for a REST.GET.OBJECT
 * line: for tests and benchmarks of the enrichment stage without parsing log files. The request
 * is authenticated unless `requester` is null (anonymous); a default requester is logged in
 * aws.s3access only, a given one in related.user too.
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
      action: 'REST.GET.OBJECT',
      outcome: status < 400 ? 'success' : 'failure',
      category: ['file'],
      type: ['access'],
      // Benchmarks pass their own cheap unique value; tests get the real kind of fingerprint.
      hash: options.hash ?? createHash('sha256').update(line).digest('hex'),
    },
    cloud: { provider: 'aws' },
    source: { ip: '192.0.2.10', address: '192.0.2.10' },
    ...(options.userAgent !== undefined ? { user_agent: { original: options.userAgent } } : {}),
    ...(status !== 200 ? { http: { response: { status_code: status, body: { bytes: 0 } } } } : {}),
    related: { ip: ['192.0.2.10'], ...(typeof options.requester === 'string' ? { user: [options.requester] } : {}) },
    aws: {
      s3access: {
        bucket,
        operation: 'REST.GET.OBJECT',
        key: encodeURIComponent(key).replace(/%2F/g, '/'),
        http_status: status,
        ...(status >= 400 ? { error_code: status === 403 ? 'AccessDenied' : 'NoSuchKey' } : {}),
        ...(options.userAgent !== undefined ? { user_agent: options.userAgent } : {}),
        ...(requester !== undefined ? { requester } : {}),
      },
      s3: { bucket: { name: bucket }, object: { key } },
    },
    log: { file: { path: `s3://logs/${bucket}/2024-06-01-12-00-00-ABCDEF` }, offset: options.seq ?? 0 },
  };
}
