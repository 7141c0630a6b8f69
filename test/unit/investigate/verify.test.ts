import { describe, expect, it } from 'vitest';
import type { RawLine } from '../../../src/decode/lines.js';
import { buildEvent, PARSER_VERSION } from '../../../src/event/build.js';
import { shortDocumentId } from '../../../src/event/document-id.js';
import { mappingLeaves, NOT_FROM_THE_LINE_FIELDS } from '../../../src/event/mapping.js';
import { compareDocuments, documentLeaves } from '../../../src/investigate/compare.js';
import { checkDocument, hasShardDoc, s3LocationOf, selectionQuery, type StoredHit } from '../../../src/investigate/verify.js';
import { formatAccessRecord, requestIds } from '../../../src/sim/s3-logs/access-log-writer.js';
import { generateCorpus } from '../../fixtures/corpus.js';

const LOG_BUCKET = 'access-logs';
const PATH = `s3://${LOG_BUCKET}/logs/2024-06-01-12-00-00-ABCDEF0123456789`;

function line(n: number, over: { requester?: string; remoteIp?: string } = {}): RawLine {
  const text = formatAccessRecord({
    bucketOwner: 'f'.repeat(64),
    bucket: 'recordings',
    time: new Date(Date.UTC(2024, 5, 1, 12, 0, n)),
    remoteIp: over.remoteIp ?? '198.51.100.7',
    requester: over.requester ?? 'arn:aws:sts::123456789012:assumed-role/reviewer/ana@example.com',
    ...requestIds(n),
    operation: 'REST.GET.OBJECT',
    key: `recordings/2024/06/01/conv-${n}.opus`,
    method: 'GET',
    uri: `/recordings/2024/06/01/conv-${n}.opus`,
    httpStatus: 200,
    bytesSent: 1234,
    objectSize: 1234,
    totalTimeMs: 12,
    turnAroundMs: 3,
    userAgent: 'aws-cli/2.15.0',
    hostHeader: 'recordings.s3.us-east-1.amazonaws.com',
    tlsVersion: 'TLSv1.3',
    cipherSuite: 'TLS_AES_128_GCM_SHA256',
    signatureVersion: 'SigV4',
    authType: 'AuthHeader',
  });
  return { number: n, bytes: Buffer.from(text) };
}

/** The document the pipeline stores for a line, as a search hit (JSON, as OpenSearch returns it). */
function storedHit(raw: RawLine, edit: (source: Record<string, unknown>) => void = () => undefined): StoredHit {
  const built = buildEvent(raw, { logBucket: LOG_BUCKET, filePath: PATH });
  if (!built.ok) throw new Error(built.rejection.detail);
  const source = JSON.parse(JSON.stringify(built.doc.event)) as Record<string, unknown>;
  edit(source);
  return { _index: 'recording-access-2024.06', _id: built.doc.id, _source: source };
}

const at = (doc: Record<string, unknown>, path: string): Record<string, unknown> => {
  let cur = doc;
  for (const part of path.split('.')) if (part !== '') cur = cur[part] as Record<string, unknown>;
  return cur;
};

describe('documentLeaves', () => {
  it('names leaves as the mapping does, lists values under arrays of objects and drops null', () => {
    const leaves = documentLeaves({ a: { b: 1, c: null, d: {} }, tags: ['x', 'y'], people: [{ name: 'A', id: 1 }, { name: 'B' }] });
    expect(Object.fromEntries(leaves)).toEqual({ 'a.b': [1], tags: [['x', 'y']], 'people.name': ['A', 'B'], 'people.id': [1] });
  });
});

describe('compareDocuments', () => {
  it('reports changed, added and removed leaves, and skips the given fields', () => {
    const stored = { a: 1, b: 'x', extra: true, actor: { kind: 'human' } };
    const fresh = { a: 2, b: 'x', gone: 'y', actor: { kind: 'unknown' } };
    expect(compareDocuments(stored, fresh, new Set(['actor.kind']))).toEqual([
      { field: 'a', stored: 1, fromLine: 2 },
      { field: 'extra', stored: true, fromLine: undefined },
      { field: 'gone', stored: undefined, fromLine: 'y' },
    ]);
  });
});

