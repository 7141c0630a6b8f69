import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig, loadConfigOrThrow } from '../../../src/config/load.js';
import { SCHEMA } from '../../../src/config/schema.js';

describe('loadConfig', () => {
  it('applies defaults when nothing is set', () => {
    const result = loadConfig({ env: {} });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.INDEX_PREFIX).toBe('recording-access');
    expect(result.config.SQS_WAIT_TIME_SECS).toBe(20);
    expect(result.config.SQS_QUEUE_URL).toBeUndefined();
  });

  it('reports every problem at once, each with the setting name', () => {
    const result = loadConfig({
      env: { SQS_WAIT_TIME_SECS: '30', BULK_MAX_DOCS: 'many', OPENSEARCH_URL: 'not a url', LOG_BUCKETS: 'Bad_Bucket', LOG_LEVEL: 'loud' },
      required: ['SQS_QUEUE_URL'],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.setting).sort()).toEqual(
      ['BULK_MAX_DOCS', 'LOG_BUCKETS', 'LOG_LEVEL', 'OPENSEARCH_URL', 'SQS_QUEUE_URL', 'SQS_WAIT_TIME_SECS'].sort(),
    );
  });

  it('checks settings against each other', () => {
    const result = loadConfig({
      env: { SQS_VISIBILITY_TIMEOUT_SECS: '60', SQS_HEARTBEAT_INTERVAL_SECS: '40', OPENSEARCH_AUTH: 'basic', GENESYS_CLIENT_ID: 'x' },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.setting).sort()).toEqual([
      'GENESYS_CLIENT_SECRET',
      'OPENSEARCH_PASSWORD',
      'OPENSEARCH_USERNAME',
      'SQS_HEARTBEAT_INTERVAL_SECS',
    ]);
  });

  it('reads a JSON file, with environment variables winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ INDEX_PREFIX: 'from-file', LOG_BUCKETS: ['a-logs', 'b-logs'], BULK_MAX_DOCS: 10, NOPE: 1 }));
    const bad = loadConfig({ env: {}, file });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems).toEqual([{ setting: 'NOPE', problem: expect.stringContaining('unknown setting') as string }]);
    writeFileSync(file, JSON.stringify({ INDEX_PREFIX: 'from-file', LOG_BUCKETS: ['a-logs', 'b-logs'], BULK_MAX_DOCS: 10 }));
    const result = loadConfig({ env: { BULK_MAX_DOCS: '20' }, file });
    expect(result.ok && result.config).toMatchObject({ INDEX_PREFIX: 'from-file', LOG_BUCKETS: ['a-logs', 'b-logs'], BULK_MAX_DOCS: 20 });
  });

  it('never shows secrets when describing the configuration', () => {
    const cfg = loadConfigOrThrow({
      env: { OPENSEARCH_AUTH: 'basic', OPENSEARCH_USERNAME: 'u', OPENSEARCH_PASSWORD: 'hunter2', GENESYS_CLIENT_ID: 'id', GENESYS_CLIENT_SECRET: 's3cr3t' },
    });
    const text = JSON.stringify(describeConfig(cfg));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('s3cr3t');
    expect(text).toContain('[redacted]');
  });

  it('names a unit in every numeric duration or size setting', () => {
    const unitless = Object.entries(SCHEMA)
      .filter(([, s]) => s.kind.startsWith('integer'))
      .map(([name]) => name)
      .filter((name) => /(TIME|TIMEOUT|INTERVAL|GRACE|MARGIN|WINDOW|TTL|BUDGET|BYTES)/.test(name) && !/_(SECS|MS|BYTES|DAYS)$/.test(name));
    expect(unitless).toEqual([]);
  });
});

describe('GENESYS_API_URL', () => {
  const problemsFor = (value: string): { setting: string; problem: string }[] => {
    const result = loadConfig({ env: { GENESYS_API_URL: value } });
    return result.ok ? [] : result.problems;
  };

  it('requires https off loopback: the client secret and tokens travel on it', () => {
    for (const value of [
      'http://genesys-gateway.internal:8080',
      'http://10.0.0.5',
      'http://api.mypurecloud.com',
      'http://[fd00::2]:4010',
      'http://127.0.0.1.nip.io',
      'http://localhost.example.com',
    ]) {
      const problems = problemsFor(value);
      expect(problems, value).toHaveLength(1);
      expect(problems[0]).toMatchObject({ setting: 'GENESYS_API_URL', problem: expect.stringContaining('https') as string });
    }
  });

  it('accepts https anywhere and http on loopback hosts', () => {
    for (const value of [
      'https://genesys-gateway.internal',
      'https://api.mypurecloud.com',
      'http://127.0.0.1:4010',
      'http://127.8.9.10:1',
      'http://localhost:4010',
      'http://LOCALHOST',
      'http://[::1]:4010',
    ]) {
      expect(problemsFor(value), value).toEqual([]);
    }
  });
});
