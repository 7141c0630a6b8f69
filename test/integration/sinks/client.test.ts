import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../../../src/core/errors.js';
import { encodeBulkBody } from '../../../src/sinks/opensearch/bulk-body.js';
import { createOpenSearchClient, type OpenSearchClientSettings } from '../../../src/sinks/opensearch/client.js';
import { FaultProxy } from './fault-proxy.js';
import { stackEnv } from '../../support/stack-env.js';

const base = (url: string, over: Partial<OpenSearchClientSettings> = {}): OpenSearchClientSettings => ({
  OPENSEARCH_URL: url,
  OPENSEARCH_AUTH: 'none',
  OPENSEARCH_USERNAME: undefined,
  OPENSEARCH_PASSWORD: undefined,
  OPENSEARCH_SIGV4_SERVICE: 'es',
  OPENSEARCH_REQUEST_TIMEOUT_MS: 5000,
  ...over,
});

describe('createOpenSearchClient', () => {
  let proxy: FaultProxy;
  let url: string;
  beforeAll(async () => {
    proxy = new FaultProxy(new URL(stackEnv().opensearchUrl));
    url = await proxy.start();
  });
  afterEach(() => {
    proxy.plan = () => 'pass';
    proxy.seen.length = 0;
  });
  afterAll(async () => {
    await proxy.stop();
  });

  it('refuses incomplete or unsafe settings', () => {
    expect(() => createOpenSearchClient(base(url, { OPENSEARCH_AUTH: 'basic', OPENSEARCH_USERNAME: 'u' }))).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => createOpenSearchClient(base('http://u:p@127.0.0.1:9'))).toThrow(/must not carry credentials/);
    expect(() => createOpenSearchClient(base(url, { OPENSEARCH_AUTH: 'sigv4' }), {})).toThrow(/AWS_REGION/);
    expect(() => createOpenSearchClient(base(url, { OPENSEARCH_URL: undefined }))).toThrow(/OPENSEARCH_URL/);
  });

  it('does not retry on its own (maxRetries 0): one 503 is one request', async () => {
    proxy.plan = () => ({ status: 503 });
    const client = createOpenSearchClient(base(url));
    await expect(client.bulk({ body: [{ create: { _index: 'x', _id: '1' } }, { a: 1 }] })).rejects.toMatchObject({ statusCode: 503 });
    expect(proxy.seen).toHaveLength(1);
    await client.close();
  });

  it('basic auth goes in a header, never into error messages', async () => {
    const secret = 'pa55-w0rd-never-logged';
    proxy.plan = () => ({ status: 401, body: { error: { type: 'security_exception', reason: 'unauthorized' }, status: 401 } });
    const client = createOpenSearchClient(base(url, { OPENSEARCH_AUTH: 'basic', OPENSEARCH_USERNAME: 'writer', OPENSEARCH_PASSWORD: secret }));
    const err = await client.info().catch((e: unknown) => e);
    expect(proxy.seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`writer:${secret}`).toString('base64')}`);
    expect(JSON.stringify(describeError(err))).not.toContain(secret);
    expect((err as Error).message).not.toContain(secret);
    await client.close();
  });

  it('sigv4 signs the gzipped body as sent (credential chain, region, service)', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLESIGV4';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret-example';
    try {
      const client = createOpenSearchClient(base(url, { OPENSEARCH_AUTH: 'sigv4', OPENSEARCH_SIGV4_SERVICE: 'es' }), { AWS_REGION: 'eu-west-1' });
      proxy.plan = () => ({ status: 200, body: { took: 1, errors: false, items: [{ create: { status: 201 } }] } });
      // As the bulk writer sends it: gzipped by encodeBulkBody, the header set by us.
      const { body, headers } = await encodeBulkBody(`{"create":{"_index":"x","_id":"1"}}\n{"a":"${'b'.repeat(2000)}"}\n`, true);
      await client.transport.request({ method: 'POST', path: '/_bulk', bulkBody: body }, { headers });
      const req = proxy.seen[0]!;
      expect(req.headers['content-encoding']).toBe('gzip');
      expect(String(req.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLESIGV4\/\d{8}\/eu-west-1\/es\/aws4_request, /);
      expect(req.wireBytes).toBeLessThan(req.body.length);
      // The payload hash covers the compressed bytes on the wire, which is what the service checks.
      expect(req.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(req.raw).digest('hex'));
      await client.close();
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.key;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.key === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });
});
