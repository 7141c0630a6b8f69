import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAccessLogLine } from '../../../src/decode/s3-access-log.js';
import type { S3AccessFields } from '../../../src/decode/s3-access-log.js';
import { SAMPLE_EXPECTATIONS, SAMPLE_FILES, type SampleExpectation } from '../../fixtures/sample-expectations.js';
import { ORDER } from '../../fixtures/corpus.js';

/**
 * Issue 13, item 9: 2019-era records whose Host Id S3 wrote as two tokens. Their tail after the
 * User-Agent has one token more than the layout has fields, and that must be resolved in the tail:
 * the Referer and User-Agent are what their quotes say, whatever the tail looks like. The table
 * starts from every sample line with such a Host Id and varies what could move a boundary: `-` as
 * either Host Id token, an empty Referer, quotes in the User-Agent, and every era of the layout.
 */

const samplesDir = fileURLToPath(new URL('../../fixtures/samples/', import.meta.url));
const fileLines = (file: string): string[] =>
  readFileSync(`${samplesDir}${file}`, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
const plain = (f: S3AccessFields): unknown => JSON.parse(JSON.stringify(f));
const MIN_FIELDS = 17;

/** A sample line cut where the variations go: before the Referer, the Version Id, the Host Id's two tokens, the rest. */
interface Source {
  readonly name: string;
  readonly head: string;
  readonly timestamp: string;
  readonly fields: S3AccessFields;
  readonly versionId: string;
  readonly hostTokens: readonly [string, string];
  /** Signature Version to TLS version as written (a 24-field record). */
  readonly rest: readonly string[];
}

/** Tokens after the line's last quote: the fields after a quoted User-Agent, as written. */
const tokensAfterUserAgent = (text: string): string[] => {
  const lastQ = text.lastIndexOf('"');
  return lastQ + 1 >= text.length ? [] : text.slice(lastQ + 2).split(' ');
};

function cut(exp: SampleExpectation, text: string): Source {
  const f = exp.fields!;
  const lastQ = text.lastIndexOf('"');
  const ua = f.user_agent!;
  const uaOpen = lastQ - ua.length - 1;
  expect(text.slice(uaOpen, lastQ + 1)).toBe(`"${ua}"`);
  const writtenReferrer = f.referrer === undefined ? (text.slice(uaOpen - 4, uaOpen - 1) === '"-"' ? '"-"' : '-') : `"${f.referrer}"`;
  const head = text.slice(0, uaOpen - 1 - writtenReferrer.length - 1);
  const tail = tokensAfterUserAgent(text);
  expect(`${head} ${writtenReferrer} "${ua}" ${tail.join(' ')}`).toBe(text);
  expect(tail.slice(1, 3).join(' ')).toBe(f.host_id);
  expect(tail.length - 3).toBe(5);
  return {
    name: `${exp.file}:${exp.line}`,
    head,
    timestamp: exp.timestamp!,
    fields: f,
    versionId: tail[0]!,
    hostTokens: [tail[1]!, tail[2]!],
    rest: tail.slice(3),
  };
}

// "grep" both ways: the hand-written expectations say which Host Ids have a space, and the raw
// lines say which have one token more after the User-Agent than their field count.
const withSpace = SAMPLE_EXPECTATIONS.filter((e) => e.fields?.host_id?.includes(' ') === true);
const oneTokenMore = SAMPLE_EXPECTATIONS.filter((e) => {
  if (e.fields?.user_agent === undefined || e.fields.field_count === undefined) return false;
  return tokensAfterUserAgent(fileLines(e.file)[e.line - 1]!).length === e.fields.field_count - MIN_FIELDS + 1;
});
const SOURCES = withSpace.map((e) => cut(e, fileLines(e.file)[e.line - 1]!));

describe('the sample lines with a two-token Host Id', () => {
  it('are found the same way in the expectations and in the raw text', () => {
    expect(SAMPLE_FILES.length).toBeGreaterThan(0);
    expect(withSpace.map((e) => `${e.file}:${e.line}`)).toEqual(oneTokenMore.map((e) => `${e.file}:${e.line}`));
    expect(SOURCES.length).toBeGreaterThanOrEqual(1);
  });
});

/** [as written, value]: value undefined means absent. */
type Quoted = readonly [string, string | undefined];
const REFERRERS: readonly Quoted[] = [
  ['"-"', undefined],
  ['""', ''],
  ['-', undefined],
  ['"https://www.ncbi.nlm.nih.gov/sra/?term=SRR9612637"', 'https://www.ncbi.nlm.nih.gov/sra/?term=SRR9612637'],
];
const userAgents = (src: Source): readonly Quoted[] => [
  [`"${src.fields.user_agent!}"`, src.fields.user_agent],
  ['"-"', undefined],
  ['""', ''],
  ['-', undefined],
  // Quotes S3 does not escape: a User-Agent ending in one, one with quoted words, one like a pair.
  ['"Mozilla/5.0 (iPhone) Safari/604.1""', 'Mozilla/5.0 (iPhone) Safari/604.1"'],
  ['"curl/7.61.1 "quoted" x"', 'curl/7.61.1 "quoted" x'],
  ['"x" "y"', 'x" "y'],
];

/** Host Ids: as written, `-` as either token or both, and one-token controls. */
const hostIds = (src: Source): readonly (readonly string[])[] => [
  src.hostTokens,
  ['-', src.hostTokens[1]],
  [src.hostTokens[0], '-'],
  ['-', '-'],
  [src.hostTokens[1]],
  ['-'],
];

/** Fields 18..27 and one unknown field, with the 2019 record's own values up to TLS version. */
const laterFields = (src: Source, anonymousHttp: boolean): string[] => {
  const [sig, cipher, auth, host, tls] = anonymousHttp ? ['-', '-', '-', src.rest[3]!, '-'] : src.rest;
  return [sig!, cipher!, auth!, host!, tls!, 'arn:aws:s3:us-east-1:783971887864:accesspoint/sra-ap', 'Yes', 'us-east-1', 'ExtraUnknownField'];
};
/** Fields 18..25 by name, after the Host Id. */
const TAIL_NAMES = ORDER.slice(ORDER.indexOf('host_id') + 1);
const ERAS = [17, 18, 23, 24, 25, 26, 27, 28] as const;

interface Case {
  readonly name: string;
  readonly line: string;
  readonly timestamp: string;
  readonly want: S3AccessFields;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const src of SOURCES) {
    // The record's own fields before the Referer; the rest is set per case below.
    const dropped = new Set<string>(['referrer', 'user_agent', 'version_id', 'host_id', ...TAIL_NAMES, 'unknown_fields', 'field_count']);
    const base = Object.fromEntries(Object.entries(src.fields).filter(([k]) => !dropped.has(k))) as S3AccessFields;
    for (const era of ERAS) {
      for (const anonymousHttp of era >= 23 ? [false, true] : [false]) {
        const later = laterFields(src, anonymousHttp);
        for (const host of era >= 19 ? hostIds(src) : [[]]) {
          for (const [refText, referrer] of REFERRERS) {
            for (const [uaText, userAgent] of userAgents(src)) {
              // Without fields after it, a quote and a space inside a User-Agent are refused as
              // ambiguous (a future quoted field would look the same); tested below.
              if (era <= 18 && userAgent?.includes('" ') === true) continue;
              const tail: string[] = [];
              const want: S3AccessFields = { ...base, referrer, user_agent: userAgent, field_count: era };
              if (era >= 18) {
                tail.push(src.versionId);
                if (src.versionId !== '-') want.version_id = src.versionId;
              }
              if (era >= 19) {
                tail.push(...host);
                const hostId = host.join(' ');
                if (hostId !== '-') want.host_id = hostId;
              }
              for (let i = 0; i < era - 19; i++) {
                const v = later[i]!;
                tail.push(v);
                if (i >= TAIL_NAMES.length) want.unknown_fields = [v];
                else if (v !== '-') (want as Record<string, unknown>)[TAIL_NAMES[i]!] = v;
              }
              const line = [src.head, refText, uaText, ...tail].join(' ');
              const name = `${src.name} ${era} fields${anonymousHttp ? ' (anonymous HTTP)' : ''}, Host Id [${host.join('|')}], Referer ${refText}, User-Agent ${uaText}`;
              out.push({ name, line, timestamp: src.timestamp, want });
            }
          }
        }
      }
    }
  }
  return out;
}

