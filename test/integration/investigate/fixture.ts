import type { Client } from '@opensearch-project/opensearch';
import { createLogger } from '../../../src/core/log.js';
import type { S3AccessFields } from '../../../src/decode/s3-access-log.js';
import { buildEvent } from '../../../src/event/build.js';
import type { AccessEvent, ActorKind, GenesysFields, IndexableEvent } from '../../../src/event/types.js';
import { INDEX_MAPPINGS } from '../../../src/event/mapping.js';
import { ensureIndexSetupWith, indexNameFor } from '../../../src/sinks/opensearch/setup.js';
import { renderLine } from '../../fixtures/render.js';
import { participantName } from '../../../src/event/names.js';

/**
 * A small, realistic audit trail for the investigation tests: S3 access log lines rendered as S3
 * writes them, parsed by buildEvent, with what enrichment adds (actor.kind by configuration,
 * event.self, genesys.*) set on the built event, then indexed into the product mapping.
 *
 * Conversation C1 (recording R1, media + sidecar; agents Ana Silva and Bruno Díaz) and C2
 * (recording R2; agent José López).
 */

export const ACCT = '123456789012';
export const ORG = '0b2c3d4e-0000-4000-8000-00000000000a';
export const C1 = 'c1c1c1c1-0000-4000-8000-000000000001';
export const C2 = 'c2c2c2c2-0000-4000-8000-000000000002';
export const R1 = 'a1a1a1a1-0000-4000-8000-000000000001';
export const R2 = 'a2a2a2a2-0000-4000-8000-000000000002';
export const ANA = 'aaaaaaaa-1111-4000-8000-000000000001';
export const BRUNO = 'bbbbbbbb-2222-4000-8000-000000000002';
export const JOSE = 'cccccccc-3333-4000-8000-000000000003';
export const RECORDINGS = 'rec-bucket';
export const LOG_BUCKET = 'log-bucket';
export const LOG_KEY = 'access-logs/2024-05-14-12-00-00-INVESTIGATE';

const key = (cid: string, rid: string, meta = false): string =>
  `${ORG}/year=2024/month=5/day=14/hour=8/conversation_id=${cid}/${rid}.opus${meta ? '_metadata.json' : ''}`;

const GENESYS: Record<string, GenesysFields> = {
  [R1]: {
    organization: { id: ORG },
    conversation: { id: C1, start: '2024-05-14T08:00:00.000Z' },
    recording: { id: R1, file: 'media' },
    participants: [
      { user_id: ANA, ...participantName('Ana Silva'), purpose: 'agent' },
      { user_id: BRUNO, ...participantName('Bruno Díaz'), purpose: 'agent' },
      { purpose: 'customer' },
    ],
    agent: { user_ids: [ANA, BRUNO] },
  },
  [R2]: {
    organization: { id: ORG },
    conversation: { id: C2, start: '2024-05-14T08:30:00.000Z' },
    recording: { id: R2, file: 'media' },
    participants: [{ user_id: JOSE, ...participantName('José López'), purpose: 'agent' }, { purpose: 'customer' }],
    agent: { user_ids: [JOSE] },
  },
};

interface Line {
  /** Seconds after 2024-05-14T09:00:00Z. */
  t: number;
  requester?: string;
  op: string;
  rid?: string;
  meta?: boolean;
  ip?: string;
  status?: number;
  error?: string;
  query?: string;
  auth?: string;
  agent?: string;
  kind: ActorKind;
  self?: boolean;
}

export const REQ = {
  export: `arn:aws:sts::${ACCT}:assumed-role/genesys-recording-export/GenesysCloud`,
  self: `arn:aws:sts::${ACCT}:assumed-role/recording-audit-task/ecs`,
  supervisor: `arn:aws:sts::${ACCT}:assumed-role/AWSReservedSSO_Supervisor_0a1b/dan.okafor@example-health.org`,
  ana: `arn:aws:sts::${ACCT}:assumed-role/AWSReservedSSO_Agent_0a1b/ana.silva@example-health.org`,
  jose: `arn:aws:sts::${ACCT}:assumed-role/AWSReservedSSO_Agent_0a1b/jose.lopez@example-health.org`,
  contractor: `arn:aws:iam::${ACCT}:user/contractor-temp`,
  presigner: `arn:aws:sts::${ACCT}:assumed-role/qa-playback/presigner`,
  reviewer: `arn:aws:iam::${ACCT}:user/compliance.reviewer`,
  lifecycle: 'AmazonS3',
} as const;

const PRESIGN =
  'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA4EXAMPLE7Q2BZ6KD%2F20240514%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240514T091000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=5f1c0e9a7b3d2c4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e';

