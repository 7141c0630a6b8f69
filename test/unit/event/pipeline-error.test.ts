import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildEvent, documentId } from '../../../src/event/build.js';
import { documentErrorEvent, lineErrorEvent, pipelineErrorId } from '../../../src/event/pipeline-error.js';

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const ctx = { source: 's3://logs/access-logs/2024-05-14-10-00-00-ABC', objectTime: '2024-05-14T10:00:00.000Z' };
const SIG = '0f'.repeat(32);

describe('pipeline_error events (issue 20: no line lost to the index)', () => {
  const raw = Buffer.from(
    `${'a'.repeat(64)} recordings [14/May/2024:09:00:00 +0000] 192.0.2.1 arn:aws:iam::1:user/u REQ REST.GET.OBJECT rec%3D1.opus "GET /rec.opus?X-Amz-Signature=${SIG} HTTP/1.1" 2OO`,
  );
  const id = documentId('logs', sha(raw));

  it('carries hash, reason, object, line and the leading fields; the stored line is redacted, the hash is not', () => {
    const doc = lineErrorEvent(
      { reason: 'bad_number', stage: 'parse', id, hash: sha(raw), raw, line: 9, detail: `http_status 2OO in X-Amz-Signature=${SIG}` },
      ctx,
    );
    expect(doc.event).toMatchObject({
      '@timestamp': ctx.objectTime,
      event: { kind: 'pipeline_error', hash: sha(raw), redacted: true },
      error: { code: 'bad_number', type: 'parse' },
      log: { file: { path: ctx.source }, offset: 9 },
      aws: {
        s3access: { bucket: 'recordings', requester: 'arn:aws:iam::1:user/u', operation: 'REST.GET.OBJECT', key: 'rec%3D1.opus' },
        s3: { object: { key: 'rec=1.opus' } },
      },
    });
    // aws.s3.bucket.name is an alias of aws.s3access.bucket in v2: a stored value would be refused.
    expect(doc.event.aws?.s3).toEqual({ object: { key: 'rec=1.opus' } });
    expect(doc.event.event.original).toContain('X-Amz-Signature=[redacted]');
    expect(JSON.stringify(doc)).not.toContain(SIG);
  });

  it('has an id derived from the line and the reason: stable across deliveries, never the event id itself', () => {
    const a = lineErrorEvent({ reason: 'bad_number', stage: 'parse', id, hash: sha(raw), raw, line: 9 }, ctx);
    const b = lineErrorEvent({ reason: 'bad_number', stage: 'parse', id, hash: sha(raw), raw, line: 9 }, { ...ctx, source: 's3://logs/other' });
    expect(a.id).toBe(b.id);
    expect(a.id).toBe(pipelineErrorId(id, 'bad_number'));
    expect(a.id).not.toBe(id);
    expect(lineErrorEvent({ reason: 'spliced_records', stage: 'parse', id, hash: sha(raw), raw, line: 9 }, ctx).id).not.toBe(a.id);
  });

  it('recovers only string fields from a refused document, so the trace cannot be refused for the same reason', () => {
    const line = `${'a'.repeat(64)} recordings [14/May/2024:09:00:00 +0000] 192.0.2.1 - REQ REST.GET.OBJECT k "GET /k HTTP/1.1" 200 - 12 34 5 6 "-" "ua" -`;
    const built = buildEvent({ number: 3, bytes: Buffer.from(line) }, { logBucket: 'logs', filePath: ctx.source });
    if (!built.ok) throw new Error('fixture must parse');
    const doc = documentErrorEvent(built.doc, 'mapper_parsing_exception', ctx, 'failed to parse field');
    expect(doc.event).toMatchObject({
      event: { hash: sha(line) },
      error: { code: 'mapper_parsing_exception', type: 'index', message: 'failed to parse field' },
      log: { offset: 3 },
    });
    expect(doc.event.event.original).toBeUndefined();
    for (const v of Object.values(doc.event.aws?.s3access ?? {})) expect(typeof v).toBe('string');
    expect(doc.event.aws?.s3access).not.toHaveProperty('bytes_sent');
  });
});
