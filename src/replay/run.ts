import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { AuditError, describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ObjectProcessor } from '../pipeline/types.js';
import { CheckpointWriter, decodeCheckpoint, runKeyOf, type Checkpoint } from './checkpoint.js';
import { SQS_BATCH_MAX } from './enqueue.js';
import type { KeyFormat } from '../sources/log-keys.js';
import { emptyListStats, listLogObjects, type ListedObject, type ListOptions } from './list.js';
import { windowEnd, type Window } from './plan.js';
import { ProgressReporter, type ProgressOutput } from './progress.js';
import { ReportAccumulator, buildReport, type ReplayMode, type ReplayOutcome, type ReplayReport, type RunParamsDoc } from './report.js';
import { openStore, withSuffix } from './store.js';
import { Scheduler } from './scheduler.js';
import { sizeSelection } from './sizing.js';
import { ReplayStop } from './stop.js';
import { enqueueTask, objectTask, type Failure, type TaskBooks } from './tasks.js';
import { systemClock, type Clock } from '../core/time.js';
import { LineThrottle, TokenBucket } from './throttle.js';
import { WatermarkTracker } from './watermark.js';

export interface ReplayParams {
  readonly bucket: string;
  readonly prefix: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly marginSecs: number;
  readonly format: KeyFormat | 'auto';
}

export interface ReplayOptions {
  readonly params: ReplayParams;
  readonly mode: ReplayMode;
  /** Objects processed at once; with --enqueue, SendMessageBatch calls at once. */
  readonly concurrency: number;
  /** 0: unlimited. */
  readonly maxLinesPerSec: number;
  readonly enqueuePerSec: number;
  /** Base location; the run key is inserted before the extension. */
  readonly checkpointUrl: string;
  /** Where the report goes; default next to the checkpoint (not written by a dry run). */
  readonly reportUrl?: string;
  /** Ignore an unfinished checkpoint of the same parameters and start over. */
  readonly restart: boolean;
  /** Stop taking objects once this many have failed for good. */
  readonly maxFailures: number;
  readonly progressSecs: number;
  /** After a stop, in-flight objects get this long before they are aborted. */
  readonly graceMs: number;
  readonly queueUrl?: string;
  /** awsRegion of synthetic notifications. */
  readonly region?: string;
  readonly pageSize?: number;
}

export interface ReplayDeps {
  readonly s3: S3Client;
  readonly logger: Logger;
  readonly processor?: ObjectProcessor;
  readonly sqs?: SQSClient;
  readonly progress?: ProgressOutput;
  /** Stop taking new objects; in-flight ones get graceMs. */
  readonly stop?: AbortSignal;
  /** Abort in-flight work now. */
  readonly abort?: AbortSignal;
  readonly clock?: Clock;
}

export interface ReplayRun {
  readonly report: ReplayReport;
  readonly checkpointLocation?: string;
  readonly reportLocation?: string;
}

export function paramsDoc(p: ReplayParams, mode: ReplayMode): RunParamsDoc {
  return {
    bucket: p.bucket,
    prefix: p.prefix,
    from: new Date(p.fromMs).toISOString(),
    to: new Date(p.toMs).toISOString(),
    marginSecs: p.marginSecs,
    format: p.format,
    mode,
  };
}

function listOptions(opts: ReplayOptions, signal?: AbortSignal): ListOptions {
  const p = opts.params;
  return {
    bucket: p.bucket,
    prefix: p.prefix,
    window: { fromMs: p.fromMs, toMs: p.toMs, marginMs: p.marginSecs * 1000 },
    format: p.format,
    ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
    ...(signal ? { signal } : {}),
  };
}

function loadCheckpoint(opts: ReplayOptions, deps: ReplayDeps, runKey: string, location: string, text: string | undefined): Checkpoint | undefined {
  if (text === undefined) return undefined;
  const prior = decodeCheckpoint(text, location);
  if (prior.runKey !== runKey) throw new AuditError('CHECKPOINT_FAILED', `Checkpoint ${location} belongs to another run (${prior.runKey}).`);
  if (prior.completed) {
    deps.logger.info({ checkpoint: location, attempt: prior.attempt }, 'The previous run of these parameters completed; this is a new run.');
    return undefined;
  }
  if (opts.restart) {
    deps.logger.warn({ checkpoint: location }, 'Unfinished checkpoint ignored (--restart); starting over.');
    return undefined;
  }
  return prior;
}

/** What names this run: its parameters, its key and its time window. */
interface RunIdentity {
  readonly startedAt: Date;
  readonly params: RunParamsDoc;
  readonly runKey: string;
  readonly window: Window;
  readonly windowDoc: { from: string; end: string };
}

