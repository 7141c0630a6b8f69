/**
 * Deploys config/cloudformation/recording-storage.yaml, the storage the HIPAA recording storage
 * guide describes, to CloudFormation: on moto for the demo and the tests, the same template a
 * hospital deploys to AWS.
 *
 * moto's CloudFormation creates the KMS key (policy and rotation), the IAM roles and the buckets
 * with their default encryption, but ignores the other bucket properties and every
 * AWS::S3::BucketPolicy, and stores a key policy with its `AWS::NoValue` entries as nulls. With `completeForMoto`, those are read from the same template, resolved
 * against the stack's parameters and outputs, and applied through the S3 API, so what `check` sees
 * is still exactly what the template says. `completedBySdk` lists what was applied that way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateStackCommand, DescribeStackResourcesCommand, DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  PutBucketLifecycleConfigurationCommand,
  PutBucketLoggingCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  type LifecycleRule,
  type ObjectOwnership,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PutKeyPolicyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { parse, type Tags } from 'yaml';

export const STORAGE_TEMPLATE = 'config/cloudformation/recording-storage.yaml';

/** Bucket properties moto 5.2's CloudFormation does not apply (it applies BucketEncryption and Tags only). */
export const MOTO_IGNORED_BUCKET_PROPERTIES = [
  'VersioningConfiguration',
  'ObjectLockConfiguration',
  'PublicAccessBlockConfiguration',
  'OwnershipControls',
  'LifecycleConfiguration',
  'NotificationConfiguration',
  'ReplicationConfiguration',
  'LoggingConfiguration',
] as const;

export interface StorageStackSettings {
  readonly stackName: string;
  readonly recordingsBucket: string;
  readonly logBucket: string;
  readonly logArchiveBucket: string;
  /** EVIDENCE_BUCKET: Object Lock pages of the Genesys audit trail. */
  readonly evidenceBucket: string;
  /** The worker's queue; the log bucket notifies it. */
  readonly queueArn: string;
  readonly genesysAccountId: string;
  readonly genesysExternalId: string;
  readonly recordingRetentionDays?: number;
  readonly logRetentionDays?: number;
}

export interface StorageStack {
  readonly stackName: string;
  readonly recordingsBucket: string;
  readonly logBucket: string;
  /** Where the recordings bucket's access logs go in the log bucket. */
  readonly logPrefix: string;
  readonly logArchiveBucket: string;
  readonly evidenceBucket: string;
  readonly kmsKeyArn: string;
  readonly uploadRoleArn: string;
  /** `LogicalId.Property` applied through the S3 API because moto's CloudFormation ignores it. */
  readonly completedBySdk: readonly string[];
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Resource {
  readonly Type: string;
  readonly Properties?: JsonObject;
}

/** The short forms the template uses, read as their long forms. */
const CFN_TAGS: Tags = [
  { tag: '!Ref', resolve: (v: string) => ({ Ref: v }) },
  { tag: '!Sub', resolve: (v: string) => ({ 'Fn::Sub': v }) },
  { tag: '!GetAtt', resolve: (v: string) => ({ 'Fn::GetAtt': v.split('.') }) },
  { tag: '!ImportValue', resolve: (v: string) => ({ 'Fn::ImportValue': v }) },
  ...['If', 'Not', 'Equals', 'Join', 'Select'].map((name) => ({
    tag: `!${name}`,
    collection: 'seq' as const,
    resolve: (seq: { toJSON: () => unknown }) => ({ [`Fn::${name}`]: seq.toJSON() }),
  })),
];

/** A file of the checkout (`config/cloudformation/...`), found from this module's place. */
export function checkoutPath(relative: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`${relative} not found above ${fileURLToPath(import.meta.url)}; run from a checkout`);
}

export interface Template {
  readonly body: string;
  readonly resources: Record<string, Resource>;
  readonly conditions: JsonObject;
  readonly outputs: JsonObject;
}

/** A CloudFormation template of config/cloudformation, its short-form functions read as long forms. */
export function readTemplate(relative: string): Template {
  const body = readFileSync(checkoutPath(relative), 'utf8');
  const doc = parse(body, { customTags: CFN_TAGS }) as { Resources: Record<string, Resource>; Conditions?: JsonObject; Outputs?: JsonObject };
  return { body, resources: doc.Resources, conditions: doc.Conditions ?? {}, outputs: doc.Outputs ?? {} };
}

export function readStorageTemplate(): Template {
  return readTemplate(STORAGE_TEMPLATE);
}

