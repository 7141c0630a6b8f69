import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_PARAMS, REDACTED, redactCredentials, redactRequestUri, redactSecretsInText } from '../../../src/core/redact-text.js';
import { buildEvent } from '../../../src/event/build.js';
import type { AccessEvent } from '../../../src/event/types.js';
import { renderLine } from '../../fixtures/render.js';

const R = REDACTED;

/** A built GET of a.opus with the given Request-URI and Referer; fails the test if it does not build. */
function builtGet(requestUri: string, referrer: string | undefined): AccessEvent {
  const line = renderLine(
    {
      bucket_owner: 'owner',
      bucket: 'recordings',
      remote_ip: '192.0.2.1',
      requester: 'arn:aws:sts::123456789012:assumed-role/qa/app',
      request_id: 'REQ',
      operation: 'REST.GET.OBJECT',
      key: 'a.opus',
      request_uri: requestUri,
      http_status: 200,
      referrer,
      user_agent: 'Mozilla/5.0',
      host_id: 'h',
      signature_version: 'SigV4',
      authentication_type: 'QueryString',
      tls_version: 'TLSv1.2',
    },
    '2024-03-01T10:15:00.000Z',
    { fieldCount: 24 },
  );
  const r = buildEvent({ number: 1, bytes: Buffer.from(line) }, { logBucket: 'logs', filePath: 'f' });
  if (!r.ok) throw new Error(`line did not build: ${r.rejection.reason}`);
  return r.doc.event;
}

describe('redactCredentials', () => {
  const cases: [string, string, string][] = [
    [
      'SigV4 presigned query',
      'X-Amz-Credential=AKIAEXAMPLE%2F20240301%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20240301T101500Z&X-Amz-Signature=abcdef0123',
      `X-Amz-Credential=${R}&X-Amz-Date=20240301T101500Z&X-Amz-Signature=${R}`,
    ],
    ['session token', '/k?X-Amz-Security-Token=IQoJb3JpZ2lu%2F%2BabcXYZ%3D&X-Amz-Expires=900', `/k?X-Amz-Security-Token=${R}&X-Amz-Expires=900`],
    [
      'SigV2',
      '/k?Signature=E3ehd6nkXjNg7vr%2F4b3L%3D&Expires=1286051333&AWSAccessKeyId=AKIAI3XHXJPFSJW2UQAQ',
      `/k?Signature=${R}&Expires=1286051333&AWSAccessKeyId=${R}`,
    ],
    ['case-insensitive names', '/k?x-amz-signature=abc&X-AMZ-CREDENTIAL=def', `/k?x-amz-signature=${R}&X-AMZ-CREDENTIAL=${R}`],
    ['_ read as -', '/k?X_Amz_Signature=abc&access_token=t0k', `/k?X_Amz_Signature=${R}&access_token=${R}`],
    ['percent-encoded name', '/k?X%2DAmz%2DSignature=abc&x=1', `/k?X%2DAmz%2DSignature=${R}&x=1`],
    ['letters written as %XX', '/k?%58-Amz-%53ignature=abc', `/k?%58-Amz-%53ignature=${R}`],
    [
      'URL inside a parameter (encoded once)',
      'https://app/?u=https%3A%2F%2Fb.s3.amazonaws.com%2Fk%3FX-Amz-Signature%3Dabc123%26X-Amz-Date%3D2024',
      `https://app/?u=https%3A%2F%2Fb.s3.amazonaws.com%2Fk%3FX-Amz-Signature%3D${R}%26X-Amz-Date%3D2024`,
    ],
    [
      'URL inside a parameter (encoded twice)',
      'https://app/?u=https%253A%252F%252Fb%252Fk%253FX-Amz-Signature%253Dabc123%2526X-Amz-Date%253D1',
      `https://app/?u=https%253A%252F%252Fb%252Fk%253FX-Amz-Signature%253D${R}%2526X-Amz-Date%253D1`,
    ],
    ['an encoded & inside a plain value belongs to the value', '/login?password=a%26b%3Dc&user=x', `/login?password=${R}&user=x`],
    ['at depth 1, %2526 belongs to the value and %26 ends it', 'next=%3Ftoken%3Da%2526b%26page%3D2', `next=%3Ftoken%3D${R}%26page%3D2`],
    ['repeated parameters', '/k?Signature=a&Signature=b', `/k?Signature=${R}&Signature=${R}`],
    ['in a fragment', 'https://x/cb#access_token=abc&state=1', `https://x/cb#access_token=${R}&state=1`],
    ['after ;', '/p;jsessionid=1;token=abc', `/p;jsessionid=1;token=${R}`],
    ['query string without ?', 'Signature=abc&Expires=1', `Signature=${R}&Expires=1`],
    ['log text', 'GET https://b.s3.amazonaws.com/k?X-Amz-Signature=abc failed: 403', `GET https://b.s3.amazonaws.com/k?X-Amz-Signature=${R} failed: 403`],
    [
      'Authorization header text',
      'Authorization: AWS4-HMAC-SHA256 Credential=AKIA/20240301/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=deadbeef',
      `Authorization: AWS4-HMAC-SHA256 Credential=${R} SignedHeaders=host, Signature=${R}`,
    ],
    ['quoted value ends at the quote', 'url="https://x/?sig=abc" next', `url="https://x/?sig=${R}" next`],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => {
      expect(redactCredentials(input)).toBe(expected);
    });
  }

  it('leaves look-alike and non-credential parameters alone, and returns the same string', () => {
    for (const text of [
      '/k?X-Amz-SignedHeaders=host&X-Amz-Date=20240301T101500Z&X-Amz-Expires=900&X-Amz-Algorithm=AWS4-HMAC-SHA256',
      '/?list-type=2&continuation-token=abc&prefix=token',
      '/k?signatureVersion=4&keyMarker=x&key=photos/a.jpg',
      '/k?X-Amz-Signature=&x=1',
      'GET /5f2d/year%3D2024/month%3D3/conversation_id%3D0b2e/abc.opus HTTP/1.1',
      'no parameters at all',
    ]) {
      expect(redactCredentials(text)).toBe(text);
    }
  });

  it('redacts every listed name', () => {
    for (const name of CREDENTIAL_PARAMS) expect(redactCredentials(`/k?a=1&${name}=s3cr3t&b=2`)).toBe(`/k?a=1&${name}=${R}&b=2`);
  });

  it('redactSecretsInText is the same redactor (the logger uses it)', () => {
    expect(redactSecretsInText('x?X-Amz-Signature=abc')).toBe(`x?X-Amz-Signature=${R}`);
  });
});

