import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { Config } from '../config/schema.js';
import { createKmsClient, createS3Client, createSqsClient } from '../core/aws-clients.js';
import { createSdkTransport, type GenesysTransport } from '../enrich/genesys/sdk.js';
import { CHECK_GROUPS, WORKER_REQUIRED, checkConfig, runChecks, summarize } from '../ops/check/runner.js';
import { renderJson, renderTable } from '../ops/check/table.js';
import type { CheckContext } from '../ops/check/types.js';
import { createOpenSearchClient } from '../sinks/opensearch/client.js';
import { parseCommandArgs } from './args.js';
import { EXIT_USAGE } from './exit-codes.js';

const HELP = `Usage: recording-audit check [--json] [--only GROUP[,GROUP...]] [--config FILE]

Checks a deployment from where it runs (the task role, or your operator credentials) and prints
one row per check: PASS, WARN, FAIL or SKIP, with what to change for every WARN and FAIL.
Exits 0 when nothing fails, 1 when anything does, 64 on bad arguments.

Groups:
${CHECK_GROUPS.map((g) => `  ${g.name.padEnd(18)} ${g.summary}`).join('\n')}

Without --only, the worker's required settings (${WORKER_REQUIRED.join(', ')}) must be set;
with --only, just the settings of the chosen groups.

Options:
  --json          Machine-readable output: {ok, summary, results[]}.
  --only GROUPS   Run these groups only (comma-separated).
  --config FILE   JSON settings file (environment variables win over it).
`;

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

function context(config: Config): { ctx: CheckContext; destroy: () => void } {
  // The worker's own client factories: same endpoint handling, same User-Agent suffix, so the
  // reads `check` causes are recognised in later access logs too.
  const s3 = lazy(() => createS3Client(config));
  const sqs = lazy(() => createSqsClient(config));
  const kms = lazy(() => createKmsClient(config));
  const opensearch = lazy((): OpenSearchClient => {
    if (config.OPENSEARCH_URL === undefined) throw new Error('OPENSEARCH_URL is not set');
    return createOpenSearchClient({ ...config, OPENSEARCH_URL: config.OPENSEARCH_URL });
  });
  const genesys = lazy((): GenesysTransport => {
    if (config.GENESYS_CLIENT_ID === undefined || config.GENESYS_CLIENT_SECRET === undefined) throw new Error('GENESYS_CLIENT_ID/SECRET are not set');
    return createSdkTransport({
      clientId: config.GENESYS_CLIENT_ID,
      clientSecret: config.GENESYS_CLIENT_SECRET,
      environment: config.GENESYS_ENVIRONMENT,
      ...(config.GENESYS_API_URL !== undefined ? { apiUrl: config.GENESYS_API_URL } : {}),
      timeoutMs: config.GENESYS_REQUEST_TIMEOUT_MS,
    });
  });
  const used = { s3: false, sqs: false, kms: false, opensearch: false };
  const ctx: CheckContext = {
    config,
    s3: () => ((used.s3 = true), s3()),
    sqs: () => ((used.sqs = true), sqs()),
    kms: () => ((used.kms = true), kms()),
    opensearch: () => ((used.opensearch = true), opensearch()),
    genesys,
  };
  const destroy = (): void => {
    if (used.s3) s3().destroy();
    if (used.sqs) sqs().destroy();
    if (used.kms) kms().destroy();
    if (used.opensearch) void opensearch().close();
  };
  return { ctx, destroy };
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { json: { type: 'boolean' }, only: { type: 'string' }, config: { type: 'string' } }, HELP);
  if (!args.ok) return args.exit;
  const values = args.values;
  let groups = CHECK_GROUPS;
  if (values.only !== undefined) {
    const names = values.only
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const unknown = names.filter((n) => !CHECK_GROUPS.some((g) => g.name === n));
    if (unknown.length > 0 || names.length === 0) {
      process.stderr.write(`Unknown group(s): ${unknown.join(', ') || '(none given)'}. Groups: ${CHECK_GROUPS.map((g) => g.name).join(', ')}\n`);
      return EXIT_USAGE;
    }
    groups = CHECK_GROUPS.filter((g) => names.includes(g.name));
  }
  const required = values.only === undefined ? WORKER_REQUIRED : [...new Set(groups.flatMap((g) => g.needs))];

  const configured = checkConfig({ env: process.env, ...(values.config !== undefined ? { file: values.config } : {}), required });
  let results = configured.rows;
  if (configured.config === undefined) {
    results = [...results, ...groups.map((g) => ({ group: g.name, check: g.name, status: 'skip' as const, detail: 'the configuration does not load' }))];
  } else {
    const { ctx, destroy } = context(configured.config);
    try {
      results = [...results, ...(await runChecks(groups, ctx))];
    } finally {
      destroy();
    }
  }
  const summary = summarize(results);
  process.stdout.write(values.json === true ? renderJson(results, summary) : renderTable(results, summary));
  return summary.ok ? 0 : 1;
}
