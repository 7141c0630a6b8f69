import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportKey, generateDataset } from '../../../src/sim/genesys/dataset.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';
import { createLogPipeline, putLogObject, type LogPipelineResources } from '../../../src/sim/s3-logs/log-pipeline.js';
import { renderLine } from '../../fixtures/render.js';
import { applyStackEnv, uniqueName } from '../../support/stack-env.js';
import { allDocuments, deleteIndices, openSearch, startWorker, waitForEmptyQueue, workerEnv, type InProcessWorker } from '../../support/worker-harness.js';

/**
 * Event schema v2 through the real pipeline (moto S3/SQS, OpenSearch, the Genesys simulator): a
 * presigned GET keeps its access key id and loses its signature everywhere in the stored
 * document; actor.kind follows the settings; booleans are written false, so the demo summary's
 * `event.self: false` query finds a playback; a versioned DELETE carries its version id.
 */

const ACCT = '123456789012';
const SIGNATURE = '5f1c0e9a7b3d2c4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e';
const TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLETOKENVALUE';
const TASK_ROLE = `arn:aws:iam::${ACCT}:role/recording-audit-task`;

type Doc = Record<string, unknown> & { event: Record<string, unknown>; aws: Record<string, Record<string, unknown>>; actor?: Record<string, unknown> };

