import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEvent } from '../../../src/event/build.js';
import { emailOf, principalOf } from '../../../src/event/principal.js';
import { presignedOf, queryParams, versionIdOf } from '../../../src/event/request-params.js';
import { renderLine } from '../../fixtures/render.js';

/**
 * The schema v2 derivations (principal, actor.email, aws.s3.presigned, aws.s3.object.version_id)
 * under random input: they never throw, never turn an accepted line into a rejection, and leave a
 * field absent rather than write a value of the wrong shape. Every boolean is written.
 */

const pick = (alphabet: string, max: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...Array.from(alphabet)), maxLength: max });
const ARNISH = 'arn:aws-usgovcnsti:/ABCZ0129@.+=,_-%"\'*';
const requester = fc.oneof(
  pick(ARNISH, 80).filter((s) => s !== ''),
  fc
    .tuple(
      fc.constantFrom('arn:aws:sts::', 'arn:aws:iam::', 'arn:aws-cn:sts::', 'arn::sts::'),
      pick('0123456789x', 14),
      fc.constantFrom(':assumed-role/', ':user/', ':root', ':federated-user/', ':role/', ':'),
      pick('abcAZ09@._-/+=,', 30),
      fc.constantFrom('', '/', '/x@example.org', '/a/b'),
    )
    .map((p) => p.join('')),
  fc.constantFrom(
    'AmazonS3',
    'svc:delivery.logs.amazonaws.com',
    'arn:aws:iam::cloudfront:user/CloudFront',
    '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
  ),
);
const amzValue = pick('0123456789TZAKISabz%2F/-+=.:&?#', 30);
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        'X-Amz-Credential',
        'x-amz-date',
        'X-Amz-Expires',
        'X-Amz-Signature',
        'X-Amz-Security-Token',
        'AWSAccessKeyId',
        'Expires',
        'Signature',
        'versionId',
        'VersionId',
        'x',
      ),
      fc.oneof(
        amzValue,
        fc.constantFrom(
          'ASIA4EXAMPLE7Q2BZ6KD%2F20240514%2Fus-east-1%2Fs3%2Faws4_request',
          '20240514T093000Z',
          '900',
          '604801',
          '1364127776',
          'null',
          '%E2%98',
          '%',
          '',
        ),
      ),
    ),
    { maxLength: 6 },
  )
  .map((ps) => ps.map(([k, v]) => `${k}=${v}`).join('&'));

describe('schema v2 derivations under random input', () => {
  it('principalOf, emailOf, presignedOf, versionIdOf never throw and give only well-shaped values', () => {
    fc.assert(
      fc.property(requester, query, (req, q) => {
        const p = principalOf(req);
        if (p.account_id !== undefined) expect(p.account_id).toMatch(/^\d{12}$/);
        if (p.role_name !== undefined) expect(p.role_name).not.toContain('/');
        if (p.session_name !== undefined) expect(p.session_name).not.toContain('/');
        const email = emailOf(p.session_name);
        if (email !== undefined) expect(email).toContain('@');
        const params = queryParams(`/k?${q}`);
        const pre = presignedOf(params);
        if (pre?.access_key_id !== undefined) expect(pre.access_key_id).toMatch(/^[A-Z0-9]{16,128}$/);
        for (const t of [pre?.signed_at, pre?.expires_at]) if (t !== undefined) expect(new Date(t).toISOString()).toBe(t);
        if (pre?.expires_in_secs !== undefined) expect(Number.isInteger(pre.expires_in_secs)).toBe(true);
        const v = versionIdOf(params);
        if (v !== undefined) expect(v).toMatch(/^\S+$/);
      }),
      { numRuns: 3000 },
    );
  });

  it('random requesters and request URIs never reject a line; every boolean is written', () => {
    fc.assert(
      fc.property(
        requester,
        query,
        fc.constantFrom('REST.GET.OBJECT', 'REST.DELETE.OBJECT', 'REST.PUT.OBJECT'),
        fc.constantFrom('QueryString', 'AuthHeader', undefined),
        (req, q, op, auth) => {
          const line = renderLine(
            {
              bucket_owner: 'o',
              bucket: 'recordings',
              remote_ip: '192.0.2.1',
              requester: req,
              request_id: 'R',
              operation: op,
              key: 'a.opus',
              request_uri: `${op === 'REST.DELETE.OBJECT' ? 'DELETE' : 'GET'} /a.opus?${q} HTTP/1.1`,
              http_status: 200,
              host_id: 'h',
              signature_version: 'SigV4',
              authentication_type: auth,
            },
            '2024-05-14T10:00:00.000Z',
            { fieldCount: 24 },
          );
          const r = buildEvent({ number: 1, bytes: Buffer.from(line) }, { logBucket: 'logs', filePath: 'f' });
          if (!r.ok) throw new Error(`rejected ${r.rejection.reason}: ${r.rejection.detail} | ${line}`);
          const e = r.doc.event;
          expect(typeof e.event.redacted).toBe('boolean');
          expect(typeof e.event.invalid_utf8).toBe('boolean');
          expect(e.event.self).toBe(false);
          expect(typeof e.aws.s3.object.key_decode_failed).toBe('boolean');
          expect(['anonymous', 'service', 'unknown']).toContain(e.actor?.kind);
          if (auth !== 'QueryString') expect(e.aws.s3.presigned).toBeUndefined();
          if (op !== 'REST.DELETE.OBJECT') expect(e.aws.s3.object.version_id).toBeUndefined();
          // Signature and token values never reach the document.
          const doc = JSON.stringify(e);
          expect(doc).not.toMatch(/X-Amz-Signature=(?!\[redacted\])[^&"#\s]/);
          expect(doc).not.toMatch(/X-Amz-Security-Token=(?!\[redacted\])[^&"#\s]/);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
