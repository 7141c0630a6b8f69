import { describe, expect, it } from 'vitest';
import {
  commonPrefix,
  formatDayFolder,
  formatKeyStamp,
  parseLogKey,
  parsePartitionedRest,
  parseSimpleRest,
  splitSourcePrefix,
} from '../../../src/sources/log-keys.js';

const t = (iso: string): number => Date.parse(iso);

describe('simple keys', () => {
  it('reads the delivery time of <prefix>YYYY-mm-DD-HH-MM-SS-<unique>', () => {
    expect(parseLogKey('logs/2013-11-01-21-32-16-E568B2907131C0C0', 'logs/')).toEqual({
      format: 'simple',
      kind: 'delivery',
      timeMs: t('2013-11-01T21:32:16Z'),
    });
  });

  it('accepts a prefix without a trailing slash (the time is glued on)', () => {
    expect(parseLogKey('logs2024-02-29-00-00-00-ABCDEF0123456789', 'logs')?.timeMs).toBe(t('2024-02-29T00:00:00Z'));
  });

  it('keeps midnight simple keys as delivery keys', () => {
    expect(parseSimpleRest('2024-01-05-00-00-00-ABC')?.kind).toBe('delivery');
  });

  it.each([
    '2024-02-30-00-00-00-ABC',
    '2024-13-01-00-00-00-ABC',
    '2024-01-01-24-00-00-ABC',
    '2024-01-01-23-60-00-ABC',
    '2024-01-01-23-00-61-ABC',
    '2024-01-01-23-00-00',
    '2024-01-01-23-00-00-',
    '2024-01-01-23-00-00-A/B',
    'x2024-01-01-23-00-00-ABC',
    '2024-01-01T23:00:00Z',
  ])('rejects %s', (rest) => {
    expect(parseSimpleRest(rest)).toBeUndefined();
  });

  it('requires the prefix', () => {
    expect(parseLogKey('other/2024-01-01-00-00-00-A', 'logs/')).toBeUndefined();
  });
});

describe('partitioned keys', () => {
  const rest = '123456789012/eu-west-1/recordings-prod/2024/01/05/2024-01-05-13-07-59-0A1B2C3D4E5F6071';

  it('reads account, region, source bucket and delivery time', () => {
    expect(parsePartitionedRest(rest)).toEqual({
      format: 'partitioned',
      kind: 'delivery',
      timeMs: t('2024-01-05T13:07:59Z'),
      source: { account: '123456789012', region: 'eu-west-1', sourceBucket: 'recordings-prod' },
    });
  });

  it('reads EventTime keys (00-00-00) as event-day keys', () => {
    const p = parsePartitionedRest('123456789012/us-gov-west-1/b.with.dots/2024/01/05/2024-01-05-00-00-00-FFFF');
    expect(p?.kind).toBe('event-day');
    expect(p?.timeMs).toBe(t('2024-01-05T00:00:00Z'));
  });

  it('rejects a folder date that differs from the file date', () => {
    expect(parsePartitionedRest('123456789012/eu-west-1/b/2024/01/06/2024-01-05-13-07-59-A')).toBeUndefined();
  });

  it('rejects account ids that are not 12 digits', () => {
    expect(parsePartitionedRest('12345678901/eu-west-1/b/2024/01/05/2024-01-05-13-07-59-A')).toBeUndefined();
  });

  it('auto tries simple then partitioned; a forced format tries one', () => {
    expect(parseLogKey(`logs/${rest}`, 'logs/')?.format).toBe('partitioned');
    expect(parseLogKey(`logs/${rest}`, 'logs/', 'simple')).toBeUndefined();
    expect(parseLogKey('logs/2024-01-05-00-00-00-A', 'logs/', 'partitioned')).toBeUndefined();
  });

  it('splits a prefix that already names one source', () => {
    expect(splitSourcePrefix('logs/123456789012/eu-west-1/rec/')).toEqual({
      destination: 'logs/',
      source: { account: '123456789012', region: 'eu-west-1', sourceBucket: 'rec' },
    });
    expect(splitSourcePrefix('123456789012/eu-west-1/rec/')?.destination).toBe('');
    expect(splitSourcePrefix('logs/')).toBeUndefined();
  });
});

describe('formatting', () => {
  it('formats key stamps and day folders in UTC, truncating to the second', () => {
    expect(formatKeyStamp(t('2024-03-09T07:05:03.999Z'))).toBe('2024-03-09-07-05-03');
    expect(formatDayFolder(t('2024-03-09T23:59:59Z'))).toBe('2024/03/09/');
  });

  it('round-trips through the parser', () => {
    const ms = t('2031-12-31T23:59:59Z');
    expect(parseSimpleRest(`${formatKeyStamp(ms)}-X`)?.timeMs).toBe(ms);
  });

  it('finds the common prefix', () => {
    expect(commonPrefix('2024-01-05-00-00-00', '2024-01-07-03-00-00')).toBe('2024-01-0');
    expect(commonPrefix('abc', 'xyz')).toBe('');
  });
});
