import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AuditError, describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ReportState, RunParamsDoc } from './report.js';
import type { DocumentStore } from './store.js';
import type { Progress } from './watermark.js';

/**
 * Identity of a run: a checkpoint is reused only by a run with the same bucket, prefix, range,
 * margin, format and mode, so a different range never skips objects it did not finish.
 */
export function runKeyOf(p: RunParamsDoc): string {
  const canonical = JSON.stringify([p.bucket, p.prefix, p.from, p.to, p.marginSecs, p.format, p.mode]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

const position = z.object({ time: z.string(), key: z.string() });
const counts = z.object({ lines: z.number(), indexed: z.number(), duplicates: z.number(), quarantined: z.number() });

const checkpointSchema = z.object({
  kind: z.literal('recording-audit-replay-checkpoint'),
  version: z.literal(1),
  runKey: z.string(),
  params: z.object({
    bucket: z.string(),
    prefix: z.string(),
    from: z.string(),
    to: z.string(),
    marginSecs: z.number(),
    format: z.string(),
    mode: z.enum(['process', 'enqueue', 'dry-run']),
  }),
  attempt: z.number().int().min(1),
  startedAt: z.string(),
  updatedAt: z.string(),
  completed: z.boolean(),
  watermark: position.nullable(),
  doneAbove: z.array(position),
  failed: z.array(position.extend({ code: z.string(), message: z.string(), attempts: z.number().int() })),
  report: z.object({
    totals: z.object({
      objects: z.number(),
      missing: z.number(),
      bytes: z.number(),
      lines: z.number(),
      blankLines: z.number(),
      indexed: z.number(),
      duplicates: z.number(),
      quarantined: z.number(),
      quarantinedByReason: z.record(z.string(), z.number()),
      skipped: z.number().optional(),
    }),
    byKeyDay: z.record(z.string(), counts.extend({ objects: z.number(), missing: z.number(), failed: z.number(), bytes: z.number() })),
    byEventDay: z.record(z.string(), counts),
  }),
});

export type CheckpointDoc = z.infer<typeof checkpointSchema>;

export interface Checkpoint {
  readonly runKey: string;
  readonly params: RunParamsDoc;
  readonly attempt: number;
  readonly startedAt: string;
  readonly completed: boolean;
  readonly progress: Progress;
  readonly report: ReportState;
}

const toTime = (ms: number): string => new Date(ms).toISOString();

export function encodeCheckpoint(c: Checkpoint, now: Date): string {
  const doc: CheckpointDoc = {
    kind: 'recording-audit-replay-checkpoint',
    version: 1,
    runKey: c.runKey,
    params: { ...c.params },
    attempt: c.attempt,
    startedAt: c.startedAt,
    updatedAt: now.toISOString(),
    completed: c.completed,
    watermark: c.progress.watermark ? { time: toTime(c.progress.watermark.keyTimeMs), key: c.progress.watermark.key } : null,
    doneAbove: c.progress.doneAbove.map((p) => ({ time: toTime(p.keyTimeMs), key: p.key })),
    failed: c.progress.failed.map((f) => ({ time: toTime(f.keyTimeMs), key: f.key, code: f.code, message: f.message, attempts: f.attempts })),
    report: c.report,
  };
  return `${JSON.stringify(doc, null, 1)}\n`;
}

export function decodeCheckpoint(text: string, where: string): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AuditError('CHECKPOINT_FAILED', `Checkpoint ${where} is not JSON: ${(err as Error).message}`);
  }
  const parsed = checkpointSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AuditError(
      'CHECKPOINT_FAILED',
      `Checkpoint ${where} is not a replay checkpoint: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const d = parsed.data;
  const ms = (t: string): number => Date.parse(t);
  return {
    runKey: d.runKey,
    params: d.params,
    attempt: d.attempt,
    startedAt: d.startedAt,
    completed: d.completed,
    progress: {
      watermark: d.watermark ? { keyTimeMs: ms(d.watermark.time), key: d.watermark.key } : null,
      doneAbove: d.doneAbove.map((p) => ({ keyTimeMs: ms(p.time), key: p.key })),
      failed: d.failed.map((f) => ({ keyTimeMs: ms(f.time), key: f.key, code: f.code, message: f.message, attempts: f.attempts })),
    },
    report: d.report,
  };
}

/**
 * Writes the checkpoint after every finished object without queueing one write per object: while
 * a write is in flight, later requests coalesce into one more write of the then-current state. The
 * state is read synchronously when a write starts, so the done set and the report counters in one
 * checkpoint always describe the same objects.
 */
export class CheckpointWriter {
  private writing: Promise<void> | undefined;
  private again = false;
  private lastError: unknown;
  writes = 0;
  errors = 0;

  constructor(
    private readonly store: DocumentStore,
    private readonly state: () => Checkpoint,
    private readonly logger: Logger,
  ) {}

  get location(): string {
    return this.store.location;
  }

  schedule(): Promise<void> {
    if (this.writing) {
      this.again = true;
      return this.writing;
    }
    const writing = this.loop().finally(() => {
      this.writing = undefined;
    });
    this.writing = writing;
    return writing;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const text = encodeCheckpoint(this.state(), new Date());
      try {
        await this.store.write(text);
        this.writes += 1;
        this.lastError = undefined;
      } catch (err) {
        this.errors += 1;
        this.lastError = err;
        this.logger.error(
          { checkpoint: this.store.location, err: describeError(err) },
          'Checkpoint write failed; progress since the last good write would be redone.',
        );
      }
    } while (this.again);
  }

  /** Writes the current state now and throws if that final write fails. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    await this.schedule();
    if (this.lastError !== undefined) throw new AuditError('CHECKPOINT_FAILED', `Cannot write checkpoint ${this.store.location}.`, { cause: this.lastError });
  }
}
