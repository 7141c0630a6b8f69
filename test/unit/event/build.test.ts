import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RawLine } from '../../../src/decode/lines.js';
import { buildEvent, documentId, ECS_VERSION, lineHash, PARSER_VERSION, type LineResult, type SourceContext } from '../../../src/event/build.js';
import type { AccessEvent } from '../../../src/event/types.js';
import { renderLine } from '../../fixtures/render.js';

const samplesDir = fileURLToPath(new URL('../../fixtures/samples/', import.meta.url));
const sample = (file: string, n: number): string => readFileSync(`${samplesDir}${file}`, 'utf8').split('\n')[n - 1]!;
const ctx: SourceContext = { logBucket: 'acme-access-logs', filePath: 's3://acme-access-logs/logs/2024-03-01-10-15-00-ABCDEF0123456789' };
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function build(text: string | Buffer, number = 7): LineResult {
  return buildEvent({ number, bytes: Buffer.isBuffer(text) ? text : Buffer.from(text) }, ctx);
}
function ev(text: string | Buffer): AccessEvent {
  const r = build(text);
  if (!r.ok) throw new Error(`rejected: ${r.rejection.reason} ${r.rejection.detail}`);
  return r.doc.event;
}
const real = (n: number): AccessEvent => ev(sample('s3-access-real.log', n));
const edge = (n: number): AccessEvent => ev(sample('s3-access-edge-synthetic.log', n));
const json = (e: AccessEvent): string => JSON.stringify(e);

describe('buildEvent: identity and evidence', () => {
  it('event.hash is sha256 of the raw bytes; the id is sha256(bucket + "\\n" + hash)', () => {
    const text = sample('s3-access-real.log', 1);
    const r = build(text, 12);
    if (!r.ok) throw new Error('rejected');
    expect(r.doc.event.event.hash).toBe(sha(text));
    expect(r.doc.id).toBe(sha(`acme-access-logs\n${sha(text)}`));
    expect(r.doc.id).toBe(documentId(ctx.logBucket, lineHash(Buffer.from(text))));
    expect(r.doc.event.log).toEqual({ file: { path: ctx.filePath }, offset: 12 });
    expect(r.doc.event.event.parser_version).toBe(PARSER_VERSION);
  });

  it('the same line has the same id in any object and at any line number; another bucket gives another id', () => {
    const text = Buffer.from(sample('s3-access-real.log', 5));
    const a = buildEvent({ number: 1, bytes: text }, ctx);
    const b = buildEvent({ number: 900, bytes: text }, { logBucket: ctx.logBucket, filePath: 's3://acme-access-logs/other' });
    const c = buildEvent({ number: 1, bytes: text }, { logBucket: 'other-logs', filePath: ctx.filePath });
    if (!a.ok || !b.ok || !c.ok) throw new Error('rejected');
    expect(a.doc.id).toBe(b.doc.id);
    expect(c.doc.id).not.toBe(a.doc.id);
  });

  it('hashes the raw bytes, not the decoded text, when the line is not UTF-8', () => {
    const text = sample('s3-access-real.log', 5).replace('S3Console/0.4', 'S3Console/\u00ff\u00fe');
    const bytes = Buffer.from(text, 'latin1');
    const e = ev(bytes);
    expect(e.event.hash).toBe(sha(bytes));
    expect(e.event.invalid_utf8).toBe(true);
    expect(e.aws.s3access.user_agent).toBe('S3Console/\uFFFD\uFFFD');
    // Valid UTF-8 is not flagged.
    expect(edge(8).event.invalid_utf8).toBe(false);
    expect(ev(Buffer.from(sample('s3-access-real.log', 5).replace('S3Console/0.4', 'S3Console/é'))).aws.s3access.user_agent).toBe('S3Console/é');
  });

  it('a rejection carries the reason, line number, a copy of the raw bytes, its hash and id', () => {
    const bytes = Buffer.from(sample('s3-access-real-malformed.log', 1));
    const r = buildEvent({ number: 3, bytes }, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.rejection).toMatchObject({ reason: 'spliced_records', line: 3, hash: sha(bytes), id: documentId(ctx.logBucket, sha(bytes)) });
    expect(r.rejection.raw.equals(bytes)).toBe(true);
    // A copy: the decoder's chunk may be reused after the batch.
    const before = Buffer.from(bytes);
    bytes.fill(0);
    expect(r.rejection.raw.equals(before)).toBe(true);
  });

  it('an over-long line is rejected as line_too_long with the decoder full-line hash', () => {
    const line: RawLine = { number: 4, bytes: Buffer.from('abc'), truncated: { totalBytes: 5_000_000, sha256: 'f'.repeat(64) } };
    const r = buildEvent(line, ctx);
    expect(r).toMatchObject({
      ok: false,
      rejection: { reason: 'line_too_long', hash: 'f'.repeat(64), id: documentId(ctx.logBucket, 'f'.repeat(64)), line: 4 },
    });
  });
});

