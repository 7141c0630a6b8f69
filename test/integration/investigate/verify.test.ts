import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerify } from '../../../src/cli/verify.js';
import { verifyEvidence } from '../../../src/investigate/verify.js';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { createLogger } from '../../../src/core/log.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { createRuntime, type Runtime } from '../../../src/pipeline/runtime.js';
import { exportKey, generateDataset } from '../../../src/sim/genesys/dataset.js';
import { formatAccessRecord, requestIds } from '../../../src/sim/s3-logs/access-log-writer.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { applyStackEnv, awsClientConfig, stackSettings, uniqueName } from '../../support/stack-env.js';
import { allDocuments, deleteIndices, openSearch, setupIndices } from '../../support/worker-harness.js';

const run = promisify(execFile);

// The chain of custody end to end: log objects on moto, indexed by the real pipeline into the real
// OpenSearch; then one document's requester and another's IP are edited (hash left alone) and
// one log object is deleted. verify must find exactly those, and say so with exit 1.
describe('recording-audit verify (moto + OpenSearch)', () => {
  applyStackEnv();
  const s3 = new S3Client(awsClientConfig());
  const os = openSearch();
  const logBucket = uniqueName('t-verify-logs');
  const prefix = uniqueName('t-verify');
  const dataset = generateDataset({ seed: 14, users: 4, conversations: 2, recordings: 3 });
  const rec = dataset.recordings[0]!;
  const conversation = rec.conversationId;
  const KEEP = 'logs/2024-06-01-12-10-00-AAAAAAAAAAAAAAAA';
  const GONE = 'logs/2024-06-01-13-10-00-BBBBBBBBBBBBBBBB';
  const settings: Record<string, string> = {
    ...stackSettings(),
    INDEX_PREFIX: prefix,
    INDEX_REPLICAS: '0',
    BULK_FLUSH_INTERVAL_MS: '100',
    QUARANTINE_URL: pathToFileURL(mkdtempSync(join(tmpdir(), 'verify-quarantine-'))).href,
    LOG_LEVEL: 'warn',
    LOG_BUCKETS: logBucket,
    HEALTH_PORT: '0',
    RECORD_TIME_SKEW_DAYS: '36500',
  };
  let runtime: Runtime | undefined;
  /** _id of the documents of the kept object, by line number. */
  const ids = new Map<number, { id: string; index: string }>();

  const record = (n: number, hour: number): string =>
    formatAccessRecord({
      bucketOwner: 'f'.repeat(64),
      bucket: 'recordings',
      time: new Date(Date.UTC(2024, 5, 1, hour, 5, n)),
      remoteIp: '198.51.100.7',
      requester: 'arn:aws:sts::123456789012:assumed-role/reviewer/ana@example.com',
      ...requestIds(hour * 100 + n),
      operation: 'REST.GET.OBJECT',
      key: exportKey(dataset, rec),
      method: 'GET',
      uri: `/${exportKey(dataset, rec)}`,
      httpStatus: 200,
      bytesSent: 2048,
      objectSize: 2048,
      totalTimeMs: 12,
      turnAroundMs: 3,
      userAgent: 'aws-cli/2.15.0',
      hostHeader: 'recordings.s3.us-east-1.amazonaws.com',
      signatureVersion: 'SigV4',
      authType: 'AuthHeader',
      tlsVersion: 'TLSv1.3',
    });

  async function verify(argv: string[], env: Record<string, string> = settings): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runVerify(argv, { out: (t) => (out += t), err: (t) => (err += t), env });
    return { code, out, err };
  }

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: logBucket }));
    // A blank line in the middle: log.offset counts physical lines.
    await s3.send(new PutObjectCommand({ Bucket: logBucket, Key: KEEP, Body: `${record(1, 12)}\n\n${record(2, 12)}\n${record(3, 12)}\n` }));
    await s3.send(new PutObjectCommand({ Bucket: logBucket, Key: GONE, Body: `${record(1, 13)}\n${record(2, 13)}\n` }));
    await setupIndices(settings);
    const cfg = loadConfigOrThrow({ env: settings });
    runtime = await createRuntime(cfg, { logger: createLogger('silent'), metrics: createMetrics({ defaultMetrics: false }) });
    for (const key of [KEEP, GONE]) expect(await runtime.processor.process({ bucket: logBucket, key })).toMatchObject({ indexed: key === KEEP ? 3 : 2 });
    const docs = await allDocuments(os, `${prefix}-*`);
    expect(docs.size).toBe(5);
    const res = await os.search({ index: prefix, body: { size: 10, query: { term: { 'log.file.path': `s3://${logBucket}/${KEEP}` } } } });
    for (const h of (res.body as { hits: { hits: { _id: string; _index: string; _source: { log: { offset: number } } }[] } }).hits.hits) {
      ids.set(h._source.log.offset, { id: h._id, index: h._index });
    }
    expect([...ids.keys()].sort()).toEqual([1, 3, 4]);
  });

  afterAll(async () => {
    await runtime?.close();
    await deleteIndices(os, prefix);
    await emptyAndDeleteBucket(s3, logBucket);
    await os.close();
    s3.destroy();
  });

  it('before any change: every event verified, exit 0', async () => {
    const r = await verify(['--conversation', conversation, '--format', 'ndjson']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      summary: { examined: 5, verified: 5, parser_changed: 0, altered: 0, source_missing: 0, source_unreadable: 0, log_objects: 2 },
    });

    // One event held per read: each object is read again for its next event, with the same result.
    const statuses: string[] = [];
    const summary = await verifyEvidence({
      client: os,
      s3,
      index: prefix,
      selection: { conversationId: conversation },
      pageSize: 2,
      maxEventsPerRead: 1,
      objectReadTimeoutMs: 10_000,
      onOutcome: (o) => statuses.push(o.status),
    });
    expect(summary).toMatchObject({ examined: 5, objects: 5, counts: { verified: 5 } });
    expect(statuses).toEqual(Array(5).fill('verified'));
  });

  it('an edited requester, an edited IP and a deleted log object: altered 2, source_missing 2, verified 1, exit 1', async () => {
    const first = ids.get(1)!;
    const third = ids.get(3)!;
    await os.update({
      index: first.index,
      id: first.id,
      refresh: true,
      body: { doc: { aws: { s3access: { requester: 'arn:aws:sts::123456789012:assumed-role/export/batch' } } } },
    });
    await os.update({ index: third.index, id: third.id, refresh: true, body: { doc: { aws: { s3access: { remote_ip: '203.0.113.9' } } } } });
    await s3.send(new DeleteObjectCommand({ Bucket: logBucket, Key: GONE }));

    const r = await verify(['--conversation', conversation, '--format', 'ndjson', '--concurrency', '2', '--page-size', '2']);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = rows.pop();
    expect(summary).toMatchObject({
      summary: {
        examined: 5,
        verified: 1,
        parser_changed: 0,
        altered: 2,
        source_missing: 2,
        source_unreadable: 0,
        log_objects: 2,
        altered_fields: { 'aws.s3access.requester': 1, 'aws.s3access.remote_ip': 1 },
      },
    });
    const altered = rows.filter((x) => x.status === 'altered').sort((a, b) => Number(a['log.offset']) - Number(b['log.offset']));
    expect(altered).toEqual([
      expect.objectContaining({
        _id: first.id,
        'log.offset': 1,
        differences: [
          {
            field: 'aws.s3access.requester',
            stored: 'arn:aws:sts::123456789012:assumed-role/export/batch',
            from_line: 'arn:aws:sts::123456789012:assumed-role/reviewer/ana@example.com',
          },
        ],
      }),
      expect.objectContaining({
        _id: third.id,
        'log.offset': 3,
        differences: [{ field: 'aws.s3access.remote_ip', stored: '203.0.113.9', from_line: '198.51.100.7' }],
      }),
    ]);
    const missing = rows.filter((x) => x.status === 'source_missing');
    expect(missing.map((x) => x['log.file.path'])).toEqual([`s3://${logBucket}/${GONE}`, `s3://${logBucket}/${GONE}`]);
    expect(rows).toHaveLength(4);

    // The same by time range, as a table for people.
    const t = await verify(['--from', '2024-06-01T00:00:00Z', '--to', '2024-06-02T00:00:00Z']);
    expect(t.code).toBe(1);
    expect(t.out).toContain('aws.s3access.requester: index "arn:aws:sts::123456789012:assumed-role/export/batch", log line');
    expect(t.out).toMatch(/altered\s+2 {3}fields: aws\.s3access\.remote_ip 1, aws\.s3access\.requester 1/);
    expect(t.out).toMatch(/source_missing\s+2\n/);
    expect(t.out).toMatch(/verified\s+1\n/);
    expect(t.out).toContain('ALTERED: 2 document(s) do not say what S3 wrote.');
  });

  it('a log.offset past the end of the object is source_unreadable, with the reason', async () => {
    const fourth = ids.get(4)!;
    await os.update({ index: fourth.index, id: fourth.id, refresh: true, body: { doc: { log: { offset: 50 } } } });
    const r = await verify(['--conversation', conversation, '--format', 'ndjson']);
    expect(r.code).toBe(1);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.pop()).toMatchObject({ summary: { examined: 5, verified: 0, altered: 2, source_missing: 2, source_unreadable: 1 } });
    expect(rows.find((x) => x.status === 'source_unreadable')).toMatchObject({
      _id: fourth.id,
      'log.offset': 50,
      reason: 'line 50 is past the last line of the object (4)',
    });
  });

  it('a missing index and an unreachable OpenSearch: one line, exit 66', async () => {
    const missing = await verify(['--conversation', conversation, '--index-prefix', uniqueName('t-verify-none')]);
    expect(missing.code).toBe(66);
    expect(missing.out).toBe('');
    expect(missing.err).toMatch(/^recording-audit verify: No index or alias "t-verify-none-[^"]+" on http:\/\/127\.0\.0\.1:\d+/);
    expect(missing.err.trim().split('\n')).toHaveLength(1);

    // Nothing listens on port 9. Through the real CLI: no stack trace either.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...settings, OPENSEARCH_URL: 'http://127.0.0.1:9' };
    const down = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'verify', '--conversation', conversation], { env }).then(
      () => ({ code: 0, stderr: '' }),
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(down.code).toBe(66);
    expect(down.stderr).toMatch(/^recording-audit verify: OpenSearch at http:\/\/127\.0\.0\.1:9\/? did not answer/);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a local log.file.path is not an S3 object: source_unreadable, with the reason', async () => {
    const fourth = ids.get(4)!;
    await os.update({ index: fourth.index, id: fourth.id, refresh: true, body: { doc: { log: { file: { path: '/var/log/s3/access.log' } } } } });
    const r = await verify(['--conversation', conversation, '--format', 'ndjson']);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.pop()).toMatchObject({ summary: { examined: 5, altered: 2, source_missing: 2, source_unreadable: 1 } });
    expect(rows.find((x) => x.status === 'source_unreadable')).toMatchObject({
      _id: fourth.id,
      'log.file.path': '/var/log/s3/access.log',
      reason: expect.stringMatching(/local file/) as unknown,
    });
  });

  it('usage errors exit 64', async () => {
    expect((await verify([])).code).toBe(64);
    expect((await verify(['--from', '2024-06-01T00:00:00Z'])).code).toBe(64);
    expect((await verify(['--conversation', conversation, '--format', 'csv'])).code).toBe(64);
  });
});
