import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SCHEMA, type SettingName } from '../config/schema.js';
import type { Setting } from '../config/settings.js';
import { WORKER_REQUIRED } from './check/runner.js';

/** Example values for settings without a default; required ones are written uncommented. */
const EXAMPLES: Partial<Record<SettingName, string>> = {
  LOG_BUCKETS: 'acme-recordings-access-logs',
  SQS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/recording-audit-log-objects',
  OPENSEARCH_URL: 'https://search-recording-audit-abc123.us-east-1.es.amazonaws.com',
  OPENSEARCH_USERNAME: 'recording-audit-writer',
  OPENSEARCH_PASSWORD: '(from Secrets Manager)',
  GENESYS_CLIENT_ID: '(from Secrets Manager)',
  GENESYS_CLIENT_SECRET: '(from Secrets Manager)',
  GENESYS_API_URL: 'http://127.0.0.1:4010',
  RECORDINGS_BUCKET: 'acme-recordings',
  RECORDINGS_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  RECORDING_KEY_PATTERNS: '^calls/(?<cid>[0-9a-f-]{36})/(?<rid>[0-9a-f-]{36})\\.(?<ext>\\w+)$',
};

function valueText(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * config/recording-audit.env.example, generated from SCHEMA so it cannot drift: every setting
 * with its documentation, type and default. Defaults are commented out so the code stays their
 * single source; required settings are uncommented with an example value.
 */
export function renderEnvExample(): string {
  const out: string[] = [
    '# recording-audit settings: every one, with its default. Generated from src/config/schema.ts:',
    '#   npx tsx src/ops/env-example.ts > config/recording-audit.env.example',
    '# test/unit/ops/env-example.test.ts fails when this file is out of date.',
    '#',
    `# The worker needs ${WORKER_REQUIRED.join(', ')}; everything else has a default or is optional.`,
    '# Secrets (OPENSEARCH_PASSWORD, GENESYS_CLIENT_SECRET) come from Secrets Manager or SSM in',
    '# production (config/ecs-task-definition.json `secrets`), never from a committed file.',
    '# The AWS SDK reads its own AWS_REGION, AWS_ENDPOINT_URL*, AWS_PROFILE and credential chain.',
  ];
  let group = '';
  for (const [name, setting] of Object.entries(SCHEMA) as [SettingName, Setting<unknown>][]) {
    if (setting.group !== group) {
      group = setting.group;
      out.push('', `## ${group}`);
    }
    out.push('');
    out.push(`# ${setting.doc}`);
    const facts = [setting.kind.replace(/\\\|/g, '|')];
    if (setting.default !== undefined) facts.push(`default ${valueText(setting.default)}`);
    if (setting.secret === true) facts.push('secret');
    if (WORKER_REQUIRED.includes(name)) facts.push('required by the worker');
    out.push(`# (${facts.join('; ')})`);
    if (WORKER_REQUIRED.includes(name)) out.push(`${name}=${EXAMPLES[name] ?? ''}`);
    else if (setting.default !== undefined) out.push(`#${name}=${valueText(setting.default)}`);
    else out.push(`#${name}=${EXAMPLES[name] ?? ''}`);
  }
  return `${out.join('\n')}\n`;
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) process.stdout.write(renderEnvExample());
