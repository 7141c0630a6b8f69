// The storage stack's policies, resolved offline from config/cloudformation/recording-storage.yaml,
// read by the same policy analysis `check` applies to a deployed bucket: a template edit that would
// make `check` fail shows up here, without moto.
import type { ReplicationRule } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { abortMultipartFinding, encryptionEnforcement, parsePolicy, type Statement } from '../../../src/ops/check/bucket-policy.js';
import { logDeliveryOnlyDeny, otherWriters, tlsOnlyDeny } from '../../../src/ops/check/guard-policy.js';
import { keyAccessFor } from '../../../src/ops/check/kms-key.js';
import { describeLock, lockMeets, wholeBucketRules } from '../../../src/ops/check/log-immutability.js';
import { Resolver, readStorageTemplate, readTemplate } from '../../../src/sim/storage/deploy.js';

const ACCOUNT = '123456789012';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const UPLOADER = `arn:aws:iam::${ACCOUNT}:role/storage-GenesysUploadRole-ABC`;
const REPLICATOR = `arn:aws:iam::${ACCOUNT}:role/storage-LogReplicationRole-DEF`;
const names = new Map<string, string>([
  ['AWS::Partition', 'aws'],
  ['AWS::Region', 'us-east-1'],
  ['AWS::AccountId', ACCOUNT],
  ['AWS::StackName', 'storage'],
  ['RecordingsBucketName', 'acme-recordings'],
  ['LogBucketName', 'acme-access-logs'],
  ['LogArchiveBucketName', 'acme-access-log-archive'],
  ['WorkerStackName', 'recording-audit'],
  ['import:recording-audit-QueueArn', `arn:aws:sqs:us-east-1:${ACCOUNT}:recording-audit-log-objects`],
  ['LogObjectQueueArn', ''],
  ['RecordingRetentionDays', '2557'],
  ['LogRetentionDays', '2192'],
  ['GenesysAccountId', '111122223333'],
  ['GenesysExternalId', 'org-id'],
  ['KeyAdminArn', ''],
  ['SidecarReaderRoleArn', ''],
  ['RecordingsKey.Arn', KEY],
  ['GenesysUploadRole.Arn', UPLOADER],
  ['LogReplicationRole.Arn', REPLICATOR],
  ['RecordingsBucket', 'acme-recordings'],
  ['LogBucket', 'acme-access-logs'],
  ['LogArchiveBucket', 'acme-access-log-archive'],
]);
const template = readStorageTemplate();
const resolver = new Resolver(names, template.conditions);
const props = (id: string): Record<string, unknown> => resolver.object(template.resources[id]?.Properties);

function policyOf(id: string): Statement[] {
  const parsed = parsePolicy(JSON.stringify(props(id).PolicyDocument));
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.statements;
}

describe('config/cloudformation/recording-storage.yaml, read as check reads a deployment', () => {
  it('recordings bucket: TLS only, non-KMS and other-key uploads refused, the uploader may abort', () => {
    const s = policyOf('RecordingsBucketPolicy');
    expect(tlsOnlyDeny(s, 'acme-recordings')?.sid).toBe('DenyWithoutTls');
    const e = encryptionEnforcement(s, 'acme-recordings', KEY);
    expect(e.wrongAlgorithm?.sid).toBe('DenyNonKmsUploads');
    expect(e.wrongKey?.sid).toBe('DenyOtherKmsKeys');
    expect(abortMultipartFinding(s, 'acme-recordings')).toEqual({ uploaders: [UPLOADER], missing: [], publicWrite: false });
  });

  it("the key policy names the uploader directly with the guide's four actions, and nobody else may use the key", () => {
    const key = parsePolicy(JSON.stringify(props('RecordingsKey').KeyPolicy));
    if (!key.ok) throw new Error(key.problem);
    expect(keyAccessFor(key.statements, UPLOADER)).toEqual({ kind: 'direct' });
    const use = key.statements.find((s) => s.sid === 'AllowGenesysCloudToUseKey');
    expect(use?.action.patterns).toEqual(['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:Encrypt']);
    const admin = key.statements.find((s) => s.sid === 'KeyAdministration');
    expect(admin?.principal.ids).toEqual([`arn:aws:iam::${ACCOUNT}:root`]);
    expect(admin?.action.patterns.filter((a) => /Decrypt|Encrypt|GenerateDataKey|DisableKeyRotation/.test(a))).toEqual([]);
    expect(key.statements.map((s) => s.sid)).toEqual(['KeyAdministration', 'AllowGenesysCloudToUseKey']);
    expect(props('RecordingsKey').EnableKeyRotation).toBe(true);
  });

  it('log bucket: S3 log delivery only (for the recordings bucket of this account), TLS only', () => {
    const s = policyOf('LogBucketPolicy');
    expect(logDeliveryOnlyDeny(s, 'acme-access-logs')?.sid).toBe('DenyWritesButS3LogDelivery');
    expect(otherWriters(s, 'acme-access-logs')).toEqual([]);
    expect(tlsOnlyDeny(s, 'acme-access-logs')?.sid).toBe('DenyWithoutTls');
    const allow = s.find((x) => x.sid === 'S3ServerAccessLogDelivery');
    expect(allow?.condition).toEqual({
      StringEquals: { 'aws:sourceaccount': [ACCOUNT] },
      ArnLike: { 'aws:sourcearn': ['arn:aws:s3:::acme-recordings'] },
    });
  });

  it('log bucket: notifies the imported queue, replicates every object to the compliance-mode archive', () => {
    const log = props('LogBucket') as { NotificationConfiguration: unknown; ReplicationConfiguration: { Rules: ReplicationRule[] } };
    expect(log.NotificationConfiguration).toEqual({
      QueueConfigurations: [{ Event: 's3:ObjectCreated:*', Queue: `arn:aws:sqs:us-east-1:${ACCOUNT}:recording-audit-log-objects` }],
    });
    const rules = wholeBucketRules(log.ReplicationConfiguration.Rules);
    expect(rules.map((r) => r.Destination?.Bucket)).toEqual(['arn:aws:s3:::acme-access-log-archive']);
    const archive = props('LogArchiveBucket') as { ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: string; Days: string } } } };
    const retention = archive.ObjectLockConfiguration.Rule.DefaultRetention;
    const lock = { enabled: true, mode: retention.Mode, days: Number(retention.Days) };
    expect(lockMeets(lock, 2192)).toBe(true);
    expect(lockMeets(lock, 2193)).toBe(false);
    expect(tlsOnlyDeny(policyOf('LogArchiveBucketPolicy'), 'acme-access-log-archive')?.sid).toBe('DenyWithoutTls');
  });

  it('no lifecycle rule removes a recording or an older version before RecordingRetentionDays', () => {
    const rules = (props('RecordingsBucket') as { LifecycleConfiguration: { Rules: Record<string, unknown>[] } }).LifecycleConfiguration.Rules;
    expect(rules.some((r) => 'ExpirationInDays' in r || 'ExpirationDate' in r)).toBe(false);
    expect(rules.map((r) => r.NoncurrentVersionExpiration).filter(Boolean)).toEqual([{ NoncurrentDays: '2557' }]);
  });
});

