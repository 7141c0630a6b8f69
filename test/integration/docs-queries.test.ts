// Runs every query of docs/event-schema.md (code blocks marked ```json query=<name>) against an
// index made with the product's template, loaded with events built from rendered S3 log lines,
// and checks what each returns. A renamed or un-indexed field, or a query that no longer answers
// its question, fails here instead of in an analyst's hands.
import { readFileSync } from 'node:fs';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { buildEvent } from '../../src/event/build.js';
import { INDEX_MAPPINGS } from '../../src/event/mapping.js';
import { lineErrorEvent } from '../../src/event/pipeline-error.js';
import type { AccessEvent, ActorKind, EnrichmentStatus, GenesysFields, IndexableDocument } from '../../src/event/types.js';
import { ensureIndexSetupWith, indexNameFor } from '../../src/sinks/opensearch/setup.js';
import { formatAccessRecord, type AccessRecord } from '../../src/sim/s3-logs/access-log-writer.js';
import { dropPrefix } from './sinks/support.js';
import { stackEnv, uniqueName } from '../support/stack-env.js';
import { participantName } from '../../src/event/names.js';

const ACCT = '111122223333';
const BUCKET = 'hospital-recordings';
const LOG_BUCKET = 'hospital-audit-logs';
const LOG_PATH = `s3://${LOG_BUCKET}/s3-access/2024-05-14-16-00-00-0123456789ABCDEF`;
const ORG = '5e0c1f7a-1b2c-4d3e-8f90-0a1b2c3d4e5f';
const C1 = 'b175ef3e-46cc-41c8-9e99-f2f61592ebfa';
const C2 = 'e3c1a9d2-7b4f-4c8e-9a10-5d6e7f8a9b0c';
const C3 = '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f';
const R1 = '7d2f4c10-93ab-4e5f-8a61-2b3c4d5e6f70';
const R2 = '8e3a5d21-a4bc-4f60-9b72-3c4d5e6f7a81';
const R3 = '9f4b6e32-b5cd-4071-ac83-4d5e6f7a8b92';
const SOFIA = 'ca0173fe-4f4e-4112-b9d8-9d2bd433e446';
const OMAR = 'd1a2b3c4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
/** Dr. Lee's Genesys user: a clinician reviewing calls, on none of them. */
const LEE_USER = '4c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f';

const role = (name: string, session: string): string => `arn:aws:sts::${ACCT}:assumed-role/${name}/${session}`;
const EXPORTER = role('genesys-recording-export', 'GenesysCloud');
const LEE = role('AWSReservedSSO_RecordingReader_0a1b2c3d4e5f6a7b', 'dr.lee@example-health.org');
const SOFIA_ARN = role('AWSReservedSSO_RecordingReader_0a1b2c3d4e5f6a7b', 'agent.sofia.moreno@example-health.org');
const PRESIGNER = role('recording-presigner', 'presigner');
const ADMIN = `arn:aws:iam::${ACCT}:user/ops-admin`;
const WORKER = role('recording-audit-worker', 'task');

const key = (conv: string, rec: string, file: 'media' | 'metadata' = 'media'): string =>
  `${ORG}/year=2024/month=5/day=14/hour=9/conversation_id=${conv}/${rec}.opus${file === 'metadata' ? '_metadata.json' : ''}`;

const PARTICIPANTS: Record<string, GenesysFields> = {
  [R1]: {
    participants: [{ user_id: SOFIA, ...participantName('Sofía Moreno'), purpose: 'agent' }, { purpose: 'customer' }],
    agent: { user_ids: [SOFIA] },
  },
  // Sofía is a consult target here (purpose user), Omar the routed agent.
  [R2]: {
    participants: [
      { user_id: OMAR, ...participantName('Omar Haddad'), purpose: 'agent' },
      { user_id: SOFIA, ...participantName('Sofía Moreno'), purpose: 'user' },
      { purpose: 'customer' },
    ],
    agent: { user_ids: [OMAR, SOFIA] },
  },
};
const CONV: Record<string, string> = { [R1]: C1, [R2]: C2, [R3]: C3 };

