import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { Config, SettingName } from '../../config/schema.js';
import type { GenesysTransport } from '../../enrich/genesys/sdk.js';

/**
 * `warn` is for a setup that works but is weaker than it should be; only `fail` makes `check` exit
 * non-zero. `skip` says why a check did not run (not configured, or an earlier check failed).
 */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export type CheckGroupName = 'config' | 'sqs' | 's3-log-bucket' | 'opensearch' | 'genesys' | 'recordings-bucket' | 'quarantine-bucket';

export interface CheckResult {
  readonly group: CheckGroupName;
  readonly check: string;
  readonly status: CheckStatus;
  /** What was found. */
  readonly detail: string;
  /** For warn and fail: what to change. */
  readonly fix?: string;
}

/** Everything a check group may touch; clients are created lazily so a skipped group costs nothing. */
export interface CheckContext {
  readonly config: Config;
  readonly s3: () => S3Client;
  readonly sqs: () => SQSClient;
  readonly kms: () => KMSClient;
  readonly opensearch: () => OpenSearchClient;
  /** Undefined when this build has no Genesys client (the check then says so). */
  readonly genesys: (() => GenesysTransport) | undefined;
}

export interface CheckGroup {
  readonly name: CheckGroupName;
  readonly summary: string;
  /** Settings without which the group cannot run at all (a `skip` row otherwise). */
  readonly needs: readonly SettingName[];
  run(ctx: CheckContext): Promise<CheckResult[]>;
}

/** Collects one group's rows in order. */
export class Rows {
  readonly rows: CheckResult[] = [];
  constructor(private readonly group: CheckGroupName) {}

  pass(check: string, detail: string): void {
    this.rows.push({ group: this.group, check, status: 'pass', detail });
  }
  warn(check: string, detail: string, fix: string): void {
    this.rows.push({ group: this.group, check, status: 'warn', detail, fix });
  }
  fail(check: string, detail: string, fix: string): void {
    this.rows.push({ group: this.group, check, status: 'fail', detail, fix });
  }
  skip(check: string, detail: string): void {
    this.rows.push({ group: this.group, check, status: 'skip', detail });
  }
}
