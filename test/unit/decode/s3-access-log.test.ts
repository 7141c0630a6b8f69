import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_UNKNOWN_FIELDS } from '../../../src/decode/fixed-fields.js';
import { parseLogTime, parseLogTimeMemo } from '../../../src/decode/log-time.js';
import { parseAccessLogLine, type ParseResult } from '../../../src/decode/s3-access-log.js';
import { buildEvent } from '../../../src/event/build.js';
import type { S3AccessFields } from '../../../src/decode/s3-access-log.js';
import { SAMPLE_EXPECTATIONS, SAMPLE_FILES } from '../../fixtures/sample-expectations.js';

const samplesDir = fileURLToPath(new URL('../../fixtures/samples/', import.meta.url));
const sharedDir = fileURLToPath(new URL('../../../../shared/samples/', import.meta.url));
const sampleLines = (file: string): string[] =>
  readFileSync(`${samplesDir}${file}`, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
/** The fields as JSON has them: `undefined` (absent) properties dropped. */
const plain = (f: S3AccessFields): unknown => JSON.parse(JSON.stringify(f));

function ok(r: ParseResult): { timestamp: string; fields: S3AccessFields } {
  if (!r.ok) throw new Error(`expected a record, got ${r.reason}: ${r.detail}`);
  return r;
}

// A 27-field line to mutate in the tests below.
const BASE = {
  head: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::123456789012:user/alice 3E57427F3EXAMPLE REST.GET.OBJECT photos/a.jpg',
  uri: '"GET /photos/a.jpg HTTP/1.1"',
  mid: '200 - 3462992 3462992 70 10',
  referrer: '"https://example.com/page"',
  ua: '"curl/8.5.0"',
  tail: '- s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader bucket1.s3.us-west-1.amazonaws.com TLSv1.2 - - us-east-1',
};
const line = (o: Partial<typeof BASE> = {}): string => {
  const p = { ...BASE, ...o };
  return [p.head, p.uri, p.mid, p.referrer, p.ua, p.tail].filter((x) => x !== '').join(' ');
};

describe('sample fixtures', () => {
  it.runIf(existsSync(sharedDir))('are byte-identical copies of ../shared/samples', () => {
    for (const file of SAMPLE_FILES) expect(readFileSync(`${samplesDir}${file}`).equals(readFileSync(`${sharedDir}${file}`))).toBe(true);
  });

  it('every sample line has an expectation', () => {
    for (const file of SAMPLE_FILES) {
      const count = sampleLines(file).length;
      expect(SAMPLE_EXPECTATIONS.filter((e) => e.file === file).map((e) => e.line)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    }
  });
});

describe('parseAccessLogLine: every sample line', () => {
  for (const exp of SAMPLE_EXPECTATIONS) {
    it(`${exp.file}:${exp.line}`, () => {
      const r = parseAccessLogLine(sampleLines(exp.file)[exp.line - 1]!);
      if (exp.reject !== undefined) {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).toBe(exp.reject);
        return;
      }
      const rec = ok(r);
      expect(rec.timestamp).toBe(exp.timestamp);
      expect(plain(rec.fields)).toEqual(exp.fields);
    });
  }
});

describe('parseAccessLogLine: the traps, field by field', () => {
  const at = (file: 's3-access-real.log' | 's3-access-edge-synthetic.log', n: number): S3AccessFields =>
    ok(parseAccessLogLine(sampleLines(file)[n - 1]!)).fields;

  it('keeps an unknown trailing field and counts it', () => {
    const f = at('s3-access-real.log', 8);
    expect(f.source_region).toBe('us-east-1');
    expect(f.unknown_fields).toEqual(['ExtraUnknownField']);
    expect(f.field_count).toBe(28);
  });

  it('reads bare - as absent for Request-URI, Referer and User-Agent', () => {
    const f = at('s3-access-real.log', 9);
    expect([f.request_uri, f.referrer, f.user_agent, f.bytes_sent, f.total_time]).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(f.key).toBe('Screen+Shot+2019-09-09+at+9.08.44+AM.png');
    expect(f.object_size).toBe(57138);
  });

  it('finds the closing quote of a Request-URI that contains a raw quote', () => {
    const f = at('s3-access-real.log', 41);
    expect(f.request_uri).toBe('GET /" HTTP/1.1');
    expect(f.http_status).toBe(403);
    expect(f.referrer).toBe('referer test');
    expect(f.user_agent).toBe('curl/7.38.0');
    expect(f.key).toBe('%2522');
    expect(f.signature_version).toBeUndefined();
    expect(f.cipher_suite).toBe('ECDHE-RSA-AES128-GCM-SHA256');
  });

  it('joins a two-token Host Id and keeps the later fields in place', () => {
    const f = at('s3-access-real.log', 33);
    expect(f.host_id).toBe('AIDAISBTTLPGXGH6YFFAY LzYGhqEwXn5Xiuil9tI6JtK2PiIo+SC6Ute3Isq2qEmt/t0Z7qFkyD0mp1ZIc43bm0qSX4tBbbc=');
    expect([f.signature_version, f.cipher_suite, f.authentication_type, f.host_header, f.tls_version]).toEqual([
      'SigV4',
      'ECDHE-RSA-AES128-SHA',
      'AuthHeader',
      's3.amazonaws.com',
      'TLSv1.2',
    ]);
    expect(f.field_count).toBe(24);
  });

  it('reads a requester with spaces (CloudFront origin access identity)', () => {
    const f = at('s3-access-edge-synthetic.log', 2);
    expect(f.requester).toBe('arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID');
    expect(f.request_id).toBe('3E57427F3EXAMPLG');
    expect(f.operation).toBe('REST.GET.OBJECT');
  });

  it('reads every historic layout: 17, 18, 19, 24, 25, 26, 27 fields', () => {
    expect(at('s3-access-real.log', 40).field_count).toBe(17);
    expect(at('s3-access-real.log', 40).version_id).toBeUndefined();
    expect(at('s3-access-real.log', 10).field_count).toBe(18);
    expect(at('s3-access-real.log', 42).field_count).toBe(19);
    expect(at('s3-access-real.log', 4).field_count).toBe(24);
    expect(at('s3-access-real.log', 35).field_count).toBe(25);
    expect(at('s3-access-real.log', 3).field_count).toBe(26);
    expect(at('s3-access-real.log', 1).field_count).toBe(27);
  });

  it('converts any offset to UTC', () => {
    expect(ok(parseAccessLogLine(sampleLines('s3-access-edge-synthetic.log')[6]!)).timestamp).toBe('2021-02-09T12:48:42.000Z');
  });

  it('rejects the real spliced line instead of merging two records', () => {
    const r = parseAccessLogLine(sampleLines('s3-access-real-malformed.log')[0]!);
    expect(r).toMatchObject({ ok: false, reason: 'spliced_records' });
  });
});

describe('parseAccessLogLine: quotes S3 does not escape', () => {
  it('a User-Agent ending in a literal quote', () => {
    const f = ok(parseAccessLogLine(line({ ua: '"Mozilla/5.0 (iPhone) Safari/604.1""' }))).fields;
    expect(f.user_agent).toBe('Mozilla/5.0 (iPhone) Safari/604.1"');
    expect(f.source_region).toBe('us-east-1');
  });

  it('a User-Agent that fakes a whole tail cannot move the real one', () => {
    const fake = '"x" - FAKEHOSTID SigV2 FAKE-CIPHER QueryString evil.example.com TLSv1.0 - - eu-west-1 "y"';
    const f = ok(parseAccessLogLine(line({ ua: fake }))).fields;
    expect(f.user_agent).toBe(fake.slice(1, -1));
    expect(f.host_id).toBe('s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=');
    expect(f.signature_version).toBe('SigV4');
    expect(f.source_region).toBe('us-east-1');
  });

  // A Referer containing `" "` before a bare `-` User-Agent reads as a quoted Referer and
  // User-Agent instead: see two-token-host-id.test.ts.
  it('a Referer with quotes and spaces, and a User-Agent of -', () => {
    const f = ok(parseAccessLogLine(line({ referrer: '"http://a/?q="b" c"', ua: '-' }))).fields;
    expect(f.referrer).toBe('http://a/?q="b" c');
    expect(f.user_agent).toBeUndefined();
    expect(f.host_id).toMatch(/^s9lz/);
  });

  it('a Referer containing `" "` with a quoted User-Agent: the first split that leaves a valid tail', () => {
    const f = ok(parseAccessLogLine(line({ referrer: '"a"', ua: '"b" "c"' }))).fields;
    expect(f.referrer).toBe('a');
    expect(f.user_agent).toBe('b" "c');
  });

  it('quoted "-" values are absent', () => {
    const f = ok(parseAccessLogLine(line({ uri: '"-"', referrer: '"-"', ua: '"-"' }))).fields;
    expect([f.request_uri, f.referrer, f.user_agent]).toEqual([undefined, undefined, undefined]);
  });

  it('an empty quoted User-Agent is an empty string, not absent', () => {
    expect(ok(parseAccessLogLine(line({ ua: '""' }))).fields.user_agent).toBe('');
  });

  it('a record spliced into a User-Agent is rejected, not merged', () => {
    const first = line({ ua: '"Mozilla/5.0 (X11; Lin', tail: '' });
    const second = line({ head: BASE.head.replace('bucket1', 'bucket2') });
    expect(parseAccessLogLine(first + second)).toMatchObject({ ok: false, reason: 'spliced_records' });
  });

  it('a User-Agent without its closing quote', () => {
    expect(parseAccessLogLine(line({ ua: '"curl/8.5.0', tail: '' }))).toMatchObject({ ok: false, reason: 'bad_quoting' });
  });
});

describe('parseAccessLogLine: a [time] in client text is not a splice', () => {
  const T = '[06/Feb/2019:00:00:38 +0000]';
  const OWNER = BASE.head.slice(0, 64);
  // S3 writes Referer and User-Agent unescaped: `curl -A 'x [06/Feb/2019:00:00:38 +0000]'` puts a
  // well-formed time after the record's own. Each of these is one access and must be an event.
  const attacks: [string, Partial<typeof BASE>, { referrer?: string; user_agent?: string; field_count?: number }][] = [
    ['curl -A with a time', { ua: `"x ${T}"` }, { user_agent: `x ${T}` }],
    ['a User-Agent that is only a time', { ua: `"${T}"` }, { user_agent: T }],
    ['a Referer with a time', { referrer: `"https://evil.example/ ${T}"` }, { referrer: `https://evil.example/ ${T}`, user_agent: 'curl/8.5.0' }],
    ['a User-Agent with quotes, spaces and a time', { ua: `"a" ${T} "b" c"` }, { user_agent: `a" ${T} "b" c` }],
    ['a Referer with quotes, spaces and a time', { referrer: `"a" ${T} "b"` }, { referrer: `a" ${T} "b`, user_agent: 'curl/8.5.0' }],
    ['a Referer with quotes, spaces and a time, User-Agent -', { referrer: `"q=" ${T} "` + `"`, ua: '-' }, { referrer: `q=" ${T} "` }],
    ['times in both', { referrer: `"${T}"`, ua: `"${T} ${T}"` }, { referrer: T, user_agent: `${T} ${T}` }],
    ['a bucket and a time, as a record head has them', { ua: `"x bucket1 ${T} 192.0.2.3"` }, { user_agent: `x bucket1 ${T} 192.0.2.3` }],
    [
      'another owner id, a bucket and a time',
      { ua: `"${'0'.repeat(64)} bucket1 ${T} 192.0.2.3 - ID REST.GET.OBJECT k"` },
      { user_agent: `${'0'.repeat(64)} bucket1 ${T} 192.0.2.3 - ID REST.GET.OBJECT k` },
    ],
    // The owner id, bucket and time of a record head, but no record follows them.
    ['the owner id, a bucket and a time, and no record after them', { ua: `"x ${OWNER} bucket1 ${T}"` }, { user_agent: `x ${OWNER} bucket1 ${T}` }],
    ['an 18-field record', { ua: `"x ${T}"`, tail: '-' }, { user_agent: `x ${T}`, field_count: 18 }],
    ['a 17-field record', { ua: `"x ${T}"`, tail: '' }, { user_agent: `x ${T}`, field_count: 17 }],
  ];
  for (const [name, parts, want] of attacks) {
    it(name, () => {
      const text = line(parts);
      const r = ok(parseAccessLogLine(text));
      expect(r.timestamp).toBe('2019-02-06T00:00:38.000Z');
      expect(r.fields).toMatchObject({
        bucket: 'bucket1',
        requester: 'arn:aws:iam::123456789012:user/alice',
        operation: 'REST.GET.OBJECT',
        key: 'photos/a.jpg',
        http_status: 200,
        bytes_sent: 3462992,
      });
      expect(r.fields.referrer).toBe(want.referrer ?? (parts.referrer === undefined ? 'https://example.com/page' : undefined));
      expect(r.fields.user_agent).toBe(want.user_agent);
      if (want.field_count === undefined) expect(r.fields).toMatchObject({ field_count: 27, signature_version: 'SigV4', source_region: 'us-east-1' });
      else expect(r.fields.field_count).toBe(want.field_count);
      // And the event is built: indexed, not quarantined.
      const b = buildEvent({ number: 1, bytes: Buffer.from(text) }, { logBucket: 'logs', filePath: 'attack' });
      if (!b.ok) throw new Error(`quarantined: ${b.rejection.reason} ${b.rejection.detail}`);
      expect(b.doc.event.aws.s3access.user_agent).toBe(want.user_agent);
      expect(b.doc.event.aws.s3.object).toEqual({ key: 'photos/a.jpg', key_decode_failed: false });
    });
  }

  // A real splice: a record cut short, then a whole record of the same owner without a newline.
  const second = line({ head: BASE.head.replace('bucket1', 'bucket2') });
  const splices: [string, string][] = [
    ['cut in the Referer', line({ referrer: '"https://example.com/pa', ua: '', tail: '' })],
    ['cut in the Request-URI', line({ uri: '"GET /photos/a', mid: '', referrer: '', ua: '', tail: '' })],
    ['cut in the owner id of a second record, before a third', `${line({ ua: '"Mozilla/5.0 (X11; Lin', tail: '' })}${OWNER.slice(0, 20)}${second}`],
    ['cut after the tail', line()],
  ];
  for (const [name, first] of splices) {
    it(`a record ${name} and a whole one after it: spliced`, () => {
      expect(parseAccessLogLine(first + second)).toMatchObject({ ok: false, reason: 'spliced_records' });
    });
  }
});

describe('parseAccessLogLine: rejections have stable reasons', () => {
  const cases: [string, string, string][] = [
    ['empty line', '', 'bad_field'],
    ['one token', 'owner', 'too_few_fields'],
    ['leading space', ` ${line()}`, 'bad_field'],
    ['double space', line().replace(' 192.0.2.3', '  192.0.2.3'), 'bad_field'],
    ['trailing space', `${line()} `, 'bad_field'],
    ['double space in the tail', line().replace(' SigV4', '  SigV4'), 'bad_field'],
    ['no brackets', line().replace('[06/Feb/2019:00:00:38 +0000]', '06/Feb/2019:00:00:38'), 'bad_time'],
    ['30 February', line().replace('06/Feb', '30/Feb'), 'bad_time'],
    ['lower-case month', line().replace('Feb', 'feb'), 'bad_time'],
    ['hour 24', line().replace(':00:00:38', ':24:00:38'), 'bad_time'],
    ['offset without sign', line().replace('+0000', ' 0000'), 'bad_time'],
    ['operation shape', line().replace('REST.GET.OBJECT', 'GETOBJECT'), 'bad_operation'],
    ['requester with spaces that is no ARN', line().replace('arn:aws:iam::123456789012:user/alice', 'some user'), 'bad_operation'],
    ['status not a number', line({ mid: 'abc - 1 2 3 4' }), 'bad_number'],
    ['bare status not a number', line({ uri: '-', mid: 'abc - 1 2 3 4' }), 'bad_number'],
    ['status of 4 digits', line({ uri: '-', mid: '2000 - 1 2 3 4' }), 'bad_number'],
    ['bytes not a number', line({ uri: '-', mid: '200 - 12x 2 3 4' }), 'bad_number'],
    ['Request-URI neither quoted nor -', line({ uri: 'GET' }), 'bad_quoting'],
    ['Request-URI never closed', line({ uri: '"GET /a', mid: '', referrer: '', ua: '', tail: '' }), 'bad_quoting'],
    ['ends after the key', BASE.head, 'too_few_fields'],
    ['ends after the sizes', `${BASE.head} ${BASE.uri} ${BASE.mid}`, 'too_few_fields'],
    ['ends after the referrer', `${BASE.head} ${BASE.uri} ${BASE.mid} ${BASE.referrer}`, 'too_few_fields'],
    ['signature version misplaced', line({ tail: BASE.tail.replace('SigV4', 'HMAC') }), 'bad_field'],
    ['cipher suite misplaced', line({ tail: BASE.tail.replace('ECDHE-RSA-AES128-GCM-SHA256', 'bucket1.s3.amazonaws.com') }), 'bad_field'],
    ['TLS version misplaced', line({ tail: BASE.tail.replace('TLSv1.2', '1.2') }), 'bad_field'],
    ['source region misplaced', line({ tail: BASE.tail.replace('us-east-1', 'US_EAST') }), 'bad_field'],
    ['a quote in the tail after a bare User-Agent', line({ ua: '-', tail: BASE.tail.replace('AuthHeader', '"AuthHeader"') }), 'bad_field'],
  ];
  for (const [name, input, reason] of cases) {
    it(name, () => {
      const r = parseAccessLogLine(input);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.reason).toBe(reason);
        expect(r.detail.length).toBeGreaterThan(0);
      }
    });
  }

  // The parser remembers the last minute and recent tails; a repeat of the same length or minute
  // with one character changed must be read afresh.
  it('a tail of the same length as a remembered one is read for itself', () => {
    const good = ok(parseAccessLogLine(line()));
    expect(good.fields.source_region).toBe('us-east-1');
    const other = ok(parseAccessLogLine(line({ tail: BASE.tail.replace('us-east-1', 'eu-west-1') })));
    expect(other.fields.source_region).toBe('eu-west-1');
    expect(parseAccessLogLine(line({ tail: BASE.tail.replace('us-east-1', 'US-EAST-1') }))).toMatchObject({ ok: false, reason: 'bad_field' });
    expect(parseAccessLogLine(line({ tail: BASE.tail.replace('TLSv1.2', 'TLSv1.3') }))).toMatchObject({ ok: true, fields: { tls_version: 'TLSv1.3' } });
    expect(ok(parseAccessLogLine(line())).fields).toEqual(good.fields);
  });

  it('a remembered tail after a Host Id of one token, of two tokens, or of -', () => {
    const rest = 'SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader bucket1.s3.us-west-1.amazonaws.com TLSv1.2 - - us-east-1';
    const want = {
      signature_version: 'SigV4',
      cipher_suite: 'ECDHE-RSA-AES128-GCM-SHA256',
      authentication_type: 'AuthHeader',
      tls_version: 'TLSv1.2',
      source_region: 'us-east-1',
      field_count: 27,
    };
    for (const [host, hostId] of [
      ['HOSTb64=', 'HOSTb64='],
      ['AIDAEXAMPLE HOSTb64=', 'AIDAEXAMPLE HOSTb64='],
      ['-', undefined],
      ['HOSTb64=', 'HOSTb64='],
    ] as const) {
      const f = ok(parseAccessLogLine(line({ tail: `- ${host} ${rest}` }))).fields;
      expect(f.host_id).toBe(hostId);
      expect(f).toMatchObject(want);
    }
  });

  it('a time in a remembered minute with a bad second, offset or bracket is rejected', () => {
    ok(parseAccessLogLine(line()));
    for (const bad of ['[06/Feb/2019:00:00:3x +0000]', '[06/Feb/2019:00:00:38 +00x0]', '[06/Feb/2019:00:00:38 +0000)', '[06/Feb/2019:00:00:38 *0000]']) {
      expect(parseAccessLogLine(line({ head: BASE.head.replace('[06/Feb/2019:00:00:38 +0000]', bad) }))).toMatchObject({ ok: false, reason: 'bad_time' });
    }
    expect(ok(parseAccessLogLine(line({ head: BASE.head.replace(':38 +0000]', ':39 -0100]') }))).timestamp).toBe('2019-02-06T01:00:39.000Z');
  });

  it('a line cut at any space is rejected, or is the shorter record it then is', () => {
    const full = line();
    const fullFields = plain(ok(parseAccessLogLine(full)).fields) as Record<string, unknown>;
    for (let i = full.indexOf(' '); i > 0; i = full.indexOf(' ', i + 1)) {
      const r = parseAccessLogLine(full.slice(0, i));
      if (!r.ok) continue;
      // A prefix that parses is a legacy record: every value it has is the full record's value.
      for (const [k, v] of Object.entries(plain(r.fields) as Record<string, unknown>)) if (k !== 'field_count') expect(fullFields[k]).toEqual(v);
      expect(r.fields.field_count).toBeGreaterThanOrEqual(17);
    }
  });
});

