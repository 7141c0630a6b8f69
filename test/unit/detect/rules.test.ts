import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAuditError } from '../../../src/core/errors.js';
import { defaultRules, loadRulesFile, parseRules, RULE_IDS } from '../../../src/detect/rules.js';
import { isBusinessMinute, offHoursIntervals } from '../../../src/detect/hours.js';
import { windowsBetween } from '../../../src/detect/run.js';
import { parseDuration } from '../../../src/cli/detect.js';

describe('rules file', () => {
  it('defaults every rule on', () => {
    const rules = defaultRules();
    expect(Object.keys(rules.rules).sort()).toEqual([...RULE_IDS].sort());
    expect(Object.values(rules.rules).every((r) => r.enabled)).toBe(true);
  });

  it('reports every problem at once', () => {
    const result = parseRules({
      rules: {
        'bulk-access': { threshold: -1 },
        'off-hours': { timeZone: 'Mars/Olympus_Mons', businessHours: { start: '18:00', end: '08:00' } },
        'denied-burst': { windowSecs: 5 },
        'not-a-participant': { reviewers: [''] },
        'no-such-rule': {},
      },
      extra: true,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.problems.join('\n');
    expect(text).toContain('rules.bulk-access.threshold');
    expect(text).toContain('rules.off-hours.timeZone: is not an IANA time zone');
    expect(text).toContain('rules.denied-burst.windowSecs');
    expect(text).toContain('rules.not-a-participant.reviewers.0');
    expect(text).toContain('rules.no-such-rule: unknown rule');
    expect(text).toContain('extra: unknown setting');
  });

  it('the documented example is valid', () => {
    const rules = loadRulesFile(new URL('../../../config/detect-rules.example.json', import.meta.url).pathname);
    expect(rules.rules['off-hours'].timeZone).not.toBe('');
    expect(JSON.parse(readFileSync(new URL('../../../config/detect-rules.example.json', import.meta.url), 'utf8'))).toHaveProperty('rules');
  });

  it('a bad file is CONFIG_INVALID naming it', () => {
    let err: unknown;
    try {
      loadRulesFile('/nonexistent/rules.json');
    } catch (e) {
      err = e;
    }
    expect(isAuditError(err, 'CONFIG_INVALID')).toBe(true);
  });
});

describe('business hours', () => {
  const ny = { timeZone: 'America/New_York', businessDays: [1, 2, 3, 4, 5], businessHours: { start: '09:00', end: '17:00' } };
  it('reads the zone clock, DST included', () => {
    // Monday 2026-11-30: EST, 09:00 New York is 14:00 UTC.
    expect(isBusinessMinute(Date.UTC(2026, 10, 30, 13, 59), ny)).toBe(false);
    expect(isBusinessMinute(Date.UTC(2026, 10, 30, 14, 0), ny)).toBe(true);
    expect(isBusinessMinute(Date.UTC(2026, 10, 30, 21, 59), ny)).toBe(true);
    expect(isBusinessMinute(Date.UTC(2026, 10, 30, 22, 0), ny)).toBe(false);
    // Monday 2026-06-01: EDT, 09:00 New York is 13:00 UTC.
    expect(isBusinessMinute(Date.UTC(2026, 5, 1, 13, 0), ny)).toBe(true);
    // Saturday.
    expect(isBusinessMinute(Date.UTC(2026, 10, 28, 15, 0), ny)).toBe(false);
  });
  it('gives the off-hours of a day as merged UTC intervals', () => {
    const day = Date.UTC(2026, 10, 30);
    expect(offHoursIntervals(day, day + 86_400_000, ny)).toEqual([
      [day, day + 14 * 3_600_000],
      [day + 22 * 3_600_000, day + 86_400_000],
    ]);
  });
});

describe('windows and durations', () => {
  it('aligns windows and starts at an unaligned watermark', () => {
    expect(windowsBetween(1_800_000, 3 * 3_600_000, 3_600_000, 10)).toEqual([
      { start: 1_800_000, end: 3_600_000 },
      { start: 3_600_000, end: 7_200_000 },
      { start: 7_200_000, end: 10_800_000 },
    ]);
    expect(windowsBetween(0, 10 * 3_600_000, 3_600_000, 2)).toHaveLength(2);
  });
  it('parses --since', () => {
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('7d')).toBe(604_800);
    expect(parseDuration('0h')).toBeUndefined();
    expect(parseDuration('1w')).toBeUndefined();
  });
});
