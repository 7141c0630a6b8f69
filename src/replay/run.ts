import { setMaxListeners } from 'node:events';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { AuditError, describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { ObjectProcessor } from '../pipeline/types.js';
import { CheckpointWriter, decodeCheckpoint, runKeyOf, type Checkpoint } from './checkpoint.js';
import { SQS_BATCH_MAX, sendNotifications } from './enqueue.js';
import type { KeyFormat } from './keys.js';
import { emptyListStats, listLogObjects, type ListedObject, type ListOptions } from './list.js';
import { windowEnd, type Window } from './plan.js';
import { ProgressReporter, type ProgressOutput } from './progress.js';
import { ReportAccumulator, buildReport, type ReplayMode, type ReplayOutcome, type ReplayReport, type RunParamsDoc } from './report.js';
import { openStore, withSuffix } from './store.js';
import { LineThrottle, TokenBucket, systemClock, type Clock } from './throttle.js';
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

/** Attempts of one object (or notification) while the error says a retry may help. */
const MAX_ATTEMPTS = 3;
const backoffMs = (attempt: number): number => 1000 * 4 ** (attempt - 1);

export function paramsDoc(p: ReplayParams, mode: ReplayMode): RunParamsDoc {
  return { bucket: p.bucket, prefix: p.prefix, from: new Date(p.fromMs).toISOString(), to: new Date(p.toMs).toISOString(), marginSecs: p.marginSecs, format: p.format, mode };
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

/** Runs one replay: lists the window, then processes, enqueues or (dry run) only counts. */
export async function runReplay(opts: ReplayOptions, deps: ReplayDeps): Promise<ReplayRun> {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;
  const startedAt = new Date(clock.now());
  const params = paramsDoc(opts.params, opts.mode);
  const runKey = runKeyOf(params);
  const window: Window = { fromMs: opts.params.fromMs, toMs: opts.params.toMs, marginMs: opts.params.marginSecs * 1000 };
  const windowDoc = { from: params.from, end: new Date(windowEnd(window)).toISOString() };
  const listStats = emptyListStats();
  let skippedByCheckpoint = 0;

  const stopCtl = new AbortController();
  const inflightCtl = new AbortController();
  // Every in-flight object and S3 request listens to these two signals: many listeners by design.
  setMaxListeners(opts.concurrency * 8 + 64, stopCtl.signal, inflightCtl.signal);
  let stopReason: 'signal' | 'too-many-failures' | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const waiters: (() => void)[] = [];
  const notify = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const stop = (reason: 'signal' | 'too-many-failures'): void => {
    if (stopCtl.signal.aborted) return;
    stopReason = reason;
    stopCtl.abort();
    notify();
    if (reason === 'signal') {
      logger.info({ graceSecs: opts.graceMs / 1000 }, 'Stopping: no new objects; in-flight ones may finish.');
      graceTimer = setTimeout(() => inflightCtl.abort(), opts.graceMs);
      graceTimer.unref();
    }
  };
  const onStop = (): void => stop('signal');
  const onAbort = (): void => {
    stop('signal');
    inflightCtl.abort();
  };
  if (deps.stop?.aborted) onStop();
  else deps.stop?.addEventListener('abort', onStop, { once: true });
  if (deps.abort?.aborted) onAbort();
  else deps.abort?.addEventListener('abort', onAbort, { once: true });

  const acc0 = new ReportAccumulator();
  if (opts.mode === 'dry-run') {
    let error: { code: string; message: string } | undefined;
    try {
      for await (const obj of listLogObjects(deps.s3, listOptions(opts, deps.abort), listStats)) {
        if (stopCtl.signal.aborted) break;
        acc0.addListed(obj);
      }
    } catch (err) {
      error = describeError(err);
    }
    deps.stop?.removeEventListener('abort', onStop);
    deps.abort?.removeEventListener('abort', onAbort);
    const outcome: ReplayOutcome = error ? 'failed' : stopReason ? 'interrupted' : 'completed';
    const report = buildReport({ mode: 'dry-run', runKey, params, window: windowDoc, checkpoint: null, attempt: 1, startedAt, finishedAt: new Date(clock.now()), outcome, ...(error ? { error } : {}), listing: { ...listStats, skippedByCheckpoint }, state: acc0.state, failures: [] });
    if (!opts.reportUrl) return { report };
    const reportStore = openStore(opts.reportUrl, deps.s3);
    await reportStore.write(`${JSON.stringify(report, null, 2)}\n`);
    return { report, reportLocation: reportStore.location };
  }

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
    () => ({ runKey, params, attempt, startedAt: prior?.startedAt ?? startedAt.toISOString(), completed, progress: tracker.snapshot(), report: acc.state }),
    logger,
  );
  // Written before any work: a location we cannot write to fails the run now, not at the end.
  await writer.flush();
  logger.info(
    { runKey, mode: opts.mode, bucket: params.bucket, prefix: params.prefix, from: params.from, to: params.to, windowEnd: windowDoc.end, format: params.format, checkpoint: cpStore.location, attempt, resumeAfter: prior?.progress.watermark?.key ?? null, retrying: prior?.progress.failed.length ?? 0 },
    prior ? 'Replay resuming from its checkpoint.' : 'Replay starting.',
  );

  // Progress figures; a second listing sizes the selection for the percentage and the ETA.
  let settledObjects = 0;
  let settledBytes = 0;
  let total: { objects: number; bytes: number } | undefined;
  const sizingCtl = new AbortController();
  const sizing = (async () => {
    let objects = 0;
    let bytes = 0;
    for await (const obj of listLogObjects(deps.s3, listOptions(opts, sizingCtl.signal))) {
      objects += 1;
      bytes += obj.size;
    }
    total = { objects, bytes };
  })().catch((err: unknown) => {
    if (!sizingCtl.signal.aborted) logger.debug({ err: describeError(err) }, 'Sizing listing failed; progress shows key time only.');
  });
  const active = new Set<Promise<void>>();
  const progress = new ProgressReporter(
    { output: deps.progress ?? process.stderr, logger, intervalSecs: opts.progressSecs, label: opts.mode === 'enqueue' ? 'enqueue' : 'replay', clock },
    () => ({
      objects: settledObjects,
      bytes: settledBytes,
      lines: acc.state.totals.lines,
      failed: tracker.failedCount,
      inFlight: active.size,
      ...(total ? { total } : {}),
      ...(tracker.current ? { watermarkMs: tracker.current.keyTimeMs } : {}),
      window: { fromMs: window.fromMs, endMs: windowEnd(window) },
    }),
  );
  progress.start();

  const settled = (obj: ListedObject, failure?: { code: string; message: string; attempts: number }): void => {
    tracker.finish(obj, failure);
    settledObjects += 1;
    settledBytes += obj.size;
    void writer.schedule();
    if (failure) {
      logger.error({ key: obj.key, code: failure.code, error: failure.message, attempts: failure.attempts }, 'Log object failed; the next run of the same parameters retries it.');
      if (tracker.failedCount >= opts.maxFailures) {
        logger.error({ failed: tracker.failedCount, maxFailures: opts.maxFailures }, 'Too many failed objects; stopping.');
        stop('too-many-failures');
      }
    }
  };

  const throttle = new LineThrottle(opts.maxLinesPerSec, clock);
  const processOne = async (obj: ListedObject, estimate: number): Promise<void> => {
    const processor = deps.processor!;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const r = await processor.process({ bucket: obj.bucket, key: obj.key, size: obj.size }, inflightCtl.signal);
        if (r.status === 'done' && r.lines !== r.indexed + r.duplicates + r.quarantined) {
          throw new AuditError('INTEGRITY_MISMATCH', `${obj.key}: ${r.lines} lines but ${r.indexed} indexed + ${r.duplicates} duplicates + ${r.quarantined} quarantined.`);
        }
        if (r.status === 'missing') logger.warn({ key: obj.key }, 'Log object no longer exists; counted as missing.');
        acc.addResult(obj, r);
        throttle.settle(estimate, r.bytes, r.lines);
        settled(obj);
        return;
      } catch (err) {
        if (inflightCtl.signal.aborted) {
          tracker.abandon(obj);
          throttle.release(estimate);
          return;
        }
        const d = describeError(err);
        const retryable = err instanceof AuditError ? err.retryable : true;
        if (retryable && attempt < MAX_ATTEMPTS && !stopCtl.signal.aborted) {
          logger.warn({ key: obj.key, err: d, attempt }, 'Log object not accounted for; trying again.');
          await clock.sleep(backoffMs(attempt), stopCtl.signal);
          if (!stopCtl.signal.aborted) continue;
        }
        if (stopCtl.signal.aborted && retryable) {
          tracker.abandon(obj);
          throttle.release(estimate);
          return;
        }
        throttle.release(estimate);
        settled(obj, { code: d.code, message: d.message, attempts: attempt });
        return;
      }
    }
  };

  const enqueueBucket = new TokenBucket(Math.max(1, opts.enqueuePerSec), Math.max(SQS_BATCH_MAX, opts.enqueuePerSec), clock);
  const enqueueBatch = async (objs: ListedObject[]): Promise<void> => {
    let remaining = objs;
    for (let attempt = 1; remaining.length > 0; attempt += 1) {
      const results = await sendNotifications(deps.sqs!, opts.queueUrl!, remaining, { region: opts.region ?? 'us-east-1', signal: inflightCtl.signal });
      const again: ListedObject[] = [];
      results.forEach((res, i) => {
        const obj = remaining[i]!;
        if (res.ok) {
          acc.addListed(obj);
          settled(obj);
        } else if (inflightCtl.signal.aborted || (res.retryable && stopCtl.signal.aborted)) tracker.abandon(obj);
        else if (res.retryable && attempt < MAX_ATTEMPTS) again.push(obj);
        else settled(obj, { code: res.code, message: res.message, attempts: attempt });
      });
      remaining = again;
      if (remaining.length > 0) await clock.sleep(backoffMs(attempt), inflightCtl.signal);
    }
  };

  const batchSize = opts.mode === 'enqueue' ? SQS_BATCH_MAX : 1;
  // Finished objects above the watermark are kept by key; this bounds how many there can be.
  const windowSize = Math.max(32, opts.concurrency * batchSize * 4);
  // Not p-limit: admission waits on two bounds at once, the tasks running and the objects still
  // held above the watermark (the window), and p-limit can express only the first.
  const waitCapacity = async (): Promise<boolean> => {
    while (!stopCtl.signal.aborted && (active.size >= opts.concurrency || tracker.outstanding > windowSize)) {
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return !stopCtl.signal.aborted;
  };
  const launch = async (job: ListedObject[]): Promise<boolean> => {
    if (!(await waitCapacity())) return false;
    let estimate = 0;
    if (opts.mode === 'process') {
      const admitted = await throttle.admit(job[0]!.size, stopCtl.signal);
      if (admitted === undefined) return false;
      estimate = admitted;
    } else if (!(await enqueueBucket.take(job.length, stopCtl.signal))) return false;
    const run = opts.mode === 'process' ? processOne(job[0]!, estimate) : enqueueBatch(job);
    const p: Promise<void> = run
      .catch((err: unknown) => logger.error({ err: describeError(err) }, 'Unexpected replay task failure.'))
      .finally(() => {
        active.delete(p);
        notify();
      });
    active.add(p);
    return true;
  };

  let listingError: { code: string; message: string } | undefined;
  try {
    let batch: ListedObject[] = [];
    for await (const obj of listLogObjects(deps.s3, listOptions(opts, inflightCtl.signal), listStats)) {
      if (stopCtl.signal.aborted) break;
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
    if (batch.length > 0 && !stopCtl.signal.aborted) await launch(batch);
  } catch (err) {
    if (!inflightCtl.signal.aborted) {
      listingError = describeError(err);
      logger.error({ err: listingError }, 'Listing failed; stopping.');
    }
  }
  while (active.size > 0) await Promise.allSettled([...active]);
  clearTimeout(graceTimer);
  sizingCtl.abort();
  await sizing;
  progress.stop();
  deps.stop?.removeEventListener('abort', onStop);
  deps.abort?.removeEventListener('abort', onAbort);

  let outcome: ReplayOutcome = listingError ? 'failed' : stopReason === 'signal' ? 'interrupted' : stopReason ?? (tracker.failedCount > 0 ? 'failed' : 'completed');
  completed = outcome === 'completed';
  let error = listingError;
  try {
    await writer.flush();
  } catch (err) {
    error = describeError(err);
    outcome = 'failed';
  }
  const report = buildReport({
    mode: opts.mode, runKey, params, window: windowDoc, checkpoint: cpStore.location, attempt, startedAt, finishedAt: new Date(clock.now()),
    outcome, ...(error ? { error } : {}), listing: { ...listStats, skippedByCheckpoint }, state: acc.state, failures: tracker.failures,
  });
  const reportStore = openStore(reportUrl, deps.s3);
  await reportStore.write(`${JSON.stringify(report, null, 2)}\n`);
  logger.info({ outcome, report: reportStore.location, checkpoint: cpStore.location, ...report.totals }, 'Replay finished.');
  return { report, checkpointLocation: cpStore.location, reportLocation: reportStore.location };
}
