import type { SQSClient } from '@aws-sdk/client-sqs';
import { LRUCache } from 'lru-cache';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Config } from '../config/schema.js';
import { AuditError, describeError, isAuditError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { isAllowedBucket, parseNotification } from '../sources/notification.js';
import { SqsSource, sqsSourceOptionsFromConfig, type Disposition, type InFlightMessage } from '../sources/sqs.js';
import type { Runtime } from './runtime.js';
import type { ObjectRef, ObjectResult } from './types.js';

export interface WorkerTotals {
  messages: number;
  /** Messages fully accounted for and handed back for deletion (the source may still fail to delete). */
  deleted: number;
  /** Messages left for redelivery. */
  retried: number;
  objects: number;
  lines: number;
  indexed: number;
  duplicates: number;
  quarantined: number;
}

/** Object versions remembered as accounted for (about 200 bytes each). */
const REMEMBERED_OBJECTS = 10_000;

/** Bucket, key, version, ETag and size name one immutable object version; undefined without an ETag. */
function objectVersionId(ref: ObjectRef): string | undefined {
  if (ref.eTag === undefined) return undefined;
  return [ref.bucket, ref.key, ref.versionId ?? '', ref.eTag, ref.size ?? ''].join('\n');
}

/**
 * The live worker: every notification names log objects; a message is deleted only when every
 * object it names is accounted for. Anything else leaves it for redelivery, and the queue's redrive
 * policy, not the worker, decides when it becomes a dead letter.
 */
export class Worker {
  readonly totals: WorkerTotals = { messages: 0, deleted: 0, retried: 0, objects: 0, lines: 0, indexed: 0, duplicates: 0, quarantined: 0 };
  private readonly source: SqsSource;
  private readonly objects: LimitFunction;
  /** Object versions read or being read, by objectVersionId; the least recently asked for is forgotten first. */
  private readonly accounted = new LRUCache<string, Promise<ObjectResult>>({ max: REMEMBERED_OBJECTS });
  private idleSince = Date.now();
  private probing = false;

  constructor(
    private readonly cfg: Config,
    private readonly runtime: Runtime,
    sqs: SQSClient,
    private readonly deps: { logger: Logger; metrics: Metrics },
  ) {
    this.objects = pLimit(cfg.OBJECT_CONCURRENCY);
    this.source = new SqsSource(sqs, sqsSourceOptionsFromConfig(cfg), { logger: deps.logger, metrics: deps.metrics, canReceive: () => this.sinkAvailable() });
  }

  /** Runs until stop(). */
  async run(): Promise<void> {
    await this.source.run((msg) => this.handle(msg));
  }

  /** Stops receiving; in-flight messages get graceMs to finish, then are left to reappear. */
  async stop(graceMs: number): Promise<void> {
    await this.source.stop(graceMs);
  }

  get inFlight(): number {
    return this.source.inFlight;
  }

  /** Milliseconds since the worker last held a message (for "run until drained"). */
  get idleMs(): number {
    return this.source.inFlight > 0 ? 0 : Date.now() - this.idleSince;
  }

  /**
   * Receiving pauses while OpenSearch is down: taking messages we cannot finish only burns their
   * receive counts toward the dead-letter queue. One probe loop runs until it answers again.
   */
  private sinkAvailable(): boolean {
    if (this.runtime.sink.available) return true;
    if (!this.probing) {
      this.probing = true;
      this.deps.logger.warn('OpenSearch is unavailable; receiving paused until it answers again.');
      this.runtime.sink.waitUntilAvailable().then(
        () => {
          this.probing = false;
          this.deps.logger.info('OpenSearch answers again; receiving resumed.');
        },
        // Closing the sink ends the wait; there is nothing left to resume.
        () => undefined,
      );
    }
    return false;
  }

  async handle(msg: InFlightMessage): Promise<Disposition> {
    const { logger } = this.deps;
    this.totals.messages += 1;
    const disposition = await this.dispose(msg).catch((err: unknown) => {
      logger.error({ messageId: msg.messageId, err: describeError(err) }, 'Message handling failed; left for redelivery.');
      return 'retry' as const;
    });
    // The source counts what became of the message (deleted, or abandoned and why): it alone
    // knows whether the delete happened.
    if (disposition === 'delete') this.totals.deleted += 1;
    else this.totals.retried += 1;
    this.idleSince = Date.now();
    return disposition;
  }

  private async dispose(msg: InFlightMessage): Promise<Disposition> {
    const { logger, metrics } = this.deps;
    const parsed = parseNotification(msg.body);
    if (!parsed.ok) {
      // Unparsable bodies are poison: redelivery cannot fix them, the redrive policy moves them to
      // the dead-letter queue where an operator can look.
      metrics.messagesRefused.inc({ reason: 'invalid' });
      logger.error(
        { messageId: msg.messageId, reason: parsed.reason, receiveCount: msg.receiveCount },
        'Notification is not understood; left for the dead-letter queue.',
      );
      return 'retry';
    }
    const refs: ObjectRef[] = [];
    let refused = false;
    for (const record of parsed.records) {
      if (record.kind === 'test_event') {
        metrics.messagesIgnored.inc({ reason: 'test_event' });
        logger.info({ messageId: msg.messageId, bucket: record.bucket }, 'S3 test event acknowledged.');
      } else if (record.kind === 'ignored') {
        metrics.messagesIgnored.inc({ reason: record.reason });
        logger.info({ messageId: msg.messageId, eventName: record.eventName }, 'Notification is not an ObjectCreated event; acknowledged.');
      } else if (!isAllowedBucket(record.bucket, this.cfg.LOG_BUCKETS ?? []) && !isAllowedBucket(record.bucket, this.cfg.CLOUDTRAIL_BUCKETS ?? [])) {
        metrics.messagesRefused.inc({ reason: 'bucket_not_allowed' });
        logger.error(
          { messageId: msg.messageId, bucket: record.bucket },
          'Notification names a bucket outside LOG_BUCKETS and CLOUDTRAIL_BUCKETS; refused and left for the dead-letter queue.',
        );
        refused = true;
      } else {
        refs.push({
          bucket: record.bucket,
          key: record.key,
          ...(record.versionId ? { versionId: record.versionId } : {}),
          ...(record.size !== undefined ? { size: record.size } : {}),
          ...(record.eTag ? { eTag: record.eTag } : {}),
        });
      }
    }
    if (refused) return 'retry';

    const results = await Promise.allSettled(refs.map((ref) => this.accountFor(ref, msg)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      for (const f of failed) {
        const fields = { messageId: msg.messageId, err: describeError(f.reason), receiveCount: msg.receiveCount };
        if (isAuditError(f.reason, 'SHUTDOWN')) logger.info(fields, 'Log object not finished before shutdown; message handed back.');
        else logger.warn(fields, 'Log object not accounted for; message left for redelivery.');
      }
      return 'retry';
    }
    if (msg.signal.aborted) return 'retry';
    return 'delete';
  }

  /**
   * S3 delivers a notification at least once, and some producers send two for one object (moto
   * sends ObjectCreated:Put and ObjectCreated:CompleteMultipartUpload for a multipart upload).
   * An object version this process is reading, or has accounted for, is not read again: the
   * repeat waits for that result. Only a success is shared; a failure leaves both messages for
   * redelivery, and a forgotten or unidentifiable object is simply read again (its records then
   * count as duplicates).
   */
  private accountFor(ref: ObjectRef, msg: InFlightMessage): Promise<ObjectResult> {
    const id = objectVersionId(ref);
    if (id === undefined) return this.objects(() => this.processObject(ref, msg));
    const earlier = this.accounted.get(id);
    if (earlier !== undefined) return this.repeat(earlier, ref, msg);
    const work = this.objects(() => this.processObject(ref, msg));
    this.accounted.set(id, work);
    const forget = (): void => {
      if (this.accounted.get(id) === work) this.accounted.delete(id);
    };
    work.then((r) => {
      if (r.status !== 'done') forget();
    }, forget);
    return work;
  }

  private async repeat(earlier: Promise<ObjectResult>, ref: ObjectRef, msg: InFlightMessage): Promise<ObjectResult> {
    const result = await earlier;
    this.deps.metrics.objects.inc({ result: 'repeat' });
    this.deps.logger.info(
      { messageId: msg.messageId, object: `s3://${ref.bucket}/${ref.key}`, lines: result.lines },
      'Log object already accounted for by this worker; notification acknowledged.',
    );
    return result;
  }

  private async processObject(ref: ObjectRef, msg: InFlightMessage): Promise<ObjectResult> {
    if (msg.signal.aborted) throw new AuditError('SHUTDOWN', 'Message abandoned before its object started.', { retryable: true });
    // An object still waiting for a slot when shutdown began is not started: the grace period is
    // for finishing what is under way, and another worker can take this one at once.
    if (this.source.isStopping) throw new AuditError('SHUTDOWN', 'Shutting down; object not started.', { retryable: true });
    const result = await this.runtime.processor.process(ref, msg.signal);
    this.totals.objects += 1;
    this.totals.lines += result.lines;
    this.totals.indexed += result.indexed;
    this.totals.duplicates += result.duplicates;
    this.totals.quarantined += result.quarantined;
    return result;
  }
}
