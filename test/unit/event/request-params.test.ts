import { describe, expect, it } from 'vitest';
import { amzDateOf, presignedOf, queryParams, versionIdOf } from '../../../src/event/request-params.js';

const presigned = (query: string): ReturnType<typeof presignedOf> => presignedOf(queryParams(`/k?${query}`));
const CRED = 'X-Amz-Credential=ASIA4EXAMPLE7Q2BZ6KD%2F20240514%2Fus-east-1%2Fs3%2Faws4_request';

describe('presignedOf', () => {
  it.each([
    [
      'SigV4, complete',
      `X-Amz-Algorithm=AWS4-HMAC-SHA256&${CRED}&X-Amz-Date=20240514T093000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=abc`,
      { access_key_id: 'ASIA4EXAMPLE7Q2BZ6KD', signed_at: '2024-05-14T09:30:00.000Z', expires_in_secs: 900, expires_at: '2024-05-14T09:45:00.000Z' },
    ],
    [
      'names in any case, credential with raw slashes',
      'x-amz-credential=AKIAIOSFODNN7EXAMPLE/20240514/us-east-1/s3/aws4_request&x-amz-date=20240514T093000Z&x-amz-expires=604800',
      { access_key_id: 'AKIAIOSFODNN7EXAMPLE', signed_at: '2024-05-14T09:30:00.000Z', expires_in_secs: 604800, expires_at: '2024-05-21T09:30:00.000Z' },
    ],
    ['no X-Amz-Date: no times', `${CRED}&X-Amz-Expires=900`, { access_key_id: 'ASIA4EXAMPLE7Q2BZ6KD', expires_in_secs: 900 }],
    ['garbled date', `${CRED}&X-Amz-Date=20241314T093000Z&X-Amz-Expires=900`, { access_key_id: 'ASIA4EXAMPLE7Q2BZ6KD', expires_in_secs: 900 }],
    ['date of Feb 30', `${CRED}&X-Amz-Date=20240230T093000Z`, { access_key_id: 'ASIA4EXAMPLE7Q2BZ6KD' }],
    ['date without Z', `${CRED}&X-Amz-Date=20240514T093000`, { access_key_id: 'ASIA4EXAMPLE7Q2BZ6KD' }],
    [
      'expires beyond 7 days',
      `${CRED}&X-Amz-Date=20240514T093000Z&X-Amz-Expires=604801`,
      { access_key_id: 'ASIA4EXAMPLE7Q2BZ6KD', signed_at: '2024-05-14T09:30:00.000Z' },
    ],
    [
      'negative expires',
      `${CRED}&X-Amz-Date=20240514T093000Z&X-Amz-Expires=-5`,
      { access_key_id: 'ASIA4EXAMPLE7Q2BZ6KD', signed_at: '2024-05-14T09:30:00.000Z' },
    ],
    ['expires with a fraction', `${CRED}&X-Amz-Expires=9.5`, { access_key_id: 'ASIA4EXAMPLE7Q2BZ6KD' }],
    ['lower-case key id is not an access key id', 'X-Amz-Credential=asia4example7q2bz6kd%2F20240514&X-Amz-Expires=60', { expires_in_secs: 60 }],
    ['too short key id', 'X-Amz-Credential=AKIA123%2Fx&X-Amz-Expires=60', { expires_in_secs: 60 }],
    ['bad percent-encoding', 'X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2&X-Amz-Expires=60', { expires_in_secs: 60 }],
    ['already redacted', 'X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]', undefined],
    ['empty values', 'X-Amz-Credential=&X-Amz-Date=&X-Amz-Expires=', undefined],
    ['first of repeated parameters', `${CRED}&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2Fx`, { access_key_id: 'ASIA4EXAMPLE7Q2BZ6KD' }],
    [
      'SigV2',
      'Signature=75eBWlMvIpO357%2FqKLdn0sZRP08%3D&Expires=1364127776&AWSAccessKeyId=1VYKRTJ5FFKT5B6F4NR2',
      { access_key_id: '1VYKRTJ5FFKT5B6F4NR2', expires_at: '2013-03-24T12:22:56.000Z' },
    ],
    ['SigV2, garbled', 'Signature=x&Expires=soon&AWSAccessKeyId=not-a-key', undefined],
    ['nothing', 'versionId=1', undefined],
  ])('%s', (_name, query, expected) => {
    expect(presigned(query)).toEqual(expected);
  });
});

describe('versionIdOf', () => {
  const v = (query: string): string | undefined => versionIdOf(queryParams(`/k?${query}`));
  it.each([
    ['versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY', '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY'],
    ['versionId=null', 'null'],
    ['a=1&versionId=UIORUnfnd89493jJFJ&b=2', 'UIORUnfnd89493jJFJ'],
    ['VERSIONID=abc', 'abc'],
    ['versionId=abc%2Bdef%2Fghi', 'abc+def/ghi'],
    ['versionId=abc+def', 'abc+def'],
    ['versionId=abc%252B', 'abc%2B'],
    ['versionId=', undefined],
    ['versionId=a%20b', undefined],
    ['versionId=%E2%98%8E', undefined],
    ['versionId=%zz', undefined],
    [`versionId=${'a'.repeat(1025)}`, undefined],
    ['versionId', undefined],
    ['x=1', undefined],
  ])('%s', (query, expected) => {
    expect(v(query)).toBe(expected);
  });

  it('only the query, never the path or the fragment', () => {
    expect(versionIdOf(queryParams('/versionId=1'))).toBeUndefined();
    expect(versionIdOf(queryParams('/k#versionId=1'))).toBeUndefined();
    expect(versionIdOf(queryParams('/k?x=1#versionId=1'))).toBeUndefined();
  });
});

describe('amzDateOf', () => {
  it('reads the ISO basic format and refuses impossible times', () => {
    expect(amzDateOf('20240229T235959Z')).toBe('2024-02-29T23:59:59.000Z');
    expect(amzDateOf('20230229T000000Z')).toBeUndefined();
    expect(amzDateOf('20240101T246000Z')).toBeUndefined();
    expect(amzDateOf(undefined)).toBeUndefined();
  });
});
