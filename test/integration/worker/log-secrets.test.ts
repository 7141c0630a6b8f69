import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAccessRecord, requestIds } from '../../../src/sim/s3-logs/access-log-writer.js';
import { putLogObject } from '../../../src/sim/s3-logs/log-pipeline.js';
import { logObjectKey } from '../../../src/sim/s3-logs/scenario.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';
import { allDocuments, setupIndices, spawnWorker, waitForEmptyQueue, workerEnv } from '../../support/worker-harness.js';
import { useWorkerStack } from './support.js';

/** Values that must never appear in a log line of the worker, nor in the index. */
const SECRETS = {
  genesysSecret: 'GENESYS-SECRET-7d1c0f2b9e8a',
  opensearchPassword: 'OS-PASSWORD-4b6e2a9c1d3f',
  sigV4: 'a3f9c2e18b7d46f0a3f9c2e18b7d46f0a3f9c2e18b7d46f0a3f9c2e18b7d46f0',
  sessionToken: 'IQoJb3JpZ2luX2VjEPLANTEDTOKENxyz123',
  sigV2: 'PLANTEDsigV2b64value0123',
};

describe('no secret reaches the logs or the index', () => {
  let sim: GenesysSimulator;
  const { s3, sqs, os, indexPrefix, logPipeline } = useWorkerStack();
  const prefix = indexPrefix('t-secrets');

  beforeAll(async () => {
    sim = await startGenesysSimulator({ clients: [{ id: 'audit-client', secret: SECRETS.genesysSecret }] });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('runs the worker at debug level with planted secrets in its settings and in the requests it reads', async () => {
    const res = await logPipeline();
    const key = 'org-1/year=2024/month=5/day=1/hour=2/conversation_id=0b1c2d3e-4f50-4a6b-8c7d-000000000001/9f8e7d6c-5b4a-4392-8170-000000000001.opus';
    const base = {
      bucketOwner: 'e'.repeat(64),
      bucket: res.recordingsBucket,
      time: new Date(Date.UTC(2024, 4, 1, 3)),
      remoteIp: '203.0.113.9',
      requester: 'arn:aws:sts::123456789012:assumed-role/qa/x',
      operation: 'REST.GET.OBJECT',
      key,
      method: 'GET',
      httpStatus: 200,
      totalTimeMs: 9,
      turnAroundMs: 3,
      userAgent: 'Mozilla/5.0',
      hostHeader: 'h.s3.amazonaws.com',
    };
    const lines = [
      formatAccessRecord({
        ...base,
        ...requestIds(1),
        uri: `/${key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAPLANTED%2F20240501%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240501T030000Z&X-Amz-Expires=300&X-Amz-Security-Token=${SECRETS.sessionToken}&X-Amz-SignedHeaders=host&X-Amz-Signature=${SECRETS.sigV4}`,
        authType: 'QueryString',
        referrer: `https://app.example.org/play?X-Amz-Signature=${SECRETS.sigV4}`,
      }),
      formatAccessRecord({
        ...base,
        ...requestIds(2),
        uri: `/${key}?AWSAccessKeyId=AKIAPLANTED&Expires=1714532400&Signature=${SECRETS.sigV2}`,
        authType: 'QueryString',
        signatureVersion: 'SigV2',
      }),
    ];
    await putLogObject(s3, res.logBucket, logObjectKey(res.logPrefix, new Date(Date.UTC(2024, 4, 1, 4)), 'SECRETS'), `${lines.join('\n')}\n`);

    const env = workerEnv({
      SQS_QUEUE_URL: res.queueUrl,
      LOG_BUCKETS: res.logBucket,
      INDEX_PREFIX: prefix,
      LOG_LEVEL: 'trace',
      OPENSEARCH_AUTH: 'basic',
      OPENSEARCH_USERNAME: 'audit-writer',
      OPENSEARCH_PASSWORD: SECRETS.opensearchPassword,
      GENESYS_CLIENT_ID: 'audit-client',
      GENESYS_CLIENT_SECRET: SECRETS.genesysSecret,
      GENESYS_API_URL: sim.url,
    });
    await setupIndices(env);
    const child = spawnWorker(env);
    let output = '';
    child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    try {
      await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 60_000 });
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    expect(output.length).toBeGreaterThan(0);
    expect(output).toContain('Log object accounted for.');
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(output.includes(secret), `${name} in the worker's log`).toBe(false);
    }
    const docs = await allDocuments(os, `${prefix}-*`);
    expect(docs.size).toBe(2);
    const stored = JSON.stringify([...docs.values()]);
    for (const [name, secret] of Object.entries(SECRETS)) {
      if (name === 'genesysSecret' || name === 'opensearchPassword') continue;
      expect(stored.includes(secret), `${name} in the index`).toBe(false);
    }
    for (const d of docs.values()) expect((d.event as { redacted?: boolean }).redacted).toBe(true);
    s3.destroy();
    sqs.destroy();
  });
});