/** A scalar as the string CloudFormation would use; objects and lists are template errors here. */
function scalar(v: Json): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`expected a scalar in ${STORAGE_TEMPLATE}, got ${JSON.stringify(v)}`);
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const NO_VALUE = Symbol('AWS::NoValue');

/** Resolves the intrinsic functions of one value against known names; `AWS::NoValue` drops the entry. */
export class Resolver {
  constructor(
    private readonly names: ReadonlyMap<string, string>,
    private readonly conditions: JsonObject,
  ) {}

  private lookup(name: string): string {
    const v = this.names.get(name);
    if (v === undefined) throw new Error(`cannot resolve ${name} in ${STORAGE_TEMPLATE}`);
    return v;
  }

  condition(name: string): boolean {
    const c = this.conditions[name];
    if (c === undefined) throw new Error(`unknown condition ${name}`);
    return this.truth(c);
  }

  private truth(v: Json): boolean {
    if (isObject(v)) {
      if ('Fn::Not' in v && Array.isArray(v['Fn::Not'])) return !this.truth(v['Fn::Not'][0] ?? null);
      if ('Fn::Equals' in v && Array.isArray(v['Fn::Equals'])) {
        const [a, b] = v['Fn::Equals'].map((x) => this.value(x));
        return a === b;
      }
      if ('Condition' in v && typeof v.Condition === 'string') return this.condition(v.Condition);
    }
    throw new Error(`unsupported condition ${JSON.stringify(v)}`);
  }

  value(v: Json): Json | typeof NO_VALUE {
    if (Array.isArray(v)) return v.map((x) => this.value(x)).filter((x): x is Json => x !== NO_VALUE);
    if (!isObject(v)) return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = v[key] ?? null;
      if (key === 'Ref') return arg === 'AWS::NoValue' ? NO_VALUE : this.lookup(scalar(arg));
      if (key === 'Fn::GetAtt' && Array.isArray(arg)) return this.lookup(arg.map(String).join('.'));
      if (key === 'Fn::Sub' && typeof arg === 'string') return arg.replace(/\$\{([^}]+)\}/g, (_m, name: string) => this.lookup(name));
      if (key === 'Fn::ImportValue') {
        const name = this.value(arg);
        return this.lookup(`import:${name === NO_VALUE ? '' : scalar(name)}`);
      }
      if (key === 'Fn::If' && Array.isArray(arg)) return this.value((this.condition(scalar(arg[0] ?? null)) ? arg[1] : arg[2]) ?? null);
    }
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      const r = this.value(x);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }

  object(v: Json | undefined): JsonObject {
    const r = v === undefined ? NO_VALUE : this.value(v);
    if (!isObject(r as Json)) throw new Error(`expected an object, got ${JSON.stringify(v)}`);
    return r as JsonObject;
  }
}

