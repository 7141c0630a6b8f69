import { describe, expect, it } from 'vitest';
import { parsePolicy, type Statement } from '../../../src/ops/check/bucket-policy.js';
import {
  logBucketDenyStatements,
  logDeliveryOnlyDeny,
  logDeliverySourceBinding,
  otherWriters,
  readersOnlyDeny,
  tlsOnlyDeny,
} from '../../../src/ops/check/guard-policy.js';

const LOGS = 'acme-logs';
const Q = 'acme-quarantine';

function statements(...s: object[]): Statement[] {
  const parsed = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: s }));
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.statements;
}

const allowDelivery = {
  Sid: 'Delivery',
  Effect: 'Allow',
  Principal: { Service: 'logging.s3.amazonaws.com' },
  Action: 's3:PutObject',
  Resource: `arn:aws:s3:::${LOGS}/*`,
};

describe('log bucket writers (issue 20)', () => {
  it('accepts the Deny check proposes, NotPrincipal, and a SourceArn Deny naming buckets', () => {
    expect(logDeliveryOnlyDeny(statements(allowDelivery, ...logBucketDenyStatements(LOGS, ['rec'])), LOGS)?.sid).toBe('DenyWritesButS3LogDelivery');
    expect(
      logDeliveryOnlyDeny(
        statements({ Sid: 'N', Effect: 'Deny', NotPrincipal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:*', Resource: `arn:aws:s3:::${LOGS}/*` }),
        LOGS,
      )?.sid,
    ).toBe('N');
    expect(
      logDeliveryOnlyDeny(
        statements({
          Sid: 'A',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: '*',
          Condition: { ArnNotLike: { 'aws:SourceArn': 'arn:aws:s3:::rec' } },
        }),
        LOGS,
      )?.sid,
    ).toBe('A');
  });

  it('refuses no policy, an Allow alone, a Deny narrowed by a second condition, one exempting another service or any source', () => {
    expect(logDeliveryOnlyDeny([], LOGS)).toBeUndefined();
    expect(logDeliveryOnlyDeny(statements(allowDelivery), LOGS)).toBeUndefined();
    const narrowed = {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${LOGS}/*`,
      Condition: { StringNotEquals: { 'aws:PrincipalServiceName': 'logging.s3.amazonaws.com' }, Bool: { 'aws:SecureTransport': 'false' } },
    };
    expect(logDeliveryOnlyDeny(statements(narrowed), LOGS)).toBeUndefined();
    const other = {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${LOGS}/*`,
      Condition: { StringNotEquals: { 'aws:PrincipalServiceName': ['logging.s3.amazonaws.com', 'lambda.amazonaws.com'] } },
    };
    expect(logDeliveryOnlyDeny(statements(other), LOGS)).toBeUndefined();
    const anySource = {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${LOGS}/*`,
      Condition: { ArnNotLike: { 'aws:SourceArn': 'arn:aws:s3:::*' } },
    };
    expect(logDeliveryOnlyDeny(statements(anySource), LOGS)).toBeUndefined();
    const otherBucket = {
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: 'arn:aws:s3:::elsewhere/*',
      Condition: { StringNotEquals: { 'aws:PrincipalServiceName': 'logging.s3.amazonaws.com' } },
    };
    expect(logDeliveryOnlyDeny(statements(otherBucket), LOGS)).toBeUndefined();
    expect(
      otherWriters(
        statements(allowDelivery, {
          Sid: 'Ops',
          Effect: 'Allow',
          Principal: { AWS: '123456789012' },
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${LOGS}/*`,
        }),
        LOGS,
      ).map((s) => s.sid),
    ).toEqual(['Ops']);
  });
});

describe('quarantine bucket policy (issue 20)', () => {
  const tls = {
    Sid: 'Tls',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [`arn:aws:s3:::${Q}`, `arn:aws:s3:::${Q}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
  const readers = {
    Sid: 'Readers',
    Effect: 'Deny',
    Principal: '*',
    Action: ['s3:GetObject', 's3:GetObjectVersion'],
    Resource: `arn:aws:s3:::${Q}/*`,
    Condition: { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/incident' } },
  };

  it('finds a TLS-only Deny covering reads and writes, and only that', () => {
    expect(tlsOnlyDeny(statements(tls), Q)?.sid).toBe('Tls');
    expect(tlsOnlyDeny(statements({ ...tls, Action: 's3:GetObject' }), Q)).toBeUndefined();
    expect(tlsOnlyDeny(statements({ ...tls, Condition: { Bool: { 'aws:SecureTransport': 'true' } } }), Q)).toBeUndefined();
  });

  it('finds a Deny of reads for all but named principals', () => {
    expect(readersOnlyDeny(statements(readers), Q)?.readers).toEqual(['arn:aws:iam::123456789012:role/incident']);
    expect(readersOnlyDeny(statements({ ...readers, Condition: { ArnNotLike: { 'aws:PrincipalArn': '*' } } }), Q)).toBeUndefined();
    expect(readersOnlyDeny(statements(tls), Q)).toBeUndefined();
  });
});

describe('log delivery bound to this account (confused deputy)', () => {
  const deny = logBucketDenyStatements(LOGS, []);
  it('binds by a source condition on every Allow to the logging service, or by a blanket Deny', () => {
    expect(logDeliverySourceBinding(statements(allowDelivery, ...deny), LOGS)).toBeUndefined();
    const bound = { ...allowDelivery, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } };
    expect(logDeliverySourceBinding(statements(bound, ...deny), LOGS)?.sid).toBe('Delivery');
    expect(logDeliverySourceBinding(statements(bound, { ...allowDelivery, Sid: 'Open' }, ...deny), LOGS)).toBeUndefined();
    expect(
      logDeliverySourceBinding(
        statements(allowDelivery, {
          Sid: 'OtherAccounts',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${LOGS}/*`,
          Condition: { StringNotEquals: { 'aws:SourceAccount': '123456789012' } },
        }),
        LOGS,
      )?.sid,
    ).toBe('OtherAccounts');
    expect(logDeliverySourceBinding(statements({ ...allowDelivery, Condition: { ArnLike: { 'aws:SourceArn': '*' } } }), LOGS)).toBeUndefined();
  });
});
