import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import {
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { createLogger } from '../../../src/core/log.js';
import { createSdkTransport } from '../../../src/enrich/genesys/sdk.js';
import { INDEX_MAPPINGS } from '../../../src/event/mapping.js';
import { genesysChecks } from '../../../src/ops/check/genesys.js';
import { openSearchChecks } from '../../../src/ops/check/opensearch.js';
import { quarantineBucketChecks } from '../../../src/ops/check/quarantine-bucket.js';
import { s3LogBucketChecks } from '../../../src/ops/check/s3-log-bucket.js';
import { sqsChecks } from '../../../src/ops/check/sqs.js';
import type { CheckContext, CheckResult } from '../../../src/ops/check/types.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';
import { createOpenSearchClient } from '../../../src/sinks/opensearch/client.js';
import { ensureIndexSetupWith } from '../../../src/sinks/opensearch/install.js';
import { ensureIndexTemplate } from '../../../src/sinks/opensearch/template.js';
import { stackEnv, stackSettings, uniqueName } from '../../support/stack-env.js';
import { Resources, UPLOADER, compliantPolicy } from './support.js';

const res = new Resources();
const quiet = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
let opensearchUrl = '';
let os: Client;
const prefixes: string[] = [];

function ctx(env: Record<string, string>): CheckContext {
  const config = loadConfigOrThrow({ env: { OPENSEARCH_URL: opensearchUrl, ...env } });
  return {
    config,
    s3: () => res.s3,
    sqs: () => res.sqs,
    kms: () => res.kms,
    opensearch: () => os,
    genesys: () =>
      createSdkTransport({
        clientId: config.GENESYS_CLIENT_ID ?? '',
        clientSecret: config.GENESYS_CLIENT_SECRET ?? '',
        environment: config.GENESYS_ENVIRONMENT,
        ...(config.GENESYS_API_URL !== undefined ? { apiUrl: config.GENESYS_API_URL } : {}),
        timeoutMs: 5000,
      }),
  };
}

const byCheck = (rows: CheckResult[]): Record<string, string> => Object.fromEntries(rows.map((r) => [r.check, r.status]));

/** A queue with a DLQ behind a redrive policy, and a log bucket notifying it. */
async function pipeline(
  options: { maxReceiveCount?: number; notify?: boolean; guarded?: boolean } = {},
): Promise<{ queueUrl: string; logBucket: string; dlqUrl: string }> {
  const dlq = await res.queue({ MessageRetentionPeriod: '1209600' });
  const queue = await res.queue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: options.maxReceiveCount ?? 5 }) });
  const logBucket = await res.logBucket();
  if (options.guarded ?? true) await res.logBucketPolicy(logBucket, true);
  if (options.notify ?? true) {
    await res.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: logBucket,
        NotificationConfiguration: { QueueConfigurations: [{ QueueArn: queue.arn, Events: ['s3:ObjectCreated:*'] }] },
      }),
    );
  }
  return { queueUrl: queue.url, logBucket, dlqUrl: dlq.url };
}

beforeAll(() => {
  opensearchUrl = stackEnv().opensearchUrl;
  os = createOpenSearchClient(loadConfigOrThrow({ env: { OPENSEARCH_URL: opensearchUrl, BULK_GZIP: 'false' } }));
});
afterAll(async () => {
  for (const p of prefixes) {
    await os.transport.request({ method: 'DELETE', path: `/_index_template/${p}` }, { ignore: [404] }).catch(() => undefined);
    await os.transport.request({ method: 'DELETE', path: `/${p}*` }, { ignore: [404] }).catch(() => undefined);
    await os.transport.request({ method: 'DELETE', path: `/${p}` }, { ignore: [404] }).catch(() => undefined);
  }
  await os.close();
  await res.cleanup();
});

