import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeS3EventKey, isAllowedBucket, parseNotification, type ParsedNotification } from '../../../src/sources/notification.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/notifications/${name}`, import.meta.url), 'utf8');

function ok(parsed: ParsedNotification) {
  if (!parsed.ok) throw new Error(`expected ok, got ${parsed.reason}: ${parsed.detail}`);
  return parsed;
}

/** A direct S3 notification record as S3 writes it (only the fields S3 always sends, plus extras). */
function s3Record(overrides: { eventName?: string; key?: string; bucket?: string; eventVersion?: string; object?: Record<string, unknown> } = {}) {
  return {
    eventVersion: overrides.eventVersion ?? '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: '2026-01-26T00:43:18.762Z',
    eventName: overrides.eventName ?? 'ObjectCreated:Put',
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: overrides.bucket ?? 'audit-logs', arn: `arn:aws:s3:::${overrides.bucket ?? 'audit-logs'}` },
      object: { key: overrides.key ?? 'logs/2026-01-26-00-43-18-0123456789ABCDEF', size: 10, eTag: 'abc', sequencer: '00AB', ...overrides.object },
    },
  };
}
const direct = (...records: unknown[]): string => JSON.stringify({ Records: records });
const snsEnvelope = (message: string): string =>
  JSON.stringify({
    Type: 'Notification',
    MessageId: 'm-1',
    TopicArn: 'arn:aws:sns:us-east-1:111122223333:t',
    Subject: 'Amazon S3 Notification',
    Message: message,
    Timestamp: '2026-01-01T00:00:00.000Z',
  });

describe('parseNotification: the research samples', () => {
  it('direct, AWS documentation example (v2.1, versioned)', () => {
    const parsed = ok(parseNotification(fixture('s3-event-put-v2.1-doc.json')));
    expect(parsed.wrapper).toBe('direct');
    expect(parsed.records).toEqual([
      {
        kind: 'object_created',
        bucket: 'mybucket',
        key: 'HappyFace.jpg',
        rawKey: 'HappyFace.jpg',
        size: 1024,
        eTag: 'd41d8cd98f00b204e9800998ecf8427e',
        versionId: '096fKKXTRTtl3on89fVO.nfljtsv6qko',
        sequencer: '0055AED6DCD90281E5',
        eventTime: '1970-01-01T00:00:00.000Z',
        eventName: 'ObjectCreated:Put',
      },
    ]);
  });

  it('direct, real message (unversioned: no versionId)', () => {
    const parsed = ok(parseNotification(fixture('s3-event-put-v2.1-real.json')));
    expect(parsed.wrapper).toBe('direct');
    expect(parsed.records).toEqual([
      {
        kind: 'object_created',
        bucket: 'tns-bucket-premade',
        key: 'compare/geom.parquet',
        rawKey: 'compare/geom.parquet',
        size: 16371,
        eTag: '796850cb80ebe5b047bb7f1a5b9ef20e',
        versionId: undefined,
        sequencer: '006976B8A6AECEE0CB',
        eventTime: '2026-01-26T00:43:18.762Z',
        eventName: 'ObjectCreated:Put',
      },
    ]);
  });

  it('SNS envelope without raw delivery (v2.0 record inside Message)', () => {
    const parsed = ok(parseNotification(fixture('sns-envelope-s3-event.json')));
    expect(parsed.wrapper).toBe('sns');
    expect(parsed.records).toHaveLength(1);
    expect(parsed.records[0]).toMatchObject({
      kind: 'object_created',
      bucket: 'landsat-pds',
      key: 'c1/L8/115/062/LC08_L1TP_115062_20171107_20171107_01_RT/index.html',
      size: 5391,
      eventName: 'ObjectCreated:Put',
    });
  });

  it('SNS with raw message delivery is the direct body', () => {
    const raw = fixture('s3-event-put-v2.1-real.json');
    const parsed = ok(parseNotification(raw));
    expect(parsed.wrapper).toBe('direct');
    expect(parsed.records).toEqual(ok(parseNotification(snsEnvelope(raw))).records);
  });

  it('the Body of the SQS-wrapped sample', () => {
    const response = JSON.parse(fixture('sqs-message-wrapping-s3-event.json')) as { Messages: { Body: string }[] };
    const parsed = ok(parseNotification(response.Messages[0]!.Body));
    expect(parsed.records[0]).toMatchObject({ kind: 'object_created', bucket: 'tns-bucket-premade', key: 'compare/geom.parquet' });
  });

  it('the SQS ReceiveMessage response itself is not a body', () => {
    expect(parseNotification(fixture('sqs-message-wrapping-s3-event.json'))).toMatchObject({ ok: false, reason: 'UNKNOWN_SHAPE' });
  });

  it('EventBridge Object Created', () => {
    const parsed = ok(parseNotification(fixture('eventbridge-object-created.json')));
    expect(parsed.wrapper).toBe('eventbridge');
    expect(parsed.records).toEqual([
      {
        kind: 'object_created',
        bucket: 'DOC-EXAMPLE-BUCKET1',
        key: 'example-key',
        rawKey: 'example-key',
        size: 5,
        eTag: 'b1946ac92492d2347c6235b4d2611184',
        versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
        sequencer: '617f08299329d189',
        eventTime: '2021-11-12T00:00:00Z',
        eventName: 'ObjectCreated:Put',
      },
    ]);
  });

  it('s3:TestEvent, direct and inside SNS', () => {
    const body = fixture('s3-test-event.json');
    expect(parseNotification(body)).toEqual({ ok: true, wrapper: 'direct', records: [{ kind: 'test_event', bucket: 'bucketname' }] });
    expect(parseNotification(snsEnvelope(body))).toEqual({ ok: true, wrapper: 'sns', records: [{ kind: 'test_event', bucket: 'bucketname' }] });
  });

  it('a CloudTrail log file has Records[] but is refused', () => {
    expect(parseNotification(fixture('cloudtrail-s3-getobject.json'))).toMatchObject({ ok: false, reason: 'NOT_S3_EVENT' });
  });
});

