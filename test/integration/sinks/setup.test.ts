import { Writable } from 'node:stream';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { INDEX_ANALYSIS, MAPPING_REVISION } from '../../../src/event/mapping.js';
import { ensureIsmPolicy, ismPolicyBody, ismPolicyId } from '../../../src/sinks/opensearch/ism.js';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { SCHEMA } from '../../../src/config/schema.js';
import { assertIndexSetup, ensureIndexSetup, ensureIndexSetupWith, verifyIndexSetup } from '../../../src/sinks/opensearch/setup.js';
import { ensureIndexTemplate } from '../../../src/sinks/opensearch/template.js';
import { FaultProxy } from './fault-proxy.js';
import { dropPrefix, Outcomes, MAPPINGS, smallIndexer, testDoc } from './support.js';
import { grants, loadRoles } from '../../support/opensearch-roles.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';

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

describe('index setup (template, alias, ISM)', () => {
  const client = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-setup');
  const cfg = { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 };
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
    const loaded = loadConfigOrThrow({
      env: { INDEX_PREFIX: prefix, INDEX_SHARDS: '1', INDEX_REPLICAS: '0', RETENTION_DAYS: '2192', OPENSEARCH_URL: stackEnv().opensearchUrl },
    });
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
    const indexer = smallIndexer(client, prefix, logger);
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
    const own = uniqueName('t-setup-rev');
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
  const prefix = uniqueName('t-ism');
  const policyPath = `/_plugins/_ism/policies/${ismPolicyId(prefix)}`;
  let stored: { _seq_no: number; _primary_term: number; policy: Record<string, unknown> } | undefined;
  /** Simulates a second worker that stores the same policy just before our PUT. */
  let loseTheRace = false;
  const proxy = new FaultProxy(new URL(stackEnv().opensearchUrl));
  let client: Client;

  beforeAll(async () => {
    proxy.plan = (r) => {
      const path = r.path.split('?')[0]!;
      if (path === '/_cat/plugins') return { status: 200, body: [{ component: 'opensearch-job-scheduler' }, { component: 'opensearch-index-management' }] };
      if (path === policyPath && r.method === 'GET') {
        return stored
          ? { status: 200, body: { _id: ismPolicyId(prefix), _version: 1, ...stored } }
          : { status: 404, body: { error: { type: 'status_exception', reason: 'Policy not found' }, status: 404 } };
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
    const direct = new Client({ node: stackEnv().opensearchUrl });
    await dropPrefix(direct, prefix);
    await direct.close();
  });

  it('creates the policy and attaches it to existing indices; a second run changes nothing; a new retention updates it', async () => {
    const cfg = { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 };
    expect((await ensureIndexSetupWith(client, cfg, logger, MAPPINGS)).ism).toBe('created');
    const ismCalls = (): string[] => proxy.seen.filter((r) => r.path.startsWith('/_plugins/_ism')).map((r) => `${r.method} ${r.path.split('?')[0]!}`);
    const months = [prefix, `${prefix}.genesys`, `${prefix}.cloudtrail`]
      .flatMap((p) => ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => encodeURIComponent(`${p}-${d}*`)))
      .join(',');
    expect(ismCalls()).toEqual([`GET ${policyPath}`, `PUT ${policyPath}`, `POST /_plugins/_ism/add/${months}`]);
    const put = proxy.seen.find((r) => r.method === 'PUT' && r.path.startsWith(policyPath))!;
    expect(JSON.parse(put.body.toString())).toMatchObject({
      policy: {
        ism_template: [
          {
            index_patterns: [prefix, `${prefix}.genesys`, `${prefix}.cloudtrail`].flatMap((p) =>
              ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => `${p}-${d}*`),
            ),
          },
        ],
      },
    });
    expect(put.body.toString()).toContain(`"min_index_age":"${2192 + 31}d"`);

    proxy.seen.length = 0;
    expect((await ensureIndexSetupWith(client, cfg, logger, MAPPINGS)).ism).toBe('unchanged');
    expect(ismCalls().filter((c) => !c.startsWith('GET'))).toEqual([]);

    proxy.seen.length = 0;
    expect((await ensureIndexSetupWith(client, { ...cfg, RETENTION_DAYS: 2557 }, logger, MAPPINGS)).ism).toBe('updated');
    const update = proxy.seen.find((r) => r.method === 'PUT' && r.path.startsWith(policyPath))!;
    expect(update.path).toContain('if_seq_no=1');
    expect(update.path).toContain('if_primary_term=1');
    expect(ismCalls()).toContain(`POST /_plugins/_ism/change_policy/${months}`);
  });

  it('a second worker installing the same policy at the same time is not an error', async () => {
    stored = undefined;
    loseTheRace = true;
    const cfg = { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2922 };
    expect((await ensureIndexSetupWith(client, cfg, logger, MAPPINGS)).ism).toBe('unchanged');
    loseTheRace = false;
  });

  it('the worker refuses a missing or different policy and never writes it; setup then installs it', async () => {
    stored = undefined;
    const cfg = { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 };
    await ensureIndexTemplate(client, cfg, MAPPINGS, logger);
    const writes = (): string[] => proxy.seen.filter((r) => r.method !== 'GET' && r.method !== 'HEAD').map((r) => `${r.method} ${r.path}`);

    proxy.seen.length = 0;
    const missing = await verifyIndexSetup(client, cfg, logger, MAPPINGS);
    expect(missing.ok).toBe(false);
    expect(missing.problems).toEqual([expect.stringContaining(`ISM policy ${ismPolicyId(prefix)} is missing`)]);
    await expect(assertIndexSetup(client, cfg, logger, MAPPINGS)).rejects.toMatchObject({
      code: 'SETUP_MISMATCH',
      message: expect.stringContaining('recording-audit setup') as string,
    });
    expect(writes()).toEqual([]);

    // A policy with other text (here: one year instead of six), as a typo'd setup or an intruder would leave it.
    expect((await ensureIndexSetupWith(client, { ...cfg, RETENTION_DAYS: 365 }, logger, MAPPINGS, { allowShortRetention: true })).ism).toBe('created');
    const before = structuredClone(stored);
    proxy.seen.length = 0;
    await expect(assertIndexSetup(client, cfg, logger, MAPPINGS)).rejects.toMatchObject({
      code: 'SETUP_MISMATCH',
      message: expect.stringContaining(`ISM policy ${ismPolicyId(prefix)} differs from RETENTION_DAYS=2192`) as string,
    });
    expect(writes()).toEqual([]);
    expect(stored).toEqual(before);

    expect((await ensureIndexSetupWith(client, cfg, logger, MAPPINGS)).ism).toBe('updated');
    expect((await verifyIndexSetup(client, cfg, logger, MAPPINGS)).ok).toBe(true);

    // A forged policy: the expected description (and digest), a 61-day delete underneath.
    const forged = { ...ismPolicyBody({ INDEX_PREFIX: prefix, RETENTION_DAYS: 30 }).policy, description: ismPolicyBody(cfg).policy.description };
    stored = { _seq_no: 9, _primary_term: 1, policy: forged };
    proxy.seen.length = 0;
    const result = await verifyIndexSetup(client, cfg, logger, MAPPINGS);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([expect.stringContaining('(but its states: deletes after 61 days, not after 2223 days')]);
    expect(writes()).toEqual([]);
  });

  it('setup refuses a retention below 2192 days before writing anything, unless allowed', async () => {
    stored = undefined;
    const cfg = { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 30 };
    proxy.seen.length = 0;
    await expect(ensureIndexSetupWith(client, cfg, logger, MAPPINGS)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/RETENTION_DAYS: is 30, below the floor of 2192 days.*--allow-short-retention/) as string,
    });
    await expect(ensureIsmPolicy(client, cfg, logger)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(proxy.seen).toEqual([]);
    expect(stored).toBeUndefined();
    expect((await ensureIndexSetupWith(client, cfg, logger, MAPPINGS, { allowShortRetention: true })).ism).toBe('created');
    expect(JSON.stringify(stored)).toContain(`"min_index_age":"${30 + 31}d"`);
  });
});

