import { describe, expect, it } from 'vitest';
import { HOUR_COLUMNS, ndjsonHour, summaryLine, tableHeader, tableHour } from '../../../src/cli/reconcile.js';
import { hoursOf, hourStatus, lookupQuery, scopeQuery, type HourResult } from '../../../src/investigate/reconcile.js';

const H = (iso: string): Date => new Date(iso);

describe('reconcile', () => {
  it('covers whole UTC hours: --from rounded down, --to rounded up', () => {
    expect(hoursOf(H('2026-01-01T10:20:00Z'), H('2026-01-01T12:00:01Z')).map((d) => d.toISOString())).toEqual([
      '2026-01-01T10:00:00.000Z',
      '2026-01-01T11:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
    ]);
    expect(hoursOf(H('2026-01-01T10:00:00Z'), H('2026-01-01T11:00:00Z'))).toHaveLength(1);
  });

  it('is pending until the grace period after the hour has passed', () => {
    const hour = H('2026-01-01T10:00:00Z');
    expect(hourStatus(hour, H('2026-01-01T16:59:59Z'), 6 * 3600)).toBe('pending');
    expect(hourStatus(hour, H('2026-01-01T17:00:00Z'), 6 * 3600)).toBe('settled');
    expect(hourStatus(hour, H('2026-01-01T11:00:00Z'), 0)).toBe('settled');
  });

  it('compares object requests of the audited buckets, without what only the access log has', () => {
    const q = JSON.stringify(scopeQuery(0, 3_600_000, ['rec']));
    expect(q).toContain('{"exists":{"field":"aws.s3.object.key"}}');
    expect(q).toContain('{"terms":{"aws.s3.bucket.name":["rec"]}}');
    expect(q).toContain('{"prefix":{"event.action":"S3."}}');
    expect(q).toContain('SignatureDoesNotMatch');
    expect(JSON.stringify(scopeQuery(0, 1, []))).not.toContain('aws.s3.bucket.name');
    // The other side is looked for an hour either side, whatever the operation.
    const l = JSON.stringify(lookupQuery('aws.s3access', ['A'], 3_600_000, 7_200_000, []));
    expect(l).toContain('"gte":"1970-01-01T00:00:00.000Z","lt":"1970-01-01T03:00:00.000Z"');
    expect(l).not.toContain('aws.s3.object.key');
  });

  const hour: HourResult = {
    hour: '2026-01-01T10:00:00.000Z',
    status: 'settled',
    cloudtrail: 4,
    access_log: 5,
    matched: 4,
    cloudtrail_only: [{ request_id: 'AAAAAAAAAAAAAAAA', time: '2026-01-01T10:45:00.000Z', action: 'GetObject', bucket: 'rec', key: 'k\u001b[2J' }],
    access_log_only: [],
  };

  it('writes stable table columns and ndjson fields, terminal-safe', () => {
    expect(
      tableHeader()
        .trim()
        .split(/\s{2,}/),
    ).toEqual([...HOUR_COLUMNS]);
    const text = tableHour(hour).split('\n');
    expect(text[0]!.trim().split(/\s+/)).toEqual(['2026-01-01', '10:00Z', 'settled', '4', '5', '4', '1', '0']);
    expect(text[1]).toBe('  only in cloudtrail  AAAAAAAAAAAAAAAA  2026-01-01 10:45:00Z  GetObject  rec  k\\x1b[2J');
    expect(Object.keys(JSON.parse(ndjsonHour(hour)) as object)).toEqual([
      'hour',
      'status',
      'cloudtrail',
      'access_log',
      'matched',
      'cloudtrail_only',
      'access_log_only',
    ]);
    expect(summaryLine({ hours: 3, pending: 1, cloudtrailOnly: 1, accessLogOnly: 0, failedHours: 1 }, 0)).toBe(
      '3 hours (2 settled, 1 pending); settled: 1 only in CloudTrail, 0 only in access logs; 1 settled hour above --max-missing 0\n',
    );
  });
});
