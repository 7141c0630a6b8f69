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
    let text: string | undefined;
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: abort });
      text = await readCapped(res.Body, res.ContentLength);
      if (text === undefined) return undefined;
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

/**
 * The body as text, or undefined when it is larger than a sidecar can be (by its Content-Length or
 * by what arrives). A body is always either read to its end or destroyed: one left unread holds
 * its socket, and a few such objects exhaust the S3 client's pool so that every later read hangs.
 */
async function readCapped(body: unknown, contentLength: number | undefined): Promise<string | undefined> {
  if (body === undefined || body === null) return '';
  const stream = body as AsyncIterable<Uint8Array> & { destroy?: () => void };
  if (contentLength !== undefined && contentLength > MAX_SIDECAR_BYTES) {
    stream.destroy?.();
    return undefined;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  let complete = false;
  try {
    for await (const chunk of stream) {
      size += chunk.byteLength;
      if (size > MAX_SIDECAR_BYTES) return undefined;
      chunks.push(chunk);
    }
    complete = true;
  } finally {
    // Leaving the loop early (too large, an error, an abort) must not leave the socket busy.
    if (!complete) stream.destroy?.();
  }
  return Buffer.concat(chunks).toString('utf8');
}