async function waitForStack(cfn: CloudFormationClient, stackName: string): Promise<Record<string, string>> {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    const status = stack?.StackStatus ?? 'UNKNOWN';
    if (status === 'CREATE_COMPLETE') return Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    if (!status.endsWith('_IN_PROGRESS')) throw new Error(`stack ${stackName}: ${status} ${stack?.StackStatusReason ?? ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`stack ${stackName} was not created within a minute`);
}

const str = (v: Json | undefined): string => (v === undefined ? '' : scalar(v));
const num = (v: Json | undefined): number => Number(v);

function lifecycleRules(config: JsonObject): LifecycleRule[] {
  const rules = Array.isArray(config.Rules) ? config.Rules.filter(isObject) : [];
  return rules.map((r) => {
    const abort = isObject(r.AbortIncompleteMultipartUpload) ? r.AbortIncompleteMultipartUpload : undefined;
    const noncurrent = isObject(r.NoncurrentVersionExpiration) ? r.NoncurrentVersionExpiration : undefined;
    return {
      ID: str(r.Id),
      Status: str(r.Status) === 'Enabled' ? 'Enabled' : 'Disabled',
      Filter: { Prefix: typeof r.Prefix === 'string' ? r.Prefix : '' },
      ...(abort !== undefined ? { AbortIncompleteMultipartUpload: { DaysAfterInitiation: num(abort.DaysAfterInitiation) } } : {}),
      ...(noncurrent !== undefined ? { NoncurrentVersionExpiration: { NoncurrentDays: num(noncurrent.NoncurrentDays) } } : {}),
      ...(r.ExpirationInDays !== undefined ? { Expiration: { Days: num(r.ExpirationInDays) } } : {}),
    };
  });
}

/** Applies one bucket's properties that moto's CloudFormation ignored; returns their names. */
async function completeBucket(s3: S3Client, bucket: string, p: JsonObject): Promise<string[]> {
  const done: string[] = [];
  const v = p.VersioningConfiguration;
  if (isObject(v)) {
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: str(v.Status) === 'Enabled' ? 'Enabled' : 'Suspended' } }),
    );
    done.push('VersioningConfiguration');
  }
  const lock = p.ObjectLockConfiguration;
  if (isObject(lock)) {
    const retention = isObject(lock.Rule) && isObject(lock.Rule.DefaultRetention) ? lock.Rule.DefaultRetention : undefined;
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          ...(retention !== undefined
            ? {
                Rule: {
                  DefaultRetention: {
                    Mode: str(retention.Mode) === 'COMPLIANCE' ? 'COMPLIANCE' : 'GOVERNANCE',
                    ...(retention.Days !== undefined ? { Days: num(retention.Days) } : { Years: num(retention.Years) }),
                  },
                },
              }
            : {}),
        },
      }),
    );
    done.push('ObjectLockConfiguration');
  }
  const pab = p.PublicAccessBlockConfiguration;
  if (isObject(pab)) {
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: pab.BlockPublicAcls === true,
          BlockPublicPolicy: pab.BlockPublicPolicy === true,
          IgnorePublicAcls: pab.IgnorePublicAcls === true,
          RestrictPublicBuckets: pab.RestrictPublicBuckets === true,
        },
      }),
    );
    done.push('PublicAccessBlockConfiguration');
  }
  const own = p.OwnershipControls;
  if (isObject(own) && Array.isArray(own.Rules)) {
    const rules = own.Rules.filter(isObject).map((r) => ({ ObjectOwnership: str(r.ObjectOwnership) as ObjectOwnership }));
    await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: bucket, OwnershipControls: { Rules: rules } }));
    done.push('OwnershipControls');
  }
  const lc = p.LifecycleConfiguration;
  if (isObject(lc)) {
    await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: lifecycleRules(lc) } }));
    done.push('LifecycleConfiguration');
  }
  const n = p.NotificationConfiguration;
  if (isObject(n)) {
    const queues = Array.isArray(n.QueueConfigurations) ? n.QueueConfigurations.filter(isObject) : [];
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: { QueueConfigurations: queues.map((q) => ({ QueueArn: str(q.Queue), Events: [str(q.Event) as 's3:ObjectCreated:*'] })) },
      }),
    );
    done.push('NotificationConfiguration');
  }
  const rep = p.ReplicationConfiguration;
  if (isObject(rep)) {
    const rules = Array.isArray(rep.Rules) ? rep.Rules.filter(isObject) : [];
    await s3.send(
      new PutBucketReplicationCommand({
        Bucket: bucket,
        ReplicationConfiguration: {
          Role: str(rep.Role),
          Rules: rules.map((r) => ({
            ID: str(r.Id),
            Status: str(r.Status) === 'Enabled' ? 'Enabled' : 'Disabled',
            Priority: num(r.Priority),
            Filter: { Prefix: isObject(r.Filter) ? str(r.Filter.Prefix) : '' },
            DeleteMarkerReplication: {
              Status: isObject(r.DeleteMarkerReplication) && str(r.DeleteMarkerReplication.Status) === 'Enabled' ? 'Enabled' : 'Disabled',
            },
            Destination: { Bucket: isObject(r.Destination) ? str(r.Destination.Bucket) : '' },
          })),
        },
      }),
    );
    done.push('ReplicationConfiguration');
  }
  return done;
}

async function completeLogging(s3: S3Client, bucket: string, p: JsonObject): Promise<string[]> {
  const l = p.LoggingConfiguration;
  if (!isObject(l)) return [];
  await s3.send(
    new PutBucketLoggingCommand({
      Bucket: bucket,
      BucketLoggingStatus: { LoggingEnabled: { TargetBucket: str(l.DestinationBucketName), TargetPrefix: str(l.LogFilePrefix) } },
    }),
  );
  return ['LoggingConfiguration'];
}

export async function deployStorageStack(
  clients: { readonly cfn: CloudFormationClient; readonly s3: S3Client; readonly kms: KMSClient },
  settings: StorageStackSettings,
  options: { readonly completeForMoto: boolean },
): Promise<StorageStack> {
  const template = readStorageTemplate();
  const parameters: Record<string, string> = {
    RecordingsBucketName: settings.recordingsBucket,
    LogBucketName: settings.logBucket,
    LogArchiveBucketName: settings.logArchiveBucket,
    EvidenceBucketName: settings.evidenceBucket,
    LogObjectQueueArn: settings.queueArn,
    GenesysAccountId: settings.genesysAccountId,
    GenesysExternalId: settings.genesysExternalId,
    ...(settings.recordingRetentionDays !== undefined ? { RecordingRetentionDays: String(settings.recordingRetentionDays) } : {}),
    ...(settings.logRetentionDays !== undefined ? { LogRetentionDays: String(settings.logRetentionDays) } : {}),
  };
  await clients.cfn.send(
    new CreateStackCommand({
      StackName: settings.stackName,
      TemplateBody: template.body,
      Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Capabilities: ['CAPABILITY_IAM'],
    }),
  );
  const outputs = await waitForStack(clients.cfn, settings.stackName);
  const out = (key: string): string => {
    const v = outputs[key];
    if (v === undefined || v === '') throw new Error(`stack ${settings.stackName} has no output ${key}`);
    return v;
  };
  const kmsKeyArn = out('RecordingsKmsKeyArn');
  const [, partition = 'aws', , region = '', account = ''] = kmsKeyArn.split(':');
  const completedBySdk: string[] = [];

  if (options.completeForMoto) {
    const physical = new Map<string, string>();
    const res = await clients.cfn.send(new DescribeStackResourcesCommand({ StackName: settings.stackName }));
    for (const r of res.StackResources ?? [])
      if (r.LogicalResourceId !== undefined && r.PhysicalResourceId !== undefined) physical.set(r.LogicalResourceId, r.PhysicalResourceId);
    const names = new Map<string, string>([
      ['AWS::Partition', partition],
      ['AWS::Region', region],
      ['AWS::AccountId', account],
      ['AWS::StackName', settings.stackName],
      ['WorkerStackName', ''],
      ['KeyAdminArn', ''],
      ['SidecarReaderRoleArn', ''],
      ['RecordingRetentionDays', String(settings.recordingRetentionDays ?? 2192)],
      ['LogRetentionDays', String(settings.logRetentionDays ?? 2192)],
      ...Object.entries(parameters),
    ]);
    for (const [logicalId, resource] of Object.entries(template.resources)) {
      if (resource.Type === 'AWS::S3::Bucket') names.set(logicalId, physical.get(logicalId) ?? '');
      if (resource.Type === 'AWS::IAM::Role') names.set(`${logicalId}.Arn`, `arn:${partition}:iam::${account}:role/${physical.get(logicalId) ?? ''}`);
      if (resource.Type === 'AWS::KMS::Key') names.set(`${logicalId}.Arn`, `arn:${partition}:kms:${region}:${account}:key/${physical.get(logicalId) ?? ''}`);
    }
    const resolver = new Resolver(names, template.conditions);
    const entries = Object.entries(template.resources);
    for (const [logicalId, resource] of entries.filter(([, r]) => r.Type === 'AWS::KMS::Key')) {
      const p = resolver.object(resource.Properties);
      await clients.kms.send(new PutKeyPolicyCommand({ KeyId: names.get(`${logicalId}.Arn`), PolicyName: 'default', Policy: JSON.stringify(p.KeyPolicy) }));
      completedBySdk.push(`${logicalId}.KeyPolicy`);
    }
    // Policies first: moto checks the log bucket's policy when logging is turned on.
    for (const [logicalId, resource] of entries.filter(([, r]) => r.Type === 'AWS::S3::BucketPolicy')) {
      const p = resolver.object(resource.Properties);
      await clients.s3.send(new PutBucketPolicyCommand({ Bucket: str(p.Bucket), Policy: JSON.stringify(p.PolicyDocument) }));
      completedBySdk.push(`${logicalId} (AWS::S3::BucketPolicy)`);
    }
    const buckets = entries
      .filter(([, r]) => r.Type === 'AWS::S3::Bucket')
      .map(([id, r]) => ({ id, bucket: names.get(id) ?? '', p: resolver.object(r.Properties) }));
    // The replication destination must be versioned before the source names it.
    buckets.sort((a, b) => Number(isObject(a.p.ReplicationConfiguration)) - Number(isObject(b.p.ReplicationConfiguration)));
    for (const b of buckets) for (const done of await completeBucket(clients.s3, b.bucket, b.p)) completedBySdk.push(`${b.id}.${done}`);
    for (const b of buckets) for (const done of await completeLogging(clients.s3, b.bucket, b.p)) completedBySdk.push(`${b.id}.${done}`);
  }

  return {
    stackName: settings.stackName,
    recordingsBucket: out('RecordingsBucket'),
    logBucket: out('LogBuckets'),
    logPrefix: out('LogPrefix'),
    logArchiveBucket: out('LogArchiveBucket'),
    evidenceBucket: out('EvidenceBucket'),
    kmsKeyArn,
    uploadRoleArn: out('GenesysUploadRoleArn'),
    completedBySdk,
  };
}