describe('parseAccessLogLine: fields', () => {
  it('numbers are numbers; - is absent', () => {
    const f = ok(parseAccessLogLine(line({ mid: '206 - - 0 1 -' }))).fields;
    expect([f.http_status, f.bytes_sent, f.object_size, f.total_time, f.turn_around_time]).toEqual([206, undefined, 0, 1, undefined]);
  });

  it('keeps any number of unknown trailing fields', () => {
    const f = ok(parseAccessLogLine(`${line()} new1 new-2 x=y`)).fields;
    expect(f.unknown_fields).toEqual(['new1', 'new-2', 'x=y']);
    expect(f.field_count).toBe(30);
  });

  it(`keeps up to ${MAX_UNKNOWN_FIELDS} unknown trailing fields and refuses a line with more`, () => {
    const extra = (k: number): string => Array.from({ length: k }, (_, i) => `f${i}`).join(' ');
    const f = ok(parseAccessLogLine(`${line()} ${extra(MAX_UNKNOWN_FIELDS)}`)).fields;
    expect(f.unknown_fields).toHaveLength(MAX_UNKNOWN_FIELDS);
    expect(f.field_count).toBe(27 + MAX_UNKNOWN_FIELDS);
    expect(parseAccessLogLine(`${line()} ${extra(MAX_UNKNOWN_FIELDS + 1)}`)).toMatchObject({ ok: false, reason: 'bad_field' });
  });

  it('rejects a quote in a trailing field rather than guessing where User-Agent ends', () => {
    expect(parseAccessLogLine(`${line()} "new field"`)).toMatchObject({ ok: false });
  });

  it('a two-token Host Id next to a Signature Version of -', () => {
    const f = ok(parseAccessLogLine(line({ tail: '- AIDAEXAMPLE HOSTb64= - TLS_AES_128_GCM_SHA256 - host.example TLSv1.3' }))).fields;
    expect(f.host_id).toBe('AIDAEXAMPLE HOSTb64=');
    expect(f.signature_version).toBeUndefined();
    expect(f.cipher_suite).toBe('TLS_AES_128_GCM_SHA256');
  });

  it('a two-token Host Id whose first token is -, as written', () => {
    const f = ok(parseAccessLogLine(line({ referrer: '-', tail: '- - hostid SigV4 AES128-SHA AuthHeader h TLSv1.2' }))).fields;
    expect(f).toMatchObject({
      user_agent: 'curl/8.5.0',
      host_id: '- hostid',
      signature_version: 'SigV4',
      cipher_suite: 'AES128-SHA',
      tls_version: 'TLSv1.2',
      field_count: 24,
    });
  });

  it('keeps non-ASCII text as given', () => {
    const f = ok(parseAccessLogLine(line({ ua: '"Ünïcødé ☎ \u202e"' }))).fields;
    expect(f.user_agent).toBe('Ünïcødé ☎ \u202e');
  });
});

