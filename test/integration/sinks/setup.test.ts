import { Writable } from 'node:stream';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { createMetrics } from '../../../src/ops/metrics.js';
import { BulkIndexer } from '../../../src/sinks/opensearch/bulk.js';
import { ismPolicyId } from '../../../src/sinks/opensearch/ism.js';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { ensureIndexSetup, ensureIndexSetupWith } from '../../../src/sinks/opensearch/setup.js';
import type { QuarantineStore } from '../../../src/sinks/quarantine.js';
import { ensureIndexTemplate } from '../../../src/sinks/opensearch/template.js';
import { FaultProxy } from './fault-proxy.js';
import { dropPrefix, Outcomes, stack, MAPPINGS, testDoc, uniquePrefix } from './support.js';

const lines: Record<string, unknown>[] = [];
const logger = createLogger(
  'info',
  new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  }),
);
const noQuarantine: QuarantineStore = { put: () => Promise.reject(new Error('unexpected quarantine')), close: () => Promise.resolve() };

describe('index setup (template, alias, ISM)', () => {
  const client = new Client({ node: stack().opensearchUrl });
  const prefix = uniquePrefix('setup');
  const cfg = { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 30 };
  let ism = false;

  beforeAll(async () => {
    const plugins = await client.transport.request({ method: 'GET', path: '/_cat/plugins', querystring: { format: 'json' } });
    ism = (plugins.body as { component: string }[]).some((p) => p.component === 'opensearch-index-management');
  });

  afterAll(async () => {
    await dropPrefix(client, prefix);
    if (ism) await client.transport.request({ method: 'DELETE', path: `/_plugins/_ism/policies/${ismPolicyId(prefix)}` }, { ignore: [404] });
    await client.close();
  });

  it('installs the template once; a second run changes nothing', async () => {
    const first = await ensureIndexSetupWith(client, cfg, logger, MAPPINGS);
    expect(first).toMatchObject({ template: prefix, templateResult: 'created', alias: prefix, indexPattern: `${prefix}-*` });
    // The entry point the worker calls, with settings loaded the product way: the same template.
    const loaded = loadConfigOrThrow({ env: { INDEX_PREFIX: prefix, INDEX_SHARDS: '1', INDEX_REPLICAS: '0', RETENTION_DAYS: '30', OPENSEARCH_URL: stack().opensearchUrl } });
    const second = await ensureIndexSetup(client, loaded, logger);
    expect(second.templateResult).toBe('unchanged');
    expect(second.templateVersion).toBe(first.templateVersion);

    const res = await client.transport.request({ method: 'GET', path: `/_index_template/${prefix}` });
    const t = (res.body as { index_templates: { index_template: Record<string, unknown> }[] }).index_templates[0]!.index_template;
    expect(t).toMatchObject({
      index_patterns: [`${prefix}-*`],
      _meta: { version: first.templateVersion },
      template: { aliases: { [prefix]: {} }, mappings: { dynamic: 'strict' }, settings: { index: { number_of_shards: '1', number_of_replicas: '0' } } },
    });
    expect(JSON.stringify(t)).not.toContain('index_state_management');

    if (ism) {
      expect(first.ism).toBe('created');
      expect(second.ism).toBe('unchanged');
    } else {
      expect(first.ism).toBe('absent');
      expect(lines.some((l) => l.level === 'warn' && String(l.msg).includes('Index State Management is not installed'))).toBe(true);
    }
  });

  it('monthly indices created by a write join the read alias with the strict mapping', async () => {
    const indexer = new BulkIndexer(
      client,
      { prefix, maxBytes: 1 << 20, maxDocs: 100, flushIntervalMs: 20, concurrency: 1, gzip: false, retryBaseMs: 10, retryMaxMs: 50, retryMaxAttempts: 3 },
      { logger, metrics: createMetrics({ defaultMetrics: false }), quarantine: noQuarantine },
    );
    const outcomes = new Outcomes();
    await indexer.write(testDoc(prefix, 1, '2024-05-10T10:00:00Z'), outcomes);
    await indexer.write(testDoc(prefix, 2, '2024-06-10T10:00:00Z'), outcomes);
    await indexer.close();
    expect(outcomes.count('indexed')).toBe(2);

    const aliases = await client.indices.getAlias({ name: prefix });
    expect(Object.keys(aliases.body).sort()).toEqual([`${prefix}-2024.05`, `${prefix}-2024.06`]);
    const mapping = await client.indices.getMapping({ index: `${prefix}-2024.05` });
    expect(mapping.body[`${prefix}-2024.05`]?.mappings.dynamic).toBe('strict');
    await client.indices.refresh({ index: prefix });
    const count = await client.count({ index: prefix });
    expect(count.body.count).toBe(2);
  });

  it('updates the template when the settings or mapping change, and extends existing indices', async () => {
    const replicas = await ensureIndexSetupWith(client, { ...cfg, INDEX_REPLICAS: 1 }, logger, MAPPINGS);
    expect(replicas.templateResult).toBe('updated');

    const withField = { ...MAPPINGS, properties: { ...MAPPINGS.properties, added_in_next_version: { type: 'keyword' } } };
    const added = await ensureIndexSetupWith(client, { ...cfg, INDEX_REPLICAS: 1 }, logger, withField);
    expect(added).toMatchObject({ templateResult: 'updated', existingIndicesUpdated: true });
    const mapping = await client.indices.getMapping({ index: `${prefix}-2024.05` });
    expect(JSON.stringify(mapping.body)).toContain('added_in_next_version');
    expect((await ensureIndexSetupWith(client, { ...cfg, INDEX_REPLICAS: 1 }, logger, withField)).templateResult).toBe('unchanged');
  });

  it('an older worker (lower mapping revision) leaves a newer template in place', async () => {
    const own = uniquePrefix('setup-rev');
    const settings = { INDEX_PREFIX: own, INDEX_SHARDS: 1, INDEX_REPLICAS: 0 };
    const newer = { ...MAPPINGS, properties: { ...MAPPINGS.properties, added_in_revision_2: { type: 'keyword' } } };
    try {
      expect((await ensureIndexTemplate(client, settings, newer, logger, 2)).result).toBe('created');
      expect((await ensureIndexTemplate(client, settings, MAPPINGS, logger, 1)).result).toBe('newer');
      const got = await client.transport.request({ method: 'GET', path: `/_index_template/${own}` });
      expect(JSON.stringify(got.body)).toContain('added_in_revision_2');
      // The same revision with other settings is still an update.
      expect((await ensureIndexTemplate(client, { ...settings, INDEX_REPLICAS: 1 }, newer, logger, 2)).result).toBe('updated');
    } finally {
      await client.transport.request({ method: 'DELETE', path: `/_index_template/${own}` }, { ignore: [404] });
    }
  });

  it('refuses to start when a changed field type cannot apply to existing indices', async () => {
    const conflicting = {
      ...MAPPINGS,
      properties: { ...MAPPINGS.properties, log: { properties: { file: { properties: { path: { type: 'long' } } }, offset: { type: 'long' } } } },
    };
    const before = await client.transport.request({ method: 'GET', path: `/_index_template/${prefix}` });
    await expect(ensureIndexSetupWith(client, cfg, logger, conflicting)).rejects.toMatchObject({ code: 'SINK_REJECTED' });
    // The template is left as it was, so the next start refuses again instead of going ahead.
    const after = await client.transport.request({ method: 'GET', path: `/_index_template/${prefix}` });
    expect(after.body).toEqual(before.body);
    await expect(ensureIndexSetupWith(client, cfg, logger, conflicting)).rejects.toMatchObject({ code: 'SINK_REJECTED' });
  });
});

