import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAuditError } from '../../../src/core/errors.js';
import { createDirectory, loadDirectoryFile, parseDirectory, type DirectoryEntry } from '../../../src/enrich/actor-directory.js';

const UID = '6f1c2a9e-3b4d-4c5e-8f70-a1b2c3d4e5f6';

function entries(text: string, format: 'csv' | 'json'): DirectoryEntry[] {
  const r = parseDirectory(text, format);
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.entries;
}

describe('ACTOR_DIRECTORY_FILE parsing', () => {
  it('reads CSV with the columns in any order, comments, blank lines and quoted fields', () => {
    const text = [
      '# who is who',
      'email,principal,genesys_user_id',
      '',
      'Sofia.Moreno@Example-Health.org,E10442,',
      `,"arn:aws:iam::123456789012:user/dan.okafor",${UID.toUpperCase()}`,
      'qa-night@example-health.org,arn:aws:sts::*:assumed-role/qa-night-shift/*,',
    ].join('\r\n');
    expect(entries(text, 'csv')).toEqual([
      { principal: 'E10442', email: 'sofia.moreno@example-health.org' },
      { principal: 'arn:aws:iam::123456789012:user/dan.okafor', userId: UID },
      { principal: 'arn:aws:sts::*:assumed-role/qa-night-shift/*', email: 'qa-night@example-health.org' },
    ]);
  });

  it('reports every problem of a CSV at once, with its line number', () => {
    const text = [
      'principal,email,genesys_user_id,team',
      'E1,not-an-email,',
      'E2,,',
      'E3,a@b.example,not-a-uuid',
      'E4,"open quote,',
      'has space,a@b.example,',
      'e1,c@d.example,',
      'E5,a@b.example',
    ].join('\n');
    const r = parseDirectory(text, 'csv');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      'line 1: unknown column(s) team; the columns are principal, email, genesys_user_id',
      'line 2: 3 fields, the header has 4',
      'line 3: 3 fields, the header has 4',
      'line 4: 3 fields, the header has 4',
      'line 5: unbalanced quotes',
      'line 6: 3 fields, the header has 4',
      'line 7: 3 fields, the header has 4',
      'line 8: 2 fields, the header has 4',
    ]);
    const r2 = parseDirectory(
      [
        'principal,email,genesys_user_id',
        'E1,not-an-email,',
        'E2,,',
        'E3,a@b.example,not-a-uuid',
        'has space,a@b.example,',
        'E6,a@b.example,',
        'e6,c@d.example,',
      ].join('\n'),
      'csv',
    );
    expect(r2.ok).toBe(false);
    if (r2.ok) return;
    expect(r2.problems).toEqual([
      'line 2: email is not an email address',
      'line 3: needs an email or a genesys_user_id',
      'line 4: genesys_user_id is not a Genesys user id (a UUID)',
      'line 5: principal must be one Requester pattern or name, without spaces',
      'line 7: principal e6 is already mapped at line 6',
    ]);
  });

  it('reads JSON arrays and names the entry of each problem', () => {
    expect(entries(JSON.stringify([{ principal: 'E1', genesys_user_id: UID }]), 'json')).toEqual([{ principal: 'E1', userId: UID }]);
    const r = parseDirectory(
      JSON.stringify([
        { principal: 'E1', email: 'x' },
        { principal: 'E2', mail: 'a@b.example' },
      ]),
      'json',
    );
    expect(r).toEqual({
      ok: false,
      problems: ['entry 1: email is not an email address', expect.stringMatching(/^entry 2: .*mail/), 'entry 2: needs an email or a genesys_user_id'],
    });
    expect(parseDirectory('{"principal":"x"}', 'json')).toEqual({ ok: false, problems: [expect.stringContaining('JSON array')] });
    expect(parseDirectory('[', 'json')).toEqual({ ok: false, problems: [expect.stringContaining('not valid JSON')] });
    expect(parseDirectory('# only a comment\n', 'csv')).toEqual({ ok: false, problems: ['no header line (principal,email,genesys_user_id)'] });
  });

  it('matches exact names against the last Requester segment before patterns, case-insensitively', () => {
    const dir = createDirectory([
      { principal: 'arn:aws:sts::*:assumed-role/qa-*/*', email: 'team@x.example' },
      { principal: 'E10442', email: 'sofia@x.example' },
      { principal: 'arn:aws:iam::123456789012:user/dan', userId: UID },
    ]);
    expect(dir.lookup('arn:aws:sts::123456789012:assumed-role/qa-night/e10442')?.email).toBe('sofia@x.example');
    expect(dir.lookup('arn:aws:sts::123456789012:assumed-role/QA-night/E999')?.email).toBe('team@x.example');
    expect(dir.lookup('arn:aws:iam::123456789012:user/dan')?.userId).toBe(UID);
    expect(dir.lookup('arn:aws:iam::123456789012:user/danny')).toBeUndefined();
    expect(dir.lookup('arn:aws:sts::123456789012:assumed-role/ops/E1')).toBeUndefined();
  });

  it('loads by extension and refuses a bad file as CONFIG_INVALID naming every problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'actor-dir-'));
    expect(loadDirectoryFile(undefined)).toBeUndefined();
    const good = join(dir, 'people.json');
    writeFileSync(good, JSON.stringify([{ principal: 'E1', email: 'a@b.example' }]));
    expect(loadDirectoryFile(good)?.size).toBe(1);
    const bad = join(dir, 'people.csv');
    writeFileSync(bad, 'principal,email\nE1,nope\nE2,\n');
    let caught: unknown;
    try {
      loadDirectoryFile(bad);
    } catch (err) {
      caught = err;
    }
    expect(isAuditError(caught, 'CONFIG_INVALID')).toBe(true);
    expect((caught as Error).message).toContain('line 2: email is not an email address');
    expect((caught as Error).message).toContain('line 3: needs an email or a genesys_user_id');
    expect(() => loadDirectoryFile(join(dir, 'people.txt'))).toThrow(/must end in \.csv or \.json/);
    expect(() => loadDirectoryFile(join(dir, 'absent.csv'))).toThrow(/not readable/);
  });
});