describe('parseNotification: keys', () => {
  it.each([
    ['red+flower.jpg', 'red flower.jpg'],
    ['c%2B%2B/x%2By', 'c++/x+y'],
    ['a%20b', 'a b'],
    ['test%2F10%3A47%3A07.log', 'test/10:47:07.log'],
    ['caf%C3%A9/%E6%97%A5%E6%9C%AC', 'café/日本'],
    ['café/日本', 'café/日本'],
    ['%F0%9F%8E%A7+rec.opus', '🎧 rec.opus'],
    ['pct%2520', 'pct%20'],
    ['a=b&c;d', 'a=b&c;d'],
    ['dir/', 'dir/'],
  ])('%s decodes once to %s', (rawKey, key) => {
    expect(ok(parseNotification(direct(s3Record({ key: rawKey })))).records[0]).toMatchObject({ key, rawKey });
  });

  it('EventBridge keys are decoded the same way', () => {
    const event = JSON.parse(fixture('eventbridge-object-created.json')) as { detail: { object: { key: string } } };
    event.detail.object.key = 'my+logs/caf%C3%A9%2B1';
    expect(ok(parseNotification(JSON.stringify(event))).records[0]).toMatchObject({ key: 'my logs/café+1' });
  });

  it.each(['bad%', 'bad%zz', 'not-utf8-%FF'])('a malformed escape (%s) is refused, not guessed', (rawKey) => {
    expect(parseNotification(direct(s3Record({ key: rawKey })))).toMatchObject({ ok: false, reason: 'KEY_NOT_DECODABLE' });
  });

  it('decoding inverts form encoding for any string', () => {
    const formEncode = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => decodeS3EventKey(formEncode(s)) === s));
  });
});

