import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/schema.js';
import { AuditError, describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { decodeLines, type DecodeStats } from '../decode/lines.js';
import { buildEvent, type Rejection, type SourceContext } from '../event/build.js';
import type { IndexableEvent } from '../event/types.js';
import type { Enricher } from '../enrich/enricher.js';
import type { Metrics } from '../ops/metrics.js';
import type { BulkIndexer } from '../sinks/opensearch/bulk.js';
import type { QuarantineRecord, QuarantineStore } from '../sinks/quarantine.js';
import { openObject } from '../sources/s3-object.js';
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

export function rejectionRecord(rejection: Rejection, source: string): QuarantineRecord {
  return {
    reason: rejection.reason,
    stage: 'parse',
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
  constructor(
    private readonly cfg: Config,
    private readonly deps: ObjectProcessorDeps,
  ) {}

  async process(ref: ObjectRef, signal?: AbortSignal): Promise<ObjectResult> {
    const started = Date.now();
    const { logger, metrics } = this.deps;
    const source = `s3://${ref.bucket}/${ref.key}`;
    const opened = await openObject(this.deps.s3, ref, {
      ...(signal ? { signal } : {}),
      idleTimeoutMs: this.cfg.OBJECT_READ_TIMEOUT_MS,
    });
    if (!opened.found) {
      if (opened.reason === 'changed') {
        // Access logs are written once. A different object under the key is worth a person's
        // look, so the message goes to redelivery and then the dead-letter queue, never skipped.
        metrics.objects.inc({ result: 'changed' });
        logger.error({ object: source, eTag: ref.eTag, versionId: ref.versionId }, 'Log object changed since its notification; not read.');
        throw new AuditError('OBJECT_CHANGED', `Log object ${source} is no longer the version its notification named (ETag ${ref.eTag ?? '?'}).`, {
          retryable: true,
          details: { reason: 'changed' },
        });
      }
      if (opened.reason !== 'access_denied') metrics.missingLogObjects.inc({ policy: this.cfg.MISSING_OBJECT_POLICY });
      if (this.cfg.MISSING_OBJECT_POLICY === 'retry' || opened.reason === 'access_denied') {
        metrics.objects.inc({ result: opened.reason });
        throw new AuditError('OBJECT_MISSING', `Log object ${source} is ${opened.reason === 'access_denied' ? 'not readable' : 'missing'}.`, {
          retryable: true,
          details: { reason: opened.reason },
        });
      }
      metrics.objects.inc({ result: 'missing' });
      logger.warn({ object: source, policy: 'skip' }, 'Log object no longer exists; notification acknowledged by policy, its records are lost to the index.');
      return emptyResult(ref, 'missing', Date.now() - started);
    }

    let bytes = 0;
    const tally = new ObjectTally();
    const ctx: SourceContext = { logBucket: ref.bucket, filePath: source };
    const lines = decodeLines(
      countBytes(opened.body, (n) => {
        bytes += n;
      }),
    );
    let stats: DecodeStats | undefined;
    let events: IndexableEvent[] = [];
    let rejections: Rejection[] = [];
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
          if (result.ok) events.push(result.doc);
          else rejections.push(result.rejection);
        }
        if (events.length >= EVENT_BATCH) {
          await this.writeEvents(events, tally, signal);
          events = [];
        }
        if (rejections.length >= REJECT_BATCH) {
          await this.quarantineRejections(rejections, source, tally);
          rejections = [];
        }
        if (tally.failure) throw tally.failure;
      }
      await this.writeEvents(events, tally, signal);
      await this.quarantineRejections(rejections, source, tally);
      // Send this object's last partial batch now and wait for this object's outcomes only; a
      // full flush would also wait for every other object in flight.
      this.deps.sink.sendNow();
      await tally.drained();
    } catch (err) {
      metrics.objects.inc({ result: 'failed' });
      await lines.return(undefined as never).catch(() => undefined);
      throw err instanceof AuditError
        ? err
        : new AuditError('OBJECT_READ_FAILED', `Reading ${source} failed: ${describeError(err).message}`, { cause: err, retryable: true });
    } finally {
      metrics.objectBytes.inc(bytes);
    }
    if (tally.failure) {
      metrics.objects.inc({ result: 'failed' });
      throw tally.failure;
    }
    if (tally.settled !== stats.lines) {
      metrics.objects.inc({ result: 'failed' });
      throw new AuditError('INTERNAL', `Accounting mismatch for ${source}: ${stats.lines} lines, ${tally.settled} settled.`, {
        details: { lines: stats.lines, indexed: tally.indexed, duplicates: tally.duplicates, quarantined: tally.quarantined },
      });
    }

    metrics.objects.inc({ result: 'done' });
    metrics.events.inc({ outcome: 'indexed' }, tally.indexed);
    metrics.events.inc({ outcome: 'duplicate' }, tally.duplicates);
    metrics.events.inc({ outcome: 'quarantined' }, tally.quarantined);
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
        durationMs: result.durationMs,
      },
      'Log object accounted for.',
    );
    return result;
  }

  private async writeEvents(docs: IndexableEvent[], tally: ObjectTally, signal?: AbortSignal): Promise<void> {
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
      await this.deps.sink.write(doc, tally);
    }
  }

  private async quarantineRejections(rejections: Rejection[], source: string, tally: ObjectTally): Promise<void> {
    if (rejections.length === 0) return;
    tally.expect(rejections.length);
    try {
      await this.deps.quarantine.put(rejections.map((r) => rejectionRecord(r, source)));
    } catch (err) {
      tally.onFailed(new AuditError('QUARANTINE_WRITE_FAILED', `Quarantine write failed for ${source}.`, { cause: err, retryable: true }), rejections.length);
      return;
    }
    for (const r of rejections) this.deps.metrics.quarantined.inc({ reason: r.reason });
    tally.onQuarantined(rejections.map((r) => r.reason));
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
    linesByDay: {},
    durationMs,
  };
}
