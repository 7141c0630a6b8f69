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