function identify(opts: ReplayOptions, clock: Clock): RunIdentity {
  const params = paramsDoc(opts.params, opts.mode);
  const window: Window = { fromMs: opts.params.fromMs, toMs: opts.params.toMs, marginMs: opts.params.marginSecs * 1000 };
  return {
    startedAt: new Date(clock.now()),
    params,
    runKey: runKeyOf(params),
    window,
    windowDoc: { from: params.from, end: new Date(windowEnd(window)).toISOString() },
  };
}

/** Runs one replay: lists the window, then processes, enqueues or (dry run) only counts. */
export async function runReplay(opts: ReplayOptions, deps: ReplayDeps): Promise<ReplayRun> {
  const clock = deps.clock ?? systemClock;
  const run = identify(opts, clock);
  const stop = new ReplayStop(opts.graceMs, deps.logger, opts.concurrency * 8 + 64);
  stop.follow(deps.stop, deps.abort);
  try {
    if (opts.mode === 'dry-run') return await dryRun(opts, deps, run, stop, clock);
    return await replayObjects(opts, deps, run, stop, clock);
  } finally {
    stop.dispose();
  }
}

/** Lists and counts, writes nothing but the report (and that only when asked). */
async function dryRun(opts: ReplayOptions, deps: ReplayDeps, run: RunIdentity, stop: ReplayStop, clock: Clock): Promise<ReplayRun> {
  const listStats = emptyListStats();
  const acc = new ReportAccumulator();
  let error: { code: string; message: string } | undefined;
  try {
    for await (const obj of listLogObjects(deps.s3, listOptions(opts, deps.abort), listStats)) {
      if (stop.stopping.aborted) break;
      acc.addListed(obj);
    }
  } catch (err) {
    error = describeError(err);
  }
  stop.dispose();
  const outcome: ReplayOutcome = error ? 'failed' : stop.reason ? 'interrupted' : 'completed';
  const report = buildReport({
    mode: 'dry-run',
    runKey: run.runKey,
    params: run.params,
    window: run.windowDoc,
    checkpoint: null,
    attempt: 1,
    startedAt: run.startedAt,
    finishedAt: new Date(clock.now()),
    outcome,
    ...(error ? { error } : {}),
    listing: { ...listStats, skippedByCheckpoint: 0 },
    state: acc.state,
    failures: [],
  });
  if (!opts.reportUrl) return { report };
  const reportStore = openStore(opts.reportUrl, deps.s3);
  await reportStore.write(`${JSON.stringify(report, null, 2)}\n`);
  return { report, reportLocation: reportStore.location };
}