describe('parseNotification: records and events', () => {
  it('keeps every record of a multi-record message, in order', () => {
    const parsed = ok(
      parseNotification(
        direct(
          s3Record({ key: 'a' }),
          s3Record({ key: 'b', eventName: 'ObjectCreated:CompleteMultipartUpload' }),
          s3Record({ key: 'c', eventName: 'ObjectRemoved:Delete' }),
        ),
      ),
    );
    expect(parsed.records.map((r) => [r.kind, 'key' in r ? r.key : undefined])).toEqual([
      ['object_created', 'a'],
      ['object_created', 'b'],
      ['ignored', 'c'],
    ]);
  });

  it.each(['ObjectRemoved:Delete', 'ObjectRemoved:DeleteMarkerCreated', 'ObjectRestore:Completed', 'LifecycleExpiration:Delete', 'ObjectTagging:Put'])(
    '%s is ignored with its name',
    (eventName) => {
      const record = s3Record({ eventName, key: 'x+y' });
      delete (record.s3.object as { size?: number }).size;
      expect(ok(parseNotification(direct(record))).records).toEqual([
        { kind: 'ignored', reason: 'not_object_created', eventName, bucket: 'audit-logs', key: 'x y' },
      ]);
    },
  );

  it('EventBridge events other than Object Created are ignored', () => {
    const event = JSON.parse(fixture('eventbridge-object-created.json')) as Record<string, unknown>;
    event['detail-type'] = 'Object Deleted';
    expect(ok(parseNotification(JSON.stringify(event))).records).toEqual([
      { kind: 'ignored', reason: 'not_object_created', eventName: 'Object Deleted', bucket: 'DOC-EXAMPLE-BUCKET1', key: 'example-key' },
    ]);
  });

  it.each([
    ['CopyObject', 'ObjectCreated:Copy'],
    ['POST Object', 'ObjectCreated:Post'],
    ['CompleteMultipartUpload', 'ObjectCreated:CompleteMultipartUpload'],
    ['SomethingNew', 'ObjectCreated:SomethingNew'],
  ])('EventBridge reason %s maps to %s', (reason, eventName) => {
    const event = JSON.parse(fixture('eventbridge-object-created.json')) as { detail: Record<string, unknown> };
    event.detail.reason = reason;
    expect(ok(parseNotification(JSON.stringify(event))).records[0]).toMatchObject({ eventName });
  });

  it('EventBridge inside SNS keeps the sns wrapper', () => {
    expect(ok(parseNotification(snsEnvelope(fixture('eventbridge-object-created.json')))).wrapper).toBe('sns');
  });

  it('accepts every 2.x version, and null for absent optional fields', () => {
    for (const eventVersion of ['2.0', '2.1', '2.2', '2.3', '2.10']) {
      expect(parseNotification(direct(s3Record({ eventVersion })))).toMatchObject({ ok: true });
    }
    expect(ok(parseNotification(direct(s3Record({ object: { versionId: null, size: null } })))).records[0]).toMatchObject({
      versionId: undefined,
      size: undefined,
    });
  });
});