describe('checkDocument', () => {
  it('verifies a document the pipeline wrote, whatever enrichment and the sink added', () => {
    const hit = storedHit(line(1), (s) => {
      at(s, 'event').ingested = '2024-06-01T12:05:00.000Z';
      at(s, 'event').self = true;
      at(s, 'actor').kind = 'human';
      s.genesys = { conversation: { id: 'c-1' }, participants: [{ user_id: 'u1', name: 'Bo' }], agent: { user_ids: ['u1'] } };
      s.enrichment = { status: 'resolved', resolved_at: '2024-06-01T12:05:00.000Z' };
    });
    expect(checkDocument(hit, line(1), LOG_BUCKET, PATH)).toMatchObject({ status: 'verified', line: 1, source: PATH });
  });

  it('holds the id to the form of the index month: short from the cutover on, hex before it', () => {
    const hex = storedHit(line(6));
    const short = { ...hex, _id: shortDocumentId(hex._id) };
    expect(checkDocument(short, line(6), LOG_BUCKET, PATH, { shortFrom: '2024.06' }).status).toBe('verified');
    expect(checkDocument(hex, line(6), LOG_BUCKET, PATH, { shortFrom: '2024.07' }).status).toBe('verified');
    // The same line under the other form is a second document: an id the month does not use.
    const wrongForm = checkDocument(hex, line(6), LOG_BUCKET, PATH, { shortFrom: '2024.06' });
    expect(wrongForm).toMatchObject({ status: 'altered', differences: [{ field: '_id', stored: hex._id, fromLine: short._id }] });
    expect(checkDocument(short, line(6), LOG_BUCKET, PATH).status).toBe('altered');
  });

  it('an edited requester or IP with the hash left alone is altered, and names the field', () => {
    const requester = storedHit(line(2), (s) => {
      at(s, 'aws.s3access').requester = 'arn:aws:sts::123456789012:assumed-role/export/batch';
    });
    const r = checkDocument(requester, line(2), LOG_BUCKET, PATH);
    expect(r.status).toBe('altered');
    expect(r.differences?.map((d) => d.field)).toEqual(['aws.s3access.requester']);
    expect(r.differences?.[0]).toEqual({
      field: 'aws.s3access.requester',
      stored: 'arn:aws:sts::123456789012:assumed-role/export/batch',
      fromLine: 'arn:aws:sts::123456789012:assumed-role/reviewer/ana@example.com',
    });

    const ip = storedHit(line(3), (s) => {
      at(s, 'aws.s3access').remote_ip = '203.0.113.9';
    });
    expect(checkDocument(ip, line(3), LOG_BUCKET, PATH)).toMatchObject({
      status: 'altered',
      differences: [{ field: 'aws.s3access.remote_ip', stored: '203.0.113.9', fromLine: '198.51.100.7' }],
    });
  });

  it('a removed or added field is a difference too', () => {
    const removed = storedHit(line(4), (s) => {
      delete at(s, 'aws.s3access').user_agent;
    });
    expect(checkDocument(removed, line(4), LOG_BUCKET, PATH).differences?.map((d) => d.field)).toEqual(['aws.s3access.user_agent']);
    const added = storedHit(line(5), (s) => {
      at(s, 'aws.s3access').error_code = 'AccessDenied';
    });
    expect(checkDocument(added, line(5), LOG_BUCKET, PATH).differences?.map((d) => d.field)).toEqual(['aws.s3access.error_code']);
  });

  it('a line that is not the one hashed: event.hash and the id differ', () => {
    const hit = storedHit(line(6));
    const other = line(6, { remoteIp: '203.0.113.9' });
    const r = checkDocument(hit, other, LOG_BUCKET, PATH);
    expect(r.status).toBe('altered');
    expect(r.differences?.map((d) => d.field)).toEqual(['event.hash', '_id', 'aws.s3access.remote_ip']);
  });

  it('the id commits to the log bucket: the same line under another bucket is altered', () => {
    const hit = storedHit(line(7));
    expect(checkDocument(hit, line(7), 'other-bucket', PATH).differences?.map((d) => d.field)).toEqual(['_id']);
  });

  it('another parser version: only hash and id are compared (parser_changed), a hash mismatch is still altered', () => {
    const old = storedHit(line(8), (s) => {
      at(s, 'event').parser_version = PARSER_VERSION - 1;
      at(s, 'aws.s3access').requester = 'someone-else';
    });
    expect(checkDocument(old, line(8), LOG_BUCKET, PATH)).toMatchObject({ status: 'parser_changed' });
    const oldAndEdited = storedHit(line(9), (s) => {
      at(s, 'event').parser_version = PARSER_VERSION - 1;
      at(s, 'event').hash = '0'.repeat(64);
    });
    expect(checkDocument(oldAndEdited, line(9), LOG_BUCKET, PATH)).toMatchObject({ status: 'altered', differences: [{ field: 'event.hash' }] });
  });

  it('a parser version no release wrote (absent, newer) is an edit: the fields are still compared', () => {
    for (const version of [undefined, PARSER_VERSION + 1, 0]) {
      const hit = storedHit(line(10), (s) => {
        at(s, 'event').parser_version = version;
        at(s, 'aws.s3access').requester = 'someone-else';
      });
      expect(checkDocument(hit, line(10), LOG_BUCKET, PATH).differences?.map((d) => d.field)).toEqual(['aws.s3access.requester', 'event.parser_version']);
    }
  });

  it('every field it does not compare is a mapped field (a typo would silently compare it)', () => {
    const mapped = mappingLeaves();
    expect(NOT_FROM_THE_LINE_FIELDS.filter((f) => !mapped.has(f))).toEqual([]);
    expect(NOT_FROM_THE_LINE_FIELDS).toEqual(expect.arrayContaining(['event.ingested', 'event.self', 'actor.kind', 'genesys.conversation.id']));
  });
});

