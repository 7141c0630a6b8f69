import { createHash } from 'node:crypto';
import type { AccessEvent } from '../../event/types.js';

/**
 * A minimal access event for a recording key, as the parser would produce for a REST.GET.OBJECT
 * line: for tests and benchmarks of the enrichment stage without parsing log files.
 */
export function accessEventForKey(key: string, options: { bucket?: string; userAgent?: string; time?: string; requester?: string; seq?: number; hash?: string } = {}): AccessEvent {
  const bucket = options.bucket ?? 'recordings-bucket';
  const time = options.time ?? '2024-06-01T12:00:00.000Z';
  const line = `${bucket} ${key} ${options.seq ?? 0} ${time}`;
  return {
    '@timestamp': time,
    event: {
      kind: 'event',
      dataset: 'aws.s3access',
      action: 'REST.GET.OBJECT',
      outcome: 'success',
      category: ['file'],
      type: ['access'],
      // Benchmarks pass their own cheap unique value; tests get the real kind of fingerprint.
      hash: options.hash ?? createHash('sha256').update(line).digest('hex'),
    },
    cloud: { provider: 'aws' },
    source: { ip: '192.0.2.10', address: '192.0.2.10' },
    ...(options.userAgent !== undefined ? { user_agent: { original: options.userAgent } } : {}),
    related: { ip: ['192.0.2.10'], ...(options.requester !== undefined ? { user: [options.requester] } : {}) },
    aws: {
      s3access: {
        bucket,
        operation: 'REST.GET.OBJECT',
        key: encodeURIComponent(key).replace(/%2F/g, '/'),
        http_status: 200,
        ...(options.userAgent !== undefined ? { user_agent: options.userAgent } : {}),
        ...(options.requester !== undefined ? { requester: options.requester } : {}),
      },
      s3: { bucket: { name: bucket }, object: { key } },
    },
    log: { file: { path: `s3://logs/${bucket}/2024-06-01-12-00-00-ABCDEF` }, offset: options.seq ?? 0 },
  };
}
