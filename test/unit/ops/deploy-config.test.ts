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
  const files = ['config/iam/task-role-policy.json', 'config/iam/task-execution-role-policy.json', 'config/iam/task-role-trust.json', 'config/iam/check-operator-policy.json'];
  const statements = (file: string): PolicyStatement[] => (read(file) as { Statement: PolicyStatement[] }).Statement;

  it.each(files)('%s has no wildcard action and no Allow with NotAction', (file) => {
    for (const s of statements(file)) {
      expect(s.NotAction, s.Sid).toBeUndefined();
      for (const action of list(s.Action)) expect(action, s.Sid).not.toMatch(/[*?]/);
    }
  });

  it('grants the worker exactly the consumer set on the queue and read-only on the log bucket', () => {
    const role = statements('config/iam/task-role-policy.json');
    const actionsOn = (pattern: RegExp): string[] => role.filter((s) => list(s.Resource).some((r) => pattern.test(r))).flatMap((s) => list(s.Action)).sort();
    expect(actionsOn(/^arn:aws:sqs:/)).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
    expect(actionsOn(/^arn:aws:s3:::LOG_BUCKET/)).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
    expect(actionsOn(/^arn:aws:s3:::RECORDINGS_BUCKET/)).toEqual(['s3:GetObject']);
    expect(role.flatMap((s) => list(s.Resource)).filter((r) => r.startsWith('arn:aws:s3:::RECORDINGS_BUCKET'))).toEqual(['arn:aws:s3:::RECORDINGS_BUCKET/*_metadata.json']);
    expect(role.flatMap((s) => list(s.Action)).filter((a) => /Delete(Object|Bucket)|ESHttpDelete|SendMessage|PurgeQueue/.test(a))).toEqual([]);
  });
});