describe('sqs group (moto)', () => {
  it('passes a queue with a DLQ', async () => {
    const p = await pipeline();
    const rows = await sqsChecks.run(ctx({ SQS_QUEUE_URL: p.queueUrl }));
    expect(byCheck(rows)).toEqual({ 'queue reachable': 'pass', 'dead-letter queue': 'pass', 'dead-letter retention': 'pass' });
  });

  it('fails a queue without a redrive policy', async () => {
    const q = await res.queue();
    const rows = await sqsChecks.run(ctx({ SQS_QUEUE_URL: q.url }));
    expect(byCheck(rows)).toEqual({ 'queue reachable': 'pass', 'dead-letter queue': 'fail' });
    expect(rows[1]?.fix).toContain('RedrivePolicy');
  });

  it('fails a redrive policy naming a queue that does not exist', async () => {
    const q = await res.queue();
    const dlq = await res.queue();
    await res.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }) } }),
    );
    await res.cleanupQueue(dlq.url);
    const rows = await sqsChecks.run(ctx({ SQS_QUEUE_URL: q.url }));
    expect(byCheck(rows)['dead-letter queue']).toBe('fail');
    expect(rows.find((r) => r.check === 'dead-letter queue')?.detail).toContain('does not exist');
  });

  it('warns on a low maxReceiveCount and on messages waiting in the DLQ', async () => {
    const p = await pipeline({ maxReceiveCount: 1 });
    await res.sendMessage(p.dlqUrl, '{"Records":[]}');
    const rows = await sqsChecks.run(ctx({ SQS_QUEUE_URL: p.queueUrl }));
    expect(byCheck(rows)).toMatchObject({ 'dead-letter queue': 'warn', 'dead-letter queue empty': 'warn' });
  });

  it('fails a queue that does not exist', async () => {
    const rows = await sqsChecks.run(ctx({ SQS_QUEUE_URL: `${stackEnv().awsEndpointUrl}/123456789012/${uniqueName('t-ops-none')}` }));
    expect(byCheck(rows)).toEqual({ 'queue reachable': 'fail', 'dead-letter queue': 'skip' });
    expect(rows[0]?.fix).toContain('does not exist');
  });
});

describe('s3-log-bucket group (moto)', () => {
  it('passes a readable log bucket notifying the queue', async () => {
    const p = await pipeline({ guarded: false });
    await res.s3.send(new PutObjectCommand({ Bucket: p.logBucket, Key: 'logs/2026-01-01-00-00-00-ABCDEF', Body: 'x' }));
    await res.logBucketPolicy(p.logBucket, true);
    const archive = await res.lockedArchive(p.logBucket, 2192);
    const rows = await s3LogBucketChecks.run(ctx({ SQS_QUEUE_URL: p.queueUrl, LOG_BUCKETS: p.logBucket }));
    expect(rows.map((r) => [r.status, r.detail])).toEqual([
      ['pass', 'listed, and a log object can be read'],
      ['pass', expect.stringContaining('s3:ObjectCreated:*')],
      ['pass', expect.stringContaining('DenyWritesButS3LogDelivery')],
      ['pass', expect.stringContaining('DenyWithoutTls')],
      ['pass', `every log object is replicated to ${archive}: Object Lock COMPLIANCE, 2192 days`],
    ]);
  });

  it('fails a log bucket whose policy lets principals other than S3 log delivery write log objects (issue 20)', async () => {
    const p = await pipeline({ guarded: false });
    const rows = await s3LogBucketChecks.run(ctx({ SQS_QUEUE_URL: p.queueUrl, LOG_BUCKETS: p.logBucket, RECORDINGS_BUCKET: 'acme-recordings' }));
    const row = rows.find((r) => r.check === `${p.logBucket} accepts log objects from S3 log delivery only`);
    expect(row?.status).toBe('fail');
    expect(row?.fix).toContain('aws:PrincipalServiceName');
    expect(row?.fix).toContain('arn:aws:s3:::acme-recordings');
  });

  it('fails a missing bucket and a bucket that does not notify the queue', async () => {
    const p = await pipeline({ notify: false });
    const missing = uniqueName('t-ops-missing');
    const rows = await s3LogBucketChecks.run(ctx({ SQS_QUEUE_URL: p.queueUrl, LOG_BUCKETS: `${p.logBucket},${missing}` }));
    expect(rows.map((r) => [r.check, r.status])).toEqual([
      [`${p.logBucket} readable`, 'pass'],
      [`${p.logBucket} notifies the queue`, 'fail'],
      [`${p.logBucket} accepts log objects from S3 log delivery only`, 'pass'],
      [`${p.logBucket} TLS only`, 'pass'],
      [`${p.logBucket} log objects immutable`, 'fail'],
      [`${missing} readable`, 'fail'],
      [`${missing} notifies the queue`, 'fail'],
      [`${missing} accepts log objects from S3 log delivery only`, 'fail'],
      [`${missing} TLS only`, 'skip'],
      [`${missing} log objects immutable`, 'fail'],
    ]);
    expect(rows[5]?.fix).toContain('does not exist');
  });
});

