import { describe, expect, it } from 'vitest';
import { scanForSecrets } from '../../integration/ops/secrets-scan.js';

const SECRET = 'gen-S3cr3t/with+odd=chars';

describe('scanForSecrets', () => {
  it('finds a secret in each form and never echoes it', () => {
    const lines = [
      `{"msg":"login","clientSecret":"${SECRET}"}`,
      `GET /oauth?client_secret=${encodeURIComponent(SECRET)} failed`,
      `{"err":"${JSON.stringify(`quote"${SECRET}`).slice(1, -1)}"}`,
      `token ${Buffer.from(SECRET).toString('base64')}`,
      `authorization: Basic ${Buffer.from(`writer:${SECRET}`).toString('base64')}`,
      '{"msg":"all good","clientSecret":"[redacted]"}',
    ];
    const found = scanForSecrets(lines, [SECRET], { basicAuthUsers: ['writer'] });
    expect(found.map((f) => [f.line, f.form])).toEqual([
      [0, 'plain'],
      [1, 'percent-encoded'],
      [2, 'plain'],
      [3, 'base64'],
      [4, 'basic-auth'],
    ]);
    for (const f of found) expect(f.excerpt).not.toContain(SECRET);
  });

  it('reports nothing for clean lines and ignores too-short needles', () => {
    expect(scanForSecrets(['{"msg":"ok"}', 'abc'], [SECRET, 'abc'])).toEqual([]);
  });
});
