// The demo's day of access, as the worker would parse it: causal per key (issue 14: keys were read
// before their upload, a deleted recording was read, calls started after their upload).
import { describe, expect, it } from 'vitest';
import { buildEvent } from '../../../src/event/build.js';
import type { AccessEvent } from '../../../src/event/types.js';
import { exportKey, exportMetadataKey, generateDataset } from '../../../src/sim/genesys/dataset.js';
import { accessDay, scenarioCast, type ExportedRecording } from '../../../src/sim/s3-logs/scenario.js';
import { timelineViolations, type TimelineEvent } from '../../../src/sim/s3-logs/timeline.js';

const day = new Date(Date.UTC(2024, 4, 14));
const dataset = generateDataset({ seed: 2024, conversations: 120, users: 40, start: '2024-05-14T00:00:00Z', spanDays: 1 });
const recordings: ExportedRecording[] = dataset.recordings.map((r) => {
  const conv = dataset.conversationById.get(r.conversationId)!;
  return {
    orgId: r.orgId,
    conversationId: r.conversationId,
    recordingId: r.id,
    start: new Date(conv.conversationStart),
    end: new Date(conv.conversationEnd),
    keys: { media: exportKey(dataset, r), metadata: exportMetadataKey(dataset, r) },
  };
});

function events(seed: number, recs: readonly ExportedRecording[] = recordings): AccessEvent[] {
  const { objects } = accessDay({ recordingsBucket: 'demo-recordings', bucketOwner: 'a'.repeat(64), accountId: '123456789012', recordings: recs, day, seed });
  return objects
    .flatMap((o) => o.lines)
    .map((line, i) => {
      const r = buildEvent({ number: i + 1, bytes: Buffer.from(line) }, { logBucket: 'logs', filePath: 's3://logs/demo' });
      if (!r.ok) throw new Error(`line ${i + 1} did not build: ${r.rejection.reason}: ${line}`);
      return r.doc.event;
    });
}

function timeline(e: AccessEvent, ref: string): TimelineEvent {
  const p = e.aws.s3.presigned;
  return {
    ref,
    key: e.aws.s3.object.key ?? '',
    timeMs: Date.parse(e['@timestamp']),
    operation: e.aws.s3access.operation ?? '',
    httpStatus: e.aws.s3access.http_status,
    presigned:
      p === undefined
        ? undefined
        : {
            signedAtMs: p.signed_at === undefined ? undefined : Date.parse(p.signed_at),
            expiresAtMs: p.expires_at === undefined ? undefined : Date.parse(p.expires_at),
          },
  };
}

