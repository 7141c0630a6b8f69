import { describe, expect, it } from 'vitest';
import { earlyExpirations } from '../../../src/ops/check/lifecycle.js';
import { earliestDeleteAgeDays, parseAgeDays } from '../../../src/ops/check/opensearch.js';
import { checkConfig, runChecks, summarize } from '../../../src/ops/check/runner.js';
import { parseQueueArn, parseRedrivePolicy } from '../../../src/ops/check/sqs.js';
import { renderJson, renderTable } from '../../../src/ops/check/table.js';
import type { CheckContext, CheckGroup } from '../../../src/ops/check/types.js';
import { ismPolicyBody } from '../../../src/sinks/opensearch/ism.js';
import { loadConfigOrThrow } from '../../../src/config/load.js';

describe('lifecycle', () => {
  it('flags early current and noncurrent expiry and date expiry, ignores disabled and long rules', () => {
    const early = earlyExpirations(
      [
        { ID: 'short', Status: 'Enabled', Filter: { Prefix: 'rec/' }, Expiration: { Days: 30 } },
        { ID: 'nc', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 7 } },
        { ID: 'date', Status: 'Enabled', Filter: {}, Expiration: { Date: new Date('2030-01-01T00:00:00Z') } },
        { ID: 'off', Status: 'Disabled', Filter: {}, Expiration: { Days: 1 } },
        { ID: 'long', Status: 'Enabled', Filter: {}, Expiration: { Days: 2600 }, NoncurrentVersionExpiration: { NoncurrentDays: 2200 } },
        {
          ID: 'mpu',
          Status: 'Enabled',
          Filter: {},
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          Transitions: [{ Days: 30, StorageClass: 'GLACIER' }],
        },
      ],
      2192,
    );
    expect(early.map((e) => e.rule)).toEqual(['short (keys under rec/)', 'nc', 'date']);
    expect(early[0]?.what).toContain('30 days');
    expect(early[2]?.what).toContain('2030-01-01');
  });
});

describe('ISM policy age', () => {
  it('parses ages', () => {
    expect(parseAgeDays('2223d')).toBe(2223);
    expect(parseAgeDays('48h')).toBe(2);
    expect(parseAgeDays('soon')).toBeUndefined();
  });
  it('reads the sink helper policy', () => {
    const policy = ismPolicyBody({ INDEX_PREFIX: 'x', RETENTION_DAYS: 2192 }).policy as Parameters<typeof earliestDeleteAgeDays>[0];
    expect(earliestDeleteAgeDays(policy)).toBe(2192 + 31);
  });
  it('finds the earliest delete transition and a policy that never deletes', () => {
    expect(
      earliestDeleteAgeDays({
        default_state: 'hot',
        states: [
          {
            name: 'hot',
            actions: [],
            transitions: [
              { state_name: 'warm', conditions: { min_index_age: '30d' } },
              { state_name: 'gone', conditions: { min_index_age: '400d' } },
            ],
          },
          { name: 'warm', actions: [{ read_only: {} }], transitions: [{ state_name: 'gone', conditions: { min_index_age: '90d' } }] },
          { name: 'gone', actions: [{ delete: {} }] },
        ],
      }),
    ).toBe(90);
    expect(earliestDeleteAgeDays({ default_state: 'hot', states: [{ name: 'hot', actions: [] }] })).toBe('never');
  });
});

describe('sqs helpers', () => {
  it('parses a redrive policy, with a string count too', () => {
    expect(parseRedrivePolicy('{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":"5"}')).toEqual({
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:dlq',
      maxReceiveCount: 5,
    });
    expect(parseRedrivePolicy('nope')).toBe('RedrivePolicy is not JSON');
    expect(parseRedrivePolicy('{"maxReceiveCount":5}')).toBe('RedrivePolicy has no deadLetterTargetArn');
  });
  it('parses queue ARNs', () => {
    expect(parseQueueArn('arn:aws:sqs:eu-west-1:123456789012:q-dlq')).toEqual({ region: 'eu-west-1', account: '123456789012', name: 'q-dlq' });
    expect(parseQueueArn('arn:aws:s3:::b')).toBeUndefined();
  });
});

describe('config check', () => {
  it('fails each missing required setting but keeps the valid ones', () => {
    const c = checkConfig({ env: { RECORDINGS_BUCKET: 'rec-bucket' }, required: ['SQS_QUEUE_URL', 'LOG_BUCKETS'] });
    expect(c.rows.filter((r) => r.status === 'fail').map((r) => r.check)).toEqual(['setting SQS_QUEUE_URL', 'setting LOG_BUCKETS']);
    expect(c.config?.RECORDINGS_BUCKET).toBe('rec-bucket');
  });
  it('has no config when a set value is invalid, and flags TLS verification turned off', () => {
    const c = checkConfig({ env: { SQS_MAX_MESSAGES: '99', NODE_TLS_REJECT_UNAUTHORIZED: '0' }, required: [] });
    expect(c.config).toBeUndefined();
    expect(c.rows.map((r) => r.check)).toEqual(['setting SQS_MAX_MESSAGES', 'TLS verification']);
  });
});

describe('runner and table', () => {
  const config = loadConfigOrThrow({ env: { SQS_QUEUE_URL: 'http://127.0.0.1:1/q' } });
  const never = (): never => {
    throw new Error('not used');
  };
  const ctx: CheckContext = { config, s3: never, sqs: never, kms: never, opensearch: never, genesys: undefined };
  const groups: CheckGroup[] = [
    {
      name: 'sqs',
      summary: '',
      needs: ['SQS_QUEUE_URL'],
      run: () => Promise.resolve([{ group: 'sqs', check: 'queue reachable', status: 'pass', detail: 'fine' }]),
    },
    { name: 'opensearch', summary: '', needs: ['OPENSEARCH_URL'], run: never },
    { name: 'genesys', summary: '', needs: [], run: () => Promise.reject(new Error('boom https://x?X-Amz-Signature=secretsig')) },
  ];

  it('skips groups without their settings and contains a crashing group', async () => {
    const results = await runChecks(groups, ctx);
    expect(results.map((r) => [r.group, r.status])).toEqual([
      ['sqs', 'pass'],
      ['opensearch', 'skip'],
      ['genesys', 'fail'],
    ]);
    expect(results[2]?.detail).toContain('boom');
    expect(results[2]?.detail).not.toContain('secretsig');
  });

  it('renders a table with fix lines and a summary, and JSON', async () => {
    const results = await runChecks(groups, ctx);
    const summary = summarize(results);
    expect(summary).toEqual({ pass: 1, warn: 0, fail: 1, skip: 1, ok: false });
    const table = renderTable(results, summary);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^STATUS\s+GROUP\s+CHECK\s+DETAIL$/);
    expect(lines[1]).toMatch(/^PASS\s+sqs\s+queue reachable\s+fine$/);
    expect(table).toMatch(/\n\s+fix: Report this/);
    expect(table).toContain('check FAILED: 1 pass, 0 warn, 1 fail, 1 skip');
    const json = JSON.parse(renderJson(results, summary)) as { ok: boolean; results: unknown[] };
    expect(json.ok).toBe(false);
    expect(json.results).toHaveLength(3);
  });
});
