import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPLAY_PRINCIPAL, encodeS3EventKey, s3EventBody } from '../../../src/replay/enqueue.js';
import { decodeS3EventKey, parseNotification } from '../../../src/sources/notification.js';

describe('synthetic S3 notifications', () => {
  it('encodes keys as S3 does: form style, slash kept', () => {
    expect(encodeS3EventKey('logs/2024-01-05-10-00-00-ABC')).toBe('logs/2024-01-05-10-00-00-ABC');
    expect(encodeS3EventKey('red flower+1.jpg')).toBe('red+flower%2B1.jpg');
    expect(encodeS3EventKey('a=b:c/é~')).toBe('a%3Db%3Ac/%C3%A9%7E');
  });

  it('round-trips any key through the worker decoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), (key) => {
        expect(decodeS3EventKey(encodeS3EventKey(key))).toBe(key);
      }),
    );
  });

  it('is a direct ObjectCreated:Put event the worker parses back to the same object', () => {
    const body = s3EventBody(
      { bucket: 'log-bucket', key: 'logs x/2024-01-05-10-00-00-ABC', size: 1234, etag: 'abc123' },
      'eu-west-1',
      new Date('2024-02-01T00:00:00Z'),
    );
    const raw = JSON.parse(body) as {
      Records: { eventSource: string; eventName: string; userIdentity: { principalId: string }; s3: { object: { key: string } } }[];
    };
    expect(raw.Records[0]).toMatchObject({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', userIdentity: { principalId: REPLAY_PRINCIPAL } });
    expect(raw.Records[0]!.s3.object.key).toBe('logs+x/2024-01-05-10-00-00-ABC');
    const parsed = parseNotification(body);
    expect(parsed).toMatchObject({
      ok: true,
      wrapper: 'direct',
      records: [
        { kind: 'object_created', bucket: 'log-bucket', key: 'logs x/2024-01-05-10-00-00-ABC', size: 1234, eTag: 'abc123', eventName: 'ObjectCreated:Put' },
      ],
    });
  });
});