/** Names that are `alias` fields in schema v2: a document holding any of them is refused by OpenSearch. */
const ALIAS_ROOTS = ['source', 'client', 'user', 'related', 'user_agent'] as const;
function expectNoAliasValues(e: AccessEvent): void {
  const doc = JSON.parse(json(e)) as Record<string, Record<string, unknown> | undefined> & {
    aws: { s3: Record<string, unknown> };
    http?: Record<string, unknown>;
    tls?: Record<string, unknown>;
    url?: Record<string, unknown>;
  };
  for (const root of ALIAS_ROOTS) expect(doc[root], root).toBeUndefined();
  for (const name of ['action', 'id', 'code']) expect(doc.event?.[name], `event.${name}`).toBeUndefined();
  expect(doc.http?.response).toBeUndefined();
  expect((doc.http?.request as Record<string, unknown> | undefined)?.referrer).toBeUndefined();
  expect(doc.tls?.cipher).toBeUndefined();
  expect(doc.tls?.version_protocol).toBeUndefined();
  expect(doc.url?.original).toBeUndefined();
  expect(doc.url?.domain).toBeUndefined();
  expect(doc.url?.path).toBeUndefined();
  expect(doc.url?.query).toBeUndefined();
  expect(doc.aws.s3.bucket).toBeUndefined();
}

