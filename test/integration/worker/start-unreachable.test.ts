import type { ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { putLogObject, type LogPipelineResources } from '../../../src/sim/s3-logs/log-pipeline.js';
import { logObjectKey } from '../../../src/sim/s3-logs/scenario.js';
import { corpusLines } from '../../bench/e2e-corpus.js';
import { FaultProxy } from '../sinks/fault-proxy.js';
import { stackEnv } from '../../support/stack-env.js';
import { allDocuments, queueDepth, setupIndices, spawnWorker, waitForEmptyQueue, workerEnv } from '../../support/worker-harness.js';
import { sha256, useWorkerStack } from './support.js';
import { closedPort } from '../../support/tcp-proxy.js';

type LogLine = Record<string, unknown> & { level: string; msg: string };
const WARN = 'warn';
const DEBUG = 'debug';

/** A port nothing listens on now: bound to learn a free number, then closed (connections are refused). */
function httpGet(port: number, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    }).on('error', reject);
  });
}

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve(check()).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** The real CLI worker as a child process, with its JSON log lines parsed as they arrive. */
class Child {
  readonly lines: LogLine[] = [];
  stderr = '';
  readonly exit: Promise<number | null>;
  private readonly proc: ChildProcess;

  constructor(env: Record<string, string>) {
    this.proc = spawnWorker(env);
    let buffered = '';
    this.proc.stdout?.on('data', (b: Buffer) => {
      buffered += b.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const l of parts) if (l.startsWith('{')) this.lines.push(JSON.parse(l) as LogLine);
    });
    this.proc.stderr?.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.exit = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.proc.kill(signal);
  }

  about(dependency: string, level: string): LogLine[] {
    return this.lines.filter((l) => l.dependency === dependency && l.level === level);
  }
}

