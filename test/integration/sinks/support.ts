import { createHash } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { ECS_VERSION } from '../../../src/event/build.js';
import { INDEX_MAPPINGS } from '../../../src/event/mapping.js';
import type { AccessEvent, IndexableEvent } from '../../../src/event/types.js';
import type { Logger } from '../../../src/core/log.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { BulkIndexer, type BulkOptions, type ItemOutcome, type SettledWrite, type WriteTracker } from '../../../src/sinks/opensearch/bulk.js';
import type { QuarantineStore } from '../../../src/sinks/quarantine/record.js';

/** The product mapping (strict); `testDoc` writes a subset of it. */
export const MAPPINGS = INDEX_MAPPINGS;

export function testDoc(tag: string, n: number, timestamp: string, over: (e: AccessEvent) => void = () => undefined): IndexableEvent {
  const rawLine = `${tag} line ${n}`;
  const event: AccessEvent = {
    '@timestamp': timestamp,
    event: {
      kind: 'event',
      dataset: 'aws.s3access',
      module: 'aws',
      outcome: 'success',
      category: ['file'],
      type: ['access'],
      hash: createHash('sha256').update(rawLine).digest('hex'),
    },
    ecs: { version: ECS_VERSION },
    cloud: { provider: 'aws' },
    aws: { s3access: { bucket: 'recordings', http_status: 200, request_id: `R${n}` }, s3: { object: { key: `k/${n}` } } },
    log: { file: { path: `s3://logs/${tag}` }, offset: n },
  };
  over(event);
  return { id: createHash('sha256').update(`logs\n${rawLine}`).digest('hex'), event };
}

/** Collects outcomes by document id; fails the test on a second outcome for one write. */
export class Outcomes implements WriteTracker {
  readonly byId = new Map<string, ItemOutcome[]>();
  onOutcome(outcome: ItemOutcome, doc: SettledWrite): void {
    const list = this.byId.get(doc.id) ?? [];
    list.push(outcome);
    this.byId.set(doc.id, list);
  }
  get all(): ItemOutcome[] {
    return [...this.byId.values()].flat();
  }
  count(status: ItemOutcome['status']): number {
    return this.all.filter((o) => o.status === status).length;
  }
}

export async function dropPrefix(client: Client, prefix: string): Promise<void> {
  await client.indices.delete({ index: `${prefix}-*`, expand_wildcards: 'all', ignore_unavailable: true }).catch(() => undefined);
  await client.transport.request({ method: 'DELETE', path: `/_index_template/${prefix}` }, { ignore: [404] }).catch(() => undefined);
}

/** A quarantine that fails the test when anything is put in it. */
export const noQuarantine: QuarantineStore = { put: () => Promise.reject(new Error('unexpected quarantine')), close: () => Promise.resolve() };

/** A bulk indexer with small, fast settings and no quarantine, for setup tests. */
export function smallIndexer(client: Client, prefix: string, logger: Logger, over: Partial<BulkOptions> = {}): BulkIndexer {
  return new BulkIndexer(
    client,
    {
      prefix,
      maxBytes: 1 << 20,
      maxDocs: 100,
      flushIntervalMs: 20,
      concurrency: 1,
      gzip: false,
      retryBaseMs: 10,
      retryMaxMs: 50,
      retryMaxAttempts: 3,
      ...over,
    },
    { logger, metrics: createMetrics({ defaultMetrics: false }), quarantine: noQuarantine },
  );
}
