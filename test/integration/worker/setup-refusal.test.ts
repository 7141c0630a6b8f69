import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { INDEX_MAPPINGS } from '../../../src/event/mapping.js';
import { ensureIndexSetupWith } from '../../../src/sinks/opensearch/install.js';
import { ensureIndexSetup } from '../../../src/sinks/opensearch/setup.js';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { ismPolicyBody, ismPolicyId } from '../../../src/sinks/opensearch/ism.js';
import { FaultProxy } from '../sinks/fault-proxy.js';
import { runCli } from '../../support/cli.js';
import { applyStackEnv, stackEnv, uniqueName } from '../../support/stack-env.js';
import { deleteIndices, openSearch, setupIndices, startWorker, workerEnv } from '../../support/worker-harness.js';

const quiet = createLogger('silent');

/**
 * Attack 2 of issue 20: a worker that may rewrite the retention policy can erase the evidence it
 * writes. The worker now only verifies; these start it against setups that differ from its own
 * settings and assert that it refuses, with the command that fixes it, and that nothing changed.
 */
describe('the worker verifies the OpenSearch setup and never changes it', () => {
  const os = openSearch();
  const prefixes: string[] = [];
  const stack = stackEnv();
  // The worker refuses before it touches the queue, so no queue has to exist.
  const envFor = (extra: Record<string, string> = {}): Record<string, string> => {
    const prefix = uniqueName('t-refuse');
    prefixes.push(prefix);
    return workerEnv({ SQS_QUEUE_URL: `${stack.awsEndpointUrl}/123456789012/${prefix}`, LOG_BUCKETS: 'never-read-logs', INDEX_PREFIX: prefix, ...extra });
  };
  const template = async (name: string): Promise<{ status: number | null | undefined; body: unknown }> => {
    const res = await os.transport.request({ method: 'GET', path: `/_index_template/${name}` }, { ignore: [404] });
    return { status: res.statusCode, body: res.body };
  };

  beforeAll(() => {
    applyStackEnv();
  });
  afterAll(async () => {
    for (const p of prefixes) {
      await deleteIndices(os, p);
      if (stack.ism) await os.transport.request({ method: 'DELETE', path: `/_plugins/_ism/policies/${ismPolicyId(p)}` }, { ignore: [404] });
    }
    await os.close();
  });

  it('refuses an index prefix with no setup, in process and as the CLI (exit 78), and creates nothing', async () => {
    const env = envFor();
    const prefix = env.INDEX_PREFIX!;
    const err = await startWorker(env, { setup: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'SETUP_MISMATCH' });
    expect((err as Error).message).toContain(`index template ${prefix} is missing`);
    expect((err as Error).message).toContain('Run `recording-audit setup`');

    const { code, stdout, stderr } = await runCli(['worker'], { ...env, LOG_LEVEL: 'info' });
    expect(code).toBe(78);
    expect(stderr).toContain(`OpenSearch setup does not match this worker (INDEX_PREFIX=${prefix})`);
    expect(stderr).toContain(`index template ${prefix} is missing`);
    expect(stderr).toContain('recording-audit setup');
    // The JSON log says it too, for whoever reads the task's logs rather than its exit code.
    const refusal = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.level === 'error');
    expect(refusal).toMatchObject({
      msg: expect.stringContaining('refusing to start') as string,
      problems: [
        `index template ${prefix} is missing`,
        `index template ${prefix}.genesys (genesys.audit events) is missing`,
        `index template ${prefix}.cloudtrail (aws.cloudtrail events) is missing`,
      ],
    });

    expect((await template(prefix)).status).toBe(404);
    const indices = await os.transport.request({ method: 'GET', path: `/${prefix}*`, querystring: { allow_no_indices: true, expand_wildcards: 'all' } });
    expect(indices.body).toEqual({});
  });

  it('replay refuses the same way (exit 78) before it lists or writes anything', async () => {
    const env = envFor();
    const { code, stderr } = await runCli(['replay', '--bucket', 'never-listed-logs', '--from', '2024-01-01', '--to', '2024-01-02'], env);
    expect(code).toBe(78);
    expect(stderr).toContain(`index template ${env.INDEX_PREFIX!} is missing`);
    expect((await template(env.INDEX_PREFIX!)).status).toBe(404);
  });

  it('refuses a template of other settings and leaves it as it was', async () => {
    const env = envFor();
    const prefix = env.INDEX_PREFIX!;
    // Set up for two replicas; the worker is configured for none.
    await ensureIndexSetupWith(os, { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 2, RETENTION_DAYS: 2192 }, quiet, INDEX_MAPPINGS);
    const before = await template(prefix);
    await expect(startWorker(env, { setup: false })).rejects.toMatchObject({
      code: 'SETUP_MISMATCH',
      message: expect.stringMatching(new RegExp(`index template ${prefix} is version \\w+, not \\w+`)) as string,
    });
    expect(await template(prefix)).toEqual(before);
  });

  it('refuses an ISM policy with other text and leaves it unchanged (ISM endpoints answered by a stand-in in front of the real node)', async () => {
    const env = envFor();
    const prefix = env.INDEX_PREFIX!;
    await setupIndices(env);
    const policyPath = `/_plugins/_ism/policies/${ismPolicyId(prefix)}`;
    // What a typo'd RETENTION_DAYS=30 would have installed: delete after 61 days.
    const stored = {
      _id: ismPolicyId(prefix),
      _version: 3,
      _seq_no: 7,
      _primary_term: 1,
      policy: ismPolicyBody({ INDEX_PREFIX: prefix, RETENTION_DAYS: 30 }).policy,
    };
    const snapshot = structuredClone(stored);
    const proxy = new FaultProxy(new URL(stack.opensearchUrl));
    proxy.plan = (r) => {
      const path = r.path.split('?')[0]!;
      if (path === '/_cat/plugins') return { status: 200, body: [{ component: 'opensearch-job-scheduler' }, { component: 'opensearch-index-management' }] };
      if (path === policyPath && r.method === 'GET') return { status: 200, body: stored };
      if (path.startsWith('/_plugins/_ism')) return { status: 200, body: { acknowledged: true } };
      return 'pass';
    };
    const url = await proxy.start();
    try {
      await expect(startWorker({ ...env, OPENSEARCH_URL: url }, { setup: false })).rejects.toMatchObject({
        code: 'SETUP_MISMATCH',
        message: expect.stringContaining(`ISM policy ${ismPolicyId(prefix)} differs from RETENTION_DAYS=2192`) as string,
      });
      expect(proxy.seen.filter((r) => r.method !== 'GET' && r.method !== 'HEAD').map((r) => `${r.method} ${r.path}`)).toEqual([]);
      expect(proxy.seen.some((r) => r.path.startsWith(policyPath))).toBe(true);
      expect(stored).toEqual(snapshot);
    } finally {
      await proxy.stop();
    }
  });

  it.runIf(stack.ism)('refuses an ISM policy with other text on the real node and leaves it unchanged', async () => {
    const env = envFor();
    const prefix = env.INDEX_PREFIX!;
    await setupIndices(env);
    const path = `/_plugins/_ism/policies/${ismPolicyId(prefix)}`;
    const current = await os.transport.request({ method: 'GET', path });
    const { _seq_no, _primary_term } = current.body as { _seq_no: number; _primary_term: number };
    await os.transport.request({
      method: 'PUT',
      path,
      querystring: { if_seq_no: _seq_no, if_primary_term: _primary_term },
      body: ismPolicyBody({ INDEX_PREFIX: prefix, RETENTION_DAYS: 30 }),
    });
    const before: unknown = (await os.transport.request({ method: 'GET', path })).body;
    await expect(startWorker(env, { setup: false })).rejects.toMatchObject({
      code: 'SETUP_MISMATCH',
      message: expect.stringContaining('differs from RETENTION_DAYS=2192') as string,
    });
    expect((await os.transport.request({ method: 'GET', path })).body).toEqual(before);
  });

  it('with the Genesys audit source on, refuses (exit 78) while the detect-state index that keeps its watermark is not set up', async () => {
    // Genesys credentials turn the audit source on (GENESYS_AUDIT_INTERVAL_SECS defaults to 300). The
    // simulator is never called: the refusal comes before anything is read.
    const env = envFor({ GENESYS_CLIENT_ID: 'sim-client', GENESYS_CLIENT_SECRET: 'sim-secret', GENESYS_API_URL: 'http://127.0.0.1:9' });
    const prefix = env.INDEX_PREFIX!;
    const cfg = loadConfigOrThrow({ env, required: ['OPENSEARCH_URL'], retentionFloor: true });
    // The events' templates only, as before `setup` learnt the detection indices.
    await ensureIndexSetup(os, cfg, createLogger('warn'));
    const { code, stderr } = await runCli(['worker'], env);
    expect(code).toBe(78);
    expect(stderr).toContain(`index template ${prefix}-detect-state is missing`);
    // Nothing was created in its place from the events' strict template.
    const state = await os.transport.request({ method: 'GET', path: `/${prefix}-detect-state` }, { ignore: [404] });
    expect(state.statusCode).toBe(404);
  });

  it('starts once setup has run, and its start changes nothing', async () => {
    const env = envFor();
    const prefix = env.INDEX_PREFIX!;
    await setupIndices(env);
    const before = await template(prefix);
    const worker = await startWorker(env, { setup: false });
    await worker.stop(2000);
    expect(await template(prefix)).toEqual(before);
  });
});