describe('a worker started while a dependency does not answer waits for it instead of exiting', () => {
  const { s3, sqs, os, indexPrefix, logPipeline } = useWorkerStack();
  const stack = stackEnv();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function track(child: Child): Child {
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await child.exit;
    });
    return child;
  }

  async function proxyOn(port: number, target: string): Promise<FaultProxy> {
    const proxy = new FaultProxy(new URL(target));
    await proxy.start(port);
    cleanups.push(() => proxy.stop());
    return proxy;
  }

  /** Three small log objects on a fresh pipeline; their lines' hashes are what the index must hold. */
  async function queued(seed: number): Promise<{ res: LogPipelineResources; expected: Set<string>; waiting: number }> {
    const res = await logPipeline({ maxReceiveCount: 100, visibilityTimeoutSecs: 10 });
    const expected = new Set<string>();
    for (let i = 0; i < 3; i += 1) {
      const lines = [...corpusLines(200, seed * 10 + i)];
      for (const l of lines) expected.add(sha256(l));
      await putLogObject(s3, res.logBucket, logObjectKey(res.logPrefix, new Date(Date.UTC(2024, 6, 1)), `S${seed}-${i}`), `${lines.join('\n')}\n`);
    }
    await waitFor(async () => (await queueDepth(sqs, res.queueUrl)).visible >= 3, 30_000, 'notifications queued');
    // The three objects' notifications, and S3's test event for the new notification configuration.
    return { res, expected, waiting: (await queueDepth(sqs, res.queueUrl)).visible };
  }

  async function envFor(res: LogPipelineResources, prefix: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
    return workerEnv({
      // 0 would turn the health server off; a free port it binds.
      HEALTH_PORT: String(await closedPort()),
      SQS_QUEUE_URL: res.queueUrl,
      LOG_BUCKETS: res.logBucket,
      INDEX_PREFIX: prefix,
      SQS_VISIBILITY_TIMEOUT_SECS: '10',
      SQS_HEARTBEAT_INTERVAL_SECS: '3',
      // Debug: every retry leaves a line, so the test can see several retries behind one warning.
      LOG_LEVEL: 'debug',
      STARTUP_RETRY_BASE_MS: '50',
      STARTUP_RETRY_MAX_MS: '400',
      ...extra,
    });
  }

  /** Several retries have happened, yet the dependency was warned about once; /livez 200, /readyz 503 naming it. */
  async function expectWaiting(child: Child, env: Record<string, string>, dependency: string): Promise<number> {
    await waitFor(() => child.about(dependency, DEBUG).length >= 3, 60_000, `three retries of ${dependency}`);
    expect(child.running).toBe(true);
    const warnings = child.about(dependency, WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ msg: expect.stringContaining('does not answer') as string, err: { code: expect.any(String) as string } });
    const port = Number(env.HEALTH_PORT);
    expect((await httpGet(port, '/livez')).status).toBe(200);
    const ready = await httpGet(port, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'starting' });
    expect(ready.body.waitingFor).toContain(dependency);
    expect(ready.body.failed).toContain(dependency);
    return port;
  }

  async function expectExactIndex(prefix: string, expected: Set<string>): Promise<void> {
    const docs = await allDocuments(os, `${prefix}-*`);
    const hashes = [...docs.values()].map((d) => (d.event as { hash: string }).hash);
    expect(hashes).toHaveLength(expected.size);
    expect(new Set(hashes)).toEqual(expected);
  }

  it('OpenSearch refused at start (closed port behind the fault proxy): live, not ready, no message taken; once the port opens every queued line is indexed exactly', async () => {
    const { res, expected, waiting } = await queued(1);
    const prefix = indexPrefix('t-start-os');
    const env = await envFor(res, prefix);
    await setupIndices(env);
    const port = await closedPort();
    const child = track(new Child({ ...env, OPENSEARCH_URL: `http://127.0.0.1:${port}` }));

    const health = await expectWaiting(child, env, 'opensearch');
    // Nothing is received while it waits: no receive count is burnt toward the dead-letter queue.
    expect(await queueDepth(sqs, res.queueUrl)).toEqual({ visible: waiting, inFlight: 0 });

    const proxy = await proxyOn(port, stack.opensearchUrl);
    await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 120_000, quietMs: 2000 });
    await expectExactIndex(prefix, expected);
    expect(child.running).toBe(true);
    expect(proxy.seen.some((r) => r.path.startsWith('/_bulk'))).toBe(true);
    expect(child.lines.some((l) => l.dependency === 'opensearch' && l.msg === 'opensearch answers.')).toBe(true);
    // The readiness report is cached for a few seconds; it turns ready without a restart.
    await waitFor(async () => (await httpGet(health, '/readyz')).status === 200, 30_000, '/readyz 200');
    expect(child.about('opensearch', WARN)).toHaveLength(1);

    child.kill('SIGTERM');
    expect(await child.exit).toBe(0);
  }, 240_000);

  it('SQS refused at start (closed port behind the fault proxy, in front of moto): waits likewise, then processes every queued line exactly', async () => {
    const { res, expected, waiting } = await queued(2);
    const prefix = indexPrefix('t-start-sqs');
    const env = await envFor(res, prefix);
    await setupIndices(env);
    const port = await closedPort();
    // The SDK may send to the queue URL's host rather than the endpoint setting: both name the closed port.
    const queueUrl = new URL(res.queueUrl);
    queueUrl.host = `127.0.0.1:${port}`;
    const child = track(new Child({ ...env, SQS_QUEUE_URL: queueUrl.toString(), AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${port}` }));

    await expectWaiting(child, env, 'sqs');
    expect(child.about('opensearch', WARN)).toHaveLength(0);
    expect(await queueDepth(sqs, res.queueUrl)).toEqual({ visible: waiting, inFlight: 0 });

    const proxy = await proxyOn(port, stack.awsEndpointUrl);
    await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 120_000, quietMs: 2000 });
    await expectExactIndex(prefix, expected);
    expect(child.running).toBe(true);
    // The worker's SQS calls went to the port that was closed.
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(child.lines.some((l) => l.dependency === 'sqs' && l.msg === 'sqs answers.')).toBe(true);

    child.kill('SIGTERM');
    expect(await child.exit).toBe(0);
  }, 240_000);

  it('Genesys unreachable at start does not hold the worker back: every line is indexed, recordings pending for reenrich; /readyz names genesys', async () => {
    const { res, expected } = await queued(5);
    const prefix = indexPrefix('t-start-genesys');
    const env = await envFor(res, prefix, {
      LOG_LEVEL: 'info',
      GENESYS_CLIENT_ID: 'sim-client',
      GENESYS_CLIENT_SECRET: 'sim-secret',
      GENESYS_API_URL: `http://127.0.0.1:${await closedPort()}`,
      GENESYS_REQUEST_TIMEOUT_MS: '1000',
      GENESYS_RETRY_MAX_ATTEMPTS: '1',
      GENESYS_WAIT_BUDGET_MS: '2000',
    });
    await setupIndices(env);
    const child = track(new Child(env));
    await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 120_000, quietMs: 2000 });
    await expectExactIndex(prefix, expected);
    expect(child.running).toBe(true);
    // Genesys is not something the start waits for.
    expect(child.lines.filter((l) => l.dependency !== undefined && l.level === WARN)).toEqual([]);
    const statuses = new Set([...(await allDocuments(os, `${prefix}-*`)).values()].map((d) => (d.enrichment as { status: string }).status));
    expect(statuses).toContain('pending');
    expect(statuses).not.toContain('resolved');
    const ready = await httpGet(Number(env.HEALTH_PORT), '/readyz');
    expect(ready).toMatchObject({ status: 503, body: { status: 'not ready', failed: ['genesys'] } });
    child.kill('SIGTERM');
    expect(await child.exit).toBe(0);
  }, 240_000);

  it('SIGTERM while waiting exits 0 at once', async () => {
    const { res, waiting } = await queued(3);
    const prefix = indexPrefix('t-start-term');
    const env = await envFor(res, prefix);
    await setupIndices(env);
    const child = track(new Child({ ...env, OPENSEARCH_URL: `http://127.0.0.1:${await closedPort()}` }));
    await waitFor(() => child.about('opensearch', WARN).length === 1, 60_000, 'warning about opensearch');
    child.kill('SIGTERM');
    expect(await child.exit).toBe(0);
    expect(child.lines.some((l) => l.msg === 'Stopping while waiting for dependencies; nothing was received.')).toBe(true);
    expect(await queueDepth(sqs, res.queueUrl)).toEqual({ visible: waiting, inFlight: 0 });
  }, 120_000);

  it('a setup mismatch found once OpenSearch answers still exits 78 (configuration, not availability)', async () => {
    const { res, waiting } = await queued(4);
    // No `setup` for this prefix: the template is missing.
    const prefix = indexPrefix('t-start-nosetup');
    const env = await envFor(res, prefix);
    const port = await closedPort();
    const child = track(new Child({ ...env, OPENSEARCH_URL: `http://127.0.0.1:${port}` }));
    await waitFor(() => child.about('opensearch', WARN).length === 1, 60_000, 'warning about opensearch');
    await proxyOn(port, stack.opensearchUrl);
    expect(await child.exit).toBe(78);
    expect(child.stderr).toContain(`index template ${prefix} is missing`);
    expect(await queueDepth(sqs, res.queueUrl)).toEqual({ visible: waiting, inFlight: 0 });
  }, 120_000);

  it('a configuration error exits 78 at once, even with OpenSearch unreachable', async () => {
    const env = workerEnv({
      SQS_QUEUE_URL: `${stack.awsEndpointUrl}/123456789012/never-read`,
      LOG_BUCKETS: 'never-read-logs',
      INDEX_PREFIX: 'never-written',
      OPENSEARCH_URL: `http://127.0.0.1:${await closedPort()}`,
      STARTUP_RETRY_MAX_MS: 'soon',
    });
    const child = track(new Child(env));
    expect(await child.exit).toBe(78);
    expect(child.stderr).toContain('STARTUP_RETRY_MAX_MS');
  }, 60_000);
});