describe('buildEvent: ECS fields from the sample traps', () => {
  it('27-field record: TLS, the bucket region from the access point ARN, the source region kept apart', () => {
    const e = real(1);
    expect(e['@timestamp']).toBe('2019-02-06T00:00:38.000Z');
    expect(e.event).toMatchObject({
      kind: 'event',
      dataset: 'aws.s3access',
      module: 'aws',
      outcome: 'success',
      category: ['file'],
      type: ['access'],
      duration: 7_000_000,
    });
    expect(e.ecs).toEqual({ version: ECS_VERSION });
    expect(e.aws.s3access.operation).toBe('REST.GET.VERSIONING');
    expect(e.tls).toEqual({ version: '1.2' });
    expect(e.aws.s3access).toMatchObject({ tls_version: 'TLSV1.2', cipher_suite: 'ECDHE-RSA-AES128-GCM-SHA256' });
    expect(e.cloud).toEqual({ provider: 'aws', region: 'us-west-1' });
    expect(e.aws.s3access.source_region).toBe('us-east-1');
    expect(e.http).toEqual({ request: { method: 'GET' }, version: '1.1' });
    expect(e.aws.s3access).toMatchObject({ http_status: 200, bytes_sent: 113, total_time: 7, remote_ip: '192.0.2.3', bucket: 'amzn-s3-demo-bucket1' });
    expect(e.aws.s3access.request_uri).toBe('GET /amzn-s3-demo-bucket1?versioning HTTP/1.1');
    // No object key: no url.extension, and nothing else under url is stored.
    expect(e.url).toBeUndefined();
    expect(e.aws.s3.object).toEqual({ key_decode_failed: false });
    expectNoAliasValues(e);
  });

  it('no sample event stores a value under a v2 alias name', () => {
    for (const n of [1, 5, 9, 10, 15, 24, 25, 27, 41, 42]) expectNoAliasValues(real(n));
    for (const n of [1, 2, 7, 8]) expectNoAliasValues(edge(n));
  });

  it('event.duration is Total Time in nanoseconds; absent when S3 wrote none', () => {
    expect(real(10).event.duration).toBe(17_344 * 1_000_000);
    expect(real(10).aws.s3access.total_time).toBe(17_344);
    expect(edge(7).event.duration).toBe(41_754_000_000);
    expect(real(42).event.duration).toBeUndefined();
    expect(real(42).aws.s3access.total_time).toBeUndefined();
  });

  it('url.extension from the decoded key: lowercase, last segment only, absent without one', () => {
    expect(real(9).url).toEqual({ extension: 'png' });
    expect(real(10).url).toEqual({ extension: 'mp3' });
    expect(edge(8).url).toEqual({ extension: 'pdf' });
    expect(real(1).url).toBeUndefined();
    const withKey = (key: string): AccessEvent => ev(sample('s3-access-real.log', 5).replace(' s3-dg.pdf ', ` ${key} `));
    expect(withKey('a/b/REC.OPUS').url).toEqual({ extension: 'opus' });
    expect(withKey('a.dir/noext').url).toBeUndefined();
    expect(withKey('a/b.').url).toBeUndefined();
    expect(withKey('a/.hidden').url).toBeUndefined();
  });

  it('batch delete: form-decoded key, deletion, zero body bytes, no URL or user agent', () => {
    const e = real(9);
    expect(e.aws.s3.object).toEqual({ key: 'Screen Shot 2019-09-09 at 9.08.44 AM.png', key_decode_failed: false });
    expect(e.aws.s3access.key).toBe('Screen+Shot+2019-09-09+at+9.08.44+AM.png');
    expect(e.event.type).toEqual(['deletion']);
    // No Request-URI: no http.* stored; the status and the absent Bytes Sent stay raw.
    expect(e.http).toBeUndefined();
    expect(e.aws.s3access.http_status).toBe(204);
    expect(e.aws.s3access.bytes_sent).toBeUndefined();
    expect(e.aws.s3access.request_uri).toBeUndefined();
    expect(e.url).toEqual({ extension: 'png' });
    expect(e.aws.s3access.user_agent).toBeUndefined();
    expect(e.aws.s3access.requester).toBe('arn:aws:iam::123456:user/test@elastic.co');
    expect(e.aws.s3access.remote_ip).toBe('89.160.20.156');
    expectNoAliasValues(e);
    expect(e.cloud.region).toBe('ap-southeast-1');
  });

  it('SigV2 presigned URL: Signature and AWSAccessKeyId redacted everywhere, Expires kept', () => {
    const e = real(10);
    expect(e.event.redacted).toBe(true);
    expect(e.aws.s3access.request_uri).toBe('GET /10010160/2013-03-24-0930.mp3?Signature=[redacted]&Expires=1364127776&AWSAccessKeyId=[redacted] HTTP/1.1');
    for (const secret of ['75eBWlMvIpO357', '1VYKRTJ5FFKT5B6F4NR2']) expect(json(e)).not.toContain(secret);
    expect(e.aws.s3access.bytes_sent).toBe(18547033);
    expect(e.aws.s3access.referrer).toBe('http://kerkdienstgemist.nl/mp3/recorder.php?id=452');
  });

  it('SigV4 presigned URL: signature and credential scope redacted, the access key id kept (not a secret), other parameters kept', () => {
    const e = real(24);
    expect(e.event.redacted).toBe(true);
    expect(e.aws.s3access.request_uri).toContain(
      '?response-content-disposition=attachment%3Bfilename%3D2019-10-18-1100.mp4&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=1VYKRTJ5FFKT5B6F4NR2%2F[redacted]&X-Amz-Date=20191019T134605Z&X-Amz-Expires=10800&X-Amz-SignedHeaders=host&X-Amz-Signature=[redacted]',
    );
    expect(e.aws.s3.presigned).toEqual({
      access_key_id: '1VYKRTJ5FFKT5B6F4NR2',
      signed_at: '2019-10-19T13:46:05.000Z',
      expires_in_secs: 10800,
      expires_at: '2019-10-19T16:46:05.000Z',
    });
    expect(json(e)).not.toContain('XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX');
    expect(e.cloud.region).toBe('eu-west-1');
    expect(real(5).event.redacted).toBe(false);
  });

  it('raw quote in Request-URI; Key %2522 decoded once to %22; 403 is a denied failure', () => {
    const e = real(41);
    expect(e.aws.s3access.request_uri).toBe('GET /" HTTP/1.1');
    expect(e.url).toBeUndefined(); // key `"` has no extension
    expect(e.http?.request?.method).toBe('GET');
    expect(e.aws.s3access).toMatchObject({ http_status: 403, error_code: 'AccessDenied', referrer: 'referer test' });
    expect(e.aws.s3.object).toEqual({ key: '%22', key_decode_failed: false });
    expect(e.event.outcome).toBe('failure');
    expect(e.event.type).toEqual(['access', 'denied']);
    expect(e.cloud.region).toBeUndefined();
  });

  it('lifecycle expiration: no source, no HTTP, unknown outcome, deletion by AmazonS3', () => {
    const e = real(42);
    expect(e.aws.s3access.remote_ip).toBeUndefined();
    expect(e.http).toBeUndefined();
    expect(e.event.outcome).toBe('unknown');
    expect(e.event.type).toEqual(['deletion']);
    expect(e.aws.s3access.requester).toBe('AmazonS3');
    expect(e.aws.principal).toEqual({ type: 'AWSService' });
    expectNoAliasValues(e);
  });

  it('creation, change, deletion and access by operation', () => {
    expect(real(5).event.type).toEqual(['creation']); // REST.PUT.OBJECT
    expect(real(16).event.type).toEqual(['creation']); // REST.COPY.OBJECT
    expect(real(30).event.type).toEqual(['creation']); // REST.POST.UPLOADS
    expect(real(32).event.type).toEqual(['creation']); // REST.PUT.PART
    expect(real(21).event.type).toEqual(['change']); // REST.PUT.ACL
    expect(real(20).event.type).toEqual(['deletion']); // REST.DELETE.OBJECT
    expect(real(25).event.type).toEqual(['deletion']); // REST.DELETE.UPLOAD
    expect(real(29).event.type).toEqual(['deletion']); // REST.POST.MULTI_OBJECT_DELETE
    expect(real(18).event.type).toEqual(['access']); // REST.HEAD.OBJECT
    expect(edge(6).event.type).toEqual(['change']); // S3.TRANSITION_SIA.OBJECT
    expect(edge(9).event.type).toEqual(['creation']); // REST.POST.UPLOAD
    expect(edge(3).event.type).toEqual(['access']); // S3.COMPUTE.OBJECT.CHECKSUM
  });

  it('outcome: 2xx and 3xx succeed, 4xx and 5xx fail', () => {
    expect(real(15).event.outcome).toBe('success'); // 307
    expect(real(19).event.outcome).toBe('success'); // 304
    expect(real(4).event.outcome).toBe('failure'); // 404
    expect(edge(5).event.outcome).toBe('failure'); // 400 KMS.DisabledException
  });

  it('users: assumed-role session, IAM user, canonical id, anonymous, origin access identity (the raw Requester, no user.*)', () => {
    expect(real(25).aws.s3access.requester).toBe('arn:aws:sts::152813717728:assumed-role/stevel-assumed-role/test');
    expect(real(25).aws.principal).toMatchObject({ type: 'AssumedRole', role_name: 'stevel-assumed-role', session_name: 'test' });
    expect(real(27).aws.s3access.requester).toBe('arn:aws:iam::152813717728:user/stevel-dev');
    expect(real(5).aws.s3access.requester).toBe('79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be');
    expect(real(15).aws.s3access.requester).toBeUndefined();
    expect(real(15).actor).toEqual({ kind: 'anonymous' });
    expect(edge(2).aws.s3access.requester).toBe('arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID');
    for (const n of [5, 15, 25, 27]) expectNoAliasValues(real(n));
    expectNoAliasValues(edge(2));
  });

  it('IPv6 source, TLS 1.3, dual-stack endpoint', () => {
    const e = edge(1);
    expect(e.aws.s3access.remote_ip).toBe('2001:db8:85a3::8a2e:370:7334');
    expect(e.tls).toEqual({ version: '1.3' });
    expect(e.aws.s3access).toMatchObject({ tls_version: 'TLSv1.3', cipher_suite: 'TLS_AES_128_GCM_SHA256' });
    expect(e.aws.s3access.host_header).toBe('amzn-s3-demo-bucket1.s3.dualstack.us-west-1.amazonaws.com');
    expect(e.cloud.region).toBe('us-west-1');
  });

  it('regions from host headers: with a port, legacy dash endpoint, website endpoint, custom domain', () => {
    expect(edge(4).cloud.region).toBe('us-west-1');
    expect(real(23).cloud.region).toBe('eu-west-1');
    expect(real(37).cloud.region).toBe('us-east-1');
    expect(real(34).cloud.region).toBeUndefined();
    expect(real(33).cloud.region).toBeUndefined(); // s3.amazonaws.com names no region
  });

  it('OPTIONS *, HTTP/1.0, and a +0200 time', () => {
    const e = edge(7);
    expect(e['@timestamp']).toBe('2021-02-09T12:48:42.000Z');
    expect(e.http).toEqual({ request: { method: 'OPTIONS' }, version: '1.0' });
    expect(e.aws.s3access.request_uri).toBe('OPTIONS * HTTP/1.0');
    expect(e.aws.s3access.http_status).toBe(200);
    expect(e.aws.s3access.bytes_sent).toBeUndefined();
    expect(e.tls?.version).toBe('1.1');
  });

  it('a UTF-8 key decoded once, + as space; the raw key kept', () => {
    const e = edge(8);
    expect(e.aws.s3.object).toEqual({ key: '日本/résumé final.pdf', key_decode_failed: false });
    expect(e.aws.s3access.key).toBe('%E6%97%A5%E6%9C%AC/r%C3%A9sum%C3%A9+final.pdf');
    expect(e.aws.s3access.request_uri).toBe('PUT /%E6%97%A5%E6%9C%AC/r%C3%A9sum%C3%A9%20final.pdf HTTP/1.1');
  });

  it('an undecodable key is kept as written and flagged', () => {
    for (const key of ['bad%zzkey', 'half%E6%97', '100%']) {
      const e = ev(sample('s3-access-real.log', 5).replace(' s3-dg.pdf ', ` ${key} `));
      expect(e.aws.s3.object).toEqual({ key, key_decode_failed: true });
    }
  });

  it('a Remote IP that is no IP address is kept raw as written (the ip mapping ignores it as malformed instead of refusing the document)', () => {
    const e = ev(sample('s3-access-real.log', 5).replace(' 192.0.2.3 ', ' svc:delivery.logs.amazonaws.com '));
    expect(e.aws.s3access.remote_ip).toBe('svc:delivery.logs.amazonaws.com');
    expectNoAliasValues(e);
    expect(ev(sample('s3-access-real.log', 5).replace(' 192.0.2.3 ', ' 192.0.2.300 ')).aws.s3access.remote_ip).toBe('192.0.2.300');
  });

  it('a Genesys export key keeps its = (written %3D) after decoding', () => {
    const key = '5f2d9c1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f/year%3D2024/month%3D3/day%3D1/hour%3D10/conversation_id%3D0b2e/abc.opus';
    const e = ev(sample('s3-access-real.log', 5).replace(' s3-dg.pdf ', ` ${key} `));
    expect(e.aws.s3.object.key).toBe('5f2d9c1e-8a4b-4c3d-9e2f-1a2b3c4d5e6f/year=2024/month=3/day=1/hour=10/conversation_id=0b2e/abc.opus');
  });

  it('absent values are left out of the JSON document', () => {
    const doc = JSON.parse(json(real(42))) as { aws: { s3access: Record<string, unknown> }; event: Record<string, unknown> };
    expect(Object.keys(doc.aws.s3access)).toEqual([
      'bucket_owner',
      'bucket',
      'requester',
      'request_id',
      'operation',
      'key',
      'object_size',
      'host_id',
      'field_count',
    ]);
    // Booleans are never absent: `term: false` finds the events where they are false.
    expect(doc.event).toMatchObject({ redacted: false, invalid_utf8: false, self: false });
  });
});

