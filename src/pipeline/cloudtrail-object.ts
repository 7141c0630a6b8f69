import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { AuditError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { readCloudTrailFile, type CloudTrailFileStats, type CloudTrailItem } from '../decode/cloudtrail-file.js';
import type { CloudTrailEnricher } from '../enrich/cloudtrail.js';
import type { CloudTrailEvent } from '../event/cloudtrail.js';
import { buildCloudTrailEvent, type CloudTrailContext } from '../event/cloudtrail-build.js';
import type { IndexableDocument } from '../event/types.js';
import type { BulkIndexer, WriteTracker } from '../sinks/opensearch/bulk.js';
import type { QuarantineRecord, QuarantineStore } from '../sinks/quarantine/record.js';
import { lineErrorEvent } from '../event/pipeline-error.js';
import { cloudTrailKeyKind, cloudTrailKeyTimeMs } from '../sources/cloudtrail-keys.js';
import { DAY_MS } from '../sources/log-keys.js';
import { admissionRulesFrom } from './admission.js';
import { openLogObject, readFailed } from './open-log-object.js';
import { ObjectTally } from './tally.js';
import type { ObjectProcessor, ObjectRef, ObjectResult } from './types.js';

/** Events enriched and handed to the sink together. */
const EVENT_BATCH = 500;
/** Refused records written to quarantine together. */
const REJECT_BATCH = 500;

export interface CloudTrailProcessorDeps {
  readonly s3: S3Client;
  /** A bulk indexer whose prefix is the CloudTrail family's (`<prefix>.cloudtrail`). */
  readonly sink: BulkIndexer;
  /**
   * The access events' indexer: pipeline_error events of quarantined records go where the access
   * pipeline's do (`<prefix>-YYYY.MM`, whose mapping has `error.*`); the CloudTrail mapping has no
   * place for them. Without it no pipeline_error event is written (the quarantine record still is).
   */
  readonly errorSink?: BulkIndexer;
  readonly enricher: CloudTrailEnricher;
  readonly quarantine: QuarantineStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

interface Held {
  readonly reason: string;
  readonly stage: 'decode' | 'parse' | 'admission';
  readonly index: number;
  readonly detail: string;
  readonly id?: string;
  readonly hash?: string;
  readonly raw?: string;
}

async function* countBytes(body: AsyncIterable<Uint8Array>, onChunk: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    onChunk(chunk.byteLength);
    yield chunk;
  }
}

/**
 * Reads one CloudTrail log file as a stream and accounts for every record, under the access logs'
 * rule: the file is done only when each record is indexed, confirmed already indexed, durably
 * quarantined or counted as skipped (not an S3 data event, or another bucket); anything less
 * rejects and the notification is left for redelivery (the ids, from eventID, make the retry
 * harmless). A record is either one whole document or one quarantine record, never part of one.
 * A file that breaks partway (truncated gzip, invalid JSON) keeps the records read before the
 * break, and the rest is one quarantine record that says where it broke.
 */
export class CloudTrailObjectProcessor implements ObjectProcessor {
  private readonly audited: ReadonlySet<string> | undefined;
  private readonly skewMs: number;

  constructor(
    private readonly cfg: Config,
    private readonly deps: CloudTrailProcessorDeps,
  ) {
    const rules = admissionRulesFrom(cfg);
    this.audited = rules.audited;
    this.skewMs = rules.skewMs;
  }

  async process(ref: ObjectRef, signal?: AbortSignal): Promise<ObjectResult> {
    const started = Date.now();
    const { logger, metrics } = this.deps;
    const source = `s3://${ref.bucket}/${ref.key}`;
    const kind = cloudTrailKeyKind(ref.key);
    if (kind !== 'log') {
      metrics.objects.inc({ result: 'skipped' });
      const skippedFile = kind ?? 'not_cloudtrail';
      logger.info({ object: source, skippedFile }, 'CloudTrail file of another kind skipped by its key.');
      return { ...emptyResult(ref, Date.now() - started), skippedFile };
    }
    const opened = await openLogObject(this.deps, this.cfg, ref, 'CloudTrail file', signal);
    if (opened === undefined) return { ...emptyResult(ref, Date.now() - started), status: 'missing' };

    // As for access logs: S3's LastModified, which no writer chooses, bounds the record times.
    const objectMs = opened.lastModified?.getTime() ?? cloudTrailKeyTimeMs(ref.key) ?? Date.now();
    const ctx: CloudTrailContext = { filePath: source, audited: this.audited };
    const tally = new ObjectTally();
    const tracker: WriteTracker = tally;
    const skippedByReason: Record<string, number> = {};
    let skipped = 0;
    let entries = 0;
    let bytes = 0;
    let stats: CloudTrailFileStats | undefined;
    let events: IndexableDocument<CloudTrailEvent>[] = [];
    let held: Held[] = [];
    const reader = readCloudTrailFile(
      countBytes(opened.body, (n) => {
        bytes += n;
      }),
      { maxRecordBytes: this.cfg.CLOUDTRAIL_MAX_RECORD_BYTES },
    );
    try {
      for (;;) {
        if (signal?.aborted) throw new AuditError('SHUTDOWN', `Stopped while reading ${source}.`, { retryable: true });
        const next = await reader.next();
        if (next.done === true) {
          stats = next.value;
          break;
        }
        for (const item of next.value) {
          entries += 1;
          const out = this.classify(item, ctx, objectMs);
          if (out.kind === 'event') events.push(out.doc);
          else if (out.kind === 'held') held.push(out.held);
          else {
            skipped += 1;
            skippedByReason[out.reason] = (skippedByReason[out.reason] ?? 0) + 1;
          }
        }
        if (events.length >= EVENT_BATCH) {
          await this.writeEvents(events, tally, tracker);
          events = [];
        }
        if (held.length >= REJECT_BATCH) {
          await this.quarantine(held, source, tally, objectMs);
          held = [];
        }
        if (tally.failure) throw tally.failure;
      }
      await this.writeEvents(events, tally, tracker);
      await this.quarantine(held, source, tally, objectMs);
      this.deps.sink.sendNow();
      this.deps.errorSink?.sendNow();
      await tally.drained();
    } catch (err) {
      throw await readFailed(err, source, metrics, reader);
    } finally {
      metrics.objectBytes.inc(bytes);
    }
    if (tally.failure) {
      metrics.objects.inc({ result: 'failed' });
      throw tally.failure;
    }
    if (tally.settled + skipped !== entries || (this.deps.errorSink !== undefined && tally.errorEvents !== tally.quarantined)) {
      metrics.objects.inc({ result: 'failed' });
      throw new AuditError('INTERNAL', `Accounting mismatch for ${source}: ${entries} records, ${tally.settled} settled, ${skipped} skipped.`, {
        details: {
          records: entries,
          indexed: tally.indexed,
          duplicates: tally.duplicates,
          quarantined: tally.quarantined,
          errorEvents: tally.errorEvents,
          skipped,
        },
      });
    }
    metrics.objects.inc({ result: 'done' });
    metrics.cloudTrailRecords.inc({ outcome: 'indexed' }, tally.indexed);
    metrics.cloudTrailRecords.inc({ outcome: 'duplicate' }, tally.duplicates);
    metrics.cloudTrailRecords.inc({ outcome: 'quarantined' }, tally.quarantined);
    metrics.cloudTrailRecords.inc({ outcome: 'skipped' }, skipped);
    const result: ObjectResult = {
      ref,
      status: 'done',
      bytes,
      lines: entries,
      blankLines: 0,
      indexed: tally.indexed,
      duplicates: tally.duplicates,
      quarantined: tally.quarantined,
      quarantinedByReason: tally.quarantinedByReason,
      errorEvents: tally.errorEvents,
      linesByDay: tally.linesByDay,
      durationMs: Date.now() - started,
      skipped,
      skippedByReason,
    };
    logger.info(
      {
        object: source,
        bytes,
        gzip: stats.gzip,
        records: entries,
        indexed: result.indexed,
        duplicates: result.duplicates,
        quarantined: result.quarantined,
        quarantinedByReason: result.quarantinedByReason,
        skipped,
        skippedByReason,
        durationMs: result.durationMs,
      },
      'CloudTrail file accounted for.',
    );
    return result;
  }

  private classify(
    item: CloudTrailItem,
    ctx: CloudTrailContext,
    objectMs: number,
  ): { kind: 'event'; doc: IndexableDocument<CloudTrailEvent> } | { kind: 'held'; held: Held } | { kind: 'skip'; reason: string } {
    if (item.kind === 'file_error') {
      return { kind: 'held', held: { reason: item.reason, stage: 'decode', index: item.index, detail: `after record ${item.index}: ${item.detail}` } };
    }
    if (item.kind === 'bad_record') return { kind: 'held', held: { reason: item.reason, stage: 'decode', index: item.index, detail: item.detail } };
    const built = buildCloudTrailEvent(item.value, item.index, ctx);
    if (built.kind === 'skip') return { kind: 'skip', reason: built.reason };
    if (built.kind === 'refused') {
      const raw = Buffer.from(built.canonical).toString('base64');
      return { kind: 'held', held: { reason: built.reason, stage: 'parse', index: item.index, detail: built.detail, hash: built.hash, raw } };
    }
    const { doc } = built;
    const t = Date.parse(doc.event['@timestamp']);
    if (!(Math.abs(t - objectMs) <= this.skewMs)) {
      const canonical = doc.event.aws.cloudtrail.original;
      return {
        kind: 'held',
        held: {
          reason: 'record_time_skew',
          stage: 'admission',
          index: item.index,
          id: doc.id,
          hash: doc.event.event.hash,
          raw: Buffer.from(canonical).toString('base64'),
          detail: `record time ${doc.event['@timestamp']} is more than ${this.skewMs / DAY_MS} days from its file's time ${new Date(objectMs).toISOString()}`,
        },
      };
    }
    return { kind: 'event', doc };
  }

  private async writeEvents(docs: IndexableDocument<CloudTrailEvent>[], tally: ObjectTally, tracker: WriteTracker): Promise<void> {
    if (docs.length === 0) return;
    this.deps.enricher.enrich(docs.map((d) => d.event));
    const ingested = new Date().toISOString();
    for (const doc of docs) {
      doc.event.event.ingested = ingested;
      tally.expect();
      await this.deps.sink.write(doc, tracker);
    }
  }

  private async quarantine(held: Held[], source: string, tally: ObjectTally, objectMs: number): Promise<void> {
    if (held.length === 0) return;
    tally.expect(held.length);
    const at = new Date().toISOString();
    const records: QuarantineRecord[] = held.map((h) => ({
      reason: h.reason,
      stage: h.stage,
      source,
      line: h.index,
      ...(h.id !== undefined ? { id: h.id } : {}),
      // A record without its bytes (too large, or the rest of a broken file) is named by where it is.
      hash: h.hash ?? createHash('sha256').update(`${source}\n${h.index}\n${h.reason}`).digest('hex'),
      ...(h.raw !== undefined ? { raw: h.raw } : {}),
      detail: h.detail,
      at,
    }));
    try {
      await this.deps.quarantine.put(records);
    } catch (err) {
      tally.onFailed(new AuditError('QUARANTINE_WRITE_FAILED', `Quarantine write failed for ${source}.`, { cause: err, retryable: true }), held.length);
      return;
    }
    for (const h of held) this.deps.metrics.quarantined.inc({ reason: h.reason });
    // As for access-log lines: each quarantined record leaves a pipeline_error event in the index
    // (owed before the records settle, so the books never look finished in between).
    const errorSink = this.deps.errorSink;
    if (errorSink === undefined) {
      tally.onQuarantined(held.map((h) => h.reason));
      return;
    }
    for (let i = 0; i < held.length; i += 1) tally.expectErrorEvent();
    tally.onQuarantined(held.map((h) => h.reason));
    const objectTime = new Date(objectMs).toISOString();
    for (const [i, h] of held.entries()) {
      const hash = records[i]!.hash ?? createHash('sha256').update(`${source}\n${h.index}\n${h.reason}`).digest('hex');
      const doc = lineErrorEvent(
        {
          reason: h.reason,
          stage: h.stage,
          id: h.id ?? hash,
          hash,
          raw: Buffer.from(h.raw ?? ''),
          line: h.index,
          detail: h.detail,
          // Not an access-log line: no leading fields to recover.
          fields: {},
        },
        { source, objectTime },
      );
      doc.event.event.ingested = new Date().toISOString();
      try {
        await errorSink.write(doc, tally.errorEventTracker);
      } catch (err) {
        tally.onFailed(new AuditError('SINK_UNAVAILABLE', `pipeline_error event ${doc.id} was not written.`, { cause: err, retryable: true }), 1);
      }
    }
  }
}

function emptyResult(ref: ObjectRef, durationMs: number): ObjectResult {
  return {
    ref,
    status: 'done',
    bytes: 0,
    lines: 0,
    blankLines: 0,
    indexed: 0,
    duplicates: 0,
    quarantined: 0,
    quarantinedByReason: {},
    errorEvents: 0,
    linesByDay: {},
    durationMs,
    skipped: 0,
    skippedByReason: {},
  };
}

/**
 * Sends each notification's object to its reader: CloudTrail files (a CLOUDTRAIL_BUCKETS bucket, a
 * key under `AWSLogs/…/CloudTrail*`) to the CloudTrail processor, everything else to the access-log
 * one. One queue, one heartbeat, one delete-after-accounted rule for both.
 */
export class DispatchingObjectProcessor implements ObjectProcessor {
  constructor(
    private readonly cloudTrailBuckets: ReadonlySet<string>,
    private readonly access: ObjectProcessor,
    private readonly cloudTrail: ObjectProcessor,
  ) {}

  process(ref: ObjectRef, signal?: AbortSignal): Promise<ObjectResult> {
    const isCloudTrail = this.cloudTrailBuckets.has(ref.bucket) && cloudTrailKeyKind(ref.key) !== undefined;
    return (isCloudTrail ? this.cloudTrail : this.access).process(ref, signal);
  }
}
