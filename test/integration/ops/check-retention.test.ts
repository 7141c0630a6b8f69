import { Client } from '@opensearch-project/opensearch';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { createLogger } from '../../../src/core/log.js';
import { INDEX_MAPPINGS } from '../../../src/event/mapping.js';
import { openSearchChecks } from '../../../src/ops/check/opensearch.js';
import type { CheckContext } from '../../../src/ops/check/types.js';
import { ensureIndexSetupWith } from '../../../src/sinks/opensearch/install.js';
import { ismPolicyBody, ismPolicyId } from '../../../src/sinks/opensearch/ism.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { deleteIndices } from '../../support/worker-harness.js';
import { FaultProxy } from '../sinks/fault-proxy.js';

const never = (): never => {
  throw new Error('not used by the opensearch group');
};

describe('check: an ISM policy below the retention floor (ISM endpoints answered by a stand-in in front of the real node)', () => {
  const url = stackEnv().opensearchUrl;
  const direct = new Client({ node: url });
  const prefix = uniqueName('t-ops-floor');

  afterAll(async () => {
    if (stackEnv().ism) await direct.transport.request({ method: 'DELETE', path: `/_plugins/_ism/policies/${ismPolicyId(prefix)}` }, { ignore: [404] });
    await deleteIndices(direct, prefix);
    await direct.close();
  });

  it('fails a policy that deletes after 61 days, and the setup row says the worker would refuse', async () => {
    const settings = { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 };
    await ensureIndexSetupWith(direct, settings, createLogger('silent'), INDEX_MAPPINGS);
    // What `setup --allow-short-retention` with RETENTION_DAYS=30 would have left behind.
    const short = {
      _id: ismPolicyId(prefix),
      _version: 1,
      _seq_no: 1,
      _primary_term: 1,
      policy: ismPolicyBody({ INDEX_PREFIX: prefix, RETENTION_DAYS: 30 }).policy,
    };
    const proxy = new FaultProxy(new URL(url));
    proxy.plan = (r) => {
      const path = r.path.split('?')[0]!;
      if (path === '/_cat/plugins') return { status: 200, body: [{ component: 'opensearch-index-management' }] };
      if (path === `/_plugins/_ism/policies/${ismPolicyId(prefix)}` && r.method === 'GET') return { status: 200, body: short };
      return 'pass';
    };
    const client = new Client({ node: await proxy.start() });
    try {
      const config = loadConfigOrThrow({ env: { OPENSEARCH_URL: url, INDEX_PREFIX: prefix, INDEX_REPLICAS: '0' } });
      const ctx: CheckContext = { config, s3: never, sqs: never, kms: never, opensearch: () => client, genesys: undefined };
      const rows = await openSearchChecks.run(ctx);
      expect(rows.find((r) => r.check === `ISM policy ${ismPolicyId(prefix)}`)).toMatchObject({
        status: 'fail',
        detail: 'deletes indices 61 days after creation, below the six-year floor (2192 days)',
        fix: expect.stringContaining('recording-audit setup') as string,
      });
      expect(rows.find((r) => r.check === 'setup matches the worker')).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('differs from RETENTION_DAYS=2192') as string,
      });
      expect(proxy.seen.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
    } finally {
      await client.close();
      await proxy.stop();
    }
  });
});
