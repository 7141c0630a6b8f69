import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, csvHeader, csvRecord, neutralizeFormula } from '../../../src/investigate/format/csv.js';
import { ndjsonLine } from '../../../src/investigate/format/ndjson.js';
import { tableColumns, TableWriter, terminalSafe, WIDTH_SAMPLE_ROWS } from '../../../src/investigate/format/table.js';
import { zonedIso } from '../../../src/investigate/format/time.js';
import { accessKindOf, actorLabel, parseHit } from '../../../src/investigate/row.js';
import { row } from './support.js';

/** RFC 4180 parser for the tests: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let rec: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      rec.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      rec.push(field);
      records.push(rec);
      rec = [];
      field = '';
      i++;
    } else field += ch;
  }
  return records;
}

describe('csv', () => {
  it('the columns are the documented, stable list', () => {
    expect(CSV_COLUMNS.map((c) => c.name)).toEqual([
      'timestamp_utc',
      'timestamp_local',
      'actor',
      'actor_kind',
      'actor_email',
      'requester',
      'principal_type',
      'account_id',
      'role_name',
      'session_name',
      'operation',
      'access',
      'outcome',
      'http_status',
      'error_code',
      'source_ip',
      'bucket',
      'key',
      'version_id',
      'bytes_sent',
      'user_agent',
      'presigned',
      'presigned_access_key_id',
      'presigned_expires_at',
      'self',
      'conversation_id',
      'recording_id',
      'recording_file',
      'agent_user_ids',
      'agent_names',
      'enrichment_status',
      'log_file',
      'log_line',
      'event_hash',
      'document_id',
      'index',
      'source',
      'actor_name',
      'actor_genesys_user_id',
      'request_id',
      'twin_document_ids',
    ]);
    const doc = readFileSync(new URL('../../../docs/investigations.md', import.meta.url), 'utf8');
    for (const c of CSV_COLUMNS) expect(doc, c.name).toMatch(new RegExp(`^\\| \`${c.name}\` \\|`, 'm'));
  });

  it('quotes per RFC 4180 and round-trips hostile values', () => {
    const hostile = row({
      key: 'a,b"c\r\nd',
      userAgent: '=HYPERLINK("http://evil","x")',
      sessionName: '+cmd|calc',
      actorEmail: undefined,
      roleName: '@SUM(1)',
    });
    const text = csvHeader() + csvRecord(hostile, 'Europe/Berlin');
    const [header, record] = parseCsv(text);
    expect(header).toEqual(CSV_COLUMNS.map((c) => c.name));
    const get = (name: string): string => record![CSV_COLUMNS.findIndex((c) => c.name === name)]!;
    expect(get('key')).toBe('a,b"c\r\nd');
    expect(get('user_agent')).toBe(`'=HYPERLINK("http://evil","x")`);
    expect(get('session_name')).toBe("'+cmd|calc");
    expect(get('role_name')).toBe("'@SUM(1)");
    expect(get('actor')).toBe("'@SUM(1)/+cmd|calc");
    expect(get('timestamp_local')).toBe('2024-05-14T10:30:00+02:00');
    expect(get('agent_names')).toBe('Bruno Díaz');
    expect(get('presigned')).toBe('false');
    expect(get('log_line')).toBe('7');
    expect(text.endsWith('\r\n')).toBe(true);
  });

  it('neutralizes every formula trigger and nothing else', () => {
    for (const v of ['=1+1', '+1', '-1', '@x', '\tx', '\rx']) expect(neutralizeFormula(v)).toBe(`'${v}`);
    for (const v of ['1-1', 'a=b', "'x", '']) expect(neutralizeFormula(v)).toBe(v);
    expect(csvField(undefined)).toBe('');
    expect(csvField(-5)).toBe("'-5");
  });
});

describe('table', () => {
  it('shows control characters escaped, cuts long values, labels HEAD and presigned', () => {
    expect(terminalSafe('a\u001b[31mb\u0007\u202e')).toBe('a\\x1b[31mb\\x07\\x202e');
    const cols = tableColumns('America/New_York');
    expect(cols.headers).toEqual(['TIME (UTC)', 'TIME (America/New_York)', 'SOURCE', 'ACTOR', 'KIND', 'OPERATION', 'OUTCOME', 'IP', 'RECORDING', 'AGENTS']);
    const cells = cols.cells(row({ operation: 'REST.HEAD.OBJECT', access: 'head_only', presigned: true, actorEmail: 'x'.repeat(100) }));
    expect(cells[1]).toBe('2024-05-14 04:30:00-04:00');
    expect(cells[2]).toBe('s3');
    expect(cells[3]).toHaveLength(60);
    expect(cells[3]!.endsWith('…')).toBe(true);
    expect(cells[5]).toBe('REST.HEAD.OBJECT (HEAD only) [presigned]');
    expect(cells[9]).toBe('Bruno Díaz');
    expect(tableColumns(undefined).headers).not.toContain('TIME (UTC) ');
    expect(tableColumns(undefined).headers).toHaveLength(9);
  });

  it('streams with the widths of the first rows and writes nothing for no rows', () => {
    const out: string[] = [];
    const w = new TableWriter(tableColumns(undefined), (t) => out.push(t));
    w.end();
    expect(out).toEqual([]);
    for (let i = 0; i < WIDTH_SAMPLE_ROWS + 5; i++) w.push(row());
    expect(out).toHaveLength(WIDTH_SAMPLE_ROWS + 6);
    w.end();
    const widths = new Set(out.map((l) => (l.indexOf('ACTOR') >= 0 ? l.indexOf('ACTOR') : l.indexOf('ana.silva'))));
    expect(widths.size).toBe(1);
  });
});

describe('rows and ndjson', () => {
  it('parses a hit, reading raw fields where v2 keeps only an alias', () => {
    const hit = parseHit({
      _id: 'id1',
      _index: 'i',
      _source: {
        '@timestamp': '2024-05-14T08:30:00.000Z',
        event: { outcome: 'failure', hash: 'h', self: 'yes' },
        aws: { s3access: { operation: 'REST.HEAD.OBJECT', remote_ip: '192.0.2.1', http_status: 403, requester: '-' } },
        genesys: { participants: [{ user_id: 'u', name: 'N' }], agent: { user_ids: ['u'] } },
      },
      sort: [1, 'h'],
    })!;
    expect(hit.row).toMatchObject({ id: 'id1', operation: 'REST.HEAD.OBJECT', access: 'head_only', sourceIp: '192.0.2.1', self: false, httpStatus: 403 });
    expect(actorLabel(hit.row)).toBe('anonymous');
    expect(hit.sort).toEqual([1, 'h']);
    expect(parseHit({ _source: {} })).toBeUndefined();
    expect(JSON.parse(ndjsonLine(hit))).toMatchObject({ _id: 'id1', _index: 'i', event: { hash: 'h' } });
  });

  it('names each operation by what it did', () => {
    expect(accessKindOf('REST.GET.OBJECT')).toBe('read');
    expect(accessKindOf('REST.HEAD.OBJECT')).toBe('head_only');
    expect(accessKindOf('REST.PUT.OBJECT')).toBe('write');
    expect(accessKindOf('REST.DELETE.OBJECT')).toBe('delete');
    expect(accessKindOf('S3.EXPIRE.OBJECT')).toBe('delete');
    expect(accessKindOf('REST.GET.BUCKET')).toBe('list');
    expect(accessKindOf('REST.GET.ACL')).toBe('other');
  });

  it('zoned times carry the offset of that instant', () => {
    expect(zonedIso('2024-01-14T08:30:00.000Z', 'Europe/Berlin')).toBe('2024-01-14T09:30:00+01:00');
    expect(zonedIso('2024-07-14T08:30:00.000Z', 'Europe/Berlin')).toBe('2024-07-14T10:30:00+02:00');
    expect(zonedIso('2024-07-14T08:30:00.000Z', 'UTC')).toBe('2024-07-14T08:30:00+00:00');
  });
});
