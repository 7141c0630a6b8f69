import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAccessLogLine } from '../../../src/decode/s3-access-log.js';
import { buildEvent } from '../../../src/event/build.js';
import type { S3AccessFields } from '../../../src/decode/s3-access-log.js';
import { seededRandom, truncateFields } from '../../fixtures/corpus.js';
import { mutateLine, REJECT_REASONS } from '../../fixtures/mutate.js';
import { renderLine } from '../../fixtures/render.js';

const ctx = { logBucket: 'logs', filePath: 'fuzz' };
const samplesDir = fileURLToPath(new URL('../../fixtures/samples/', import.meta.url));

const chars = (alphabet: string, min = 1, max = 40): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...Array.from(alphabet)), minLength: min, maxLength: max });
const TOKEN = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/+=%@-*~!$&()';
/** An unquoted field value: no space, no quote, never the `-` that means absent. */
const token = chars(TOKEN).filter((t) => t !== '-');
/** A Host Id token: base64. */
const B64 = chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=', 1, 40);
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 3 });
const num = opt(fc.integer({ min: 0, max: 999_999_999_999 }));
/** Client text: any printable ASCII or Unicode, spaces and quotes included. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom(...Array.from(' "-[]()/;=&?%\\')),
    fc.constantFrom(...Array.from('aZ09.é☎')),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 60,
});

const fieldsArb: fc.Arbitrary<S3AccessFields> = fc.record({
  bucket_owner: token,
  bucket: token,
  remote_ip: opt(token),
  requester: opt(token),
  request_id: token,
  operation: fc
    .tuple(chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ_', 1, 8), chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ_', 1, 8), chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ_', 1, 12))
    .map((p) => p.join('.')),
  key: opt(token),
  // The request target never has spaces but may have raw quotes.
  request_uri: opt(fc.tuple(fc.constantFrom('GET', 'PUT', 'HEAD', 'DELETE', 'POST'), chars(`${TOKEN}"#<>`, 1, 80)).map(([m, t]) => `${m} /${t} HTTP/1.1`)),
  http_status: opt(fc.integer({ min: 100, max: 599 })),
  error_code: opt(token),
  bytes_sent: num,
  object_size: num,
  total_time: num,
  turn_around_time: num,
  // A quote followed by a space inside Referer is the one place the format is ambiguous.
  referrer: opt(text.filter((t) => !t.includes('" ') && t !== '-')),
  // A quoted "-" is S3's way of writing "absent".
  user_agent: opt(text.filter((t) => t !== '-')),
  version_id: opt(token),
  // Some 2019 records have a Host Id of two tokens (`AIDA... LzYG...=`), either may be `-`. The
  // second is never `-` or SigV* here: then the layout reading (a one-token Host Id and that token
  // as the Signature Version) may fit too, and the parser takes it.
  host_id: opt(
    fc.oneof(
      { arbitrary: token, weight: 4 },
      {
        arbitrary: fc
          .tuple(
            fc.oneof(B64, fc.constant('-')),
            B64.filter((t) => !t.startsWith('SigV')),
          )
          .map(([a, b]) => `${a} ${b}`),
        weight: 1,
      },
    ),
  ),
  signature_version: opt(fc.constantFrom('SigV2', 'SigV4', 'SigV4a')),
  cipher_suite: opt(chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 1, 40).filter((t) => t !== '-')),
  authentication_type: opt(fc.constantFrom('AuthHeader', 'QueryString')),
  host_header: opt(token),
  tls_version: opt(fc.constantFrom('TLSv1.2', 'TLSv1.3', 'TLSV1.1')),
  access_point_arn: opt(token.map((t) => `arn:aws:s3:eu-west-1:1:accesspoint/${t}`)),
  acl_required: opt(fc.constant('Yes')),
  source_region: opt(chars('abcdefghijklmnopqrstuvwxyz0123456789-', 1, 16).filter((t) => t !== '-')),
  unknown_fields: opt(fc.array(token, { minLength: 1, maxLength: 3 })),
  field_count: fc.constant(27),
});

describe('parser properties', () => {
  it('lines rendered from random field values parse back to those values', () => {
    fc.assert(
      fc.property(
        fieldsArb,
        fc.integer({ min: 17, max: 27 }),
        fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        fc.boolean(),
        (fields, count, date, offset, bareDashes) => {
          // Whole seconds; the offset is written in whole minutes.
          const timestamp = new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString();
          const expected = count === 27 ? { ...fields, field_count: 27 + (fields.unknown_fields?.length ?? 0) } : truncateFields(fields, count);
          // Without later fields, a quote and a space inside User-Agent are ambiguous (refused).
          fc.pre(!(count <= 18 && expected.user_agent?.includes('" ') === true));
          const line = renderLine(expected, timestamp, { fieldCount: count, offsetMinutes: offset, bareDashes });
          const r = parseAccessLogLine(line);
          if (!r.ok) throw new Error(`${r.reason}: ${r.detail}\n${line}`);
          expect(r.timestamp).toBe(timestamp);
          expect(JSON.parse(JSON.stringify(r.fields))).toEqual(JSON.parse(JSON.stringify(expected)));
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 2000) },
    );
  }, 60_000);

  it('arbitrary bytes never throw, and every line is an event or a rejection with a known reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = buildEvent({ number: 1, bytes: Buffer.from(bytes) }, ctx);
        if (!r.ok) expect(REJECT_REASONS).toContain(r.rejection.reason);
        else expect(r.doc.id).toMatch(/^[0-9a-f]{64}$/);
      }),
      { numRuns: 3000 },
    );
  });

  it('arbitrary log-like text never throws', () => {
    const logish = fc.string({ unit: fc.constantFrom(...Array.from(' "-[]+:/0123456789abcdefABCDEF.JanFebSigVTLS')), maxLength: 300 });
    fc.assert(
      fc.property(logish, (s) => {
        const r = parseAccessLogLine(s);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });
});

describe('bounded fuzz (the full run: npm run bench -- fuzz-parse)', () => {
  it('20,000 mutated real lines: no exception, every result accounted for', () => {
    const seeds = ['s3-access-real.log', 's3-access-edge-synthetic.log', 's3-access-real-malformed.log'].flatMap((f) =>
      readFileSync(`${samplesDir}${f}`, 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
    const rand = seededRandom(20_000);
    let events = 0;
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const bytes = mutateLine(Buffer.from(seeds[i % seeds.length]!), rand);
      const r = buildEvent({ number: i + 1, bytes }, ctx);
      if (r.ok) {
        events++;
        expect(() => JSON.stringify(r.doc.event)).not.toThrow();
      } else {
        rejected++;
        expect(REJECT_REASONS).toContain(r.rejection.reason);
      }
    }
    expect(events + rejected).toBe(20_000);
    expect(events).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  }, 120_000);
});