describe('buildEvent: schema v2 derivations', () => {
  const line = (requester: string | undefined, operation: string, requestUri: string, authType: string | undefined): AccessEvent => {
    const r = buildEvent(
      {
        number: 1,
        bytes: Buffer.from(
          renderLine(
            {
              bucket_owner: 'o',
              bucket: 'recordings',
              remote_ip: '192.0.2.1',
              requester,
              request_id: 'R',
              operation,
              key: 'a.opus',
              request_uri: requestUri,
              http_status: 204,
              host_id: 'h',
              signature_version: 'SigV4',
              authentication_type: authType,
            },
            '2024-05-14T10:00:00.000Z',
            { fieldCount: 24 },
          ),
        ),
      },
      ctx,
    );
    if (!r.ok) throw new Error(r.rejection.reason);
    return r.doc.event;
  };

  it('principal and actor.email from an email-named assumed-role session; actor.kind unknown until enrichment', () => {
    const e = line('arn:aws:sts::123456789012:assumed-role/qa-playback/jane.doe@example.org', 'REST.GET.OBJECT', 'GET /a.opus HTTP/1.1', 'AuthHeader');
    expect(e.aws.principal).toEqual({ type: 'AssumedRole', account_id: '123456789012', role_name: 'qa-playback', session_name: 'jane.doe@example.org' });
    expect(e.actor).toEqual({ kind: 'unknown', email: 'jane.doe@example.org' });
    expect(line(undefined, 'REST.GET.OBJECT', 'GET /a.opus HTTP/1.1', undefined).actor).toEqual({ kind: 'anonymous' });
    expect(line(undefined, 'REST.GET.OBJECT', 'GET /a.opus HTTP/1.1', undefined).aws.principal).toEqual({ type: 'Anonymous' });
    expect(real(9).aws.principal).toEqual({});
    expect(real(1).aws.principal).toEqual({ type: 'AWSAccount' });
  });

  it('presigned fields only when authentication is QueryString', () => {
    const uri =
      'GET /a.opus?X-Amz-Credential=ASIA4EXAMPLE7Q2BZ6KD%2F20240514%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240514T093000Z&X-Amz-Expires=900&X-Amz-Signature=0123456789abcdef HTTP/1.1';
    const e = line('arn:aws:sts::123456789012:assumed-role/qa-playback/presigner', 'REST.GET.OBJECT', uri, 'QueryString');
    expect(e.aws.s3.presigned).toEqual({
      access_key_id: 'ASIA4EXAMPLE7Q2BZ6KD',
      signed_at: '2024-05-14T09:30:00.000Z',
      expires_in_secs: 900,
      expires_at: '2024-05-14T09:45:00.000Z',
    });
    expect(JSON.stringify(e)).not.toContain('0123456789abcdef');
    expect(line('arn:aws:sts::123456789012:assumed-role/qa-playback/presigner', 'REST.GET.OBJECT', uri, 'AuthHeader').aws.s3.presigned).toBeUndefined();
  });

  it("a DELETE's versionId becomes aws.s3.object.version_id; a delete without one (a delete marker) has none", () => {
    expect(
      line('arn:aws:iam::123456789012:user/admin', 'REST.DELETE.OBJECT', 'DELETE /a.opus?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY HTTP/1.1', 'AuthHeader')
        .aws.s3.object.version_id,
    ).toBe('3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY');
    expect(
      line('arn:aws:iam::123456789012:user/admin', 'REST.DELETE.OBJECT', 'DELETE /a.opus HTTP/1.1', 'AuthHeader').aws.s3.object.version_id,
    ).toBeUndefined();
    expect(
      line('arn:aws:iam::123456789012:user/admin', 'REST.GET.OBJECT', 'GET /a.opus?versionId=abc HTTP/1.1', 'AuthHeader').aws.s3.object.version_id,
    ).toBeUndefined();
  });
});
