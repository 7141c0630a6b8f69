/**
 * npm run bench -- cloudtrail [--access-lines N] [--cloudtrail-records M] [--big-mb MB] [--built]
 *   (--built: the compiled dist/ worker with the image's heap cap, after `npm run build`)
 *
 * CloudTrail events/s through the live worker against access-log events/s in the same run (each
 * source on its own queue and its own worker child, one after the other, same OpenSearch, same
 * settings), then the worker's peak RSS while it reads one large CloudTrail file (default 100 MB of
 * JSON before gzip). Times run from the worker's start to the last document counted in the index,
 * objects already in S3 and their notifications queued.
 */
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogPipeline, putLogObject, type LogPipelineResources } from '../../src/sim/s3-logs/log-pipeline.js';
import { logObjectKey } from '../../src/sim/s3-logs/scenario.js';
import { applyStackEnv, awsClientConfig, uniqueName } from '../support/stack-env.js';
import { cloudTrailKey, cloudTrailRecord } from '../support/cloudtrail-files.js';
import { countDocuments, deleteIndices, openSearch, setupIndices, spawnWorker, workerEnv } from '../support/worker-harness.js';
import { corpusLines } from './e2e-corpus.js';
import { rssOf } from './proc.js';

const AUDITED = 'example-health-recordings';
const ORG = '5d1e2f30-4a5b-4c6d-8e7f-901a2b3c4d5e';

async function runWorker(env: Record<string, string>, index: string, expected: number, built: boolean): Promise<{ seconds: number; peakRssMb: number }> {
  const os = openSearch();
  const started = Date.now();
  const child = spawnWorker(env, { built });
  let peak = 0;
  let output = '';
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  try {
    for (;;) {
      peak = Math.max(peak, rssOf(child.pid ?? 0).hwm);
      if ((await countDocuments(os, index)) >= expected) break;
      if (child.exitCode !== null) throw new Error(`worker exited: ${output.slice(-2000)}`);
      if (Date.now() - started > 600_000) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 200));
    }
    peak = Math.max(peak, rssOf(child.pid ?? 0).hwm);
    return { seconds: (Date.now() - started) / 1000, peakRssMb: peak / 1048576 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await os.close();
  }
}

const ctKey = (i: number): string =>
  `${ORG}/year=2026/month=1/day=1/hour=1/conversation_id=c0ffee00-0000-4000-8000-${String(i % 1000).padStart(12, '0')}/feed0000-0000-4000-8000-${String(i).padStart(12, '0')}.opus`;

export async function bench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { 'access-lines': { type: 'string' }, 'cloudtrail-records': { type: 'string' }, 'big-mb': { type: 'string' }, built: { type: 'boolean' } },
  });
  const accessLines = Number(values['access-lines'] ?? 40_000);
  const ctRecords = Number(values['cloudtrail-records'] ?? 40_000);
  const bigMb = Number(values['big-mb'] ?? 100);
  const built = values.built === true;
  applyStackEnv();
  const s3 = new S3Client(awsClientConfig());
  const sqs = new SQSClient(awsClientConfig());
  const pipeline = (): Promise<LogPipelineResources> =>
    createLogPipeline(s3, sqs, { recordingsBucket: uniqueName('b-rec'), logBucket: uniqueName('b-logs'), queue: uniqueName('b-q'), accessLogging: false });
  const prefix = uniqueName('b-ct');
  const os = openSearch();
  const now = new Date();
  const settings = (res: LogPipelineResources): Record<string, string> =>
    workerEnv({
      SQS_QUEUE_URL: res.queueUrl,
      LOG_BUCKETS: res.logBucket,
      CLOUDTRAIL_BUCKETS: res.logBucket,
      AUDITED_BUCKETS: AUDITED,
      INDEX_PREFIX: prefix,
      OBJECT_CONCURRENCY: '4',
    });
  try {
    // Access logs: objects of 1000 lines.
    const a = await pipeline();
    const lines = [...corpusLines(accessLines, 7)];
    for (let i = 0, n = 0; i < lines.length; i += 1000, n += 1) {
      await putLogObject(
        s3,
        a.logBucket,
        logObjectKey(a.logPrefix, new Date(now.getTime() - 3600_000 + n * 1000), `A${n}`),
        gzipSync(`${lines.slice(i, i + 1000).join('\n')}\n`),
      );
    }
    await setupIndices(settings(a));
    const access = await runWorker(settings(a), `${prefix}-*`, accessLines, built);

    // CloudTrail: files of 1000 records (CloudTrail's files are usually smaller; the same object count keeps the comparison fair).
    const c = await pipeline();
    for (let i = 0, n = 0; i < ctRecords; i += 1000, n += 1) {
      const records = Array.from({ length: Math.min(1000, ctRecords - i) }, (_, j) =>
        cloudTrailRecord({ bucket: AUDITED, key: ctKey(i + j), time: new Date(now.getTime() - 3600_000 + i + j) }),
      );
      await putLogObject(s3, c.logBucket, c.logPrefix + cloudTrailKey(now, `T${n}`), gzipSync(JSON.stringify({ Records: records })));
    }
    const ct = await runWorker(settings(c), `${prefix}.cloudtrail-*`, ctRecords, built);

    // One large file: peak RSS of the worker reading it.
    const big = await pipeline();
    const one = JSON.stringify(cloudTrailRecord({ bucket: AUDITED, key: ctKey(0), time: now }));
    const count = Math.ceil((bigMb * 1048576) / (one.length + 1));
    const parts: string[] = [];
    for (let i = 0; i < count; i += 1)
      parts.push(JSON.stringify(cloudTrailRecord({ bucket: AUDITED, key: ctKey(i), time: new Date(now.getTime() - 7200_000 + i) })));
    const json = `{"Records":[${parts.join(',')}]}`;
    parts.length = 0;
    const gz = gzipSync(json);
    await putLogObject(s3, big.logBucket, big.logPrefix + cloudTrailKey(now, 'BIG'), gz);
    const before = await countDocuments(os, `${prefix}.cloudtrail-*`);
    const bigRun = await runWorker(settings(big), `${prefix}.cloudtrail-*`, before + count, built);

    const out = {
      access: { events: accessLines, seconds: access.seconds, eventsPerSec: Math.round(accessLines / access.seconds), peakRssMb: Math.round(access.peakRssMb) },
      cloudtrail: { events: ctRecords, seconds: ct.seconds, eventsPerSec: Math.round(ctRecords / ct.seconds), peakRssMb: Math.round(ct.peakRssMb) },
      ratio: Number((ctRecords / ct.seconds / (accessLines / access.seconds)).toFixed(2)),
      bigFile: {
        jsonMb: Number((json.length / 1048576).toFixed(1)),
        gzipMb: Number((gz.length / 1048576).toFixed(1)),
        records: count,
        seconds: bigRun.seconds,
        eventsPerSec: Math.round(count / bigRun.seconds),
        peakRssMb: Math.round(bigRun.peakRssMb),
      },
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await deleteIndices(os, prefix);
    await os.close();
    s3.destroy();
    sqs.destroy();
  }
}