interface Fixture {
  readonly label: string;
  readonly at: string;
  readonly requester: string;
  readonly ip: string;
  readonly op: 'REST.GET.OBJECT' | 'REST.PUT.OBJECT' | 'REST.DELETE.OBJECT';
  readonly rec: string;
  readonly file?: 'media' | 'metadata';
  readonly status: number;
  readonly query?: string;
  readonly ua?: string;
  readonly authType?: string;
  /** What enrichment would write. */
  readonly kind: ActorKind;
  readonly enrichment: EnrichmentStatus;
  readonly reason?: string;
  /** actor.genesys_user_id, as enrichment finds it for the session's email. */
  readonly user?: string;
}

const PRESIGN_QUERY =
  'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLEKEY123456%2F20240514%2Fus-east-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20240514T145500Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';

const FIXTURES: readonly Fixture[] = [
  {
    label: 'export',
    at: '2024-05-14T13:00:00Z',
    requester: EXPORTER,
    ip: '52.94.10.20',
    op: 'REST.PUT.OBJECT',
    rec: R1,
    status: 200,
    kind: 'service',
    enrichment: 'resolved',
  },
  {
    label: 'night',
    at: '2024-05-14T03:00:00Z',
    requester: LEE,
    ip: '203.0.113.9',
    op: 'REST.GET.OBJECT',
    rec: R2,
    status: 200,
    kind: 'human',
    user: LEE_USER,
    enrichment: 'resolved',
  },
  {
    label: 'lee',
    at: '2024-05-14T14:00:00Z',
    requester: LEE,
    ip: '203.0.113.9',
    op: 'REST.GET.OBJECT',
    rec: R1,
    status: 200,
    kind: 'human',
    user: LEE_USER,
    enrichment: 'resolved',
  },
  {
    label: 'denied',
    at: '2024-05-14T14:05:00Z',
    requester: LEE,
    ip: '198.51.100.7',
    op: 'REST.GET.OBJECT',
    rec: R2,
    status: 403,
    kind: 'human',
    user: LEE_USER,
    enrichment: 'skipped',
    reason: 'client_error',
  },
  {
    label: 'anonymous',
    at: '2024-05-14T14:07:00Z',
    requester: '-',
    ip: '192.0.2.1',
    op: 'REST.GET.OBJECT',
    rec: R1,
    status: 403,
    kind: 'anonymous',
    enrichment: 'skipped',
    reason: 'anonymous',
  },
  {
    label: 'sofia',
    at: '2024-05-14T14:10:00Z',
    requester: SOFIA_ARN,
    ip: '10.20.1.15',
    op: 'REST.GET.OBJECT',
    rec: R1,
    status: 200,
    kind: 'human',
    user: SOFIA,
    enrichment: 'resolved',
  },
  {
    label: 'presigned',
    at: '2024-05-14T15:00:00Z',
    requester: PRESIGNER,
    ip: '203.0.113.50',
    op: 'REST.GET.OBJECT',
    rec: R1,
    status: 200,
    query: PRESIGN_QUERY,
    ua: 'curl/8.5.0',
    authType: 'QueryString',
    kind: 'service',
    enrichment: 'resolved',
  },
  {
    label: 'delete-version',
    at: '2024-05-14T16:00:00Z',
    requester: ADMIN,
    ip: '10.20.9.4',
    op: 'REST.DELETE.OBJECT',
    rec: R1,
    file: 'metadata',
    status: 204,
    query: 'versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
    kind: 'human',
    enrichment: 'resolved',
  },
  {
    label: 'delete-marker',
    at: '2024-05-14T16:05:00Z',
    requester: ADMIN,
    ip: '10.20.9.4',
    op: 'REST.DELETE.OBJECT',
    rec: R2,
    status: 204,
    kind: 'human',
    enrichment: 'resolved',
  },
  {
    label: 'self',
    at: '2024-05-14T16:10:00Z',
    requester: WORKER,
    ip: '10.20.30.40',
    op: 'REST.GET.OBJECT',
    rec: R1,
    status: 200,
    ua: 'aws-sdk-js/3.600.0 recording-audit/1',
    kind: 'self',
    enrichment: 'resolved',
  },
  {
    label: 'pending',
    at: '2024-05-14T18:00:00Z',
    requester: LEE,
    ip: '203.0.113.9',
    op: 'REST.GET.OBJECT',
    rec: R3,
    status: 200,
    kind: 'human',
    user: LEE_USER,
    enrichment: 'pending',
    reason: 'genesys_unavailable',
  },
];

