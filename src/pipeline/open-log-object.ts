import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/schema.js';
import { AuditError, describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { openObject, type OpenedObject } from '../sources/s3-object.js';
import type { ObjectRef } from './types.js';

/**
 * Opens the object version a notification named, for either reader (access logs, CloudTrail
 * files), or decides what its absence means. A changed object (a log is written once) and, with
 * MISSING_OBJECT_POLICY=retry, a missing or unreadable one throw a retryable error: the message
 * goes to redelivery and then the dead-letter queue, for a person to look at. With `skip`, a
 * missing object is acknowledged (undefined): its records are lost to the index, and said so.
 */
export async function openLogObject(
  deps: { s3: S3Client; logger: Logger; metrics: Metrics },
  cfg: Pick<Config, 'OBJECT_READ_TIMEOUT_MS' | 'MISSING_OBJECT_POLICY'>,
  ref: ObjectRef,
  what: 'Log object' | 'CloudTrail file',
  signal?: AbortSignal,
): Promise<Extract<OpenedObject, { found: true }> | undefined> {
  const { logger, metrics } = deps;
  const source = `s3://${ref.bucket}/${ref.key}`;
  const opened = await openObject(deps.s3, ref, { ...(signal ? { signal } : {}), idleTimeoutMs: cfg.OBJECT_READ_TIMEOUT_MS });
  if (opened.found) return opened;
  if (opened.reason === 'changed') {
    metrics.objects.inc({ result: 'changed' });
    logger.error({ object: source, eTag: ref.eTag, versionId: ref.versionId }, `${what} changed since its notification; not read.`);
    throw new AuditError('OBJECT_CHANGED', `Log object ${source} is no longer the version its notification named (ETag ${ref.eTag ?? '?'}).`, {
      retryable: true,
      details: { reason: 'changed' },
    });
  }
  if (opened.reason !== 'access_denied') metrics.missingLogObjects.inc({ policy: cfg.MISSING_OBJECT_POLICY });
  if (cfg.MISSING_OBJECT_POLICY === 'retry' || opened.reason === 'access_denied') {
    metrics.objects.inc({ result: opened.reason });
    throw new AuditError('OBJECT_MISSING', `Log object ${source} is ${opened.reason === 'access_denied' ? 'not readable' : 'missing'}.`, {
      retryable: true,
      details: { reason: opened.reason },
    });
  }
  metrics.objects.inc({ result: 'missing' });
  logger.warn({ object: source, policy: 'skip' }, `${what} no longer exists; notification acknowledged by policy, its records are lost to the index.`);
  return undefined;
}

/**
 * What either reader throws when reading an opened object failed: the object counts as failed,
 * the stream is closed (its connection released), and an error that is not already ours becomes a
 * retryable OBJECT_READ_FAILED, so the message is read again rather than deleted.
 */
export async function readFailed(err: unknown, source: string, metrics: Metrics, reader: AsyncIterator<unknown>): Promise<AuditError> {
  metrics.objects.inc({ result: 'failed' });
  await reader.return?.(undefined).catch(() => undefined);
  return err instanceof AuditError
    ? err
    : new AuditError('OBJECT_READ_FAILED', `Reading ${source} failed: ${describeError(err).message}`, { cause: err, retryable: true });
}
