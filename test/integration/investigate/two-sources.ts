import type { Client } from '@opensearch-project/opensearch';
import { createLogger } from '../../../src/core/log.js';
import { buildCloudTrailEvent } from '../../../src/event/cloudtrail-build.js';
import type { CloudTrailEvent } from '../../../src/event/cloudtrail.js';
import { buildEvent } from '../../../src/event/build.js';
import { INDEX_MAPPINGS } from '../../../src/event/mapping.js';
import type { IndexableDocument, IndexableEvent } from '../../../src/event/types.js';
import { cloudTrailPrefix } from '../../../src/sinks/opensearch/index-name.js';
import { ensureIndexSetupWith, indexNameFor } from '../../../src/sinks/opensearch/setup.js';
import { cloudTrailRecord } from '../../support/cloudtrail-files.js';
import { renderLine } from '../../fixtures/render.js';

/**
 * The same S3 requests in both sources: access-log lines (rendered as S3 writes them, through
 * buildEvent) and CloudTrail records (through buildCloudTrailEvent) sharing request ids, with
 * planted requests only one source has.
 */

export const BUCKET = 'rec-two-sources';
export const OTHER_BUCKET = 'not-audited';
export const LOG_BUCKET = 'log-two-sources';
const ORG = '0b2c3d4e-0000-4000-8000-00000000000a';

export const recordingKey = (i: number): string =>
  `${ORG}/year=2026/month=1/day=1/hour=10/conversation_id=c0c0c0c0-0000-4000-8000-${String(i).padStart(12, '0')}/a0a0a0a0-0000-4000-8000-${String(i).padStart(12, '0')}.opus`;

/** A 16-character S3 request id. */
export const rid = (name: string): string => name.toUpperCase().padEnd(16, 'X').slice(0, 16);

export interface AccessSpec {
  readonly id: string;
  readonly time: string;
  readonly op?: string;
  readonly key?: string;
  readonly bucket?: string;
  readonly status?: number;
  readonly error?: string;
}

let line = 0;

/** The rendered line of each access event, by document id (what verify re-reads from S3). */
export const LINES = new Map<string, { readonly number: number; readonly bytes: Buffer; readonly path: string }>();

export function accessEvent(s: AccessSpec, logKey = 'access-logs/2026-01-01-14-00-00-TWOSOURCES'): IndexableEvent {
  const op = s.op ?? 'REST.GET.OBJECT';
  const lifecycle = op.startsWith('S3.');
  const bucket = s.bucket ?? BUCKET;
  const key = s.key === '-' ? undefined : (s.key ?? recordingKey(1));
  const method = op.split('.')[1] ?? 'GET';
  const text = renderLine(
    {
      bucket_owner: 'a'.repeat(64),
      bucket,
      remote_ip: lifecycle ? undefined : '198.51.100.7',
      requester: lifecycle ? 'AmazonS3' : 'arn:aws:sts::123456789012:assumed-role/QaPlayer/player',
      request_id: s.id,
      operation: op,
      key: key?.replaceAll('=', '%3D'),
      request_uri: lifecycle ? undefined : `${method} /${bucket}/${(key ?? '').replaceAll('=', '%3D')} HTTP/1.1`,
      http_status: lifecycle ? undefined : (s.status ?? 200),
      error_code: s.error,
      bytes_sent: 1024,
      object_size: 1024,
      total_time: 12,
      turn_around_time: 3,
      user_agent: lifecycle ? undefined : 'aws-sdk-js/3.700.0',
      host_id: 'hostid',
      signature_version: lifecycle ? undefined : 'SigV4',
      cipher_suite: lifecycle ? undefined : 'TLS_AES_128_GCM_SHA256',
      authentication_type: lifecycle ? undefined : 'AuthHeader',
      host_header: lifecycle ? undefined : `${bucket}.s3.eu-west-1.amazonaws.com`,
      tls_version: lifecycle ? undefined : 'TLSv1.3',
    },
    s.time,
    { fieldCount: 26 },
  );
  const built = buildEvent({ number: ++line, bytes: Buffer.from(text) }, { logBucket: LOG_BUCKET, filePath: `s3://${LOG_BUCKET}/${logKey}` });
  if (!built.ok) throw new Error(`fixture line rejected: ${built.rejection.reason} ${built.rejection.detail}`);
  LINES.set(built.doc.id, { number: line, bytes: Buffer.from(text), path: `s3://${LOG_BUCKET}/${logKey}` });
  return built.doc;
}

export interface TrailSpec {
  readonly id: string;
  readonly time: string;
  readonly eventName?: string;
  readonly key?: string;
  readonly bucket?: string;
}

let record = 0;

export function cloudTrailEvent(
  s: TrailSpec,
  file = 's3://ct-two-sources/AWSLogs/123456789012/CloudTrail/eu-west-1/2026/01/01/f.json.gz',
): IndexableDocument<CloudTrailEvent> {
  const raw = cloudTrailRecord({
    bucket: s.bucket ?? BUCKET,
    key: s.key ?? recordingKey(1),
    time: new Date(s.time),
    requestId: s.id,
    eventName: s.eventName ?? 'GetObject',
  });
  const built = buildCloudTrailEvent(raw, record++, { filePath: file, audited: undefined });
  if (built.kind !== 'event') throw new Error(`fixture record not an event: ${built.kind}`);
  return built.doc;
}

/** The product's templates (all families, one read alias) on a fresh prefix. */
export async function setupPrefix(client: Client, prefix: string): Promise<void> {
  await ensureIndexSetupWith(
    client,
    { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 },
    createLogger('silent'),
    INDEX_MAPPINGS,
  );
}

/** Indexes documents of both families, searchable on return. */
export async function indexBoth(
  client: Client,
  prefix: string,
  access: readonly IndexableEvent[],
  trail: readonly IndexableDocument<CloudTrailEvent>[],
): Promise<void> {
  const body = [
    ...access.flatMap((d) => [{ create: { _index: indexNameFor(prefix, d.event['@timestamp']), _id: d.id } }, d.event]),
    ...trail.flatMap((d) => [{ create: { _index: indexNameFor(cloudTrailPrefix(prefix), d.event['@timestamp']), _id: d.id } }, d.event]),
  ];
  if (body.length === 0) return;
  const res = await client.bulk({ body, refresh: true });
  const b = res.body as { errors: boolean; items: unknown[] };
  if (b.errors) throw new Error(`fixture bulk failed: ${JSON.stringify(b.items).slice(0, 2000)}`);
}

/** Removes the prefix's indices of every family and their templates. */
export async function dropAll(client: Client, prefix: string): Promise<void> {
  for (const p of [prefix, `${prefix}.cloudtrail`, `${prefix}.genesys`]) {
    await client.indices.delete({ index: `${p}-*`, expand_wildcards: 'all', ignore_unavailable: true }).catch(() => undefined);
    await client.transport.request({ method: 'DELETE', path: `/_index_template/${p}` }, { ignore: [404] }).catch(() => undefined);
  }
}