describe('schema v2 through the worker', () => {
  const dataset = generateDataset({ seed: 13, users: 6, conversations: 4, recordings: 4 });
  const os = openSearch();
  const prefix = uniqueName('t-schema2');
  let s3: S3Client;
  let sqs: SQSClient;
  let res: LogPipelineResources;
  let sim: GenesysSimulator;
  let worker: InProcessWorker | undefined;
  let docs: Doc[] = [];

  beforeAll(async () => {
    applyStackEnv();
    s3 = new S3Client({ forcePathStyle: true });
    sqs = new SQSClient({});
    sim = await startGenesysSimulator({ dataset });
    res = await createLogPipeline(s3, sqs, {
      recordingsBucket: uniqueName('recordings'),
      logBucket: uniqueName('access-logs'),
      queue: uniqueName('notifications'),
      maxReceiveCount: 2,
      visibilityTimeoutSecs: 30,
    });
    worker = await startWorker(
      workerEnv({
        SQS_QUEUE_URL: res.queueUrl,
        LOG_BUCKETS: res.logBucket,
        INDEX_PREFIX: prefix,
        GENESYS_CLIENT_ID: 'sim-client',
        GENESYS_CLIENT_SECRET: 'sim-secret',
        GENESYS_API_URL: sim.url,
        SELF_ROLE_ARNS: TASK_ROLE,
        SERVICE_PRINCIPALS: 'arn:aws:sts::*:assumed-role/qa-playback/presigner',
        HUMAN_PRINCIPALS: 'arn:aws:sts::*:assumed-role/*/*@*',
      }),
    );

    const keys = dataset.recordings.map((r) => exportKey(dataset, r).replaceAll('=', '%3D'));
    const line = (i: number, requester: string | undefined, op: string, uri: string, extra: Record<string, unknown> = {}): string =>
      renderLine(
        {
          bucket_owner: 'a'.repeat(64),
          bucket: res.recordingsBucket,
          remote_ip: '203.0.113.77',
          requester,
          request_id: `REQ${i}`,
          operation: op,
          key: keys[i % keys.length],
          request_uri: uri,
          http_status: 200,
          bytes_sent: 10,
          object_size: 10,
          total_time: 5,
          turn_around_time: 2,
          user_agent: 'Mozilla/5.0',
          host_id: 'h',
          signature_version: 'SigV4',
          cipher_suite: 'ECDHE-RSA-AES128-GCM-SHA256',
          authentication_type: 'AuthHeader',
          host_header: `${res.recordingsBucket}.s3.us-east-1.amazonaws.com`,
          tls_version: 'TLSv1.2',
          ...extra,
        },
        `2024-05-14T10:0${i}:00.000Z`,
        { fieldCount: 24 },
      );
    const presignedQuery = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA4EXAMPLE7Q2BZ6KD%2F20240514%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240514T095500Z&X-Amz-Expires=900&X-Amz-Security-Token=${TOKEN}&X-Amz-SignedHeaders=host&X-Amz-Signature=${SIGNATURE}`;
    const lines = [
      line(0, `arn:aws:sts::${ACCT}:assumed-role/qa-playback/presigner`, 'REST.GET.OBJECT', `GET /${keys[0]}?${presignedQuery} HTTP/1.1`, {
        authentication_type: 'QueryString',
        referrer: `https://qa.example-health.org/review?u=${encodeURIComponent(presignedQuery)}`,
      }),
      line(1, `arn:aws:sts::${ACCT}:assumed-role/qa-playback/jane.doe@example-health.org`, 'REST.GET.OBJECT', `GET /${keys[1]} HTTP/1.1`),
      line(2, `arn:aws:sts::${ACCT}:assumed-role/recording-audit-task/ecs`, 'REST.GET.OBJECT', `GET /${keys[2]} HTTP/1.1`, {
        user_agent: 'aws-sdk-js/3 recording-audit',
      }),
      line(3, `arn:aws:iam::${ACCT}:user/records.admin`, 'REST.DELETE.OBJECT', `DELETE /${keys[3]}?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY HTTP/1.1`, {
        http_status: 204,
      }),
      line(4, undefined, 'REST.GET.OBJECT', `GET /${keys[0]} HTTP/1.1`, { http_status: 403, error_code: 'AccessDenied' }),
    ];
    await putLogObject(s3, res.logBucket, `${res.logPrefix}2024-05-14-10-10-00-SCHEMA2`, `${lines.join('\n')}\n`);
    await waitForEmptyQueue(sqs, res.queueUrl, { timeoutMs: 60_000 });
    docs = [...(await allDocuments(os, `${prefix}-*`)).values()].filter((d) => (d.event as { kind: string }).kind === 'event') as Doc[];
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await sim?.close();
    await deleteIndices(os, prefix);
    await os.close();
  });

  const byRequest = (id: string): Doc => {
    const d = docs.find((x) => x.aws.s3access!.request_id === id);
    if (d === undefined) throw new Error(`no document for ${id}`);
    return d;
  };

  it('a presigned GET is in the index with its access key id, signing time and expiry, and no signature or token anywhere', () => {
    expect(docs).toHaveLength(5);
    const d = byRequest('REQ0');
    expect(d.aws.s3!.presigned).toEqual({
      access_key_id: 'ASIA4EXAMPLE7Q2BZ6KD',
      signed_at: '2024-05-14T09:55:00.000Z',
      expires_in_secs: 900,
      expires_at: '2024-05-14T10:10:00.000Z',
    });
    expect(d.aws.s3access!.request_uri).toContain('?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA4EXAMPLE7Q2BZ6KD%2F[redacted]');
    expect(d.url).toEqual({ extension: dataset.recordings[0]!.ext });
    expect(d.aws.principal).toEqual({ type: 'AssumedRole', account_id: ACCT, role_name: 'qa-playback', session_name: 'presigner' });
    expect(d.actor).toEqual({ kind: 'service' });
    const stored = JSON.stringify(d);
    expect(stored).not.toContain(SIGNATURE);
    expect(stored).not.toContain(TOKEN);
    expect(stored).not.toContain('20240514%2Fus-east-1');
    expect(d.event.redacted).toBe(true);
  });

  it('actor.kind and actor.email follow the settings; every boolean is written', () => {
    expect(byRequest('REQ1').actor).toEqual({ kind: 'human', email: 'jane.doe@example-health.org' });
    expect(byRequest('REQ2').actor).toEqual({ kind: 'self' });
    expect(byRequest('REQ2').event.self).toBe(true);
    expect(byRequest('REQ3').actor).toEqual({ kind: 'unknown' });
    expect(byRequest('REQ4').actor).toEqual({ kind: 'anonymous' });
    expect(byRequest('REQ4').aws.principal).toEqual({ type: 'Anonymous' });
    for (const d of docs) {
      expect(typeof d.event.self).toBe('boolean');
      expect(typeof d.event.redacted).toBe('boolean');
      expect(typeof d.event.invalid_utf8).toBe('boolean');
      expect(typeof (d.aws.s3!.object as Record<string, unknown>).key_decode_failed).toBe('boolean');
    }
  });

  it('a versioned DELETE carries the version id it named', () => {
    expect(byRequest('REQ3').aws.s3!.object).toMatchObject({ version_id: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY' });
    expect(byRequest('REQ1').aws.s3!.object).not.toHaveProperty('version_id');
  });

  it('stores the raw fields once: no ECS alias name in any document; event.duration in ns, ecs.version, event.module', () => {
    for (const d of docs) {
      for (const name of ['source', 'client', 'user', 'related', 'user_agent']) expect(d, name).not.toHaveProperty(name);
      for (const name of ['action', 'id', 'code']) expect(d.event, `event.${name}`).not.toHaveProperty(name);
      expect(d.aws.s3, 'aws.s3.bucket').not.toHaveProperty('bucket');
      expect(d.http ?? {}, 'http.response').not.toHaveProperty('response');
      expect(d.tls, 'tls').toEqual({ version: '1.2' });
      expect(d.event).toMatchObject({ module: 'aws', dataset: 'aws.s3access', duration: 5_000_000 });
      expect(d.ecs).toEqual({ version: '8.11.0' });
      expect(d.aws.s3access).toMatchObject({ remote_ip: '203.0.113.77', total_time: 5, cipher_suite: 'ECDHE-RSA-AES128-GCM-SHA256' });
    }
  });

  it('the ECS names (Elastic aws_s3access) are queryable aliases of the raw fields on the real node', async () => {
    const scope = { prefix: { 'log.file.path': `s3://${res.logBucket}/` } };
    const find = async (query: Record<string, unknown>): Promise<string[]> => {
      const r = await os.search({
        index: prefix,
        body: { size: 20, query: { bool: { filter: [scope, { term: { 'event.kind': 'event' } }, query] } } },
      } as never);
      const hits = (r.body as unknown as { hits: { hits: { _source: Doc }[] } }).hits.hits;
      return hits.map((h) => h._source.aws.s3access!.request_id as string).sort();
    };
    const every = ['REQ0', 'REQ1', 'REQ2', 'REQ3', 'REQ4'];
    expect(await find({ term: { 'client.ip': '203.0.113.77' } })).toEqual(every);
    expect(await find({ term: { 'source.ip': '203.0.113.77' } })).toEqual(every);
    expect(await find({ term: { 'related.ip': '203.0.113.77' } })).toEqual(every);
    // CIDR on the ip-typed alias.
    expect(await find({ term: { 'client.ip': '203.0.113.0/24' } })).toEqual(every);
    expect(await find({ term: { 'source.ip': '203.0.0.0/8' } })).toEqual(every);
    expect(await find({ term: { 'client.ip': '198.51.100.0/24' } })).toEqual([]);
    expect(await find({ term: { 'event.action': 'REST.DELETE.OBJECT' } })).toEqual(['REQ3']);
    expect(await find({ term: { 'event.action': 'REST.GET.OBJECT' } })).toEqual(['REQ0', 'REQ1', 'REQ2', 'REQ4']);
    expect(await find({ term: { 'event.id': 'REQ2' } })).toEqual(['REQ2']);
    expect(await find({ term: { 'event.code': 'AccessDenied' } })).toEqual(['REQ4']);
    expect(await find({ term: { 'http.response.status_code': 403 } })).toEqual(['REQ4']);
    expect(await find({ range: { 'http.response.status_code': { gte: 200, lt: 300 } } })).toEqual(['REQ0', 'REQ1', 'REQ2', 'REQ3']);
    expect(await find({ term: { 'url.domain': `${res.recordingsBucket}.s3.us-east-1.amazonaws.com` } })).toEqual(every);
    expect(await find({ wildcard: { 'url.original': { value: '*versionid*', case_insensitive: true } } })).toEqual(['REQ3']);
    expect(await find({ term: { 'user_agent.original': 'aws-sdk-js/3 recording-audit' } })).toEqual(['REQ2']);
    const jane = `arn:aws:sts::${ACCT}:assumed-role/qa-playback/jane.doe@example-health.org`;
    expect(await find({ term: { 'client.user.id': jane } })).toEqual(['REQ1']);
    expect(await find({ term: { 'user.id': jane } })).toEqual(['REQ1']);
    expect(await find({ term: { 'related.user': jane } })).toEqual(['REQ1']);
    expect(await find({ term: { 'tls.cipher': 'ECDHE-RSA-AES128-GCM-SHA256' } })).toEqual(every);
    expect(await find({ term: { 'aws.s3.bucket.name': res.recordingsBucket } })).toEqual(every);
    const extOf = (i: number): string => dataset.recordings[i % dataset.recordings.length]!.ext;
    expect(await find({ term: { 'url.extension': extOf(0) } })).toEqual(every.filter((_, i) => extOf(i) === extOf(0)));
    expect(await find({ range: { 'event.duration': { gte: 5_000_000, lte: 5_000_000 } } })).toEqual(every);
    // An aggregation on an alias counts the raw values.
    const agg = await os.search({ index: prefix, body: { size: 0, query: scope, aggs: { a: { terms: { field: 'event.action' } } } } } as never);
    const buckets = (agg.body as unknown as { aggregations: { a: { buckets: { key: string; doc_count: number }[] } } }).aggregations.a.buckets;
    expect(buckets).toEqual([
      { key: 'REST.GET.OBJECT', doc_count: 4 },
      { key: 'REST.DELETE.OBJECT', doc_count: 1 },
    ]);
  });

  it('a document holding a value under an alias name is refused by the real node', async () => {
    const d = byRequest('REQ1');
    const index = `${prefix}-2024.05`;
    const refusal = async (body: Record<string, unknown>): Promise<unknown> =>
      os.index({ index, id: 'alias-value', body }).then(
        () => 'accepted',
        (err: unknown) => {
          const e = err as { statusCode?: number; meta?: { body?: { error?: { caused_by?: { reason?: string } } } } };
          return [e.statusCode, e.meta?.body?.error?.caused_by?.reason];
        },
      );
    expect(await refusal({ ...d, client: { ip: '203.0.113.77' } })).toEqual([400, 'Cannot write to a field alias [client.ip].']);
    expect(await refusal({ ...d, event: { ...d.event, action: 'REST.GET.OBJECT' } })).toEqual([400, 'Cannot write to a field alias [event.action].']);
  });

  it("an event.self:false query (the demo summary's playback sample) finds a playback that is not the worker's own", async () => {
    const scope = { prefix: { 'log.file.path': `s3://${res.logBucket}/` } };
    // The query src/demo/summary.ts asks; tests import nothing from the demo.
    const playbackSample = {
      size: 1,
      query: {
        bool: {
          filter: [scope, { term: { 'event.action': 'REST.GET.OBJECT' } }, { term: { 'enrichment.status': 'resolved' } }, { term: { 'event.self': false } }],
        },
      },
    };
    const r = await os.search({ index: prefix, body: playbackSample } as never);
    const hits = (r.body as unknown as { hits: { hits: { _source: Doc }[] } }).hits.hits;
    expect(hits).toHaveLength(1);
    expect(hits[0]!._source.event.self).toBe(false);
    const all = await os.count({ index: prefix, body: { query: { bool: { filter: [scope, { term: { 'event.self': false } }] } } } } as never);
    expect((all.body as { count: number }).count).toBe(4);
  });
});
