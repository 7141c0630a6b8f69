import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/ops/check/runner.js';

describe('check: retention floor', () => {
  it('fails RETENTION_DAYS below 2192 days in the config group, and says how to fix it', () => {
    const { config, rows } = checkConfig({ env: { RETENTION_DAYS: '365' }, required: [] });
    // The rest of the checks still run on these settings.
    expect(config?.RETENTION_DAYS).toBe(365);
    expect(rows.find((r) => r.check === 'retention floor')).toEqual({
      group: 'config',
      check: 'retention floor',
      status: 'fail',
      detail:
        'RETENTION_DAYS is 365, below the floor of 2192 days (six years, HIPAA); only `recording-audit setup --allow-short-retention` installs a shorter retention',
      fix: expect.stringContaining('recording-audit setup') as string,
    });
  });

  it('says nothing at or above the floor', () => {
    expect(checkConfig({ env: {}, required: [] }).rows.map((r) => r.check)).not.toContain('retention floor');
    expect(checkConfig({ env: { RETENTION_DAYS: '3653' }, required: [] }).rows.map((r) => r.check)).not.toContain('retention floor');
  });
});
