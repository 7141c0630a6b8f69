import { describe, expect, it } from 'vitest';
import { loadConfig, loadConfigOrThrow } from '../../../src/config/load.js';
import { RETENTION_FLOOR_DAYS, SCHEMA } from '../../../src/config/schema.js';

describe('RETENTION_DAYS floor', () => {
  it('is six years, and the setting says who enforces it', () => {
    expect(RETENTION_FLOOR_DAYS).toBe(2192);
    expect(SCHEMA.RETENTION_DAYS.default).toBe(RETENTION_FLOOR_DAYS);
    expect(SCHEMA.RETENTION_DAYS.doc).toContain('the floor is 2192');
    expect(SCHEMA.RETENTION_DAYS.doc).toContain('--allow-short-retention');
  });

  it('is reported with the other problems, by name, where retention is installed', () => {
    const result = loadConfig({ env: { RETENTION_DAYS: '30', BULK_MAX_DOCS: 'many' }, retentionFloor: true });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { setting: 'BULK_MAX_DOCS', problem: expect.any(String) as string },
      {
        setting: 'RETENTION_DAYS',
        problem: 'is 30, below the floor of 2192 days (six years, HIPAA); only `recording-audit setup --allow-short-retention` installs a shorter retention',
      },
    ]);
    expect(() => loadConfigOrThrow({ env: { RETENTION_DAYS: '2191' }, retentionFloor: true })).toThrow(/RETENTION_DAYS: is 2191, below the floor/);
    expect(loadConfig({ env: { RETENTION_DAYS: '2192' }, retentionFloor: true }).ok).toBe(true);
  });

  it('does not stop commands that only compare it with the installed policy', () => {
    expect(loadConfig({ env: { RETENTION_DAYS: '30' } }).ok).toBe(true);
  });
});