describe('checkDocument over a varied corpus', () => {
  // Presigned GETs, deletes with version ids, copies, lifecycle, 403/404s, redacted credentials,
  // every historic field count: a fresh parse of each line agrees with the stored document, and
  // an edit of any one field from the line is found, by name, whatever the field.
  const corpus = generateCorpus(1500, 14).map((r, i) => ({ number: i + 1, bytes: Buffer.from(r.line) }));

  it('verifies every document as the pipeline stores it', () => {
    const statuses = corpus.map((raw) => checkDocument(storedHit(raw), raw, LOG_BUCKET, PATH).status);
    expect(new Set(statuses)).toEqual(new Set(['verified']));
  });

  it('finds an edit of any field that comes from the line', () => {
    const skipped = new Set(NOT_FROM_THE_LINE_FIELDS);
    let edited = 0;
    corpus.forEach((raw, i) => {
      const fields = [...documentLeaves(storedHit(raw)._source).keys()].filter((f) => !skipped.has(f) && f !== 'event.hash');
      const field = fields[i % fields.length]!;
      const hit = storedHit(raw, (source) => {
        const parts = field.split('.');
        const parent = at(source, parts.slice(0, -1).join('.'));
        const last = parts[parts.length - 1]!;
        const old = parent[last];
        parent[last] =
          typeof old === 'number' ? old + 1 : typeof old === 'boolean' ? !old : Array.isArray(old) ? [...(old as unknown[]), 'x'] : `${String(old)}x`;
      });
      const r = checkDocument(hit, raw, LOG_BUCKET, PATH);
      expect(r.status, field).toBe('altered');
      expect(r.differences?.map((d) => d.field)).toEqual([field]);
      edited += 1;
    });
    expect(edited).toBe(corpus.length);
  });
});

describe('selection', () => {
  it('selects access events only, by conversation and time', () => {
    expect(selectionQuery({ conversationId: 'c-1', from: '2024-06-01T00:00:00.000Z', to: '2024-06-02T00:00:00.000Z' })).toEqual({
      bool: {
        filter: [
          { term: { 'event.kind': 'event' } },
          { term: { 'genesys.conversation.id': 'c-1' } },
          { range: { '@timestamp': { gte: '2024-06-01T00:00:00.000Z', lt: '2024-06-02T00:00:00.000Z' } } },
        ],
      },
    });
  });

  it('adds the _shard_doc tiebreaker only where the node has it (OpenSearch 3.3 and later)', () => {
    const info = (number: string, distribution = 'opensearch'): unknown => ({ version: { number, distribution } });
    expect([info('3.8.0'), info('3.3.0'), info('4.0.0')].map(hasShardDoc)).toEqual([true, true, true]);
    expect([info('2.19.1'), info('3.2.0'), info('7.10.2', 'elasticsearch'), {}].map(hasShardDoc)).toEqual([false, false, false, false]);
  });

  it('reads s3:// paths; local paths are not objects', () => {
    expect(s3LocationOf('s3://b/logs/a b/2024')).toEqual({ bucket: 'b', key: 'logs/a b/2024' });
    expect(s3LocationOf('/var/log/access.log')).toBeUndefined();
    expect(s3LocationOf('s3://bucket-only')).toBeUndefined();
  });
});