describe('parseNotification: refusals are values with stable codes', () => {
  const noBucket = s3Record();
  delete (noBucket.s3 as { bucket?: unknown }).bucket;
  const noKey = s3Record();
  delete (noKey.s3.object as { key?: unknown }).key;
  const ebNoKey = JSON.parse(fixture('eventbridge-object-created.json')) as { detail: { object: Record<string, unknown> } };
  delete ebNoKey.detail.object.key;

  it.each([
    ['empty body', '', 'BODY_NOT_JSON'],
    ['truncated JSON', fixture('s3-event-put-v2.1-real.json').slice(0, 80), 'BODY_NOT_JSON'],
    ['plain text', 'hello', 'BODY_NOT_JSON'],
    ['JSON array', '[]', 'BODY_NOT_OBJECT'],
    ['JSON string', '"x"', 'BODY_NOT_OBJECT'],
    ['JSON null', 'null', 'BODY_NOT_OBJECT'],
    ['random object', '{"hello":"world"}', 'UNKNOWN_SHAPE'],
    ['Records not an array', '{"Records":{}}', 'INVALID_RECORD'],
    ['empty Records', '{"Records":[]}', 'NO_RECORDS'],
    ['too many records', direct(...Array.from({ length: 101 }, () => s3Record())), 'TOO_MANY_RECORDS'],
    ['record not an object', '{"Records":[42]}', 'INVALID_RECORD'],
    ['missing eventName', JSON.stringify({ Records: [{ ...s3Record(), eventName: undefined }] }), 'INVALID_RECORD'],
    ['missing bucket', direct(noBucket), 'INVALID_RECORD'],
    ['missing key', direct(noKey), 'INVALID_RECORD'],
    ['empty key', direct(s3Record({ key: '' })), 'INVALID_RECORD'],
    ['size is a string', direct(s3Record({ object: { size: '10' } })), 'INVALID_RECORD'],
    ['negative size', direct(s3Record({ object: { size: -1 } })), 'INVALID_RECORD'],
    ['eventVersion 3.0', direct(s3Record({ eventVersion: '3.0' })), 'UNSUPPORTED_EVENT_VERSION'],
    ['eventVersion 1.0', direct(s3Record({ eventVersion: '1.0' })), 'UNSUPPORTED_EVENT_VERSION'],
    ['foreign eventSource', JSON.stringify({ Records: [{ ...s3Record(), eventSource: 'minio:s3' }] }), 'NOT_S3_EVENT'],
    ['one bad record spoils the message', direct(s3Record(), { ...s3Record(), eventSource: 'aws:sqs' }), 'NOT_S3_EVENT'],
    [
      'SNS SubscriptionConfirmation',
      JSON.stringify({ Type: 'SubscriptionConfirmation', TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: 'x' }),
      'SNS_UNSUPPORTED_TYPE',
    ],
    ['SNS Message not JSON', snsEnvelope('not json'), 'SNS_MESSAGE_NOT_JSON'],
    ['SNS Message not an object', snsEnvelope('[1]'), 'SNS_MESSAGE_NOT_JSON'],
    [
      'SNS Message not a string',
      JSON.stringify({ Type: 'Notification', TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: { Records: [] } }),
      'SNS_MESSAGE_NOT_JSON',
    ],
    ['SNS inside SNS', snsEnvelope(snsEnvelope(fixture('s3-test-event.json'))), 'UNKNOWN_SHAPE'],
    ['SNS Message of unknown shape', snsEnvelope('{"a":1}'), 'UNKNOWN_SHAPE'],
    ['EventBridge from another source', JSON.stringify({ source: 'aws.ec2', 'detail-type': 'Object Created', detail: {} }), 'INVALID_EVENTBRIDGE_EVENT'],
    ['EventBridge without key', JSON.stringify(ebNoKey), 'INVALID_EVENTBRIDGE_EVENT'],
    ['EventBridge without detail', JSON.stringify({ source: 'aws.s3', 'detail-type': 'Object Created' }), 'INVALID_EVENTBRIDGE_EVENT'],
    ['TestEvent with a non-string Bucket', '{"Event":"s3:TestEvent","Bucket":7}', 'INVALID_RECORD'],
  ])('%s → %s', (_name, body, reason) => {
    const parsed = parseNotification(body);
    expect(parsed).toMatchObject({ ok: false, reason });
    if (!parsed.ok) expect(parsed.detail.length).toBeGreaterThan(0);
  });

  it('never throws and never echoes a long body into detail', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ Records: [v] })),
        ),
        (body) => {
          const parsed = parseNotification(body);
          if (!parsed.ok) expect(parsed.detail.length).toBeLessThan(400);
        },
      ),
    );
  });

  it('prototype keys in the body stay inert data', () => {
    const body = '{"__proto__":{"polluted":true},"Records":[' + JSON.stringify(s3Record()) + ']}';
    expect(parseNotification(body)).toMatchObject({ ok: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('isAllowedBucket', () => {
  it('is an exact match against the list', () => {
    expect(isAllowedBucket('audit-logs', ['other', 'audit-logs'])).toBe(true);
    expect(isAllowedBucket('audit-logs', new Set(['audit-logs']))).toBe(true);
    expect(isAllowedBucket('Audit-Logs', ['audit-logs'])).toBe(false);
    expect(isAllowedBucket('audit-logs-2', ['audit-logs'])).toBe(false);
    expect(isAllowedBucket('audit-logs', [])).toBe(false);
  });
});