describe('log immutability rules', () => {
  it('wants compliance mode and enough days', () => {
    expect(lockMeets({ enabled: true, mode: 'GOVERNANCE', days: 3000 }, 2192)).toBe(false);
    expect(lockMeets({ enabled: true, mode: undefined, days: undefined }, 2192)).toBe(false);
    expect(lockMeets({ enabled: false, mode: undefined, days: undefined }, 1)).toBe(false);
    expect(describeLock({ enabled: true, mode: 'GOVERNANCE', days: 30 }, 2192)).toBe(
      'Object Lock GOVERNANCE, 30 days; governance mode can be bypassed (s3:BypassGovernanceRetention); shorter than LOG_RETENTION_DAYS (2192)',
    );
  });

  it('counts only enabled rules that copy every object', () => {
    const dest = { Bucket: 'arn:aws:s3:::archive' };
    const rules: ReplicationRule[] = [
      { ID: 'off', Status: 'Disabled', Filter: { Prefix: '' }, Destination: dest },
      { ID: 'part', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Destination: dest },
      { ID: 'tagged', Status: 'Enabled', Filter: { Tag: { Key: 'k', Value: 'v' } }, Destination: dest },
      { ID: 'all', Status: 'Enabled', Filter: { Prefix: '' }, Destination: dest },
      { ID: 'no-filter', Status: 'Enabled', Destination: dest },
    ];
    expect(wholeBucketRules(rules).map((r) => r.ID)).toEqual(['all', 'no-filter']);
  });
});

describe('the two stacks compose', () => {
  it('the storage stack imports the queue the worker stack exports, and the worker stack can leave the log bucket to it', () => {
    const worker = readTemplate('config/cloudformation/recording-audit.yaml');
    const workerNames = new Map<string, string>([
      ['AWS::StackName', 'recording-audit'],
      ['LogObjectQueue.Arn', 'queue-arn'],
      ['CreateLogBucket', 'false'],
      ['LogBucketName', 'acme-access-logs'],
      ['LogBucket', 'never'],
    ]);
    const workerResolver = new Resolver(workerNames, worker.conditions);
    const queueArn = workerResolver.object(worker.outputs.QueueArn);
    expect(queueArn.Value).toBe('queue-arn');
    expect(queueArn.Export).toEqual({ Name: 'recording-audit-QueueArn' });
    // The storage side asks for exactly that export (resolved above as import:recording-audit-QueueArn).
    expect(names.has(`import:${(queueArn.Export as { Name: string }).Name}`)).toBe(true);
    expect(workerResolver.condition('CreatesLogBucket')).toBe(false);
    expect((worker.resources.LogBucket as { Condition?: string }).Condition).toBe('CreatesLogBucket');
    expect((worker.resources.LogBucketPolicy as { Condition?: string }).Condition).toBe('CreatesLogBucket');
    expect(workerResolver.object(worker.outputs.LogBuckets).Value).toBe('acme-access-logs');
  });
});