describe('the demo scenario', () => {
  const all = events(2024);
  const cast = scenarioCast('123456789012');

  it('is causal for every key: upload first, nothing after a deletion, presigned URLs used within their validity', () => {
    expect(all.length).toBeGreaterThan(1000);
    expect(timelineViolations(all.map((e, i) => timeline(e, `line ${i + 1}`)))).toEqual([]);
    // Smaller worlds, as the worker tests use it, too.
    for (const seed of [1, 7, 11, 23, 31]) {
      const few = events(seed, recordings.slice(0, 1 + (seed % 4)));
      expect(timelineViolations(few.map((e, i) => timeline(e, `seed ${seed} line ${i + 1}`)))).toEqual([]);
    }
  });

  it('uploads each recording after its call ended, and its sidecar after the media', () => {
    const puts = new Map(
      all.filter((e) => e.aws.s3access.operation === 'REST.PUT.OBJECT').map((e) => [e.aws.s3.object.key ?? '', Date.parse(e['@timestamp'])]),
    );
    for (const r of recordings) {
      const media = puts.get(r.keys!.media);
      const meta = puts.get(r.keys!.metadata);
      expect(media).toBeGreaterThan(r.end!.getTime());
      expect(meta).toBeGreaterThan(media!);
    }
  });

  it('has the cast an auditor expects: people by email, a reviewer, a denied contractor, the export role, the product itself', () => {
    const requesters = (pred: (e: AccessEvent) => boolean): Set<string> => new Set(all.filter(pred).map((e) => e.aws.s3access.requester ?? ''));
    const emails = new Set(all.map((e) => e.actor?.email).filter((x) => x !== undefined));
    expect(emails).toEqual(
      new Set([
        'sofia.moreno@example-health.org',
        'dan.okafor@example-health.org',
        'priya.shah@example-health.org',
        'grace.lin@example-health.org',
        'tom.becker@bpo-partner.example',
        'maria.gonzalez@example-health.org',
        'kevin.walsh@example-health.org',
      ]),
    );
    expect(requesters((e) => e.aws.s3access.http_status === 403)).toEqual(new Set([cast.contractor.arn]));
    expect(all.filter((e) => e.aws.s3access.http_status === 403).every((e) => e.aws.s3access.error_code === 'AccessDenied')).toBe(true);
    expect(requesters((e) => e.aws.s3access.operation === 'REST.PUT.OBJECT')).toEqual(new Set([cast.exporter.arn]));
    expect(requesters((e) => e.aws.s3access.operation === 'REST.DELETE.OBJECT')).toEqual(new Set([cast.recordsAdmin.arn]));
    expect(requesters((e) => e.aws.s3access.user_agent?.endsWith(' recording-audit') === true)).toEqual(new Set([cast.self.arn]));
    expect(all.filter((e) => e.aws.s3access.authentication_type === 'QueryString').length).toBeGreaterThan(5);
  });

  it('has one person bulk-reading at night from an address they had not used', () => {
    const bulk = all.filter((e) => e.actor?.email === 'kevin.walsh@example-health.org');
    const night = bulk.filter((e) => e.aws.s3access.remote_ip === cast.bulkIp);
    expect(night.length).toBeGreaterThanOrEqual(30);
    expect(new Set(night.map((e) => e.aws.s3.object.key)).size).toBe(night.length);
    const firstNight = Math.min(...night.map((e) => Date.parse(e['@timestamp'])));
    expect(bulk.filter((e) => Date.parse(e['@timestamp']) < firstNight).every((e) => e.aws.s3access.remote_ip !== cast.bulkIp)).toBe(true);
    expect(bulk.filter((e) => Date.parse(e['@timestamp']) < firstNight).length).toBeGreaterThan(0);
    for (const e of night) expect(new Date(e['@timestamp']).getUTCHours()).toBeLessThan(6);
    // Nobody else comes from that address.
    expect(all.filter((e) => e.aws.s3access.remote_ip === cast.bulkIp).length).toBe(night.length);
  });

  it('is the same for the same seed', () => {
    expect(events(2024).map((e) => e.event.hash)).toEqual(all.map((e) => e.event.hash));
  });
});

describe('timelineViolations', () => {
  const ev = (ref: string, operation: string, timeMs: number, extra: Partial<TimelineEvent> = {}): TimelineEvent => ({
    ref,
    key: 'k',
    timeMs,
    operation,
    httpStatus: 200,
    ...extra,
  });
  it('names a read before the upload, an event after the deletion, and a presigned use outside its validity', () => {
    const v = timelineViolations([
      ev('read-early', 'REST.GET.OBJECT', 5),
      ev('put', 'REST.PUT.OBJECT', 10),
      ev('presigned-late', 'REST.GET.OBJECT', 20, { presigned: { signedAtMs: 11, expiresAtMs: 15 } }),
      ev('presigned-early', 'REST.GET.OBJECT', 21, { presigned: { signedAtMs: 25, expiresAtMs: 99 } }),
      ev('delete', 'REST.DELETE.OBJECT', 30, { httpStatus: 204 }),
      ev('read-after', 'REST.HEAD.OBJECT', 31),
      { ...ev('orphan', 'REST.GET.OBJECT', 1), key: 'never-uploaded' },
    ]);
    expect(v.map((s) => s.split(':')[0]).sort()).toEqual(['never-uploaded', 'presigned-early', 'presigned-late', 'read-after', 'read-early']);
    expect(
      timelineViolations([ev('put', 'REST.PUT.OBJECT', 10), ev('denied', 'REST.GET.OBJECT', 11, { httpStatus: 403 }), ev('delete', 'REST.DELETE.OBJECT', 12)]),
    ).toEqual([]);
  });
});