describe('quarantine-bucket group (moto, issue 20)', () => {
  const rowsOf = async (bucket: string): Promise<[string, string][]> =>
    (await quarantineBucketChecks.run(ctx({ QUARANTINE_URL: `s3://${bucket}/recording-audit/quarantine` }))).map((r) => [r.check, r.status]);

  it('fails a quarantine bucket with SSE-S3, no TLS-only Deny, no reader restriction and no lifecycle', async () => {
    const bucket = await res.bucket('t-ops-quarantine');
    await res.s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      }),
    );
    expect(await rowsOf(bucket)).toEqual([
      [`${bucket} default encryption SSE-KMS`, 'fail'],
      [`${bucket} refuses requests without TLS`, 'fail'],
      [`${bucket} read by the incident reader role only`, 'fail'],
      [`${bucket} lifecycle expires quarantine records`, 'fail'],
    ]);
  });

  it("passes the stack's quarantine bucket: SSE-KMS, TLS only, incident reader only, expiring", async () => {
    const bucket = await res.bucket('t-ops-quarantine');
    const key = await res.kmsKey();
    await res.s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key }, BucketKeyEnabled: true }],
        },
      }),
    );
    await res.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'ExpireQuarantine',
              Status: 'Enabled',
              Filter: { Prefix: '' },
              Expiration: { Days: 2192 },
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            },
          ],
        },
      }),
    );
    const resources = [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`];
    await res.s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyWithoutTls',
              Effect: 'Deny',
              Principal: '*',
              Action: [
                's3:GetObject',
                's3:GetObjectVersion',
                's3:PutObject',
                's3:DeleteObject',
                's3:DeleteObjectVersion',
                's3:ListBucket',
                's3:ListBucketVersions',
              ],
              Resource: resources,
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
            {
              Sid: 'ReadOnlyByIncidentReader',
              Effect: 'Deny',
              Principal: '*',
              Action: ['s3:GetObject', 's3:GetObjectVersion'],
              Resource: `arn:aws:s3:::${bucket}/*`,
              Condition: { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/recording-audit-quarantine-reader' } },
            },
          ],
        }),
      }),
    );
    expect((await rowsOf(bucket)).map(([, status]) => status)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it('skips a local quarantine directory', async () => {
    const rows = await quarantineBucketChecks.run(ctx({ QUARANTINE_URL: 'file:///tmp/q' }));
    expect(rows.map((r) => r.status)).toEqual(['skip']);
  });
});

describe('opensearch group (local node)', () => {
  it('passes with the template in place and flags the missing ISM plugin or policy', async () => {
    const prefix = uniqueName('t-ops-os');
    prefixes.push(prefix);
    const cfg = { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0 };
    await ensureIndexTemplate(os, cfg, { properties: { event: { properties: { hash: { type: 'keyword' } } } } }, quiet);
    let rows = await openSearchChecks.run(ctx({ INDEX_PREFIX: prefix }));
    expect(byCheck(rows)).toMatchObject({ reachable: 'pass', [`index template ${prefix}`]: 'pass', [`alias ${prefix}`]: 'pass' });
    // The local node has no ISM plugin (a warn); with ISM and no policy it is a fail.
    expect(['warn', 'fail']).toContain(byCheck(rows)[`ISM policy ${prefix}-retention`]);

    await os.transport.request({ method: 'PUT', path: `/${prefix}-2026.01` });
    rows = await openSearchChecks.run(ctx({ INDEX_PREFIX: prefix }));
    expect(rows.find((r) => r.check === `alias ${prefix}`)?.detail).toContain(`${prefix}-2026.01`);
  });

  it('fails a setup the worker would refuse to start with, and passes once setup has run', async () => {
    const prefix = uniqueName('t-ops-setup');
    prefixes.push(prefix);
    const cfg = { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 };
    // A hand-made template (or another release's): the index template row passes, the worker would not start.
    await ensureIndexTemplate(os, cfg, { properties: {} }, quiet);
    let rows = await openSearchChecks.run(ctx({ INDEX_PREFIX: prefix, INDEX_REPLICAS: '0' }));
    expect(byCheck(rows)[`index template ${prefix}`]).toBe('pass');
    expect(rows.find((r) => r.check === 'setup matches the worker')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`the worker refuses to start: index template ${prefix} is version`) as string,
      fix: expect.stringContaining('Run `recording-audit setup`') as string,
    });
    await ensureIndexSetupWith(os, cfg, quiet, INDEX_MAPPINGS);
    rows = await openSearchChecks.run(ctx({ INDEX_PREFIX: prefix, INDEX_REPLICAS: '0' }));
    expect(byCheck(rows)['setup matches the worker']).toBe('pass');
    // A template existed before this release's setup, so a worker may have written: the short ids start after a margin.
    expect(rows.find((r) => r.check === 'setup matches the worker')?.detail).toMatch(
      /document ids: sha256 hex before \d{4}\.\d{2}, 128-bit \(22 characters\) from/,
    );
  });

  it('fails a missing template and an index squatting the alias name', async () => {
    const prefix = uniqueName('t-ops-os');
    prefixes.push(prefix);
    await os.transport.request({ method: 'PUT', path: `/${prefix}` });
    const rows = await openSearchChecks.run(ctx({ INDEX_PREFIX: prefix }));
    expect(byCheck(rows)).toMatchObject({ reachable: 'pass', [`index template ${prefix}`]: 'fail', [`alias ${prefix}`]: 'fail' });
  });

  it('fails an unreachable cluster with one row', async () => {
    const dead = createOpenSearchClient(loadConfigOrThrow({ env: { OPENSEARCH_URL: 'http://127.0.0.1:1', OPENSEARCH_REQUEST_TIMEOUT_MS: '2000' } }));
    const rows = await openSearchChecks.run({ ...ctx({}), opensearch: () => dead });
    await dead.close();
    expect(rows.map((r) => [r.check, r.status])).toEqual([['reachable', 'fail']]);
  });
});

describe('genesys group (simulator)', () => {
  let sim: GenesysSimulator;
  beforeAll(async () => {
    sim = await startGenesysSimulator({
      clients: [
        { id: 'all', secret: 's1' },
        { id: 'no-recordings', secret: 's2', permissions: ['analytics:conversationDetail:view', 'directory:user:view'] },
      ],
    });
  });
  afterAll(async () => {
    await sim.close();
  });
  const env = (id: string, secret: string): Record<string, string> => ({ GENESYS_CLIENT_ID: id, GENESYS_CLIENT_SECRET: secret, GENESYS_API_URL: sim.url });

  it('passes login and every call', async () => {
    const rows = await genesysChecks.run(ctx(env('all', 's1')));
    expect(rows.every((r) => r.status === 'pass')).toBe(true);
    expect(rows.map((r) => r.check)).toEqual([
      'login',
      'conversation details',
      'recording metadata',
      'recording retention query',
      'users',
      'users search',
      'audit trail (quality)',
    ]);
  });

  it('probes the audit queries the audit source runs, and none when it is off', async () => {
    const both = await genesysChecks.run(ctx({ ...env('all', 's1'), GENESYS_AUDIT_APIS: 'quality,audits' }));
    expect(byCheck(both)).toMatchObject({ 'audit trail (quality)': 'pass', 'audit trail (audits)': 'pass' });
    const off = await genesysChecks.run(ctx({ ...env('all', 's1'), GENESYS_AUDIT_INTERVAL_SECS: '0' }));
    expect(off.map((r) => r.check)).not.toContain('audit trail (quality)');
  });

  it('names the missing permission', async () => {
    const rows = await genesysChecks.run(ctx(env('no-recordings', 's2')));
    expect(byCheck(rows)).toEqual({
      login: 'pass',
      'conversation details': 'pass',
      'recording metadata': 'fail',
      'recording retention query': 'fail',
      users: 'pass',
      'users search': 'pass',
      'audit trail (quality)': 'fail',
    });
    expect(rows.find((r) => r.check === 'recording metadata')?.fix).toContain('recording:recording:view');
    expect(rows.find((r) => r.check === 'audit trail (quality)')?.fix).toContain('audits:interactionDetails:view');
  });

  it('fails a wrong secret at login and skips the rest', async () => {
    const rows = await genesysChecks.run(ctx(env('all', 'wrong')));
    expect(rows[0]).toMatchObject({ check: 'login', status: 'fail' });
    expect(rows.slice(1).every((r) => r.status === 'skip')).toBe(true);
    expect(JSON.stringify(rows)).not.toContain('wrong');
  });

  it('skips when not configured', async () => {
    const rows = await genesysChecks.run(ctx({}));
    expect(rows).toEqual([expect.objectContaining({ check: 'login', status: 'skip' })]);
  });
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check', ...args], {
      cwd: new URL('../../../', import.meta.url),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...stackSettings(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe('recording-audit check (CLI, end to end)', () => {
  it('exits 0 with --json when everything passes, 1 with a table when something fails', async () => {
    const p = await pipeline();
    await res.lockedArchive(p.logBucket, 2192);
    const key = await res.kmsKey([UPLOADER]);
    const rec = await res.recordingsBucket({ encryption: 'kms', kmsKeyArn: key, policy: compliantPolicy(key), versioning: true, logTo: p.logBucket });
    const prefix = uniqueName('t-ops-cli');
    prefixes.push(prefix);
    // What `recording-audit setup` installs for the settings below (INDEX_REPLICAS left at its default).
    await ensureIndexSetupWith(os, { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 1, RETENTION_DAYS: 2192 }, quiet, INDEX_MAPPINGS);
    const env = {
      SQS_QUEUE_URL: p.queueUrl,
      LOG_BUCKETS: p.logBucket,
      OPENSEARCH_URL: opensearchUrl,
      INDEX_PREFIX: prefix,
      RECORDINGS_BUCKET: rec,
      RECORDINGS_KMS_KEY_ARN: key,
    };

    const ok = await cli(['--json'], env);
    const report = JSON.parse(ok.stdout) as { ok: boolean; summary: Record<string, number>; results: CheckResult[] };
    expect(report.results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(report.ok).toBe(true);
    expect(ok.code).toBe(0);
    expect(report.summary.pass).toBeGreaterThanOrEqual(14);

    const bad = await cli(['--only', 'recordings-bucket,sqs'], {
      ...env,
      RECORDINGS_RETENTION_DAYS: '1',
      RECORDINGS_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/other',
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL\s+recordings-bucket\s+default encryption SSE-KMS/m);
    expect(bad.stdout).toMatch(/fix: aws s3api put-bucket-encryption/);
    expect(bad.stdout).toContain('check FAILED');
    expect(bad.stdout).not.toMatch(/opensearch/);
  });

  it('reports missing required settings as failures and exits 1; 64 on a bad option', async () => {
    const missing = await cli([], { OPENSEARCH_URL: opensearchUrl });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^FAIL\s+config\s+setting SQS_QUEUE_URL\s+is required/m);
    expect(missing.stdout).toMatch(/^SKIP\s+sqs/m);
    expect((await cli(['--bogus'], {})).code).toBe(64);
    expect((await cli(['--only', 'nope'], {})).code).toBe(64);
  });
});