function record(f: Fixture, n: number): AccessRecord {
  const k = key(CONV[f.rec]!, f.rec, f.file);
  const method = f.op === 'REST.GET.OBJECT' ? 'GET' : f.op === 'REST.PUT.OBJECT' ? 'PUT' : 'DELETE';
  const ok = f.status < 300;
  return {
    bucketOwner: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
    bucket: BUCKET,
    time: new Date(f.at),
    remoteIp: f.ip,
    requester: f.requester,
    requestId: `3E57427F3EXAMP${String(n).padStart(2, '0')}`,
    operation: f.op,
    key: k,
    method,
    uri: `/${BUCKET}/${k.split('/').map(encodeURIComponent).join('/')}${f.query === undefined ? '' : `?${f.query}`}`,
    httpStatus: f.status,
    errorCode: ok ? undefined : 'AccessDenied',
    bytesSent: method === 'GET' && ok ? 482_113 : 0,
    objectSize: method === 'DELETE' || !ok ? undefined : 482_113,
    totalTimeMs: 41,
    turnAroundMs: 12,
    userAgent: f.ua ?? 'aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64',
    hostId: 'ZnBK2ezMJ6rXCdxA1uzkXlBqX9sOL1VhbUo0bdcc3ZbCj8Ig5d8yiH5t5u+/YHQ0RFwfUX4Ck4E=',
    signatureVersion: 'SigV4',
    cipherSuite: 'TLS_AES_128_GCM_SHA256',
    authType: f.authType ?? 'AuthHeader',
    hostHeader: `${BUCKET}.s3.us-east-1.amazonaws.com`,
    tlsVersion: 'TLSv1.3',
  };
}

/** The event as the worker stores it: parsed from the rendered line, then the fields enrichment writes. */
function fixtureEvent(f: Fixture, n: number): IndexableDocument<AccessEvent> {
  const built = buildEvent({ number: n, bytes: Buffer.from(formatAccessRecord(record(f, n))) }, { logBucket: LOG_BUCKET, filePath: LOG_PATH });
  if (!built.ok) throw new Error(`fixture ${f.label} did not parse: ${built.rejection.detail}`);
  const e = built.doc.event;
  e.event.ingested = '2024-05-14T18:30:00.000Z';
  e.event.self = f.kind === 'self';
  e.actor = { ...e.actor, kind: f.kind, ...(f.user !== undefined ? { genesys_user_id: f.user } : {}) };
  const file = f.file ?? 'media';
  const fromKey: GenesysFields = { organization: { id: ORG }, conversation: { id: CONV[f.rec] }, recording: { id: f.rec, file } };
  e.genesys = f.enrichment === 'resolved' ? { ...fromKey, ...PARTICIPANTS[f.rec], recording: { ...fromKey.recording, media_type: 'audio' } } : fromKey;
  e.enrichment = { status: f.enrichment, resolved_at: '2024-05-14T18:30:00.000Z', reason: f.reason };
  return built.doc;
}

function quarantined(n: number): IndexableDocument {
  const line = `${formatAccessRecord(record(FIXTURES[2]!, n)).slice(0, 180)} "GET /broken`;
  const built = buildEvent({ number: n, bytes: Buffer.from(line) }, { logBucket: LOG_BUCKET, filePath: LOG_PATH });
  if (built.ok) throw new Error('the broken fixture line parsed');
  const r = built.rejection;
  return lineErrorEvent(
    { reason: r.reason, stage: 'parse', id: r.id, hash: r.hash, raw: r.raw, line: r.line, detail: r.detail },
    { source: LOG_PATH, objectTime: '2024-05-14T16:00:00.000Z' },
  );
}

/** The `json query=<name>` blocks of the document, in order. */
function docQueries(markdown: string): { name: string; body: Record<string, unknown> }[] {
  const out: { name: string; body: Record<string, unknown> }[] = [];
  for (const m of markdown.matchAll(/^ *```json query=([\w-]+)\n([\s\S]*?)^ *```$/gm))
    out.push({ name: m[1]!, body: JSON.parse(m[2]!) as Record<string, unknown> });
  return out;
}

interface Result {
  labels: string[];
  total: number;
  aggs: Record<string, unknown>;
  sources: Record<string, unknown>[];
}

