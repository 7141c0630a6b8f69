import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AuditError, isAuditError } from '../core/errors.js';
import { sdkErrorFacts } from './sqs-policy.js';

export interface ObjectLocation {
  bucket: string;
  key: string;
  versionId?: string;
  /** The version's ETag as the notification named it (no quotes): the read is of that version only. */
  eTag?: string;
}

export type OpenedObject =
  | {
      found: true;
      /** The object's bytes as stored, streamed; iterate once. Breaking out early releases the connection. */
      body: AsyncIterable<Uint8Array>;
      size: number | undefined;
      /** Without the surrounding quotes S3 puts on the header, like the notification's eTag. */
      eTag: string | undefined;
      /** Set by S3 when the object was written; no writer can choose it. */
      lastModified: Date | undefined;
    }
  | { found: false; reason: 'not_found' | 'access_denied' | 'changed' };

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NoSuchVersion', 'NotFound', 'NoSuchBucket']);
const DENIED_CODES = new Set(['AccessDenied', 'AllAccessDisabled']);

function readFailed(ref: ObjectLocation, message: string, details: Record<string, unknown>, cause?: unknown): AuditError {
  return new AuditError('OBJECT_READ_FAILED', message, { cause, retryable: true, details: { bucket: ref.bucket, key: ref.key, ...details } });
}

/**
 * Opens a log object for streaming. 404 (NoSuchKey, NoSuchVersion, a bucket that is gone) is
 * `found: false, reason: 'not_found'`, 403 AccessDenied is `reason: 'access_denied'` and an ETag
 * other than `ref.eTag` (412) is `reason: 'changed'`: the caller's policy decides. Other failures throw a retryable OBJECT_READ_FAILED. So does a read that stays
 * idle (no response headers, or no next chunk from S3) for idleTimeoutMs, a short read, and an
 * abort through `signal`. Time the consumer spends between chunks is not idle time.
 *
 * Note: without s3:ListBucket on the bucket, S3 answers a missing key with 403 AccessDenied, not 404.
 */
export async function openObject(s3: S3Client, ref: ObjectLocation, options: { signal?: AbortSignal; idleTimeoutMs: number }): Promise<OpenedObject> {
  const { signal, idleTimeoutMs } = options;
  if (signal?.aborted) throw readFailed(ref, 'Object read aborted before it started.', { aborted: true }, signal.reason);
  const controller = new AbortController();
  let idle = false;
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const headerTimer = setTimeout(() => {
    idle = true;
    controller.abort();
  }, idleTimeoutMs);
  let out;
  try {
    // If-Match: a key overwritten since its notification (an unversioned bucket) must not be read
    // and accounted for as the version the notification named.
    const ifMatch = ref.eTag !== undefined ? `"${ref.eTag}"` : undefined;
    out = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, IfMatch: ifMatch }), {
      abortSignal: controller.signal,
    });
  } catch (err) {
    signal?.removeEventListener('abort', onAbort);
    const facts = sdkErrorFacts(err);
    if (idle) throw readFailed(ref, `No response from S3 within ${idleTimeoutMs} ms.`, { idleTimeoutMs }, err);
    if (signal?.aborted) throw readFailed(ref, 'Object read aborted.', { aborted: true }, err);
    if (NOT_FOUND_CODES.has(facts.code) || facts.status === 404) return { found: false, reason: 'not_found' };
    if (DENIED_CODES.has(facts.code)) return { found: false, reason: 'access_denied' };
    if (facts.code === 'PreconditionFailed' || facts.status === 412) return { found: false, reason: 'changed' };
    throw readFailed(ref, `GetObject failed: ${facts.code}.`, { code: facts.code, status: facts.status }, err);
  } finally {
    clearTimeout(headerTimer);
  }
  const stream = out.Body;
  if (!(stream instanceof Readable)) {
    signal?.removeEventListener('abort', onAbort);
    throw readFailed(ref, 'GetObject returned no readable body.', {});
  }
  return {
    found: true,
    body: readBody(stream, ref, { idleTimeoutMs, expectedBytes: out.ContentLength, signal, onAbort }),
    size: out.ContentLength,
    eTag: out.ETag?.replace(/^"|"$/g, ''),
    lastModified: out.LastModified,
  };
}

async function* readBody(
  stream: Readable,
  ref: ObjectLocation,
  o: { idleTimeoutMs: number; expectedBytes: number | undefined; signal: AbortSignal | undefined; onAbort: () => void },
): AsyncGenerator<Uint8Array> {
  let timer: NodeJS.Timeout | undefined;
  let received = 0;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stream.destroy(readFailed(ref, `S3 sent nothing for ${o.idleTimeoutMs} ms.`, { idleTimeoutMs: o.idleTimeoutMs, received }));
    }, o.idleTimeoutMs);
  };
  // The request's abort signal stops mattering once headers are in; destroy the body directly.
  o.signal?.removeEventListener('abort', o.onAbort);
  const onAbort = (): void => void stream.destroy(readFailed(ref, 'Object read aborted.', { aborted: true, received }));
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    arm();
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      clearTimeout(timer);
      received += chunk.length;
      yield chunk;
      arm();
    }
    clearTimeout(timer);
    if (o.expectedBytes !== undefined && received !== o.expectedBytes) {
      throw readFailed(ref, `Short read: ${received} of ${o.expectedBytes} bytes.`, { received, expected: o.expectedBytes });
    }
  } catch (err) {
    if (isAuditError(err)) throw err;
    throw readFailed(ref, `Reading the object failed after ${received} bytes.`, { received }, err);
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    // Consumed, failed or abandoned by the caller: the connection goes back or is closed.
    if (!stream.destroyed) stream.destroy();
  }
}
