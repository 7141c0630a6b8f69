import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from '@opensearch-project/opensearch';
import type { Counter, Gauge } from 'prom-client';
import type { AccessEvent, IndexableEvent } from '../../../src/event/types.js';
import type { ItemOutcome, WriteTracker } from '../../../src/sinks/opensearch/bulk.js';

/** Endpoints of the shared local stack (.stack/env, written by `npm run stack:up`). */
export function stack(): { opensearchUrl: string; s3Endpoint: string; region: string; accessKeyId: string; secretAccessKey: string } {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(new URL('../../../.stack/env', import.meta.url), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!;
  }
  return {
    opensearchUrl: vars.OPENSEARCH_URL ?? 'http://127.0.0.1:19200',
    s3Endpoint: vars.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:15000',
    region: vars.AWS_REGION ?? 'us-east-1',
    accessKeyId: vars.AWS_ACCESS_KEY_ID ?? 'testing',
    secretAccessKey: vars.AWS_SECRET_ACCESS_KEY ?? 'testing',
  };
}

export const uniquePrefix = (tag: string): string => `t-${tag}-${randomBytes(4).toString('hex')}`;

/** Stand-in until src/event/mapping.ts exists: strict, covering exactly what `testDoc` writes. */
export const TEST_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    '@timestamp': { type: 'date' },
    event: {
      properties: {
        kind: { type: 'keyword' },
        dataset: { type: 'keyword' },
        outcome: { type: 'keyword' },
        category: { type: 'keyword' },
        type: { type: 'keyword' },
        hash: { type: 'keyword' },
      },
    },
    cloud: { properties: { provider: { type: 'keyword' } } },
    related: { properties: { ip: { type: 'ip' }, user: { type: 'keyword' } } },
    aws: {
      properties: {
        s3access: { properties: { http_status: { type: 'integer' }, request_id: { type: 'keyword' } } },
        s3: { properties: { bucket: { properties: { name: { type: 'keyword' } } }, object: { properties: { key: { type: 'keyword' } } } } },
      },
    },
    log: { properties: { file: { properties: { path: { type: 'keyword' } } }, offset: { type: 'long' } } },
  },
} as const;

export function testDoc(tag: string, n: number, timestamp: string, over: (e: AccessEvent) => void = () => undefined): IndexableEvent {
  const rawLine = `${tag} line ${n}`;
  const event: AccessEvent = {
    '@timestamp': timestamp,
    event: {
      kind: 'event',
      dataset: 'aws.s3access',
      outcome: 'success',
      category: ['file'],
      type: ['access'],
      hash: createHash('sha256').update(rawLine).digest('hex'),
    },
    cloud: { provider: 'aws' },
    related: {},
    aws: { s3access: { http_status: 200, request_id: `R${n}` }, s3: { bucket: { name: 'recordings' }, object: { key: `k/${n}` } } },
    log: { file: { path: `s3://logs/${tag}` }, offset: n },
  };
  over(event);
  return { id: createHash('sha256').update(`logs\n${rawLine}`).digest('hex'), event };
}

/** Collects outcomes by document id; fails the test on a second outcome for one write. */
export class Outcomes implements WriteTracker {
  readonly byId = new Map<string, ItemOutcome[]>();
  onOutcome(outcome: ItemOutcome, doc: IndexableEvent): void {
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

/** Sum of a counter or gauge over the series whose labels match. */
export async function metricValue(metric: Counter | Gauge, labels: Record<string, string> = {}): Promise<number> {
  const data = await metric.get();
  return data.values
    .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
    .reduce((n, v) => n + v.value, 0);
}