type Bucket = { key: string | number; doc_count: number; [sub: string]: unknown };
const buckets = (agg: unknown): Bucket[] => (agg as { buckets: Bucket[] }).buckets;
const keys = (agg: unknown): (string | number)[] => buckets(agg).map((b) => b.key);

const ACCESSES_C1 = ['anonymous', 'delete-version', 'lee', 'presigned', 'sofia'];

/** What each query of the document must return over the fixtures. */
const EXPECTED: Record<string, (r: Result) => void> = {
  'agent-by-name': (r) => expect(r.labels).toEqual(['delete-version', 'export', 'lee', 'presigned', 'self', 'sofia']),
  'line-by-id': (r) => expect(r.labels).toEqual(['lee']),
  'line-by-position': (r) => expect(r.labels).toEqual(['lee']),
  conversation: (r) => {
    expect(r.labels).toEqual(ACCESSES_C1);
    // Aliases are never in _source: the list names stored fields only.
    expect(r.sources.every((s) => (s as { aws: { s3access: { remote_ip?: string } } }).aws.s3access.remote_ip !== undefined)).toBe(true);
  },
  'person-day': (r) => {
    expect(r.total).toBe(4);
    expect(keys(r.aggs.ips).sort()).toEqual(['198.51.100.7', '203.0.113.9']);
    expect((r.aggs.conversations as { value: number }).value).toBe(3);
  },
  // Lee's reads of conversations whose participants are known: he is on none (the refused and the
  // pending reads have no participants and are not judged); Sofía's read of her own call is not listed.
  'not-on-the-call': (r) => expect(r.labels).toEqual(['lee', 'night']),
  'whose-recordings': (r) => expect(r.labels).toEqual(['delete-marker', 'delete-version', 'lee', 'night', 'presigned']),
  'whose-recordings-by-name': (r) => expect(r.labels).toEqual(['delete-version', 'lee', 'presigned']),
  'outside-networks': (r) => expect(r.labels).toEqual(['anonymous', 'denied', 'lee', 'night', 'pending', 'presigned']),
  refusals: (r) => {
    expect(r.total).toBe(2);
    expect(keys(r.aggs.principals).sort()).toEqual(['(anonymous)', LEE]);
    for (const b of buckets(r.aggs.principals)) expect(keys(b.codes)).toEqual(['AccessDenied']);
  },
  deletions: (r) => {
    expect(r.labels).toEqual(['delete-marker', 'delete-version']);
    expect(r.sources.map((s) => (s as { aws: { s3: { object: { version_id?: string } } } }).aws.s3.object.version_id ?? null).sort()).toEqual([
      '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
      null,
    ]);
  },
  'deleted-how': (r) => {
    const agg = r.aggs as Record<string, { doc_count: number; principals: unknown }>;
    expect(agg.permanent!.doc_count).toBe(1);
    expect(agg.delete_markers!.doc_count).toBe(1);
    expect(keys(agg.permanent!.principals)).toEqual([ADMIN]);
  },
  'presigned-keys': (r) => {
    const [b] = buckets(r.aggs.keys);
    expect(b?.key).toBe('ASIAEXAMPLEKEY123456');
    expect(keys(b!.signer)).toEqual([PRESIGNER]);
    expect(keys(b!.ips)).toEqual(['203.0.113.50']);
    expect((b!.longest_validity as { value: number }).value).toBe(3600);
  },
  'presigned-signers': (r) => {
    expect(keys(r.aggs.signers)).toEqual([PRESIGNER]);
    expect(keys(buckets(r.aggs.signers)[0]!.user_agents)).toEqual(['curl/8.5.0']);
  },
  'user-agent-fragment': (r) => expect(r.labels).toEqual(['presigned']),
  accounting: (r) => {
    expect(r.labels).toEqual([...ACCESSES_C1, 'export', 'self'].sort());
    const lee = r.sources.find((s) => (s as { actor?: { email?: string } }).actor?.email === 'dr.lee@example-health.org') as
      { log: { offset: number } } | undefined;
    expect(lee?.log.offset).toBe(3);
  },
  'bulk-downloads': (r) => {
    const b = buckets(r.aggs.principals);
    expect(b[0]?.key).toBe(LEE);
    expect((b[0]!.recordings as { value: number }).value).toBe(3);
  },
  'off-hours': (r) => expect(r.labels).toEqual(['night']),
  'new-ips': (r) => expect(keys(r.aggs.ips).sort()).toEqual(['10.20.1.15', '10.20.9.4', '192.0.2.1', '198.51.100.7', '203.0.113.50', '52.94.10.20']),
  'refusal-bursts': (r) => {
    expect(keys(r.aggs.per_10m)).toHaveLength(1);
    expect(buckets(r.aggs.per_10m)[0]!.doc_count).toBe(2);
  },
  'reads-by-kind': (r) => {
    const kinds = buckets(r.aggs.kinds);
    expect(kinds.map((k) => [k.key, k.doc_count])).toEqual([
      ['human', 4],
      ['service', 1],
    ]);
    expect(keys(kinds[0]!.people).sort()).toEqual(['agent.sofia.moreno@example-health.org', 'dr.lee@example-health.org']);
  },
  quarantined: (r) => {
    expect(r.labels).toEqual(['quarantined']);
    expect(keys(r.aggs.reasons)).toHaveLength(1);
  },
  'enrichment-status': (r) => {
    expect(r.total).toBe(3);
    expect(keys(r.aggs.status).sort()).toEqual(['pending', 'skipped']);
  },
};

