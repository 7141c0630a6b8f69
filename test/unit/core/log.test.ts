import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';

function capture(): { logger: ReturnType<typeof createLogger>; text: () => string; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = createLogger(
    'trace',
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    }),
  );
  return {
    logger,
    text: () => lines.join(''),
    records: () =>
      lines
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const SIG = 'a3f9c2e18b7d46f0a3f9c2e18b7d46f0PLANTED1';

describe('log redaction', () => {
  it('redacts credentials in every string field, nested or in arrays, not only msg and err', () => {
    const { logger, text, records } = capture();
    logger.warn(
      {
        url: `https://b.s3.amazonaws.com/k.opus?X-Amz-Signature=${SIG}`,
        request: { target: '/k?token=PLANTED2&x=1', list: ['https://x.example/cb?Signature=PLANTED3'] },
        bucket: 'recordings',
        count: 3,
      },
      'Object read failed.',
    );
    expect(text()).not.toMatch(/PLANTED/);
    const [r] = records();
    expect(r).toMatchObject({
      bucket: 'recordings',
      count: 3,
      msg: 'Object read failed.',
      url: 'https://b.s3.amazonaws.com/k.opus?X-Amz-Signature=[redacted]',
    });
    expect(r!.request).toEqual({ target: '/k?token=[redacted]&x=1', list: ['https://x.example/cb?Signature=[redacted]'] });
  });

  it('redacts the whole value of credential-named keys at any depth and in any case', () => {
    const { logger, text, records } = capture();
    logger.info({
      headers: { Authorization: 'Bearer PLANTED4', 'Content-Type': 'application/json' },
      res: { headers: { 'set-cookie': ['session=PLANTED5'], Cookie: 'sid=PLANTED6' } },
      genesys: { auth: { clientSecret: 'PLANTED7', password: 'PLANTED8' } },
      config: { GENESYS_CLIENT_SECRET: 'PLANTED9', 'x-amz-security-token': 'PLANTED10' },
    });
    expect(text()).not.toMatch(/PLANTED/);
    const [r] = records();
    expect(r!.headers).toEqual({ Authorization: '[redacted]', 'Content-Type': 'application/json' });
    expect((r!.genesys as { auth: unknown }).auth).toEqual({ clientSecret: '[redacted]', password: '[redacted]' });
  });

  it('redacts the fields of a logged error and of child-logger bindings', () => {
    const { logger, text, records } = capture();
    const err = Object.assign(new Error(`GET https://b.s3.amazonaws.com/k?X-Amz-Signature=${SIG} failed`), {
      request: { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIAPLANTED11/x, Signature=PLANTED12' } },
    });
    logger.error({ err }, 'Read failed.');
    logger.child({ source: `https://x/?X-Amz-Security-Token=PLANTED13` }).info('Child.');
    expect(text()).not.toMatch(/PLANTED/);
    const [e] = records();
    expect((e!.err as { message: string }).message).toBe('GET https://b.s3.amazonaws.com/k?X-Amz-Signature=[redacted] failed');
  });
});
