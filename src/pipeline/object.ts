import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/schema.js';
import { AuditError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { decodeLines, type DecodeStats } from '../decode/lines.js';
import { buildEvent, type Rejection, type SourceContext } from '../event/build.js';
import { documentErrorEvent, lineErrorEvent, type ErrorContext } from '../event/pipeline-error.js';
import type { IndexableDocument, IndexableEvent, PipelineErrorEvent } from '../event/types.js';
import type { S3AccessFields } from '../decode/s3-access-log.js';
import type { Enricher } from '../enrich/enricher.js';
import type { Metrics } from '../core/metrics.js';
import type { BulkIndexer, WriteTracker } from '../sinks/opensearch/bulk.js';
import type { QuarantineRecord, QuarantineStore } from '../sinks/quarantine/record.js';
import { admissionOf, admissionRulesFrom, objectTimeMs, type AdmissionRules } from './admission.js';
import { openLogObject, readFailed } from './open-log-object.js';
import { ObjectTally } from './tally.js';
import type { ObjectProcessor, ObjectRef, ObjectResult } from './types.js';

/** Events enriched and handed to the sink together: large enough to batch Genesys lookups. */
const EVENT_BATCH = 500;
/** Rejected lines written to quarantine together. */
const REJECT_BATCH = 500;

export interface ObjectProcessorDeps {
  readonly s3: S3Client;
  readonly sink: BulkIndexer;
  readonly enricher: Enricher;
  readonly quarantine: QuarantineStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** A line refused before the sink: by the parser, or by the admission rules (with the fields it parsed to). */
interface HeldLine {
  readonly rejection: Rejection;
  readonly stage: 'parse' | 'admission';
  readonly fields?: S3AccessFields;
}

/** The quarantine record of a refused line; the store redacts the raw bytes it keeps. */
export function rejectionRecord(rejection: Rejection, source: string, stage: 'parse' | 'admission' = 'parse'): QuarantineRecord {
  return {
    reason: rejection.reason,
    stage,
    source,
    line: rejection.line,
    id: rejection.id,
    hash: rejection.hash,
    raw: rejection.raw.toString('base64'),
    detail: rejection.detail,
    at: new Date().toISOString(),
  };
}

async function* countBytes(body: AsyncIterable<Uint8Array>, onChunk: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    onChunk(chunk.byteLength);
    yield chunk;
  }
}

/**
 * Reads one log object as a stream and accounts for every line. The object is done only when each
 * non-blank line is indexed, confirmed already indexed, or durably quarantined; anything less
 * rejects, and the caller leaves the notification for redelivery (ids make the retry harmless).
 */
export class StreamingObjectProcessor implements ObjectProcessor {
  private readonly rules: AdmissionRules;

  constructor(
    private readonly cfg: Config,
    private readonly deps: ObjectProcessorDeps,
  ) {
    this.rules = admissionRulesFrom(cfg);
    if (this.rules.audited === undefined) {
      deps.logger.warn('Neither AUDITED_BUCKETS nor RECORDINGS_BUCKET is set: records for any bucket are accepted.');
    }
  }

  async process(ref: ObjectRef, signal?: AbortSignal): Promise<ObjectResult> {
    const started = Date.now();
    const { logger, metrics } = this.deps;
    const source = `s3://${ref.bucket}/${ref.key}`;
    const opened = await openLogObject(this.deps, this.cfg, ref, 'Log object', signal);
    if (opened === undefined) return emptyResult(ref, 'missing', Date.now() - started);

    let bytes = 0;
    const tally = new ObjectTally();
    const ctx: SourceContext = { logBucket: ref.bucket, filePath: source };
    const objectMs = objectTimeMs(ref.key, opened.lastModified);
    const errorCtx: ErrorContext = { source, objectTime: new Date(objectMs).toISOString() };
    // A document OpenSearch refuses is quarantined by the sink; its trace in the index follows.
    const tracker: WriteTracker = {
      onOutcome: (outcome, write) => {
        if (outcome.status === 'quarantined') void this.writeErrorEvent(documentErrorEvent(write.document(), outcome.reason, errorCtx), tally);
        tally.onOutcome(outcome, write);
      },
    };
    const lines = decodeLines(
      countBytes(opened.body, (n) => {
        bytes += n;
      }),
    );
    let stats: DecodeStats | undefined;
    let events: IndexableEvent[] = [];
    let rejections: HeldLine[] = [];
    try {
      for (;;) {
        if (signal?.aborted) throw new AuditError('SHUTDOWN', `Stopped while reading ${source}.`, { retryable: true });
        const next = await lines.next();
        if (next.done === true) {
          stats = next.value;
          break;
        }
        for (const line of next.value) {
          const result = buildEvent(line, ctx);
          if (!result.ok) {
            rejections.push({ rejection: result.rejection, stage: 'parse' });
            continue;
          }
          const refused = admissionOf(result.doc.event, this.rules, objectMs);
          if (refused === undefined) {
            events.push(result.doc);
            continue;
          }
          const { id, event } = result.doc;
          rejections.push({
            rejection: { reason: refused.reason, line: line.number, raw: Buffer.from(line.bytes), hash: event.event.hash, id, detail: refused.detail },
            stage: 'admission',
            fields: event.aws.s3access,
          });
        }
        if (events.length >= EVENT_BATCH) {
          await this.writeEvents(events, tally, tracker, signal);
          events = [];
        }
        if (rejections.length >= REJECT_BATCH) {
          await this.quarantineRejections(rejections, errorCtx, tally);
          rejections = [];
        }
        if (tally.failure) throw tally.failure;
      }
      await this.writeEvents(events, tally, tracker, signal);
      await this.quarantineRejections(rejections, errorCtx, tally);
      // Send this object's last partial batch now and wait for this object's outcomes only; a
      // full flush would also wait for every other object in flight.
      this.deps.sink.sendNow();
      await tally.drained();
    } catch (err) {
      throw await readFailed(err, source, metrics, lines);
    } finally {
      metrics.objectBytes.inc(bytes);
    }
    if (tally.failure) {
      metrics.objects.inc({ result: 'failed' });
      throw tally.failure;
    }
    if (tally.settled !== stats.lines || tally.errorEvents !== tally.quarantined) {
      metrics.objects.inc({ result: 'failed' });
      throw new AuditError(
        'INTERNAL',
        `Accounting mismatch for ${source}: ${stats.lines} lines, ${tally.settled} settled, ${tally.quarantined} quarantined, ${tally.errorEvents} pipeline_error events.`,
        {
          details: { lines: stats.lines, indexed: tally.indexed, duplicates: tally.duplicates, quarantined: tally.quarantined, errorEvents: tally.errorEvents },
        },
      );
    }

    metrics.objects.inc({ result: 'done' });
    metrics.events.inc({ outcome: 'indexed' }, tally.indexed);
    metrics.events.inc({ outcome: 'duplicate' }, tally.duplicates);
    metrics.events.inc({ outcome: 'quarantined' }, tally.quarantined);
    metrics.errorEvents.inc(tally.errorEvents);
    metrics.lines.inc(stats.lines);
    metrics.blankLines.inc(stats.blank);
    const result: ObjectResult = {
      ref,
      status: 'done',
      bytes,
      lines: stats.lines,
      blankLines: stats.blank,
      indexed: tally.indexed,
      duplicates: tally.duplicates,
      quarantined: tally.quarantined,
      quarantinedByReason: tally.quarantinedByReason,
      errorEvents: tally.errorEvents,
      linesByDay: tally.linesByDay,
      durationMs: Date.now() - started,
    };
    logger.info(
      {
        object: source,
        bytes,
        gzip: stats.gzip,
        lines: result.lines,
        blank: result.blankLines,
        indexed: result.indexed,
        duplicates: result.duplicates,
        quarantined: result.quarantined,
        quarantinedByReason: result.quarantinedByReason,
        errorEvents: result.errorEvents,
        durationMs: result.durationMs,
      },
      'Log object accounted for.',
    );
    return result;
  }

  private async writeEvents(docs: IndexableEvent[], tally: ObjectTally, tracker: WriteTracker, signal?: AbortSignal): Promise<void> {
    if (docs.length === 0) return;
    // Enrichment never throws and never holds an event back beyond its wait budget.
    await this.deps.enricher.enrich(
      docs.map((d) => d.event),
      signal,
    );
    // When this copy was produced; a redelivered copy carries a later time and is refused by
    // `create` anyway, so the stored value is the first ingestion.
    const ingested = new Date().toISOString();
    for (const doc of docs) {
      doc.event.event.ingested = ingested;
      tally.expect();
      await this.deps.sink.write(doc, tracker);
    }
  }

  /**
   * Quarantine first, durably; then each line's pipeline_error event. The line is settled by the
   * quarantine write, the object is done only when the events are in the index as well.
   */
  private async quarantineRejections(held: HeldLine[], errorCtx: ErrorContext, tally: ObjectTally): Promise<void> {
    if (held.length === 0) return;
    const { source } = errorCtx;
    tally.expect(held.length);
    try {
      await this.deps.quarantine.put(held.map((h) => rejectionRecord(h.rejection, source, h.stage)));
    } catch (err) {
      tally.onFailed(new AuditError('QUARANTINE_WRITE_FAILED', `Quarantine write failed for ${source}.`, { cause: err, retryable: true }), held.length);
      return;
    }
    for (const h of held) this.deps.metrics.quarantined.inc({ reason: h.rejection.reason });
    // The events are owed before the lines settle, so the books never look finished in between.
    for (let i = 0; i < held.length; i += 1) tally.expectErrorEvent();
    tally.onQuarantined(held.map((h) => h.rejection.reason));
    for (const { rejection: r, stage, fields } of held) {
      const doc = lineErrorEvent(
        { reason: r.reason, stage, id: r.id, hash: r.hash, raw: r.raw, line: r.line, detail: r.detail, ...(fields ? { fields } : {}) },
        errorCtx,
      );
      await this.writeErrorEvent(doc, tally, true);
    }
  }

  /** Hands a pipeline_error event to the sink (no enrichment: it names no recording for sure). */
  private async writeErrorEvent(doc: IndexableDocument<PipelineErrorEvent>, tally: ObjectTally, expected = false): Promise<void> {
    if (!expected) tally.expectErrorEvent();
    doc.event.event.ingested = new Date().toISOString();
    try {
      await this.deps.sink.write(doc, tally.errorEventTracker);
    } catch (err) {
      tally.onFailed(new AuditError('SINK_UNAVAILABLE', `pipeline_error event ${doc.id} was not written.`, { cause: err, retryable: true }), 1);
    }
  }
}

function emptyResult(ref: ObjectRef, status: ObjectResult['status'], durationMs: number): ObjectResult {
  return {
    ref,
    status,
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
  };
}