/** Processes or enqueues every listed object not settled by an earlier run, with a checkpoint. */
async function replayObjects(opts: ReplayOptions, deps: ReplayDeps, run: RunIdentity, stop: ReplayStop, clock: Clock): Promise<ReplayRun> {
  const { logger } = deps;
  const { params, runKey, window, windowDoc } = run;
  if (opts.mode === 'process' && !deps.processor) throw new AuditError('INTERNAL', 'replay needs an object processor');
  if (opts.mode === 'enqueue' && (!deps.sqs || !opts.queueUrl)) throw new AuditError('CONFIG_INVALID', 'replay --enqueue needs SQS_QUEUE_URL');

  const cpStore = openStore(withSuffix(opts.checkpointUrl, `.${runKey}`), deps.s3);
  const reportUrl = opts.reportUrl ?? withSuffix(opts.checkpointUrl, `.${runKey}.report`);
  const prior = loadCheckpoint(opts, deps, runKey, cpStore.location, await cpStore.read());
  const attempt = prior ? prior.attempt + 1 : 1;
  const tracker = new WatermarkTracker(prior?.progress);
  const acc = new ReportAccumulator(prior?.report);
  let completed = false;
  const writer = new CheckpointWriter(
    cpStore,
    () => ({ runKey, params, attempt, startedAt: prior?.startedAt ?? run.startedAt.toISOString(), completed, progress: tracker.snapshot(), report: acc.state }),
    logger,
  );
  // Written before any work: a location we cannot write to fails the run now, not at the end.
  await writer.flush();
  logger.info(
    {
      runKey,
      mode: opts.mode,
      bucket: params.bucket,
      prefix: params.prefix,
      from: params.from,
      to: params.to,
      windowEnd: windowDoc.end,
      format: params.format,
      checkpoint: cpStore.location,
      attempt,
      resumeAfter: prior?.progress.watermark?.key ?? null,
      retrying: prior?.progress.failed.length ?? 0,
    },
    prior ? 'Replay resuming from its checkpoint.' : 'Replay starting.',
  );

  const listStats = emptyListStats();
  let skippedByCheckpoint = 0;
  let settledObjects = 0;
  let settledBytes = 0;
  const batchSize = opts.mode === 'enqueue' ? SQS_BATCH_MAX : 1;
  // Finished objects above the watermark are kept by key; this bounds how many there can be.
  const windowSize = Math.max(32, opts.concurrency * batchSize * 4);
  const scheduler = new Scheduler(opts.concurrency, windowSize, () => tracker.outstanding, stop, logger);
  const sizing = sizeSelection(deps.s3, (signal) => listOptions(opts, signal), logger);
  const progress = new ProgressReporter(
    { output: deps.progress ?? process.stderr, logger, intervalSecs: opts.progressSecs, label: opts.mode === 'enqueue' ? 'enqueue' : 'replay', clock },
    () => ({
      objects: settledObjects,
      bytes: settledBytes,
      lines: acc.state.totals.lines,
      failed: tracker.failedCount,
      inFlight: scheduler.running,
      ...(sizing.total ? { total: sizing.total } : {}),
      ...(tracker.current ? { watermarkMs: tracker.current.keyTimeMs } : {}),
      window: { fromMs: window.fromMs, endMs: windowEnd(window) },
    }),
  );
  progress.start();

  const books: TaskBooks = {
    acc,
    settled(obj: ListedObject, failure?: Failure): void {
      tracker.finish(obj, failure);
      settledObjects += 1;
      settledBytes += obj.size;
      void writer.schedule();
      if (failure) {
        logger.error(
          { key: obj.key, code: failure.code, error: failure.message, attempts: failure.attempts },
          'Log object failed; the next run of the same parameters retries it.',
        );
        if (tracker.failedCount >= opts.maxFailures) {
          logger.error({ failed: tracker.failedCount, maxFailures: opts.maxFailures }, 'Too many failed objects; stopping.');
          stop.stop('too_many_failures');
        }
      }
    },
    abandon: (obj) => tracker.abandon(obj),
  };
  const throttle = new LineThrottle(opts.maxLinesPerSec, clock);
  const enqueueBucket = new TokenBucket(Math.max(1, opts.enqueuePerSec), Math.max(SQS_BATCH_MAX, opts.enqueuePerSec), clock);
  const processOne = deps.processor ? objectTask(deps.processor, books, throttle, stop, clock, logger) : undefined;
  const enqueueBatch = deps.sqs && opts.queueUrl ? enqueueTask(deps.sqs, opts.queueUrl, opts.region ?? 'us-east-1', books, stop, clock) : undefined;
  const launch = (job: ListedObject[]): Promise<boolean> =>
    scheduler.launch(async () => {
      if (opts.mode === 'process') {
        const estimate = await throttle.admit(job[0]!.size, stop.stopping);
        return estimate === undefined ? undefined : () => processOne!(job[0]!, estimate);
      }
      return (await enqueueBucket.take(job.length, stop.stopping)) ? () => enqueueBatch!(job) : undefined;
    });

  let listingError: { code: string; message: string } | undefined;
  try {
    let batch: ListedObject[] = [];
    for await (const obj of listLogObjects(deps.s3, listOptions(opts, stop.aborting), listStats)) {
      if (stop.stopping.aborted) break;
      if (tracker.isSettled(obj)) {
        tracker.skip(obj);
        skippedByCheckpoint += 1;
        settledObjects += 1;
        settledBytes += obj.size;
        continue;
      }
      tracker.begin(obj);
      batch.push(obj);
      if (batch.length >= batchSize) {
        const job = batch;
        batch = [];
        if (!(await launch(job))) break;
      }
    }
    if (batch.length > 0 && !stop.stopping.aborted) await launch(batch);
  } catch (err) {
    if (!stop.aborting.aborted) {
      listingError = describeError(err);
      logger.error({ err: listingError }, 'Listing failed; stopping.');
    }
  }
  await scheduler.drain();
  await sizing.stop();
  progress.stop();
  stop.dispose();

  let outcome: ReplayOutcome = listingError
    ? 'failed'
    : stop.reason === 'signal'
      ? 'interrupted'
      : (stop.reason ?? (tracker.failedCount > 0 ? 'failed' : 'completed'));
  completed = outcome === 'completed';
  let error = listingError;
  try {
    await writer.flush();
  } catch (err) {
    error = describeError(err);
    outcome = 'failed';
  }
  const report = buildReport({
    mode: opts.mode,
    runKey,
    params,
    window: windowDoc,
    checkpoint: cpStore.location,
    attempt,
    startedAt: run.startedAt,
    finishedAt: new Date(clock.now()),
    outcome,
    ...(error ? { error } : {}),
    listing: { ...listStats, skippedByCheckpoint },
    state: acc.state,
    failures: tracker.failures,
  });
  const reportStore = openStore(reportUrl, deps.s3);
  await reportStore.write(`${JSON.stringify(report, null, 2)}\n`);
  logger.info({ outcome, report: reportStore.location, checkpoint: cpStore.location, ...report.totals }, 'Replay finished.');
  return { report, checkpointLocation: cpStore.location, reportLocation: reportStore.location };
}
