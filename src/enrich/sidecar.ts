import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { AuditError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { CallOptions } from './genesys/client.js';
import { SidecarSchema, type Sidecar } from './genesys/models.js';

/** A sidecar is a few hundred bytes; anything far larger is not one. */
const MAX_SIDECAR_BYTES = 1024 * 1024;
/** S3 reads of sidecars at once, across all callers. */
const SIDECAR_CONCURRENCY = 16;

/**
 * Reads an export's `{rid}.{ext}_metadata.json` from the recordings bucket: conversation id,
 * user ids and media type without a Genesys call. The read itself appears in the bucket's access
 * log later; the S3 client carries SELF_USER_AGENT_SUFFIX so that event is marked `event.self`.
 */
export function createSidecarFetcher(s3: S3Client, bucket: string, logger: Logger) {
  let deniedLogged = false;
  const limit = pLimit(SIDECAR_CONCURRENCY);
  return async function fetchSidecars(keys: readonly string[], opts: CallOptions): Promise<Map<string, Sidecar>> {
    const out = new Map<string, Sidecar>();
    for (const key of keys) {
      const sidecar = await limit(() => readOne(key, opts));
      if (sidecar !== undefined) out.set(key, sidecar);
    }
    return out;
  };

  async function readOne(key: string, opts: CallOptions): Promise<Sidecar | undefined> {
    const timeoutMs = Math.max(1, opts.deadline - Date.now());
    const abort = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(opts.signal !== undefined ? [opts.signal] : [])]);
    let text: string;
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: abort });
      if (res.ContentLength !== undefined && res.ContentLength > MAX_SIDECAR_BYTES) return undefined;
      text = (await res.Body?.transformToString('utf8')) ?? '';
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      if (e.name === 'NoSuchKey' || status === 404) return undefined;
      if ((e.name === 'AccessDenied' || status === 403) && !deniedLogged) {
        deniedLogged = true;
        logger.warn({ bucket }, 'Reading recording sidecars is denied; grant s3:GetObject on RECORDINGS_BUCKET or unset it.');
      }
      throw new AuditError('OBJECT_READ_FAILED', `sidecar read failed: ${e.name ?? 'error'}`, { cause: err, retryable: true, details: { status } });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    const parsed = SidecarSchema.safeParse(json);
    return parsed.success ? parsed.data : undefined;
  }
}