describe('redaction in a URL (Request-URI, Referer)', () => {
  // S3 logs the request target raw: a quote or angle bracket there is part of a value.
  it('a quote or angle bracket inside a value does not end it', () => {
    expect(redactRequestUri(`GET /k?password=it's-a-secret&x=1 HTTP/1.1`)).toBe(`GET /k?password=${R}&x=1 HTTP/1.1`);
    expect(redactRequestUri('GET /k?token=abc"def<ghi>jkl HTTP/1.1')).toBe(`GET /k?token=${R} HTTP/1.1`);
    expect(redactCredentials(`https://app/?next=%3Fpassword%3Dit%27s%2527more%26x%3D1`, 0, true)).toBe(`https://app/?next=%3Fpassword%3D${R}%26x%3D1`);
    expect(redactCredentials(`https://app/?next=%3Fpassword%3Dit's%26x%3D1`, 0, true)).toBe(`https://app/?next=%3Fpassword%3D${R}%26x%3D1`);
  });

  it('free text still ends a value at a quote or angle bracket that delimits a URL', () => {
    expect(redactCredentials('callback <https://x/?token=abc> sent')).toBe(`callback <https://x/?token=${R}> sent`);
  });

  it('no part of such a value reaches a built event', () => {
    const event = builtGet(`GET /a.opus?password=it's"TAIL1<b>&x=1 HTTP/1.1`, `https://qa.example.org/login?token=o'TAIL2"x`);
    const doc = JSON.stringify(event);
    expect(event.event.redacted).toBe(true);
    expect(doc).not.toContain('TAIL1');
    expect(doc).not.toContain('TAIL2');
    expect(event.aws.s3access.request_uri).toBe(`GET /a.opus?password=${R}&x=1 HTTP/1.1`);
  });
});

const NAME_VARIANTS = [
  'X-Amz-Signature',
  'x-amz-credential',
  'X-Amz-Security-Token',
  'Signature',
  'AWSAccessKeyId',
  'x_amz_signature',
  'X-AMZ-S3SESSION-TOKEN',
];
const secret = fc.string({
  unit: fc.constantFrom(...Array.from('ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789+/=')),
  minLength: 12,
  maxLength: 80,
});
const plainParam = fc.tuple(
  fc.constantFrom('X-Amz-Date', 'X-Amz-Expires', 'partNumber', 'uploadId', 'response-content-type', 'x-id'),
  fc.stringMatching(/^[A-Za-z0-9._-]{0,20}$/),
);

