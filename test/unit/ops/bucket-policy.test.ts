import { describe, expect, it } from 'vitest';
import { abortMultipartFinding, encryptionEnforcement, parsePolicy, sameKmsKey, type Statement } from '../../../src/ops/check/bucket-policy.js';
import { keyAccessFor } from '../../../src/ops/check/kms-key.js';

const BUCKET = 'rec-bucket';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1111-2222';
const UPLOADER = 'arn:aws:iam::123456789012:role/GenesysCloudRecordingRole';

function statements(...s: object[]): Statement[] {
  const parsed = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: s }));
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.statements;
}

const denyNonKms = {
  Sid: 'DenyNonKms',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:PutObject',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
  Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
};
const denyNull = {
  Sid: 'DenyNoHeader',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:PutObject',
  Resource: `arn:aws:s3:::${BUCKET}/*`,
  Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
};
const denyOtherKey = {
  Sid: 'DenyOtherKey',
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: ['s3:PutObject'],
  Resource: [`arn:aws:s3:::${BUCKET}/*`],
  Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': KEY } },
};
// The storage guide's example statement, verbatim in shape.
const guideAllow = {
  Sid: 'AllowGenesysCloudUpload',
  Effect: 'Allow',
  Principal: { AWS: UPLOADER },
  Action: ['s3:PutObject', 's3:GetObject', 's3:ListBucket', 's3:DeleteObject', 's3:AbortMultipartUpload'],
  Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
  Condition: { StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': KEY } },
};
const plainAllow = {
  Sid: 'Upload',
  Effect: 'Allow',
  Principal: { AWS: UPLOADER },
  Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
  Resource: `arn:aws:s3:::${BUCKET}/*`,
};

describe('parsePolicy', () => {
  it('reports non-JSON', () => {
    expect(parsePolicy('{nope')).toEqual({ ok: false, problem: 'the bucket policy is not JSON' });
  });
  it('accepts a single statement object and normalises account ids', () => {
    const p = parsePolicy(JSON.stringify({ Statement: { Effect: 'Allow', Principal: { AWS: '123456789012' }, Action: 's3:GetObject', Resource: '*' } }));
    expect(p.ok && p.statements[0]?.principal.ids).toEqual(['arn:aws:iam::123456789012:root']);
  });
});

describe('encryptionEnforcement', () => {
  it('finds a StringNotEquals aws:kms deny', () => {
    const e = encryptionEnforcement(statements(denyNonKms, plainAllow), BUCKET);
    expect(e.wrongAlgorithm?.sid).toBe('DenyNonKms');
  });
  it('tells a Null-only deny apart (AES256 uploads still pass)', () => {
    const e = encryptionEnforcement(statements(denyNull), BUCKET);
    expect(e.wrongAlgorithm).toBeUndefined();
    expect(e.missingHeader?.sid).toBe('DenyNoHeader');
  });
  it('finds the key deny only for the configured key', () => {
    expect(encryptionEnforcement(statements(denyNonKms, denyOtherKey), BUCKET, KEY).wrongKey?.sid).toBe('DenyOtherKey');
    expect(encryptionEnforcement(statements(denyNonKms, denyOtherKey), BUCKET, 'arn:aws:kms:us-east-1:123456789012:key/9999').wrongKey).toBeUndefined();
  });
  it('ignores denies that are narrowed by other conditions, principals or resources', () => {
    const narrowed = {
      ...denyNonKms,
      Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' }, StringEquals: { 'aws:PrincipalAccount': '1' } },
    };
    const onePrincipal = { ...denyNonKms, Principal: { AWS: UPLOADER } };
    const otherBucket = { ...denyNonKms, Resource: 'arn:aws:s3:::other/*' };
    const allowsAes = { ...denyNonKms, Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': ['aws:kms', 'AES256'] } } };
    for (const s of [narrowed, onePrincipal, otherBucket, allowsAes]) {
      expect(encryptionEnforcement(statements(s), BUCKET).wrongAlgorithm).toBeUndefined();
    }
  });
  it('accepts wildcard actions and NotAction-free forms', () => {
    const wild = { ...denyNonKms, Action: 's3:Put*', Resource: `arn:aws:s3:::${BUCKET}*` };
    expect(encryptionEnforcement(statements(wild), BUCKET).wrongAlgorithm).toBeDefined();
  });
  it('sees the guide-style conditional allow, which is no deny', () => {
    const e = encryptionEnforcement(statements(guideAllow), BUCKET, KEY);
    expect(e.wrongAlgorithm).toBeUndefined();
    expect(e.conditionalAllows.map((s) => s.sid)).toEqual(['AllowGenesysCloudUpload']);
  });
});

describe('abortMultipartFinding', () => {
  it('passes an uploader allowed both', () => {
    const f = abortMultipartFinding(statements(plainAllow), BUCKET);
    expect(f.uploaders).toEqual([UPLOADER]);
    expect(f.missing).toEqual([]);
  });
  it('finds an uploader without AbortMultipartUpload', () => {
    const f = abortMultipartFinding(statements({ ...plainAllow, Action: ['s3:PutObject', 's3:GetObject'] }), BUCKET);
    expect(f.missing).toEqual([{ principal: UPLOADER, reason: 'no statement allows it s3:AbortMultipartUpload' }]);
  });
  it('sees that the guide statement grants abort only under a condition an abort never meets', () => {
    const f = abortMultipartFinding(statements(guideAllow), BUCKET);
    expect(f.missing[0]?.principal).toBe(UPLOADER);
    expect(f.missing[0]?.reason).toContain('never carries');
  });
  it('accepts abort granted in a separate statement, to the account root form too', () => {
    const f = abortMultipartFinding(
      statements(
        { Effect: 'Allow', Principal: { AWS: '123456789012' }, Action: 's3:PutObject', Resource: `arn:aws:s3:::${BUCKET}/*` },
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 's3:AbortMultipartUpload', Resource: `arn:aws:s3:::${BUCKET}/*` },
      ),
      BUCKET,
    );
    expect(f.missing).toEqual([]);
  });
  it('flags public write', () => {
    expect(
      abortMultipartFinding(statements({ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: `arn:aws:s3:::${BUCKET}/*` }), BUCKET).publicWrite,
    ).toBe(true);
  });
  it('honours NotAction', () => {
    const f = abortMultipartFinding(
      statements({ Effect: 'Allow', Principal: { AWS: UPLOADER }, NotAction: 's3:AbortMultipartUpload', Resource: `arn:aws:s3:::${BUCKET}/*` }),
      BUCKET,
    );
    expect(f.missing.length).toBe(1);
  });
});

describe('sameKmsKey', () => {
  it('matches an ARN and its key id', () => {
    expect(sameKmsKey(KEY, '1111-2222')).toBe(true);
    expect(sameKmsKey(KEY, 'arn:aws:kms:us-east-1:123456789012:key/3333')).toBe(false);
  });
});

describe('keyAccessFor', () => {
  const keyPolicy = (...s: object[]): Statement[] => statements(...s);
  const root = { Sid: 'EnableIamPolicies', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' };
  const named = {
    Sid: 'AllowGenesysCloudToUseKey',
    Effect: 'Allow',
    Principal: { AWS: UPLOADER },
    Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:Encrypt'],
    Resource: '*',
  };
  it('is direct when the uploader is named, delegated with only the root grant, missing otherwise', () => {
    expect(keyAccessFor(keyPolicy(root, named), UPLOADER)).toEqual({ kind: 'direct' });
    expect(keyAccessFor(keyPolicy(root), UPLOADER)).toEqual({ kind: 'delegated', root: 'arn:aws:iam::123456789012:root' });
    expect(keyAccessFor(keyPolicy({ ...named, Action: ['kms:Encrypt'] }), UPLOADER)).toEqual({
      kind: 'missing',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    });
  });
  it('counts GenerateDataKey* wildcards', () => {
    expect(keyAccessFor(keyPolicy({ ...named, Action: ['kms:GenerateDataKey*', 'kms:Decrypt'] }), UPLOADER)).toEqual({ kind: 'direct' });
  });
});