describe('docs/event-schema.md queries against the product mapping', () => {
  const client = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-docq');
  const label = new Map<string, string>();
  const queries = docQueries(readFileSync('docs/event-schema.md', 'utf8'));

  beforeAll(async () => {
    await ensureIndexSetupWith(
      client,
      { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 },
      createLogger('silent'),
      INDEX_MAPPINGS,
    );
  });

  afterAll(async () => {
    await dropPrefix(client, prefix);
    await client.close();
  });

  it('has a check for every marked query, and every check has its query', () => {
    expect(queries.map((q) => q.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('runs every query without an error and returns what the document says', async () => {
    const docs: IndexableDocument[] = FIXTURES.map((f, i) => {
      const d = fixtureEvent(f, i + 1);
      label.set(d.id, f.label);
      return d;
    });
    const q = quarantined(FIXTURES.length + 1);
    label.set(q.id, 'quarantined');
    docs.push(q);
    for (const d of docs) await client.index({ index: indexNameFor(prefix, d.event['@timestamp']), id: d.id, body: d.event });
    await client.indices.refresh({ index: `${prefix}-*` });

    // A query with a script needs the lang-painless module: every distribution an operator runs has
    // it, the bare 2.x test distribution does not. Such a query is checked where the node can run it.
    const modules = (await client.transport.request({ method: 'GET', path: '/_nodes/plugins', querystring: { filter_path: 'nodes.*.modules.name' } })).body as {
      nodes?: Record<string, { modules?: { name: string }[] }>;
    };
    const painless = Object.values(modules.nodes ?? {}).some((n) => (n.modules ?? []).some((m) => m.name === 'lang-painless'));
    for (const { name, body } of queries) {
      if (!painless && JSON.stringify(body).includes('"script"')) continue;
      const res = await client.search({ index: prefix, body }, { ignore: [400] });
      const b = res.body as {
        error?: unknown;
        hits: { total: { value: number }; hits: { _id: string; _source?: Record<string, unknown> }[] };
        aggregations?: Record<string, unknown>;
      };
      expect(b.error, `${name}: ${JSON.stringify(b.error)}`).toBeUndefined();
      const result: Result = {
        labels: b.hits.hits.map((h) => label.get(h._id) ?? h._id).sort(),
        total: b.hits.total.value,
        aggs: b.aggregations ?? {},
        sources: b.hits.hits.map((h) => h._source ?? {}),
      };
      try {
        EXPECTED[name]!(result);
      } catch (err) {
        throw new Error(`query ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  });

  it('prints the fixture ids the document quotes', () => {
    const lee = FIXTURES.findIndex((f) => f.label === 'lee');
    expect(fixtureEvent(FIXTURES[lee]!, lee + 1).id).toBe(LEE_ID);
  });
});

/** The `_id` of the `lee` fixture, quoted by the line-by-id query. */
const LEE_ID = '7e67981d5787008c8399ae77f59290843552ca7cd389cb2db34a2fb78dff6eb0';