/** Encodes a string `depth` times the way URLs in URLs are: every %, and the reserved characters. */
function encode(s: string, depth: number): string {
  let out = s;
  for (let i = 0; i < depth; i++) out = out.replace(/[%&=?/+]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return out;
}

function encodeName(name: string, mode: number): string {
  if (mode === 0) return name;
  if (mode === 1) return name.replace(/-/g, '%2D');
  return name.replace(/[A-Za-z]/, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

describe('redaction properties', () => {
  it('no credential value survives, however the URL nests and encodes it', () => {
    fc.assert(
      fc.property(
        fc.array(plainParam, { maxLength: 4 }),
        fc.array(fc.tuple(fc.constantFrom(...NAME_VARIANTS), secret, fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 2 }),
        (plain, creds, depth) => {
          // An X-Amz-Credential value that starts with an access key id and `/` keeps that part (below).
          fc.pre(!creds.some(([k, v]) => k === 'x-amz-credential' && /^[A-Z0-9]{16,128}\//.test(v)));
          const params = [...plain.map(([k, v]) => `${k}=${v}`), ...creds.map(([k, v, mode]) => `${encodeName(k, mode)}=${encodeURIComponent(v)}`)];
          const inner = `/recordings/a.opus?${params.join('&')}`;
          const text = depth === 0 ? inner : `https://qa.example.org/play?src=${encode(`https://b.s3.amazonaws.com${inner}`, depth)}&view=1`;
          const out = redactCredentials(text);
          for (const [, value] of creds) {
            for (let d = 0; d <= depth + 1; d++) {
              const form = encode(encodeURIComponent(value), d);
              if (form.length >= 8) expect(out).not.toContain(form);
            }
          }
          // Names and the other parameters stay.
          for (const [k] of plain) expect(out).toContain(k);
          if (depth > 0) expect(out).toContain('view=1');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('no credential value reaches any field of a built event', () => {
    fc.assert(
      fc.property(secret, secret, secret, fc.boolean(), (sig, akid, token, inReferrer) => {
        const query = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(akid)}%2F20240301%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Security-Token=${encodeURIComponent(token)}&X-Amz-Signature=${encodeURIComponent(sig)}`;
        const event = builtGet(
          `GET /a.opus?${query} HTTP/1.1`,
          inReferrer ? `https://qa.example.org/?u=${encodeURIComponent(`https://b.s3.amazonaws.com/a.opus?${query}`)}` : undefined,
        );
        const doc = JSON.stringify(event);
        expect(event.event.redacted).toBe(true);
        // The access key id is kept (url.query, aws.s3.presigned) when it has an access key id's shape.
        const keptAkid = /^[A-Z0-9]{16,128}$/.test(akid);
        for (const v of keptAkid ? [sig, token] : [sig, akid, token]) {
          expect(doc).not.toContain(encodeURIComponent(v));
          expect(doc).not.toContain(encodeURIComponent(encodeURIComponent(v)));
        }
        if (keptAkid) expect(event.aws.s3.presigned?.access_key_id).toBe(akid);
      }),
      { numRuns: 300 },
    );
  });
});

describe('X-Amz-Credential: the access key id is kept, the rest redacted', () => {
  it.each([
    [
      'plain',
      'X-Amz-Credential=ASIA4EXAMPLE7Q2BZ6KD%2F20240514%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc',
      `X-Amz-Credential=ASIA4EXAMPLE7Q2BZ6KD%2F${R}&X-Amz-Signature=${R}`,
    ],
    ['raw slashes', 'X-Amz-Credential=AKIAIOSFODNN7EXAMPLE/20240514/us-east-1/s3/aws4_request&a=1', `X-Amz-Credential=AKIAIOSFODNN7EXAMPLE/${R}&a=1`],
    ['name in lower case', 'x-amz-credential=AKIAIOSFODNN7EXAMPLE%2F20240514', `x-amz-credential=AKIAIOSFODNN7EXAMPLE%2F${R}`],
    [
      'encoded twice inside another URL',
      'u=https%3A%2F%2Fb%2Fk%3FX-Amz-Credential%3DAKIAIOSFODNN7EXAMPLE%252F20240514%252Fx%26v%3D1',
      `u=https%3A%2F%2Fb%2Fk%3FX-Amz-Credential%3DAKIAIOSFODNN7EXAMPLE%252F${R}%26v%3D1`,
    ],
    ['lower-case letters: not an access key id', 'X-Amz-Credential=akiaiosfodnn7example%2F20240514', `X-Amz-Credential=${R}`],
    ['no slash after it', 'X-Amz-Credential=AKIAIOSFODNN7EXAMPLE', `X-Amz-Credential=${R}`],
    ['too short', 'X-Amz-Credential=AKIA1234%2Fx', `X-Amz-Credential=${R}`],
    [
      'other credential names are redacted whole',
      'AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Credential=AKIAIOSFODNN7EXAMPLE%2Fx',
      `AWSAccessKeyId=${R}&Credential=${R}`,
    ],
  ])('%s', (_name, text, expected) => {
    expect(redactCredentials(text, 0, true)).toBe(expected);
  });
});
