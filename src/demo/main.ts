/**
 * `npm run demo`: the whole job on the local stack. Starts the stack (OpenSearch + moto) if needed,
 * deploys the storage the HIPAA storage guide describes (config/cloudformation/recording-storage.yaml:
 * recordings bucket, access logging into a log bucket whose notifications go to a queue with a
 * dead-letter queue) and prints its `check` table, writes a realistic day of access-log objects
 * for Genesys-exported recordings, runs the worker (enriching from the Genesys simulator) until the queue is drained,
 * and prints what a security engineer would look at first.
 */
import { MAPPING_REVISION } from '../event/mapping.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { KMSClient } from '@aws-sdk/client-kms';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Client } from '@opensearch-project/opensearch';
import { loadConfigOrThrow } from '../config/load.js';
import { createLogger } from '../core/log.js';
import { createMetrics } from '../core/metrics.js';
import { createRuntime } from '../pipeline/runtime.js';
import { Worker } from '../pipeline/worker.js';
import { createOpenSearchClient } from '../sinks/opensearch/client.js';
import { ensureIndexSetup } from '../sinks/opensearch/setup.js';
import { exportKey, exportMetadataKey, sidecarDocument } from '../sim/genesys/dataset.js';
import { startGenesysSimulator } from '../sim/genesys/server.js';
import { createSqsClient } from '../core/aws-clients.js';
import { putLogObject } from '../sim/s3-logs/log-pipeline.js';
import { accessDay, castStaff, logObjectKey, scenarioCast, type ExportedRecording } from '../sim/s3-logs/scenario.js';
import { buildGuideStorage } from './storage.js';
import { DEMO_RULES_FILE, describeDetections, detectDemo } from './detections.js';
import { demoGenesysAudit } from './genesys-audit.js';
import { printSummary } from './summary.js';
import { cloudTrailDay } from './cloudtrail.js';
import { demoCompleteness } from './completeness.js';

const STACK_SCRIPT = 'test/stack/stack.sh';
const DEMO_ACCOUNT_ID = '123456789012';
/** Access-log records the demo drops on purpose, for `reconcile` to find. */
const DEMO_LOST_RECORDS = 5;

