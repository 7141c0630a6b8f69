import { Writable } from 'node:stream';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Output } from '../../../src/cli/investigate-common.js';
import { HOUR_COLUMNS, runReconcile } from '../../../src/cli/reconcile.js';
import { reconcileHours, type HourResult } from '../../../src/investigate/reconcile.js';
import { runCli } from '../../support/cli.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { accessEvent, BUCKET, cloudTrailEvent, dropAll, indexBoth, OTHER_BUCKET, recordingKey, rid, setupPrefix } from './two-sources.js';

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const at = (hhmmss: string): string => `2026-01-01T${hhmmss}.000Z`;
/** Requests both sources have. */
const BOTH = ['both-10a', 'both-10b', 'both-10c', 'both-11a', 'both-11b', 'both-12a'].map(rid);
const timeOf = (id: string): string => {
  const h = /BOTH-(\d\d)/.exec(id)?.[1] ?? '10';
  return at(`${h}:${String(10 + BOTH.indexOf(id)).padStart(2, '0')}:00`);
};

describe('reconcile on the real node', () => {
  const client = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-reconcile');
  const lostAccess = [rid('ct-only-10'), rid('ct-only-11')];
  const lostTrail = [rid('s3-only-10')];
  const pendingLost = rid('ct-only-12');
  const boundary = rid('boundary');

  beforeAll(async () => {
    await setupPrefix(client, prefix);
    const access = [
      ...BOTH.map((id) => accessEvent({ id, time: timeOf(id) })),
      accessEvent({ id: lostTrail[0]!, time: at('10:30:00'), op: 'REST.PUT.OBJECT', key: recordingKey(7) }),
      // CloudTrail never has these: lifecycle, a failed signature, and a bucket not audited; a bucket-level request has no key.
      accessEvent({ id: rid('lifecycle'), time: at('10:40:00'), op: 'S3.EXPIRE.OBJECT' }),
      accessEvent({ id: rid('badsig'), time: at('10:41:00'), status: 403, error: 'SignatureDoesNotMatch' }),
      accessEvent({ id: rid('foreign'), time: at('10:42:00'), bucket: OTHER_BUCKET }),
      accessEvent({ id: rid('bucketlevel'), time: at('10:43:00'), op: 'REST.GET.BUCKET', key: '-' }),
      // One request on both sides of 11:00: the access log says 10:59:59, CloudTrail 11:00:00.
      accessEvent({ id: boundary, time: at('10:59:59') }),
      // A copy writes two access-log records with one request id: one request.
      accessEvent({ id: rid('copy'), time: at('11:20:00'), op: 'REST.COPY.OBJECT', key: recordingKey(8) }),
      accessEvent({ id: rid('copy'), time: at('11:20:00'), op: 'REST.COPY.OBJECT_GET', key: recordingKey(1) }),
    ];
    const trail = [
      ...BOTH.map((id) => cloudTrailEvent({ id, time: timeOf(id) })),
      ...lostAccess.map((id, i) => cloudTrailEvent({ id, time: at(`1${i}:45:00`), key: recordingKey(9 + i) })),
      cloudTrailEvent({ id: pendingLost, time: at('12:30:00') }),
      cloudTrailEvent({ id: boundary, time: at('11:00:00') }),
      cloudTrailEvent({ id: rid('copy'), time: at('11:20:00'), eventName: 'CopyObject', key: recordingKey(8) }),
    ];
    await indexBoth(client, prefix, access, trail);
  });

  afterAll(async () => {
    await dropAll(client, prefix);
    await client.close();
  });

  const hours = async (now: Date, graceSecs = 3600): Promise<HourResult[]> => {
    const out: HourResult[] = [];
    for await (const h of reconcileHours({
      client,
      index: prefix,
      from: new Date(at('10:00:00')),
      to: new Date(at('13:00:00')),
      buckets: [BUCKET],
      graceSecs,
      now,
    }))
      out.push(h);
    return out;
  };

  it('finds exactly the planted one-sided requests, per hour, in both directions', async () => {
    const [h10, h11, h12] = await hours(new Date('2026-02-01T00:00:00Z'));
    expect(h10).toMatchObject({ hour: at('10:00:00'), status: 'settled', cloudtrail: 4, access_log: 5, matched: 4 });
    expect(h10!.cloudtrail_only.map((r) => r.request_id)).toEqual([lostAccess[0]]);
    expect(h10!.access_log_only.map((r) => r.request_id)).toEqual(lostTrail);
    expect(h10!.access_log_only[0]).toMatchObject({ action: 'REST.PUT.OBJECT', bucket: BUCKET, key: recordingKey(7), time: at('10:30:00') });
    expect(h10!.cloudtrail_only[0]).toMatchObject({ action: 'GetObject', bucket: BUCKET, key: recordingKey(9) });
    expect(h11).toMatchObject({ status: 'settled', cloudtrail: 5, access_log: 3, matched: 4 });
    expect(h11!.cloudtrail_only.map((r) => r.request_id)).toEqual([lostAccess[1]]);
    expect(h11!.access_log_only).toEqual([]);
    expect(h12!.cloudtrail_only.map((r) => r.request_id)).toEqual([pendingLost]);
  });

  it('shows hours inside the grace period as pending and does not count them', async () => {
    // 13:30 with an hour of grace: 12:00-13:00 ended 30 minutes ago.
    const now = new Date(at('13:30:00'));
    const res = await hours(now);
    expect(res.map((h) => h.status)).toEqual(['settled', 'settled', 'pending']);
    const out = new Collect();
    const base = { client, index: prefix, from: new Date(at('12:00:00')), to: new Date(at('13:00:00')), buckets: [BUCKET], now, output: new Output(out) };
    const pending = await runReconcile({ ...base, graceSecs: 3600, format: 'ndjson', maxMissing: 0 });
    expect(pending).toMatchObject({ hours: 1, pending: 1, failedHours: 0, cloudtrailOnly: 0 });
    const line = JSON.parse(out.text.trim()) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(['hour', 'status', 'cloudtrail', 'access_log', 'matched', 'cloudtrail_only', 'access_log_only']);
    expect(line).toMatchObject({ status: 'pending', cloudtrail_only: [{ request_id: pendingLost }] });
    const settled = await runReconcile({ ...base, output: new Output(new Collect()), graceSecs: 0, format: 'table', maxMissing: 0 });
    expect(settled).toMatchObject({ hours: 1, pending: 0, failedHours: 1, cloudtrailOnly: 1 });
  });

  const cli = (args: string[]) =>
    runCli(['reconcile', '--from', at('10:00:00'), '--to', at('12:00:00'), '--index', prefix, ...args], {
      OPENSEARCH_URL: stackEnv().opensearchUrl,
      LOG_LEVEL: 'warn',
      AWS_REGION: 'us-east-1',
      RECORDINGS_BUCKET: BUCKET,
    });

  it('exits 1 when a settled hour has more one-sided requests than --max-missing, 0 otherwise', async () => {
    const gaps = await cli([]);
    expect(gaps.code, gaps.stderr).toBe(1);
    const lines = gaps.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual([...HOUR_COLUMNS]);
    expect(lines.filter((l) => l.includes('only in cloudtrail')).map((l) => l.trim().split(/\s+/)[3])).toEqual(lostAccess);
    expect(lines.filter((l) => l.includes('only in access_log')).map((l) => l.trim().split(/\s+/)[3])).toEqual(lostTrail);
    expect(gaps.stderr).toContain('2 hours (2 settled, 0 pending); settled: 2 only in CloudTrail, 1 only in access logs');

    const allowed = await cli(['--max-missing', '2', '--format', 'ndjson']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout.trim().split('\n')).toHaveLength(2);

    expect((await cli(['--max-missing', 'x'])).code).toBe(64);
    expect((await cli(['--format', 'csv'])).code).toBe(64);
    const missing = await runCli(['reconcile', '--from', at('10:00:00'), '--to', at('12:00:00'), '--index', `${prefix}-nope`], {
      OPENSEARCH_URL: stackEnv().opensearchUrl,
      LOG_LEVEL: 'warn',
    });
    expect(missing.code, missing.stderr).toBe(66);
  });
});
