import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildEvent } from '../../../src/event/build.js';
import { emailOf, principalOf } from '../../../src/event/principal.js';

const samplesDir = fileURLToPath(new URL('../../fixtures/samples/', import.meta.url));

describe('principalOf: every requester shape in the samples, and malformed ones', () => {
  it.each([
    // The samples' shapes (test/fixtures/samples, ../shared/samples).
    [undefined, { type: 'Anonymous' }],
    ['-', { type: 'Anonymous' }],
    ['79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be', { type: 'AWSAccount' }],
    ['783971922194806485875312b252374a3644f1feecd16802a50d4729885c1d11e1fd3719b5ea8c86c6e9fbf2f1cdc52b', { type: 'AWSAccount' }],
    ['arn:aws:iam::152813717728:user/stevel-dev', { type: 'IAMUser', account_id: '152813717728' }],
    ['arn:aws:iam::123456789012:user/division/alice', { type: 'IAMUser', account_id: '123456789012' }],
    [
      'arn:aws:sts::152813717728:assumed-role/stevel-assumed-role/test',
      { type: 'AssumedRole', account_id: '152813717728', role_name: 'stevel-assumed-role', session_name: 'test' },
    ],
    [
      'arn:aws:sts::783971887864:assumed-role/sra-developer-instance-profile-role/i-0d76b79326eb0165a',
      { type: 'AssumedRole', account_id: '783971887864', role_name: 'sra-developer-instance-profile-role', session_name: 'i-0d76b79326eb0165a' },
    ],
    [
      'arn:aws:sts::123456789012:assumed-role/qa-playback/agent.sofia.moreno@example-health.org',
      { type: 'AssumedRole', account_id: '123456789012', role_name: 'qa-playback', session_name: 'agent.sofia.moreno@example-health.org' },
    ],
    ['arn:aws-us-gov:sts::123456789012:federated-user/bob', { type: 'FederatedUser', account_id: '123456789012', session_name: 'bob' }],
    ['arn:aws:iam::123456789012:root', { type: 'Root', account_id: '123456789012' }],
    ['arn:aws:iam::cloudfront:user/CloudFront', { type: 'AWSService' }],
    ['arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID', { type: 'AWSService' }],
    ['AmazonS3', { type: 'AWSService' }],
    ['svc:delivery.logs.amazonaws.com', { type: 'AWSService' }],
    ['delivery.logs.amazonaws.com', { type: 'AWSService' }],
    ['123456789012', { type: 'AWSAccount', account_id: '123456789012' }],
    // Malformed: whatever parses is kept, the rest is absent.
    ['rn:aws:iam::783971922194806485875312b252374a3644f1feecd16802a50d4729885c1d11e1fd37', {}],
    ['arn:aws:iam::1234:user/x', {}],
    ['arn:aws:iam::123456:user/test@elastic.co', {}],
    ['arn:aws:sts::123456789012', {}],
    ['arn:aws:sts::123456789012:assumed-role/', { account_id: '123456789012' }],
    ['arn:aws:sts::123456789012:assumed-role/role', { type: 'AssumedRole', account_id: '123456789012', role_name: 'role' }],
    ['arn:aws:sts::123456789012:assumed-role/role/', { type: 'AssumedRole', account_id: '123456789012', role_name: 'role' }],
    ['arn:aws:sts::123456789012:assumed-role/role/a/b', { type: 'AssumedRole', account_id: '123456789012', role_name: 'role' }],
    ['arn:aws:sts::123456789012:assumed-role/role/sp ace', { type: 'AssumedRole', account_id: '123456789012', role_name: 'role' }],
    ['arn:aws:sts::123456789012:assumed-role/ro"le/s', { account_id: '123456789012' }],
    ['arn:aws:iam::123456789012:role/some-role', { account_id: '123456789012' }],
    ['arn:aws:sts:us-east-1:123456789012:assumed-role/r/s', {}],
    ['arn:nope:iam::123456789012:root', {}],
    ['arn:', {}],
    ['Anonymous', {}],
    ['', {}],
  ])('%s', (requester, expected) => {
    expect(principalOf(requester)).toEqual(expected);
  });

  it('a repeated requester gives an equal, independent object', () => {
    const a = principalOf('arn:aws:iam::123456789012:root');
    a.type = 'IAMUser';
    expect(principalOf('arn:aws:iam::123456789012:root')).toEqual({ type: 'Root', account_id: '123456789012' });
  });
});

describe('emailOf: session names that are email addresses', () => {
  it.each([
    ['agent.sofia.moreno@example-health.org', 'agent.sofia.moreno@example-health.org'],
    ['Jane.Doe+qa@Example.CO.uk', 'Jane.Doe+qa@Example.CO.uk'],
    ['GenesysCloud', undefined],
    ['presigner', undefined],
    ['user@localhost', undefined],
    ['@example.org', undefined],
    ['a@b@example.org', undefined],
    ['a@example.', undefined],
    ['a@.org', undefined],
    ['a=b,c@example.org', undefined],
    [undefined, undefined],
    [`${'a'.repeat(250)}@example.org`, undefined],
  ])('%s', (session, expected) => {
    expect(emailOf(session)).toBe(expected);
  });
});

describe('the principal of every sample line', () => {
  it('has a type, except the requester that is not a well-formed ARN', () => {
    const untyped = new Set<string>();
    for (const file of ['s3-access-real.log', 's3-access-edge-synthetic.log', 's3-access-real-malformed.log']) {
      for (const [i, line] of readFileSync(`${samplesDir}${file}`, 'utf8').split('\n').entries()) {
        if (line === '') continue;
        const r = buildEvent({ number: i + 1, bytes: Buffer.from(line) }, { logBucket: 'logs', filePath: file });
        if (!r.ok) continue;
        const { principal, s3access } = r.doc.event.aws;
        if (principal?.type === undefined) untyped.add(s3access.requester ?? '-');
        expect(r.doc.event.actor?.kind).toBe(principal?.type === 'Anonymous' ? 'anonymous' : principal?.type === 'AWSService' ? 'service' : 'unknown');
      }
    }
    // An IAM user ARN with a 6-digit account (Elastic's test fixture). The truncated `rn:aws:iam::…`
    // of the malformed sample is on a line the parser rejects; principalOf leaves it untyped (above).
    expect([...untyped]).toEqual(['arn:aws:iam::123456:user/test@elastic.co']);
  });
});