describe('ISM policy requests (ISM endpoints answered by a 127.0.0.1 stand-in with the documented shapes)', () => {
  const prefix = uniquePrefix('ism');
  const policyPath = `/_plugins/_ism/policies/${ismPolicyId(prefix)}`;
  let stored: { _seq_no: number; _primary_term: number; policy: Record<string, unknown> } | undefined;
  /** Simulates a second worker that stores the same policy just before our PUT. */
  let loseTheRace = false;
  const proxy = new FaultProxy(new URL(stack().opensearchUrl));
  let client: Client;

  beforeAll(async () => {
    proxy.plan = (r) => {
      const path = r.path.split('?')[0]!;
      if (path === '/_cat/plugins') return { status: 200, body: [{ component: 'opensearch-job-scheduler' }, { component: 'opensearch-index-management' }] };
      if (path === policyPath && r.method === 'GET') {
        return stored ? { status: 200, body: { _id: ismPolicyId(prefix), _version: 1, ...stored } } : { status: 404, body: { error: { type: 'status_exception', reason: 'Policy not found' }, status: 404 } };
      }
      if (path === policyPath && r.method === 'PUT') {
        const body = JSON.parse(r.body.toString()) as { policy: Record<string, unknown> };
        stored = { _seq_no: (stored?._seq_no ?? 0) + 1, _primary_term: 1, policy: body.policy };
        if (loseTheRace) return { status: 409, body: { error: { type: 'version_conflict_engine_exception', reason: 'document already exists' }, status: 409 } };
        return { status: 201, body: { _id: ismPolicyId(prefix), policy: { policy: body.policy } } };
      }
      if (path.startsWith('/_plugins/_ism/')) return { status: 200, body: { updated_indices: 0, failures: false, failed_indices: [] } };
      return 'pass';
    };
    client = new Client({ node: await proxy.start() });
  });
  afterAll(async () => {
    await client.close();
    await proxy.stop();
    const direct = new Client({ node: stack().opensearchUrl });
    await dropPrefix(direct, prefix);
    await direct.close();
  });

  it('creates the policy and attaches it to existing indices; a second run changes nothing; a new retention updates it', async () => {
    const cfg = { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 30 };
    expect((await ensureIndexSetupWith(client, cfg, logger, MAPPINGS)).ism).toBe('created');
    const ismCalls = (): string[] => proxy.seen.filter((r) => r.path.startsWith('/_plugins/_ism')).map((r) => `${r.method} ${r.path.split('?')[0]!}`);
    expect(ismCalls()).toEqual([`GET ${policyPath}`, `PUT ${policyPath}`, `POST /_plugins/_ism/add/${prefix}-*`]);
    const put = proxy.seen.find((r) => r.method === 'PUT' && r.path.startsWith(policyPath))!;
    expect(JSON.parse(put.body.toString())).toMatchObject({ policy: { ism_template: [{ index_patterns: [`${prefix}-*`] }] } });
    expect(put.body.toString()).toContain(`"min_index_age":"${30 + 31}d"`);

    proxy.seen.length = 0;
    expect((await ensureIndexSetupWith(client, cfg, logger, MAPPINGS)).ism).toBe('unchanged');
    expect(ismCalls().filter((c) => !c.startsWith('GET'))).toEqual([]);

    proxy.seen.length = 0;
    expect((await ensureIndexSetupWith(client, { ...cfg, RETENTION_DAYS: 60 }, logger, MAPPINGS)).ism).toBe('updated');
    const update = proxy.seen.find((r) => r.method === 'PUT' && r.path.startsWith(policyPath))!;
    expect(update.path).toContain('if_seq_no=1');
    expect(update.path).toContain('if_primary_term=1');
    expect(ismCalls()).toContain(`POST /_plugins/_ism/change_policy/${prefix}-*`);
  });

  it('a second worker installing the same policy at the same time is not an error', async () => {
    stored = undefined;
    loseTheRace = true;
    const cfg = { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 90 };
    expect((await ensureIndexSetupWith(client, cfg, logger, MAPPINGS)).ism).toBe('unchanged');
    loseTheRace = false;
  });
});
