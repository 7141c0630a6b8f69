import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../../src/config/schema.js';

const read = (path: string): unknown => JSON.parse(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8'));

interface Container {
  user: string;
  readonlyRootFilesystem: boolean;
  privileged: boolean;
  stopTimeout: number;
  mountPoints: { sourceVolume: string; containerPath: string }[];
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  healthCheck: { command: string[] };
  linuxParameters: { initProcessEnabled: boolean };
  logConfiguration: { logDriver: string };
}
interface TaskDefinition {
  requiresCompatibilities: string[];
  volumes: { name: string }[];
  containerDefinitions: Container[];
}
interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource: string | string[];
}

const taskDef = read('config/ecs-task-definition.json') as TaskDefinition;
const container = taskDef.containerDefinitions[0] as Container;
const env = new Map(container.environment.map((e) => [e.name, e.value]));
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

describe('config/ecs-task-definition.json', () => {
  it('runs on Fargate as a non-root user on a read-only root filesystem with a /tmp volume', () => {
    expect(taskDef.requiresCompatibilities).toEqual(['FARGATE']);
    expect(container.user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    expect(container.readonlyRootFilesystem).toBe(true);
    expect(container.privileged).toBe(false);
    expect(container.linuxParameters.initProcessEnabled).toBe(true);
    const tmp = container.mountPoints.find((m) => m.containerPath === '/tmp');
    expect(taskDef.volumes.map((v) => v.name)).toContain(tmp?.sourceVolume);
  });

  it('gives the worker longer than SHUTDOWN_GRACE_SECS to stop, within the Fargate limit', () => {
    const grace = Number(env.get('SHUTDOWN_GRACE_SECS') ?? SCHEMA.SHUTDOWN_GRACE_SECS.default);
    expect(container.stopTimeout).toBeLessThanOrEqual(120);
    expect(container.stopTimeout).toBeGreaterThan(grace);
    // Room for the last bulk flush and the exit after the grace period.
    expect(container.stopTimeout - grace).toBeGreaterThanOrEqual(15);
  });

  it('health-checks /livez on HEALTH_PORT', () => {
    const port = env.get('HEALTH_PORT') ?? String(SCHEMA.HEALTH_PORT.default);
    expect(container.healthCheck.command.join(' ')).toContain(`http://127.0.0.1:${port}/livez`);
  });

  it('keeps the health server on loopback, where its health check reaches it, and publishes no port for it', () => {
    const host = env.get('HEALTH_HOST') ?? SCHEMA.HEALTH_HOST.default;
    const port = Number(env.get('HEALTH_PORT') ?? SCHEMA.HEALTH_PORT.default);
    const published = ((container as Container & { portMappings?: { containerPort: number }[] }).portMappings ?? []).some((m) => m.containerPort === port);
    // Published means reachable from the VPC: only with a bind address that is, set on purpose.
    if (published) expect(host).toBe('0.0.0.0');
    else expect(host).toBe('127.0.0.1');
  });

  it('the image health check asks loopback, which every bind the image may set answers on', () => {
    const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
    expect(/^HEALTHCHECK[\s\S]*?\n(?!\s)/m.exec(dockerfile)?.[0]).toContain("'http://127.0.0.1:'+(process.env.HEALTH_PORT");
    const host = /\bHEALTH_HOST=(\S+)/.exec(dockerfile)?.[1] ?? SCHEMA.HEALTH_HOST.default;
    expect(['127.0.0.1', '0.0.0.0', '::']).toContain(host);
  });

  it('sets only known settings, and secrets only through `secrets`', () => {
    for (const name of env.keys()) expect(name in SCHEMA || name.startsWith('AWS_'), name).toBe(true);
    for (const s of container.secrets) expect(s.name in SCHEMA, s.name).toBe(true);
    expect([...env.keys()]).not.toContain('AWS_ACCESS_KEY_ID');
    expect([...env.keys()]).not.toContain('AWS_SECRET_ACCESS_KEY');
    const secretSettings = Object.entries(SCHEMA)
      .filter(([, s]) => (s as { secret?: boolean }).secret === true)
      .map(([n]) => n);
    for (const name of secretSettings) expect(env.has(name), `${name} must come from secrets`).toBe(false);
    expect(container.secrets.map((s) => s.name)).toContain('GENESYS_CLIENT_SECRET');
  });
});

describe('config/iam policies', () => {
  const files = [
    'config/iam/task-role-policy.json',
    'config/iam/task-execution-role-policy.json',
    'config/iam/task-role-trust.json',
    'config/iam/check-operator-policy.json',
  ];
  const statements = (file: string): PolicyStatement[] => (read(file) as { Statement: PolicyStatement[] }).Statement;

  it.each(files)('%s has no wildcard action and no Allow with NotAction', (file) => {
    for (const s of statements(file)) {
      expect(s.NotAction, s.Sid).toBeUndefined();
      for (const action of list(s.Action)) expect(action, s.Sid).not.toMatch(/[*?]/);
    }
  });

  it('grants the worker exactly the consumer set on the queue and read-only on the log bucket', () => {
    const role = statements('config/iam/task-role-policy.json').filter((s) => s.Effect === 'Allow');
    const actionsOn = (pattern: RegExp): string[] =>
      role
        .filter((s) => list(s.Resource).some((r) => pattern.test(r)))
        .flatMap((s) => list(s.Action))
        .sort();
    expect(actionsOn(/^arn:aws:sqs:/)).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
    expect(actionsOn(/^arn:aws:s3:::LOG_BUCKET/)).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
    expect(actionsOn(/^arn:aws:s3:::RECORDINGS_BUCKET/)).toEqual(['s3:GetObject']);
    expect(role.flatMap((s) => list(s.Resource)).filter((r) => r.startsWith('arn:aws:s3:::RECORDINGS_BUCKET'))).toEqual([
      'arn:aws:s3:::RECORDINGS_BUCKET/*_metadata.json',
    ]);
    expect(role.flatMap((s) => list(s.Action)).filter((a) => /Delete(Object|Bucket)|ESHttpDelete|SendMessage|PurgeQueue/.test(a))).toEqual([]);
  });
});

/** IAM resource matching: `*` any run of characters (`/` included), `?` one. */
function iamMatches(pattern: string, arn: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(arn);
}

/** Explicit Deny wins over any Allow; no Allow is an implicit deny. Conditions are not evaluated. */
function allows(statements: PolicyStatement[], action: string, arn: string): boolean {
  const applies = (s: PolicyStatement): boolean => list(s.Action).includes(action) && list(s.Resource).some((r) => iamMatches(r, arn));
  return !statements.some((s) => s.Effect === 'Deny' && applies(s)) && statements.some((s) => s.Effect === 'Allow' && applies(s));
}

describe("the worker never reads a conversation's call metadata", () => {
  const folder = 'RECORDINGS_BUCKET/0c0c0c0c-0000-4000-8000-000000000000/year=2024/month=6/day=1/hour=2/conversation_id=0b1c2d3e-4f50-4a6b-8c7d-000000000001';
  const callMetadata = `arn:aws:s3:::${folder}/0b1c2d3e-4f50-4a6b-8c7d-000000000001.opus_call_metadata.json`;
  const sidecar = `arn:aws:s3:::${folder}/9f8e7d6c-5b4a-4392-8170-000000000001.opus_metadata.json`;
  const audio = `arn:aws:s3:::${folder}/9f8e7d6c-5b4a-4392-8170-000000000001.opus`;

  it('config/iam/task-role-policy.json denies *_call_metadata.json, which the sidecar Allow would match', () => {
    const role = (read('config/iam/task-role-policy.json') as { Statement: PolicyStatement[] }).Statement;
    // Why the Deny is needed: the sidecar grant alone matches the call metadata file.
    expect(
      allows(
        role.filter((s) => s.Effect === 'Allow'),
        's3:GetObject',
        callMetadata,
      ),
    ).toBe(true);
    expect(allows(role, 's3:GetObject', callMetadata)).toBe(false);
    expect(allows(role, 's3:GetObjectVersion', callMetadata)).toBe(false);
    expect(allows(role, 's3:GetObject', sidecar)).toBe(true);
    expect(allows(role, 's3:GetObject', audio)).toBe(false);
  });

  it('the CloudFormation task role has the same explicit Deny', () => {
    const template = readFileSync(new URL('../../../config/cloudformation/recording-audit.yaml', import.meta.url), 'utf8');
    // The TaskRole resource: from its name to the next resource at the same indentation.
    const taskRole = /\n {2}TaskRole:\n[\s\S]*?(?=\n {2}[A-Za-z0-9]+:\n {4}Type:)/.exec(template)?.[0] ?? '';
    expect(taskRole).toContain('recording-audit-worker');
    expect(taskRole).toMatch(
      /\n(\s+)- Sid: \w+\n\1 {2}Effect: Deny\n\1 {2}Action: \[s3:GetObject(, s3:GetObjectVersion)?\]\n\1 {2}Resource: !Sub "arn:\$\{AWS::Partition\}:s3:::\$\{RecordingsBucketName\}\/\*_call_metadata\.json"/,
    );
  });
});