describe('parseLogTime', () => {
  const t = (s: string): string | undefined => parseLogTime(s, 0);
  it('reads S3 times as UTC ISO with milliseconds', () => {
    expect(t('[06/Feb/2019:00:00:38 +0000]')).toBe('2019-02-06T00:00:38.000Z');
    expect(t('[31/Dec/2023:23:59:59 +0000]')).toBe('2023-12-31T23:59:59.000Z');
    expect(t('[29/Feb/2024:12:00:00 +0000]')).toBe('2024-02-29T12:00:00.000Z');
  });
  it('applies any offset', () => {
    expect(t('[01/Jan/2020:01:30:00 +0200]')).toBe('2019-12-31T23:30:00.000Z');
    expect(t('[31/Dec/2019:22:00:00 -0500]')).toBe('2020-01-01T03:00:00.000Z');
    expect(t('[01/Mar/2021:00:00:00 +0530]')).toBe('2021-02-28T18:30:00.000Z');
  });
  it('matches Date for every month and many days', () => {
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    for (let ms = Date.UTC(1999, 0, 1); ms < Date.UTC(2031, 0, 1); ms += 86_400_000 * 7 + 3_723_000) {
      const d = new Date(ms);
      const p = (n: number): string => String(n).padStart(2, '0');
      const s = `[${p(d.getUTCDate())}/${months[d.getUTCMonth()]!}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000]`;
      expect(t(s)).toBe(d.toISOString());
    }
  });
  it('rejects impossible times', () => {
    for (const bad of [
      '[29/Feb/2023:00:00:00 +0000]',
      '[31/Apr/2023:00:00:00 +0000]',
      '[00/Jan/2023:00:00:00 +0000]',
      '[01/Jan/2023:00:60:00 +0000]',
      '[01/Jan/2023:00:00:00 +2400]',
      '[01/Jan/2023:00:00:00 +0060]',
      '[01/Jan/2023:00:00:00 +0000',
      '[1/Jan/2023:00:00:00 +0000]',
    ]) {
      expect(t(bad)).toBeUndefined();
    }
  });
  it('the memoised form agrees with the full parse on any sequence, offsets and leap seconds included', () => {
    const times = [
      '[01/Jan/2020:01:30:00 +0200]',
      '[01/Jan/2020:01:30:01 +0200]',
      '[01/Jan/2020:01:30:59 +0200]',
      '[01/Jan/2020:01:30:01 +0000]',
      '[01/Jan/2020:01:30:01 -0000]',
      '[01/Jan/2020:01:30:60 +0000]',
      '[01/Jan/2020:01:30:61 +0000]',
      '[01/Jan/2020:01:30:5x +0000]',
      '[01/Jan/2020:01:30:05 +0000]',
      '[01/Jan/2020:01:31:05 +0000]',
      '[31/Dec/2019:23:59:59 -0130]',
      '[31/Dec/2019:23:59:58 -0130]',
    ];
    for (const t of [...times, ...times.reverse()]) expect(parseLogTimeMemo(`x ${t} y`, 2)).toBe(parseLogTime(t, 0));
  });
});
