import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client } from '@opensearch-project/opensearch';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/core/log.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { alertsIndex } from '../../../src/detect/alert.js';
import { ensureDetectSetup } from '../../../src/detect/mapping.js';
import { defaultRules, type RulesConfig } from '../../../src/detect/rules.js';
import { runDetect, type DetectOptions, type DetectResult } from '../../../src/detect/run.js';
import { createEnricher } from '../../../src/enrich/enricher.js';
import { buildEvent } from '../../../src/event/build.js';
import type { IndexableEvent } from '../../../src/event/types.js';
import { indexNameFor } from '../../../src/sinks/opensearch/index-name.js';
import { ensureIndexSetup } from '../../../src/sinks/opensearch/setup.js';
import { formatAccessRecord, requestIds } from '../../../src/sim/s3-logs/access-log-writer.js';
import { stackEnv, stackSettings, uniqueName } from '../../support/stack-env.js';

export const quiet = createLogger(
  'warn',
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  }),
);

const ORG = '0a0a0a0a-0000-4000-8000-000000000001';
const uuid = (seed: string): string => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** The Genesys export key of recording `n` (its conversation is `n` too), or its sidecar. */
export function recordingKey(n: number, sidecar = false): string {
  return `${ORG}/year=2026/month=11/day=30/hour=9/conversation_id=${uuid(`c${n}`)}/${uuid(`r${n}`)}.opus${sidecar ? '_metadata.json' : ''}`;
}

export const HUMAN = (name: string): string => `arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Analyst_0123/${name}@example.com`;
export const SERVICE = 'arn:aws:sts::123456789012:assumed-role/genesys-recording-export/GenesysCloud';

export interface Access {
  readonly at: number;
  readonly requester?: string;
  readonly ip?: string;
  readonly op?: string;
  readonly key?: string;
  readonly status?: number;
  readonly errorCode?: string;
  /** A presigned GET signed by this access key. */
  readonly presignedKey?: string;
}

let counter = 0;

/**
 * Events as the pipeline makes them: an access log line rendered the way S3 writes it, parsed by
 * buildEvent, enriched from its key (no Genesys), written to the monthly index with `create`.
 */
export class Fixture {
  readonly client = new Client({ node: stackEnv().opensearchUrl });
  readonly prefix: string;
  readonly cfg: Config;
  private readonly enricher;

  constructor(tag: string) {
    this.prefix = uniqueName(`t-det-${tag}`);
    this.cfg = loadConfigOrThrow({ env: { ...stackSettings(), INDEX_PREFIX: this.prefix, INDEX_REPLICAS: '0', LOG_LEVEL: 'warn' } });
    this.enricher = createEnricher(this.cfg, { logger: quiet, metrics: createMetrics({ defaultMetrics: false }) });
  }

  async setup(): Promise<void> {
    await ensureIndexSetup(this.client, this.cfg, quiet);
    await ensureDetectSetup(this.client, this.prefix, quiet);
  }

  async drop(): Promise<void> {
    await this.client.indices.delete({ index: `${this.prefix}-*`, expand_wildcards: 'all', ignore_unavailable: true }).catch(() => undefined);
    for (const t of [this.prefix, alertsIndex(this.prefix), `${this.prefix}-detect-state`]) {
      await this.client.transport.request({ method: 'DELETE', path: `/_index_template/${t}` }, { ignore: [404] }).catch(() => undefined);
    }
    await this.enricher.close();
    await this.client.close();
  }