/** The scenario, in time order. */
export const LINES: readonly Line[] = [
  { t: 0, requester: REQ.export, op: 'REST.PUT.OBJECT', rid: R1, ip: '52.4.81.12', kind: 'service' },
  { t: 1, requester: REQ.export, op: 'REST.PUT.OBJECT', rid: R1, meta: true, ip: '52.4.81.12', kind: 'service' },
  { t: 2, requester: REQ.export, op: 'REST.PUT.OBJECT', rid: R2, ip: '52.4.81.12', kind: 'service' },
  { t: 10, requester: REQ.self, op: 'REST.GET.OBJECT', rid: R1, meta: true, ip: '10.0.0.5', kind: 'self', self: true, agent: 'aws-sdk-js/3 recording-audit' },
  { t: 60, requester: REQ.supervisor, op: 'REST.HEAD.OBJECT', rid: R1, ip: '10.20.4.22', kind: 'human' },
  { t: 61, requester: REQ.supervisor, op: 'REST.GET.OBJECT', rid: R1, ip: '10.20.4.22', kind: 'human' },
  { t: 120, requester: REQ.ana, op: 'REST.GET.OBJECT', rid: R1, ip: '10.20.4.17', kind: 'human' },
  { t: 180, requester: REQ.contractor, op: 'REST.GET.OBJECT', rid: R1, ip: '192.0.2.200', status: 403, error: 'AccessDenied', kind: 'human' },
  { t: 240, requester: REQ.presigner, op: 'REST.GET.OBJECT', rid: R2, ip: '203.0.113.77', auth: 'QueryString', query: PRESIGN, kind: 'service' },
  { t: 300, requester: REQ.jose, op: 'REST.GET.OBJECT', rid: R2, ip: '10.20.4.30', kind: 'human' },
  { t: 301, requester: REQ.supervisor, op: 'REST.GET.OBJECT', rid: R2, ip: '10.20.4.22', kind: 'human', agent: '=HYPERLINK("http://evil.example","x")' },
  {
    t: 400,
    requester: REQ.reviewer,
    op: 'REST.DELETE.OBJECT',
    rid: R2,
    ip: '198.51.100.23',
    status: 204,
    query: 'versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
    kind: 'unknown',
  },
  { t: 500, requester: REQ.lifecycle, op: 'S3.EXPIRE.OBJECT', rid: R2, meta: true, ip: '-', kind: 'service' },
];

function fields(l: Line): S3AccessFields {
  const k = l.rid === undefined ? undefined : key(l.rid === R1 ? C1 : C2, l.rid, l.meta === true);
  const method = l.op.split('.')[1] ?? 'GET';
  const lifecycle = l.op.startsWith('S3.');
  return {
    bucket_owner: 'a'.repeat(64),
    bucket: RECORDINGS,
    remote_ip: l.ip === '-' ? undefined : (l.ip ?? '10.0.0.1'),
    requester: l.requester,
    request_id: `REQ${String(l.t).padStart(4, '0')}`,
    operation: l.op,
    key: k?.replaceAll('=', '%3D'),
    request_uri:
      lifecycle || k === undefined ? undefined : `${method} /${RECORDINGS}/${k.replaceAll('=', '%3D')}${l.query === undefined ? '' : `?${l.query}`} HTTP/1.1`,
    http_status: lifecycle ? undefined : (l.status ?? 200),
    error_code: l.error,
    bytes_sent: l.op === 'REST.GET.OBJECT' && l.status === undefined ? 48_000 : undefined,
    object_size: 48_000,
    total_time: lifecycle ? undefined : 12,
    turn_around_time: lifecycle ? undefined : 3,
    user_agent: lifecycle ? undefined : (l.agent ?? 'Mozilla/5.0'),
    host_id: 'hostid',
    signature_version: lifecycle ? undefined : 'SigV4',
    cipher_suite: lifecycle ? undefined : 'ECDHE-RSA-AES128-GCM-SHA256',
    authentication_type: lifecycle ? undefined : (l.auth ?? 'AuthHeader'),
    host_header: lifecycle ? undefined : `${RECORDINGS}.s3.us-east-1.amazonaws.com`,
    tls_version: lifecycle ? undefined : 'TLSv1.2',
  };
}

/** What enrichment would have added, set on a parsed event. */
function enrich(e: AccessEvent, l: Line): void {
  e.actor = { ...(e.actor ?? {}), kind: l.kind };
  e.event.self = l.self === true;
  if (l.rid !== undefined) {
    const g = structuredClone(GENESYS[l.rid]!);
    if (l.meta === true) g.recording = { ...g.recording, file: 'metadata' };
    e.genesys = g;
    e.enrichment = { status: 'resolved' };
  }
}

/** A rendered line through buildEvent, enriched; throws when the parser refuses it (a fixture bug). */
export function eventOf(l: Line, lineNumber: number, logKey = LOG_KEY): IndexableEvent {
  const text = renderLine(fields(l), new Date(Date.parse('2024-05-14T09:00:00.000Z') + l.t * 1000).toISOString(), { fieldCount: 24 });
  const built = buildEvent({ number: lineNumber, bytes: Buffer.from(text) }, { logBucket: LOG_BUCKET, filePath: `s3://${LOG_BUCKET}/${logKey}` });
  if (!built.ok) throw new Error(`fixture line ${lineNumber} rejected: ${built.rejection.reason} ${built.rejection.detail}`);
  enrich(built.doc.event, l);
  return built.doc;
}

export function scenarioEvents(): IndexableEvent[] {
  return LINES.map((l, i) => eventOf(l, i + 1));
}

/** `n` reads by the supervisor of R1, one a second from 10:00, in a second log object: for paging. */
export function bulkReads(n: number): IndexableEvent[] {
  return Array.from({ length: n }, (_, i) =>
    eventOf(
      { t: 3600 + i, requester: REQ.supervisor, op: 'REST.GET.OBJECT', rid: R1, ip: '10.20.4.22', kind: 'human' },
      i + 1,
      'access-logs/2024-05-14-13-00-00-BULK',
    ),
  );
}

/** The product's template on a fresh prefix, and the documents in it, searchable. */
export async function indexEvents(client: Client, prefix: string, docs: readonly IndexableEvent[]): Promise<void> {
  await ensureIndexSetupWith(
    client,
    { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 },
    createLogger('silent'),
    INDEX_MAPPINGS,
  );
  const body = docs.flatMap((d) => [{ create: { _index: indexNameFor(prefix, d.event['@timestamp']), _id: d.id } }, d.event]);
  const res = await client.bulk({ body, refresh: true });
  const b = res.body as { errors: boolean; items: unknown[] };
  if (b.errors) throw new Error(`fixture bulk failed: ${JSON.stringify(b.items).slice(0, 2000)}`);
}