describe('the worker verifies what setup installed, read-only (real node)', () => {
  const proxy = new FaultProxy(new URL(stackEnv().opensearchUrl));
  const direct = new Client({ node: stackEnv().opensearchUrl });
  let client: Client;
  const prefixes: string[] = [];
  const fresh = (): { INDEX_PREFIX: string; INDEX_SHARDS: number; INDEX_REPLICAS: number; RETENTION_DAYS: number } => {
    const p = uniqueName('t-verify');
    prefixes.push(p);
    return { INDEX_PREFIX: p, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 };
  };
  const templateOf = async (name: string): Promise<unknown> =>
    (await direct.transport.request({ method: 'GET', path: `/_index_template/${name}` }, { ignore: [404] })).body;
  /** Every request the verification sent that is not a read. */
  const writes = (): string[] => proxy.seen.filter((r) => r.method !== 'GET' && r.method !== 'HEAD').map((r) => `${r.method} ${r.path}`);

  beforeAll(async () => {
    client = new Client({ node: await proxy.start() });
  });
  afterAll(async () => {
    await client.close();
    await proxy.stop();
    for (const p of prefixes) {
      await dropPrefix(direct, p);
      await direct.transport.request({ method: 'DELETE', path: `/${p}` }, { ignore: [404] }).catch(() => undefined);
      if (stackEnv().ism) await direct.transport.request({ method: 'DELETE', path: `/_plugins/_ism/policies/${ismPolicyId(p)}` }, { ignore: [404] });
    }
    await direct.close();
  });

  it('refuses a prefix with no setup, naming the template and the command, and creates nothing', async () => {
    const cfg = fresh();
    proxy.seen.length = 0;
    const result = await verifyIndexSetup(client, cfg, logger);
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toBe(`index template ${cfg.INDEX_PREFIX} is missing`);
    const err = await assertIndexSetup(client, cfg, logger).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SETUP_MISMATCH' });
    expect((err as Error).message).toContain(`index template ${cfg.INDEX_PREFIX} is missing`);
    expect((err as Error).message).toContain('Run `recording-audit setup`');
    expect(writes()).toEqual([]);
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(await templateOf(cfg.INDEX_PREFIX)).toMatchObject({ status: 404 });
  });

  it('setup creates everything, a second run changes nothing, and the worker then starts', async () => {
    const cfg = fresh();
    const first = await ensureIndexSetupWith(direct, cfg, logger, MAPPINGS);
    expect(first).toMatchObject({ templateResult: 'created', aliasAddedTo: [], ism: stackEnv().ism ? 'created' : 'absent' });
    const stored = await templateOf(cfg.INDEX_PREFIX);
    const again = await ensureIndexSetupWith(direct, cfg, logger, MAPPINGS);
    expect(again).toMatchObject({ templateResult: 'unchanged', existingIndicesUpdated: false, aliasAddedTo: [], ism: stackEnv().ism ? 'unchanged' : 'absent' });
    expect(await templateOf(cfg.INDEX_PREFIX)).toEqual(stored);
    proxy.seen.length = 0;
    expect(await verifyIndexSetup(client, cfg, logger)).toMatchObject({
      ok: true,
      problems: [],
      template: { state: 'matches', version: first.templateVersion },
    });
    await expect(assertIndexSetup(client, cfg, logger)).resolves.toMatchObject({ ok: true });
    expect(writes()).toEqual([]);
  });

  it('everything the worker sends to verify and to write is granted by the shipped worker role', async () => {
    const cfg = fresh();
    await ensureIndexSetupWith(direct, cfg, logger, MAPPINGS);
    proxy.seen.length = 0;
    await assertIndexSetup(client, cfg, logger);
    const indexer = smallIndexer(client, cfg.INDEX_PREFIX, logger);
    const outcomes = new Outcomes();
    const docs = [testDoc(cfg.INDEX_PREFIX, 1, '2024-05-10T10:00:00Z'), testDoc(cfg.INDEX_PREFIX, 2, '2024-06-10T10:00:00Z')];
    for (const d of docs) await indexer.write(d, outcomes);
    await indexer.flush();
    // The same records again: 409s, compared by hash through _mget.
    for (const d of docs) await indexer.write(d, outcomes);
    await indexer.close();
    expect([outcomes.count('indexed'), outcomes.count('duplicate')]).toEqual([2, 2]);

    const worker = loadRoles().get('recording-audit-worker')!;
    const monthly = `${cfg.INDEX_PREFIX}-2026.01`;
    const needed = proxy.seen.flatMap((r): { action: string; index?: string }[] => {
      const path = r.path.split('?')[0]!;
      if (r.method === 'HEAD' && path === '/') return [{ action: 'cluster:monitor/main' }];
      if (r.method === 'GET' && path === '/_cat/plugins') return [{ action: 'cluster:monitor/nodes/info' }, { action: 'cluster:monitor/state' }];
      if (r.method === 'GET' && path.startsWith('/_index_template/')) return [{ action: 'indices:admin/index_template/get' }];
      if (r.method === 'GET' && path.startsWith('/_plugins/_ism/policies/')) return [{ action: 'cluster:admin/opendistro/ism/policy/get' }];
      const alias = /^\/([^/]+)\/_alias$/.exec(path);
      if (r.method === 'GET' && alias) return [{ action: 'indices:admin/aliases/get', index: decodeURIComponent(alias[1]!).replace(/\*$/, '2026.01') }];
      if (r.method === 'POST' && path === '/_mget') return [{ action: 'indices:data/read/mget' }, { action: 'indices:data/read/mget[shard]', index: monthly }];
      if (r.method === 'POST' && path === '/_bulk') {
        const items = r.body
          .toString()
          .split('\n')
          .filter((l) => l.startsWith('{"create"') || l.startsWith('{"index"') || l.startsWith('{"update"') || l.startsWith('{"delete"'));
        return [
          { action: 'indices:data/write/bulk' },
          ...items.flatMap((l) => {
            const [op, meta] = Object.entries(JSON.parse(l) as Record<string, { _index: string }>)[0]!;
            // The security plugin checks a create item as indices:data/write/index, and creates a missing index first.
            const item = op === 'create' || op === 'index' ? 'indices:data/write/index' : `indices:data/write/${op}`;
            return [
              { action: 'indices:data/write/bulk[s]', index: meta._index },
              { action: item, index: meta._index },
              { action: 'indices:admin/create', index: meta._index },
            ];
          }),
        ];
      }
      return [{ action: `unmapped ${r.method} ${path}` }];
    });
    expect(needed.some((n) => n.action === 'indices:data/write/index')).toBe(true);
    expect(needed.some((n) => n.action === 'indices:data/read/mget')).toBe(true);
    // The shipped roles name the default prefix; a deployment with another one substitutes it.
    const asShipped = (index: string | undefined): string | undefined => index?.replace(cfg.INDEX_PREFIX, SCHEMA.INDEX_PREFIX.default);
    expect(needed.filter((n) => !grants(worker, n.action, asShipped(n.index)))).toEqual([]);
  });

  it('sorts new monthly indices by object key and time on OpenSearch 3.2 and later; the worker accepts the template with or without the sort', async () => {
    const cfg = fresh();
    const info = (await direct.transport.request({ method: 'GET', path: '/' })).body as { version: { number: string } };
    const [major = 0, minor = 0] = info.version.number.split('.').map(Number);
    const sorts = major > 3 || (major === 3 && minor >= 2);
    await ensureIndexSetupWith(direct, cfg, logger, MAPPINGS);
    const monthly = `${cfg.INDEX_PREFIX}-2024.05`;
    // Created by the template, as a first write of the month creates it.
    await direct.transport.request({ method: 'PUT', path: `/${monthly}` });
    const settings = (await direct.transport.request({ method: 'GET', path: `/${monthly}/_settings`, querystring: { flat_settings: true } })).body as Record<
      string,
      { settings: Record<string, unknown> }
    >;
    const sort = settings[monthly]!.settings;
    expect(sort['index.sort.field']).toEqual(sorts ? ['aws.s3.object.key', '@timestamp'] : undefined);
    await expect(assertIndexSetup(client, cfg, logger)).resolves.toMatchObject({ ok: true });
    // A template installed without the sort (setup on a cluster before 3.2, since upgraded): still this build's.
    await ensureIndexTemplate(direct, cfg, MAPPINGS, logger);
    await expect(assertIndexSetup(client, cfg, logger)).resolves.toMatchObject({ ok: true });
  });

  it('refuses a template of other settings or an older mapping revision, and leaves it as it was', async () => {
    const cfg = fresh();
    await ensureIndexTemplate(direct, { ...cfg, INDEX_REPLICAS: 1 }, MAPPINGS, logger);
    const other = await templateOf(cfg.INDEX_PREFIX);
    proxy.seen.length = 0;
    const differs = await verifyIndexSetup(client, cfg, logger);
    expect(differs.template.state).toBe('differs');
    expect(differs.problems[0]).toMatch(new RegExp(`^index template ${cfg.INDEX_PREFIX} is version \\w+, not \\w+ \\(same mapping revision`));
    await expect(assertIndexSetup(client, cfg, logger)).rejects.toMatchObject({ code: 'SETUP_MISMATCH' });
    expect(writes()).toEqual([]);
    expect(await templateOf(cfg.INDEX_PREFIX)).toEqual(other);

    // An older release's template (it would refuse this build's fields next month).
    await direct.transport.request({ method: 'DELETE', path: `/_index_template/${cfg.INDEX_PREFIX}` });
    await ensureIndexTemplate(direct, cfg, MAPPINGS, logger, MAPPING_REVISION - 1);
    const older = await verifyIndexSetup(client, cfg, logger);
    expect(older.template.state).toBe('older');
    expect(older.problems[0]).toContain(`has mapping revision ${MAPPING_REVISION - 1}; this build writes revision ${MAPPING_REVISION}`);

    // The "mapping revision only goes up" rule: a later revision is accepted, with a warning.
    const newer = { ...MAPPINGS, properties: { ...MAPPINGS.properties, added_in_next_revision: { type: 'keyword' } } };
    await ensureIndexTemplate(direct, cfg, newer, logger, MAPPING_REVISION + 1);
    expect((await verifyIndexSetup(client, cfg, logger)).template.state).toBe('newer');
    expect((await ensureIndexSetupWith(direct, cfg, logger, MAPPINGS)).templateResult).toBe('newer');
  });

  it('refuses monthly indices without the read alias until setup adds it', async () => {
    const cfg = fresh();
    // Made outside the template, but with the analysis settings the mapping's normalizer needs
    // (without them no mapping revision from 4 on can be put on it: setup refuses, naming the normalizer).
    await direct.transport.request({ method: 'PUT', path: `/${cfg.INDEX_PREFIX}-2024.01`, body: { settings: { analysis: INDEX_ANALYSIS } } });
    await ensureIndexTemplate(direct, cfg, MAPPINGS, logger);
    const before = await verifyIndexSetup(client, cfg, logger);
    expect(before.problems).toEqual([
      `index template ${cfg.INDEX_PREFIX}.genesys (genesys.audit events) is missing`,
      `index template ${cfg.INDEX_PREFIX}.cloudtrail (aws.cloudtrail events) is missing`,
      `monthly index(es) without the read alias ${cfg.INDEX_PREFIX}: ${cfg.INDEX_PREFIX}-2024.01`,
    ]);
    expect((await ensureIndexSetupWith(direct, cfg, logger, MAPPINGS)).aliasAddedTo).toEqual([`${cfg.INDEX_PREFIX}-2024.01`]);
    expect((await verifyIndexSetup(client, cfg, logger)).ok).toBe(true);
  });

  it('refuses, and setup refuses too, an index squatting the alias name; setup never deletes it', async () => {
    const cfg = fresh();
    await direct.transport.request({ method: 'PUT', path: `/${cfg.INDEX_PREFIX}` });
    await expect(ensureIndexSetupWith(direct, cfg, logger, MAPPINGS)).rejects.toMatchObject({ code: 'SETUP_MISMATCH' });
    expect((await verifyIndexSetup(client, cfg, logger)).problems).toContain(
      `an index named ${cfg.INDEX_PREFIX} exists where the read alias ${cfg.INDEX_PREFIX} belongs`,
    );
    expect((await direct.transport.request({ method: 'HEAD', path: `/${cfg.INDEX_PREFIX}` }, { ignore: [404] })).statusCode).toBe(200);
  });
});
