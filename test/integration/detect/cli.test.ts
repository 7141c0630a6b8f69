import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackSettings, uniqueName } from '../../support/stack-env.js';
import { DAY, Fixture, HOUR, HUMAN, MONDAY, recordingKey } from './support.js';

const exec = promisify(execFile);

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'detect', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...stackSettings(), LOG_LEVEL: 'warn', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('recording-audit detect', () => {
  const fx = new Fixture('cli');
  const range = ['--from', new Date(MONDAY).toISOString(), '--to', new Date(MONDAY + DAY).toISOString()];
  beforeAll(async () => {
    await fx.setup();
    await fx.ingest([
      { at: MONDAY + 10 * HOUR, requester: HUMAN('mallory'), op: 'REST.DELETE.OBJECT', key: recordingKey(3) },
      { at: MONDAY + 3 * HOUR, requester: HUMAN('night.owl'), key: recordingKey(4) },
    ]);
  });
  afterAll(async () => {
    await fx.drop();
  });

  it('a bad rules file: every problem listed, exit 78, nothing run', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rules-')), 'rules.json');
    writeFileSync(file, JSON.stringify({ rules: { 'bulk-access': { threshold: -5 }, 'off-hours': { timeZone: 'Nowhere/Land' }, tailgating: {} } }));
    const r = await cli(['--rules', file, ...range], { INDEX_PREFIX: fx.prefix });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('rules.bulk-access.threshold');
    expect(r.stderr).toContain('rules.off-hours.timeZone');
    expect(r.stderr).toContain('rules.tailgating: unknown rule');
  });

  it('without setup: exit 78 naming the missing templates', async () => {
    const r = await cli(range, { INDEX_PREFIX: uniqueName('t-det-nosetup') });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('-alerts is missing');
  });

  it('usage errors exit 64', async () => {
    expect((await cli(['--since', '3 weeks'], { INDEX_PREFIX: fx.prefix })).code).toBe(64);
    expect((await cli(['--since', '1h', '--from', '2026-01-01T00:00:00Z'], { INDEX_PREFIX: fx.prefix })).code).toBe(64);
    expect((await cli(['--format', 'xml'], { INDEX_PREFIX: fx.prefix })).code).toBe(64);
  });

  it('dry run prints and writes nothing; a run writes; a second run adds nothing', async () => {
    const dry = await cli([...range, '--dry-run'], { INDEX_PREFIX: fx.prefix });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('deletion');
    expect(dry.stdout).toContain('off-hours');
    expect(dry.stdout).toContain('dry run: nothing written');
    expect(await fx.storedAlerts()).toEqual([]);

    const table = await cli(range, { INDEX_PREFIX: fx.prefix });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^RULE\s+SEVERITY\s+WINDOW\s+ACTOR\s+SUBJECT\s+EVENTS\s+MESSAGE/);
    const stored = await fx.storedAlerts();
    expect(stored.length).toBeGreaterThanOrEqual(2);
    expect(table.stdout).toContain(`${stored.length} new, 0 already recorded`);

    const nd = await cli([...range, '--format', 'ndjson'], { INDEX_PREFIX: fx.prefix });
    expect(nd.code, nd.stderr).toBe(0);
    const lines = nd.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string });
    expect(lines.map((l) => l.id).sort()).toEqual(stored.map((s) => s.id).sort());
    expect(nd.stderr).toContain(`0 new, ${stored.length} already recorded`);
    expect((await fx.storedAlerts()).length).toBe(stored.length);
  });
});
