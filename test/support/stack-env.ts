// Endpoints of the local test stack (test/stack/stack.sh), read from the `.stack/env` file that
// `stack.sh up` writes. Integration tests and benchmarks take every address, credential and AWS
// client setting from here, never from defaults, so a stack started on other ports
// (OPENSEARCH_PORT, MOTO_PORT) is followed automatically; and every name a test invents for a
// bucket, queue or index prefix comes from `uniqueName`.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StackEnv {
  /** moto server: S3, SQS and KMS share this endpoint. */
  readonly awsEndpointUrl: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly opensearchUrl: string;
  /** True when the node runs the index-management (ISM) plugin; tests of ISM policies skip otherwise. */
  readonly ism: boolean;
  readonly opensearchVersion: string;
}

/** Static settings for an AWS SDK v3 client pointed at moto (spread into `new S3Client({...})`). */
export interface AwsClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** moto answers on 127.0.0.1, where virtual-host bucket addressing cannot work. */
  readonly forcePathStyle: true;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const stackEnvPath: string = join(repoRoot, '.stack', 'env');

/** Parses the `KEY=value` lines of `.stack/env` (optional quotes, `#` comments). */
export function parseStackEnv(text: string): StackEnv {
  const vars = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === "'" || value[0] === '"') && value.endsWith(value[0])) {
      value = value.slice(1, -1);
    }
    vars.set(line.slice(0, eq).trim(), value);
  }
  const need = (key: string): string => {
    const value = vars.get(key);
    if (value === undefined || value === '') {
      throw new Error(`${stackEnvPath} has no ${key}; re-run: npm run stack:up`);
    }
    return value;
  };
  return {
    awsEndpointUrl: need('AWS_ENDPOINT_URL'),
    region: need('AWS_REGION'),
    accessKeyId: need('AWS_ACCESS_KEY_ID'),
    secretAccessKey: need('AWS_SECRET_ACCESS_KEY'),
    opensearchUrl: need('OPENSEARCH_URL'),
    ism: vars.get('OPENSEARCH_ISM') === 'true',
    opensearchVersion: need('OPENSEARCH_VERSION'),
  };
}

/** Reads `.stack/env`; throws with the fix when the stack was never started. */
export function stackEnv(): StackEnv {
  let text: string;
  try {
    text = readFileSync(stackEnvPath, 'utf8');
  } catch (cause) {
    throw new Error(`local stack is not up (${stackEnvPath} missing); run: npm run stack:up`, { cause });
  }
  return parseStackEnv(text);
}

/**
 * Exports the stack's AWS_* variables into process.env so AWS SDK clients built without explicit
 * settings (as the product code builds them) talk to moto. Returns the env it applied.
 */
export function applyStackEnv(env: StackEnv = stackEnv()): StackEnv {
  process.env.AWS_ENDPOINT_URL = env.awsEndpointUrl;
  process.env.AWS_REGION = env.region;
  process.env.AWS_ACCESS_KEY_ID = env.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = env.secretAccessKey;
  // A developer's real profile or session token must never be mixed into test requests.
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  return env;
}

/**
 * Settings for an AWS SDK v3 client pointed at moto (spread into `new S3Client({...})`); `endpoint`
 * replaces moto's address, for a fault proxy in front of it.
 */
export function awsClientConfig(endpoint?: string): AwsClientConfig {
  const env = stackEnv();
  return {
    endpoint: endpoint ?? env.awsEndpointUrl,
    region: env.region,
    credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
    forcePathStyle: true,
  };
}

/**
 * The stack's endpoints as the product's settings (AWS_*, OPENSEARCH_URL): the base of a worker's
 * or a spawned CLI's environment, and what loadConfig reads.
 */
export function stackSettings(env: StackEnv = stackEnv()): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: env.awsEndpointUrl,
    AWS_REGION: env.region,
    AWS_ACCESS_KEY_ID: env.accessKeyId,
    AWS_SECRET_ACCESS_KEY: env.secretAccessKey,
    OPENSEARCH_URL: env.opensearchUrl,
  };
}

/**
 * A fresh name for a per-test bucket, queue or index: `<prefix>-<time36>-<6 hex>`, lowercase and
 * valid as an S3 bucket (3-63 chars of a-z 0-9 -, alphanumeric at both ends), SQS queue and
 * OpenSearch index name.
 */
export function uniqueName(prefix: string): string {
  let clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  if (!/^[a-z0-9]/.test(clean)) clean = `t${clean}`;
  return `${clean}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