describe('two-token Host Ids: Referer and User-Agent as written, later fields in place', () => {
  for (const c of cases()) {
    it(c.name, () => {
      const r = parseAccessLogLine(c.line);
      if (!r.ok) throw new Error(`rejected ${r.reason}: ${r.detail}\n${c.line}`);
      expect(r.timestamp).toBe(c.timestamp);
      expect(plain(r.fields)).toEqual(plain(c.want));
    });
  }
});

describe('two-token Host Ids: the decisions where the text alone cannot tell', () => {
  const src = SOURCES[0]!;
  const tail24 = (host: string): string => `- ${host} ${src.rest.join(' ')}`;

  it('a User-Agent with a quote and a space and no field after it is refused, not split elsewhere', () => {
    for (const ua of ['"x" "y"', '"curl/7.61.1 "quoted" x"']) {
      expect(parseAccessLogLine(`${src.head} "-" ${ua}`)).toMatchObject({ ok: false, reason: 'bad_quoting' });
      expect(parseAccessLogLine(`${src.head} "-" ${ua} -`)).toMatchObject({ ok: false, reason: 'bad_quoting' });
    }
  });

  it('a tail that fits the layout with a one-token Host Id is read that way', () => {
    // `- A - - - h -` reads as Host Id A, Host Header h and 24 fields, or as Host Id `A -`,
    // Authentication Type h and 23 fields: the layout wins.
    const f = parseAccessLogLine(`${src.head} "-" "curl/7.61.1" - AIDAEXAMPLE - - - h -`);
    expect(f).toMatchObject({ ok: true, fields: { host_id: 'AIDAEXAMPLE', authentication_type: undefined, host_header: 'h', field_count: 24 } });
  });

  it('a tail that fits neither reading is refused; the Referer never takes the User-Agent to make it fit', () => {
    // Three Host Id tokens: reading the User-Agent's closing quote as the Referer's, and the first
    // `-` as a bare User-Agent, would leave a tail that fits with a two-token Host Id.
    for (const ref of ['"-"', '""', '"https://example.com/"']) {
      const r = parseAccessLogLine(`${src.head} ${ref} "curl/7.61.1" - AIDAEXAMPLE HOSTb64= EXTRA ${src.rest.join(' ')}`);
      expect(r).toMatchObject({ ok: false, reason: 'bad_field' });
    }
  });

  it('a second reading of the tail needs a Host Id of two base64 tokens and a cipher suite where one goes', () => {
    // A real record whose Referer and User-Agent lost the space between them (bytes corrupted in
    // the log object): read with a bare `-` User-Agent, its tail is one token short, and only a
    // Host Id of `- -` and the Host Header as the cipher suite would make it fit.
    const glued = `${src.head} "http://www.forshaw.tech/blog/"_"Mozilla/5.0 Firefox/103.0" - LGH74mdQgyY07NqnWC0ugVllKEtm= - - - www.forshaw.tech - -`;
    expect(parseAccessLogLine(glued)).toMatchObject({ ok: false, reason: 'bad_field' });
    // A Host Header word is no Host Id token.
    expect(parseAccessLogLine(`${src.head} "-" "curl/7.61.1" - - www.forshaw.tech - - - h -`)).toMatchObject({ ok: false, reason: 'bad_field' });
  });

  it('a quoted Referer and User-Agent are split at their quotes even where a bare - User-Agent would also fit', () => {
    // `"r" "u" - - H SigV4 ...` is a Referer r, a User-Agent u and Host Id `- H`, or a Referer
    // `r" "u` and a bare User-Agent: the same characters. S3 writes a bare `-` User-Agent only with a
    // bare `-` Referer (records of no HTTP request), so the quotes decide.
    const f = parseAccessLogLine(`${src.head} "http://a/?q=" "b" ${tail24('- HOSTb64=')}`);
    expect(f).toMatchObject({
      ok: true,
      fields: { referrer: 'http://a/?q=', user_agent: 'b', host_id: '- HOSTb64=', signature_version: 'SigV4', field_count: 24 },
    });
  });
});
