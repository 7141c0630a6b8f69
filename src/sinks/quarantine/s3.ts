import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AuditError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { storedRecord, type QuarantineRecord, type QuarantineStore } from './record.js';

interface Waiting {
  records: QuarantineRecord[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Records per object; a larger group commit is split. */
const MAX_RECORDS_PER_OBJECT = 5000;

/**
 * One NDJSON object per batch at `<prefix>/YYYY/MM/DD/<sha256 of the record keys>.ndjson`. The name
 * comes from the records, so a PutObject retried with the same records lands on the same key; with
 * `If-None-Match: *` an object already there is left alone (412 counts as written). Redelivered
 * lines batched differently land in another object with the same record keys: readers dedupe by
 * `key`. Concurrent puts are combined (group commit).
 */
export class S3Quarantine implements QuarantineStore {
  private queue: Waiting[] = [];
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly logger: Logger,
    // A PutObject stuck on a half-open connection would hold every later write behind it (one
    // batch at a time), and with them the bulk writer's buffer: the worker would stall.
    private readonly timeoutMs: number,
  ) {}

  put(records: QuarantineRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new AuditError('QUARANTINE_WRITE_FAILED', 'quarantine store is closed'));
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      this.running ??= this.drain();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const records = batch.flatMap((w) => w.records);
        try {
          const chunks: QuarantineRecord[][] = [];
          for (let i = 0; i < records.length; i += MAX_RECORDS_PER_OBJECT) chunks.push(records.slice(i, i + MAX_RECORDS_PER_OBJECT));
          await Promise.all(chunks.map((chunk) => this.putObject(chunk)));
          for (const w of batch) w.resolve();
        } catch (cause) {
          this.logger.error({ err: describeError(cause), records: records.length, bucket: this.bucket }, 'Quarantine object write failed.');
          const err = new AuditError('QUARANTINE_WRITE_FAILED', 'could not write quarantine records to S3', { cause, retryable: true });
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async putObject(records: QuarantineRecord[]): Promise<void> {
    const stored = records.map(storedRecord);
    const name = createHash('sha256')
      .update(stored.map((r) => r.key).join('\n'))
      .digest('hex');
    const body = stored.map((r) => JSON.stringify(r) + '\n').join('');
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    const key = `${this.prefix === '' ? '' : `${this.prefix}/`}${day}/${name}.ndjson`;
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/x-ndjson', IfNoneMatch: '*' }), {
        abortSignal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      // The same records were written before (a retried put): nothing to do.
      if (httpStatusOf(err) === 412) return;
      throw err;
    }
  }
}

function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return meta?.httpStatusCode;
}