function loadStackEnv(): Record<string, string> {
  if (!existsSync('.stack/env')) throw new Error('The local stack wrote no .stack/env; run `npm run stack:up` and look at its output.');
  const env: Record<string, string> = {};
  for (const line of readFileSync('.stack/env', 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  return env;
}

function stackIsUp(): boolean {
  return existsSync('.stack/env') && spawnSync('bash', [STACK_SCRIPT, 'status'], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
  const say = (text: string): void => void process.stdout.write(`${text}\n`);
  // A stack that already answers (started by a developer, the test suite or another checkout) is used as it is.
  if (!stackIsUp()) {
    say('recording-audit demo: starting the local stack (first run downloads OpenSearch and moto)...');
    execFileSync('bash', [STACK_SCRIPT, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const stack = loadStackEnv();
  Object.assign(process.env, stack);

  const run = Date.now().toString(36);
  const s3 = new S3Client({ forcePathStyle: true });
  const sqs = new SQSClient({});
  // moto's own access-log delivery does not write S3's format, so the demo writes the log objects
  // itself, as S3 would deliver them, once the storage has been checked.
  const res = await buildGuideStorage({ s3, sqs, kms: new KMSClient({}), cfn: new CloudFormationClient({}) }, run, say);

  const sim = await startGenesysSimulator({
    seed: 2024,
    latencyMs: 20,
    // The day's audit trail inside Genesys is written by the demo itself (src/demo/genesys-audit.ts).
    audits: false,
    // The scenario's people are Genesys users too (and agents on some of the calls they review).
    dataset: { seed: 2024, conversations: 120, users: 40, start: '2024-05-14T00:00:00Z', spanDays: 1, staff: castStaff(scenarioCast(DEMO_ACCOUNT_ID)) },
  });
  say(`Genesys Cloud API simulator at ${sim.url} (${sim.dataset.conversations.length} conversations, ${sim.dataset.recordings.length} recordings).`);

  // The exporter's files: the sidecars are real objects the worker reads for recording metadata.
  const recordings: ExportedRecording[] = sim.dataset.recordings.map((r) => {
    const conv = sim.dataset.conversationById.get(r.conversationId);
    return {
      orgId: r.orgId,
      conversationId: r.conversationId,
      recordingId: r.id,
      start: new Date(conv?.conversationStart ?? r.startTime),
      end: new Date(conv?.conversationEnd ?? r.endTime),
      keys: { media: exportKey(sim.dataset, r), metadata: exportMetadataKey(sim.dataset, r) },
    };
  });
  for (const r of sim.dataset.recordings) {
    await s3.send(
      new PutObjectCommand({
        Bucket: res.recordingsBucket,
        Key: exportMetadataKey(sim.dataset, r),
        Body: JSON.stringify(sidecarDocument(r)),
        ContentType: 'application/json',
      }),
    );
  }

  const day = new Date(Date.UTC(2024, 4, 14));
  const day0 = accessDay({
    recordingsBucket: res.recordingsBucket,
    bucketOwner: '7f3e1c0a9b8d4e6f2a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f',
    accountId: DEMO_ACCOUNT_ID,
    recordings,
    day,
    seed: 2024,
  });
  // CloudTrail records the same requests; the access log "loses" a few records (best effort), which `reconcile` must find.
  const trail = cloudTrailDay(day0.objects, { recordingsBucket: res.recordingsBucket, accountId: DEMO_ACCOUNT_ID, lose: DEMO_LOST_RECORDS });
  const objects = trail.objects;
  const recordsWritten = day0.recordsWritten - trail.lost.length;
  let n = 0;
  for (const o of objects) {
    const body = `${o.lines.join('\n')}\n`;
    // S3 delivers plain text; some pipelines re-compress. The worker takes both.
    await putLogObject(s3, res.logBucket, logObjectKey(res.logPrefix, o.deliveredAt, `DEMO${String(n).padStart(4, '0')}`), n % 5 === 4 ? gzipSync(body) : body);
    n += 1;
  }
  say(`Wrote ${objects.length} access-log objects (${recordsWritten} records) for ${day.toISOString().slice(0, 10)}; S3 notified the queue.`);
  for (const f of trail.files) await putLogObject(s3, res.logBucket, f.key, f.body);
  say(
    `Wrote ${trail.files.length} CloudTrail files (${trail.records} S3 data events) for the same requests to s3://${res.logBucket}/AWSLogs/; ` +
      `the access log lost ${trail.lost.length} records on purpose: ${trail.lost.map((l) => l.requestId).join(', ')}.`,
  );

  // Tests run the demo on a shared node with an index prefix of their own.
  const indexPrefix = process.env.DEMO_INDEX_PREFIX ?? 'recording-access-demo';
  const cfg = loadConfigOrThrow({
    env: {
      ...process.env,
      SQS_QUEUE_URL: res.queueUrl,
      LOG_BUCKETS: res.logBucket,
      // The trail delivers into the log bucket too (under AWSLogs/), through the same queue.
      CLOUDTRAIL_BUCKETS: res.logBucket,
      INDEX_PREFIX: indexPrefix,
      INDEX_REPLICAS: '0',
      RECORDINGS_BUCKET: res.recordingsBucket,
      EVIDENCE_BUCKET: res.evidenceBucket,
      GENESYS_CLIENT_ID: 'sim-client',
      GENESYS_CLIENT_SECRET: 'sim-secret',
      GENESYS_API_URL: sim.url,
      SQS_WAIT_TIME_SECS: '1',
      BULK_FLUSH_INTERVAL_MS: '200',
      HEALTH_PORT: '0',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      QUARANTINE_URL: 'file:///tmp/recording-audit/demo-quarantine',
      // The demo writes a 2024 day's log objects today, as a backfill of copied log objects does.
      // Records are measured against their object's LastModified (now), so the admission window
      // must reach back to that day; a live deployment keeps the 2-day default.
      RECORD_TIME_SKEW_DAYS: String(Math.ceil((Date.now() - day.getTime()) / 86_400_000) + 2),
      // actor.kind for the scenario's principals: the Genesys export role and the QA app's
      // presigning session are services; people sign in with email-named sessions or as IAM users.
      SELF_ROLE_ARNS: 'arn:aws:iam::123456789012:role/recording-audit-task',
      SERVICE_PRINCIPALS: 'arn:aws:sts::*:assumed-role/genesys-recording-export/*,arn:aws:sts::*:assumed-role/qa-playback/presigner',
      HUMAN_PRINCIPALS: 'arn:aws:sts::*:assumed-role/*/*@*,arn:aws:iam::123456789012:user/*',
    },
    required: ['SQS_QUEUE_URL', 'LOG_BUCKETS', 'OPENSEARCH_URL'],
  });
  const logger = createLogger(cfg.LOG_LEVEL);
  const metrics = createMetrics({ defaultMetrics: false });
  // `recording-audit setup`, as an operator runs it before the first worker: the worker itself
  // only verifies the template, alias and retention policy, and refuses to start without them.
  const admin = createOpenSearchClient(cfg);
  const dropped = await dropOlderDemoIndices(admin, indexPrefix);
  if (dropped.length > 0)
    say(`Removed the demo indices of an earlier mapping revision (synthetic data; a deployment rebuilds instead): ${dropped.join(', ')}.`);
  const setup = await ensureIndexSetup(admin, cfg, logger).finally(() => admin.close());
  say(
    `Setup: index template ${setup.template} ${setup.templateResult}, ISM policy ${setup.ism === 'absent' ? 'absent (no ISM plugin on this node)' : setup.ism}.`,
  );
  const runtime = await createRuntime(cfg, { logger, metrics });
  const worker = new Worker(cfg, runtime, createSqsClient(cfg), { logger, metrics });
  say('Running the worker until the queue is drained...');
  const started = Date.now();
  const running = worker.run();
  await waitUntilDrained(worker, objects.length + trail.files.length);
  await worker.stop(10_000);
  await running;
  await runtime.close();
  say(`Worker done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(worker.totals)}`);

  const os = new Client({ node: cfg.OPENSEARCH_URL ?? '' });
  // Genesys's own audit trail: what people did with these recordings inside Genesys.
  await demoGenesysAudit({ os, cfg, sim, s3, logger, metrics, logBucket: res.logBucket }, day, say);
  await sim.close();
  const detected = await detectDemo(os, indexPrefix, day, new Date(day.getTime() + 2 * 86_400_000), logger);
  await printSummary(os, indexPrefix, res.logBucket, say);
  await demoCompleteness({ os, indexPrefix, recordingsBucket: res.recordingsBucket, day, lost: trail.lost, graceSecs: cfg.RECONCILE_GRACE_SECS, logger }, say);
  say('');
  for (const line of describeDetections(detected)) say(line);
  say(
    `  (recording-audit detect --rules ${DEMO_RULES_FILE} --from ${day.toISOString().slice(0, 10)} --to ${new Date(day.getTime() + 2 * 86_400_000).toISOString().slice(0, 10)} lists them; alerts are in ${indexPrefix}-alerts.)`,
  );
  await os.close();
  say('');
  say('The stack keeps running so you can explore; stop it with `npm run stack:down`.');
}

async function waitUntilDrained(worker: Worker, objects: number): Promise<void> {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    if (worker.totals.objects >= objects && worker.idleMs > 3000) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`The worker did not finish within 10 minutes (${worker.totals.objects}/${objects} objects).`);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  // The simulator's server and the SDK clients would keep a failed demo running.
  process.exit(1);
});

/**
 * Demo data only: indices under the demo's own prefix written by an earlier release, whose mapping
 * revision this release's template cannot be put on. A deployment keeps such indices (they are
 * evidence) and rebuilds into a new prefix (docs/operations/setup.md); the demo's are synthetic and
 * are simply replaced.
 */
async function dropOlderDemoIndices(client: Client, prefix: string): Promise<string[]> {
  const res = await client.transport.request({ method: 'GET', path: `/_index_template/${encodeURIComponent(prefix)}` }, { ignore: [404] });
  const found = (res.body as { index_templates?: { index_template?: { _meta?: { mapping_revision?: unknown } } }[] } | undefined)?.index_templates?.[0];
  const revision = found?.index_template?._meta?.mapping_revision;
  if (res.statusCode === 404 || (typeof revision === 'number' && revision >= MAPPING_REVISION)) return [];
  const indices = await client.transport.request(
    { method: 'GET', path: `/_cat/indices/${encodeURIComponent(`${prefix}-*`)}`, querystring: { format: 'json', h: 'index' } },
    { ignore: [404] },
  );
  const names = ((indices.body ?? []) as { index: string }[])
    .map((i) => i.index)
    .filter((i) => /-\d{4}\.\d{2}$/.test(i))
    .sort();
  for (const index of names) await client.transport.request({ method: 'DELETE', path: `/${encodeURIComponent(index)}` });
  await client.transport.request({ method: 'DELETE', path: `/_index_template/${encodeURIComponent(prefix)}` }, { ignore: [404] });
  return names;
}
