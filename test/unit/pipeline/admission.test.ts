import { describe, expect, it } from 'vitest';
import { buildEvent } from '../../../src/event/build.js';
import type { AccessEvent } from '../../../src/event/types.js';
import { admissionOf, admissionRulesFrom, objectTimeMs } from '../../../src/pipeline/admission.js';
import { logKeyTimeMs } from '../../../src/sources/log-keys.js';

const DAY = 86_400_000;

function event(bucket: string, time: string): AccessEvent {
  const line = `${'a'.repeat(64)} ${bucket} [${time}] 192.0.2.1 - REQ REST.GET.OBJECT k "GET /k HTTP/1.1" 200 - 1 1 1 1 "-" "ua" -`;
  const r = buildEvent({ number: 1, bytes: Buffer.from(line) }, { logBucket: 'logs', filePath: 'p' });
  if (!r.ok) throw new Error(r.rejection.detail);
  return r.doc.event;
}

describe('admission rules (issue 20: only real S3 log records)', () => {
  it('audits AUDITED_BUCKETS, else RECORDINGS_BUCKET, else every bucket', () => {
    expect(admissionRulesFrom({ AUDITED_BUCKETS: ['a', 'b'], RECORDINGS_BUCKET: 'r', RECORD_TIME_SKEW_DAYS: 2 }).audited).toEqual(new Set(['a', 'b']));
    expect(admissionRulesFrom({ AUDITED_BUCKETS: undefined, RECORDINGS_BUCKET: 'r', RECORD_TIME_SKEW_DAYS: 2 }).audited).toEqual(new Set(['r']));
    expect(admissionRulesFrom({ AUDITED_BUCKETS: undefined, RECORDINGS_BUCKET: undefined, RECORD_TIME_SKEW_DAYS: 2 }).audited).toBeUndefined();
    expect(admissionRulesFrom({ AUDITED_BUCKETS: [], RECORDINGS_BUCKET: undefined, RECORD_TIME_SKEW_DAYS: 3 }).skewMs).toBe(3 * DAY);
  });

  it("takes the object's time from LastModified, which no writer chooses; the name's time only without it", () => {
    const lm = new Date('2030-01-01T00:00:00Z');
    // A name claiming 2024 does not move the anchor: forged names cannot pick months.
    expect(objectTimeMs('logs/2024-05-14-10-20-30-0123456789ABCDEF', lm)).toBe(lm.getTime());
    expect(objectTimeMs('logs/2024-05-14-10-20-30-0123456789ABCDEF', undefined)).toBe(Date.parse('2024-05-14T10:20:30Z'));
    expect(objectTimeMs('logs-2024-05-14-10-20-30-0123456789ABCDEF', undefined)).toBe(Date.parse('2024-05-14T10:20:30Z'));
    expect(objectTimeMs('d/123456789012/us-east-1/rec/2024/05/14/2024-05-14-00-00-00-0123456789ABCDEF', undefined)).toBe(Date.parse('2024-05-14T00:00:00Z'));
    expect(objectTimeMs('logs/2024-02-30-00-00-00-X', undefined, () => 42)).toBe(42);
    expect(objectTimeMs('manual/object.log', undefined, () => 42)).toBe(42);
    expect(logKeyTimeMs('a/b/c')).toBeUndefined();
  });

  it('refuses a record for a bucket that is not audited, and one too far from its object in time, either way', () => {
    const rules = admissionRulesFrom({ AUDITED_BUCKETS: ['recordings'], RECORDINGS_BUCKET: undefined, RECORD_TIME_SKEW_DAYS: 2 });
    const objectMs = Date.parse('2024-05-14T12:00:00Z');
    expect(admissionOf(event('recordings', '14/May/2024:01:00:00 +0000'), rules, objectMs)).toBeUndefined();
    expect(admissionOf(event('recordings', '12/May/2024:12:00:00 +0000'), rules, objectMs)).toBeUndefined();
    expect(admissionOf(event('elsewhere', '14/May/2024:01:00:00 +0000'), rules, objectMs)?.reason).toBe('foreign_bucket');
    expect(admissionOf(event('recordings', '01/Jan/1970:00:00:00 +0000'), rules, objectMs)?.reason).toBe('record_time_skew');
    expect(admissionOf(event('recordings', '12/May/2024:11:59:59 +0000'), rules, objectMs)?.reason).toBe('record_time_skew');
    expect(admissionOf(event('recordings', '01/Jan/9999:00:00:00 +0000'), rules, objectMs)?.reason).toBe('record_time_skew');
    const open = admissionRulesFrom({ AUDITED_BUCKETS: undefined, RECORDINGS_BUCKET: undefined, RECORD_TIME_SKEW_DAYS: 2 });
    expect(admissionOf(event('elsewhere', '14/May/2024:01:00:00 +0000'), open, objectMs)).toBeUndefined();
  });
});
