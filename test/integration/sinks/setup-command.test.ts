import { Client } from '@opensearch-project/opensearch';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { verifyIndexSetup } from '../../../src/sinks/opensearch/setup.js';
import { dropPrefix } from './support.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { runCli, type CliRun } from '../../support/cli.js';

const cli = (args: string[], env: Record<string, string>): Promise<CliRun> =>
  runCli(args, { OPENSEARCH_URL: stackEnv().opensearchUrl, INDEX_REPLICAS: '0', LOG_LEVEL: 'warn', ...env });

describe('recording-audit setup (CLI, real node)', () => {
  const os = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-setup-cli');
  const templateStatus = async (): Promise<number | null | undefined> =>
    (await os.transport.request({ method: 'GET', path: `/_index_template/${prefix}` }, { ignore: [404] })).statusCode;

  afterAll(async () => {
    if (stackEnv().ism) await os.transport.request({ method: 'DELETE', path: `/_plugins/_ism/policies/${prefix}-retention` }, { ignore: [404] });
    await dropPrefix(os, prefix);
    await os.close();
  });

  it('refuses RETENTION_DAYS below 2192 without --allow-short-retention (exit 78, nothing written)', async () => {
    const run = await cli(['setup'], { INDEX_PREFIX: prefix, RETENTION_DAYS: '30' });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('Invalid configuration:');
    expect(run.stderr).toMatch(
      /RETENTION_DAYS: is 30, below the floor of 2192 days \(six years, HIPAA\); only `recording-audit setup --allow-short-retention`/,
    );
    expect(await templateStatus()).toBe(404);
  });

  it('creates everything with the flag, is idempotent, and what it installed verifies', async () => {
    const first = await cli(['setup', '--allow-short-retention'], { INDEX_PREFIX: prefix, RETENTION_DAYS: '30' });
    expect(first.stderr).not.toContain('failed');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^index template ${prefix}: created \\(version \\w+\\)$`, 'm'));
    expect(first.stdout).toMatch(/^new monthly indices: (sorted by aws\.s3\.object\.key, @timestamp|not sorted \(the cluster is before OpenSearch 3\.2)/m);
    expect(first.stdout).toContain(stackEnv().ism ? `ISM policy: ${prefix}-retention created` : 'ISM policy: absent');
    // A new prefix: no month was written before, so every month has the short ids.
    expect(first.stdout).toMatch(/^document ids: 128-bit \(22 characters\) in every month$/m);
    expect(first.stdout).toContain('setup verified: workers with these settings will start');

    const second = await cli(['setup', '--allow-short-retention'], { INDEX_PREFIX: prefix, RETENTION_DAYS: '30' });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`^index template ${prefix}: unchanged`, 'm'));
    if (stackEnv().ism) expect(second.stdout).toContain(`ISM policy: ${prefix}-retention unchanged`);

    const verified = await verifyIndexSetup(os, { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 30 }, createLogger('silent'));
    expect(verified).toMatchObject({ ok: true, problems: [] });
  });

  it('is listed in the usage and has its own help', async () => {
    const usage = await cli(['--help'], {});
    expect(usage.stdout).toMatch(/^ {2}setup\s+Install the index template, read alias and ISM retention policy/m);
    const help = await cli(['setup', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--allow-short-retention');
  });
});
