import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@opensearch-project/opensearch';
import { afterAll } from 'vitest';
import { createLogPipeline, type LogPipelineResources, type LogPipelineSettings } from '../../../src/sim/s3-logs/log-pipeline.js';
import type { ExportedRecording } from '../../../src/sim/s3-logs/scenario.js';
import { applyStackEnv, awsClientConfig, uniqueName } from '../../support/stack-env.js';
import { deleteIndices, openSearch } from '../../support/worker-harness.js';

export const sha256 = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

/** What a worker test file runs against: clients on moto and OpenSearch, closed after its tests. */
export interface WorkerStack {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly os: Client;
  /** A fresh index prefix; its indices and template are deleted after the file's tests. */
  indexPrefix(name: string): string;
  /** The deployment's log pipeline (src/sim/s3-logs) on moto, under fresh names. */
  logPipeline(settings?: Omit<LogPipelineSettings, 'recordingsBucket' | 'logBucket' | 'queue'>): Promise<LogPipelineResources>;
}

/**
 * Call in a describe block. The stack's AWS_* settings go into process.env (the worker's SDK
 * clients read them, as in production); the cleanup runs after the block's own afterAll hooks.
 */
export function useWorkerStack(): WorkerStack {
  applyStackEnv();
  const s3 = new S3Client(awsClientConfig());
  const sqs = new SQSClient(awsClientConfig());
  const os = openSearch();
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const p of prefixes) await deleteIndices(os, p);
    await os.close();
    s3.destroy();
    sqs.destroy();
  });
  return {
    s3,
    sqs,
    os,
    indexPrefix(name) {
      const prefix = uniqueName(name);
      prefixes.push(prefix);
      return prefix;
    },
    logPipeline: (settings = {}) =>
      createLogPipeline(s3, sqs, {
        recordingsBucket: uniqueName('t-recordings'),
        logBucket: uniqueName('t-access-logs'),
        queue: uniqueName('t-notifications'),
        ...settings,
      }),
  };
}

/** `n` recordings of one organisation exported on `day`, ten minutes apart. */
export function exportedRecordings(n: number, day: Date): ExportedRecording[] {
  return Array.from({ length: n }, (_, i) => ({
    orgId: '3c9a7a2e-1f0b-4a55-9f0e-6c1d2b3a4f50',
    conversationId: `0b1c2d3e-4f50-4a6b-8c7d-${String(i).padStart(12, '0')}`,
    recordingId: `9f8e7d6c-5b4a-4392-8170-${String(i).padStart(12, '0')}`,
    start: new Date(day.getTime() + i * 600_000),
  }));
}
