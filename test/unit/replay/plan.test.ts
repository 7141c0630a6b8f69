import { describe, expect, it } from 'vitest';
import { parseLogKey } from '../../../src/sources/log-keys.js';
import { inWindow, planPartitionedDays, planSimple, plannedDayCount, type Window } from '../../../src/replay/plan.js';

const t = (iso: string): number => Date.parse(iso);
const win = (from: string, to: string, marginSecs = 0): Window => ({ fromMs: t(from), toMs: t(to), marginMs: marginSecs * 1000 });

describe('selection window [from, to + margin)', () => {
  const w = win('2024-01-05T10:00:00Z', '2024-01-05T12:00:00Z', 3600);
  const simple = (stamp: string) => parseLogKey(`logs/${stamp}-ABC`, 'logs/')!;
  const part = (day: string, stamp: string) => parseLogKey(`logs/123456789012/eu-west-1/b/${day}/${stamp}-ABC`, 'logs/')!;

  it.each([
    ['2024-01-05-09-59-59', false],
    ['2024-01-05-10-00-00', true],
    ['2024-01-05-12-59-59', true],
    ['2024-01-05-13-00-00', false],
  ])('delivery key %s selected: %s', (stamp, expected) => {
    expect(inWindow(simple(stamp), w)).toBe(expected);
  });

  it('selects an event-day key when its day overlaps the window', () => {
    expect(inWindow(part('2024/01/05', '2024-01-05-00-00-00'), w)).toBe(true);
    expect(inWindow(part('2024/01/04', '2024-01-04-00-00-00'), w)).toBe(false);
    expect(inWindow(part('2024/01/06', '2024-01-06-00-00-00'), w)).toBe(false);
    // A margin reaching past midnight takes the next event day too.
    const late = win('2024-01-05T20:00:00Z', '2024-01-05T23:00:00Z', 3 * 3600);
    expect(inWindow(part('2024/01/06', '2024-01-06-00-00-00'), late)).toBe(true);
  });

  it('an event day that starts exactly at `from` is in, the one ending there is out', () => {
    const w2 = win('2024-01-05T00:00:00Z', '2024-01-06T00:00:00Z');
    expect(inWindow(part('2024/01/05', '2024-01-05-00-00-00'), w2)).toBe(true);
    expect(inWindow(part('2024/01/04', '2024-01-04-00-00-00'), w2)).toBe(false);
    expect(inWindow(part('2024/01/06', '2024-01-06-00-00-00'), w2)).toBe(false);
  });
});

describe('simple listing plan', () => {
  it('narrows the prefix to the common date prefix and bounds both ends', () => {
    expect(planSimple('logs/', win('2024-01-05T10:00:00Z', '2024-01-05T12:00:00Z', 10800))).toEqual({
      prefix: 'logs/2024-01-05-1',
      startAfter: 'logs/2024-01-05-10-00-00',
      stopAt: 'logs/2024-01-05-15-00-00',
    });
  });

  it('spans days and months', () => {
    expect(planSimple('', win('2024-01-29T00:00:00Z', '2024-02-02T00:00:00Z')).prefix).toBe('2024-0');
    expect(planSimple('p', win('2023-12-31T00:00:00Z', '2024-01-01T01:00:00Z')).prefix).toBe('p202');
  });

  it('rounds sub-second bounds outward', () => {
    const p = planSimple('l/', { fromMs: t('2024-01-05T10:00:00.500Z'), toMs: t('2024-01-05T10:00:05.200Z'), marginMs: 0 });
    expect(p.startAfter).toBe('l/2024-01-05-10-00-00');
    expect(p.stopAt).toBe('l/2024-01-05-10-00-06');
    expect(p.prefix).toBe('l/2024-01-05-10-00-0');
  });
});

describe('partitioned listing plan', () => {
  const src = 'logs/123456789012/eu-west-1/b/';

  it('lists only the day folders of the window', () => {
    const plans = planPartitionedDays(src, win('2024-01-05T00:00:00Z', '2024-01-07T00:00:00Z', 3 * 3600));
    expect(plans).toEqual([
      { prefix: `${src}2024/01/05/` },
      { prefix: `${src}2024/01/06/` },
      { prefix: `${src}2024/01/07/`, stopAt: `${src}2024/01/07/2024-01-07-03-00-00` },
    ]);
  });

  it('splits the first day into its event-day keys and the keys after `from`', () => {
    const plans = planPartitionedDays(src, win('2024-02-28T18:30:00Z', '2024-03-01T00:00:00Z', 0));
    expect(plans).toEqual([
      { prefix: `${src}2024/02/28/2024-02-28-00-00-00-` },
      { prefix: `${src}2024/02/28/`, startAfter: `${src}2024/02/28/2024-02-28-18-30-00` },
      { prefix: `${src}2024/02/29/`, stopAt: `${src}2024/02/29/2024-03-01-00-00-00` },
    ]);
  });

  it('a window inside one day is one folder', () => {
    const plans = planPartitionedDays(src, win('2024-01-05T10:00:00Z', '2024-01-05T11:00:00Z'));
    expect(plans.map((p) => p.prefix)).toEqual([`${src}2024/01/05/2024-01-05-00-00-00-`, `${src}2024/01/05/`]);
    expect(plans[1]).toMatchObject({ startAfter: `${src}2024/01/05/2024-01-05-10-00-00`, stopAt: `${src}2024/01/05/2024-01-05-11-00-00` });
  });

  it('counts the days', () => {
    expect(plannedDayCount(win('2024-01-01T00:00:00Z', '2024-12-31T00:00:00Z'))).toBe(365);
    expect(plannedDayCount(win('2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'))).toBe(0);
  });
});