  async events(accesses: readonly Access[]): Promise<IndexableEvent[]> {
    const docs: IndexableEvent[] = [];
    for (const a of accesses) {
      counter++;
      const op = a.op ?? 'REST.GET.OBJECT';
      const method = op.includes('DELETE') ? 'DELETE' : op.includes('PUT') ? 'PUT' : op.includes('HEAD') ? 'HEAD' : 'GET';
      const key = a.key ?? recordingKey(1);
      const query =
        a.presignedKey !== undefined
          ? `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${a.presignedKey}%2F20261130%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261130T090000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${'ab'.repeat(32)}`
          : '';
      const line = formatAccessRecord({
        bucketOwner: 'f'.repeat(64),
        bucket: 'recordings',
        time: new Date(a.at),
        remoteIp: a.ip ?? '10.1.1.1',
        requester: a.requester ?? '-',
        ...requestIds(counter + 1_000_000 * process.pid),
        operation: op,
        key,
        method,
        uri: `/recordings/${encodeURI(key)}${query}`,
        httpStatus: a.status ?? (method === 'DELETE' ? 204 : 200),
        ...(a.errorCode !== undefined ? { errorCode: a.errorCode } : {}),
        totalTimeMs: 5,
        turnAroundMs: 2,
        userAgent: 'aws-cli/2.15',
        hostHeader: 'recordings.s3.us-east-1.amazonaws.com',
        signatureVersion: 'SigV4',
        authType: a.presignedKey !== undefined ? 'QueryString' : a.requester === undefined ? undefined : 'AuthHeader',
      });
      const built = buildEvent({ number: counter, bytes: Buffer.from(line) }, { logBucket: 'logs', filePath: `s3://logs/detect/${counter}` });
      if (!built.ok) throw new Error(`test line rejected: ${built.rejection.reason} ${built.rejection.detail}`);
      docs.push(built.doc);
    }
    await this.enricher.enrich(docs.map((d) => d.event));
    return docs;
  }

  /** Indexes the accesses; returns their document ids in order. */
  async ingest(accesses: readonly Access[]): Promise<string[]> {
    const docs = await this.events(accesses);
    if (docs.length === 0) return [];
    const body = docs.flatMap((d) => [{ create: { _index: indexNameFor(this.prefix, d.event['@timestamp']), _id: d.id } }, d.event]);
    const res = await this.client.bulk({ body, refresh: true });
    const errors = (res.body as { errors: boolean; items: { create: { error?: unknown } }[] }).items.filter((i) => i.create.error !== undefined);
    if (errors.length > 0) throw new Error(`test events refused: ${JSON.stringify(errors[0])}`);
    return docs.map((d) => d.id);
  }

  options(over: Partial<DetectOptions> & { rules?: RulesConfig } = {}): DetectOptions {
    return {
      client: this.client,
      indexPrefix: this.prefix,
      rules: defaultRules(),
      windowSecs: 3600,
      lagSecs: 0,
      firstLookbackSecs: 0,
      logger: quiet,
      mode: { kind: 'watermark' },
      ...over,
    };
  }

  /** A range run over [from, to) (the watermark untouched). */
  detect(from: number, to: number, over: Partial<DetectOptions> = {}): Promise<DetectResult> {
    return runDetect(this.options({ mode: { kind: 'range', from, to }, now: () => to + 86_400_000, ...over }));
  }

  async storedAlerts(): Promise<{ id: string; source: Record<string, unknown> }[]> {
    await this.client.indices.refresh({ index: alertsIndex(this.prefix), ignore_unavailable: true });
    const res = await this.client.search({ index: alertsIndex(this.prefix), ignore_unavailable: true, body: { size: 1000, query: { match_all: {} } } });
    return (res.body as { hits: { hits: { _id: string; _source: Record<string, unknown> }[] } }).hits.hits.map((h) => ({ id: h._id, source: h._source }));
  }
}

/** Rules with only `id` on (the others off), with overrides for it. */
export function only(id: keyof RulesConfig['rules'], over: Record<string, unknown> = {}): RulesConfig {
  const base = defaultRules();
  const rules = Object.fromEntries(Object.entries(base.rules).map(([k, v]) => [k, { ...v, enabled: k === id, ...(k === id ? over : {}) }]));
  return { ...base, rules: rules as RulesConfig['rules'] };
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** A Monday, 00:00 UTC. */
export const MONDAY = Date.UTC(2026, 10, 30);
