import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyListStats, listLogObjects, type ListOptions } from '../../../src/replay/list.js';
import { cloudTrailKey } from '../../support/cloudtrail-files.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { uniqueName } from '../../support/stack-env.js';
import { createBucket, putObjects, s3Client, simpleKey } from './support.js';

const T = (iso: string): number => Date.parse(iso);

/** CloudTrail files of two accounts (one under an organization id) and regions, beside simple access-log keys. */
const CT = [
  ['2024-01-04T23:55:00Z', 'C0', '123456789012', 'eu-west-1'], // before from: out
  ['2024-01-05T00:05:00Z', 'C1', '123456789012', 'eu-west-1'],
  ['2024-01-06T12:00:00Z', 'C2', '123456789012', 'us-east-1'],
  ['2024-01-07T02:55:00Z', 'C3', 'o-abc123/210987654321', 'eu-west-1'], // inside the margin
  ['2024-01-07T03:05:00Z', 'C4', '123456789012', 'eu-west-1'], // after the margin: out
] as const;

describe('replay listing: CloudTrail key layout beside the access logs (moto)', () => {
  let s3: S3Client;
  const bucket = uniqueName('replay-ct');
  const prefix = 'logs/';
  const ctKey = (t: string, u: string, account: string, region: string): string => {
    const key = cloudTrailKey(new Date(t), u, account.includes('/') ? account.split('/')[1] : account, region);
    return `${prefix}${account.includes('/') ? key.replace('AWSLogs/', `AWSLogs/${account.split('/')[0]!}/`) : key}`;
  };

  beforeAll(async () => {
    s3 = s3Client();
    await createBucket(s3, bucket);
    await putObjects(s3, bucket, [
      ...CT.map(([t, u, a, r]) => ({ key: ctKey(t, u, a, r), body: '{"Records":[]}' })),
      { key: simpleKey(prefix, '2024-01-05T10:00:00Z', 'S1'), body: 'S1\n' },
      // Not listed: a digest file and an Insights file of the same days.
      {
        key: `${prefix}AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2024/01/05/123456789012_CloudTrail-Digest_eu-west-1_t_eu-west-1_20240105T010000Z.json.gz`,
        body: '{}',
      },
      {
        key: `${prefix}AWSLogs/123456789012/CloudTrail-Insight/eu-west-1/2024/01/05/123456789012_CloudTrail-Insight_eu-west-1_20240105T0100Z_X.json.gz`,
        body: '{}',
      },
    ]);
  });

  afterAll(async () => {
    await emptyAndDeleteBucket(s3, bucket);
    s3.destroy();
  });

  const opts = (over: Partial<ListOptions> = {}): ListOptions => ({
    bucket,
    prefix,
    window: { fromMs: T('2024-01-05T00:00:00Z'), toMs: T('2024-01-07T00:00:00Z'), marginMs: 3 * 3600_000 },
    format: 'auto',
    ...over,
  });
  const uniqueOf = (key: string): string =>
    key.includes('CloudTrail') ? key.slice(key.lastIndexOf('_') + 1, key.indexOf('.json')).replace(/^0+/, '') : key.slice(key.lastIndexOf('-') + 1);
  async function list(o: ListOptions) {
    const stats = emptyListStats();
    const out = [];
    for await (const obj of listLogObjects(s3, o, stats)) out.push(obj);
    return { out, stats };
  }

  it('auto: one listing of both sources, in key-time order', async () => {
    const { out, stats } = await list(opts());
    expect(out.map((o) => uniqueOf(o.key))).toEqual(['C1', 'S1', 'C2', 'C3']);
    expect(out.find((o) => uniqueOf(o.key) === 'C1')).toMatchObject({ format: 'cloudtrail', kind: 'delivery', keyDay: '2024-01-05' });
    expect(stats.formats.sort()).toEqual(['cloudtrail', 'simple']);
    expect(stats.sources.sort()).toEqual([
      'AWSLogs/123456789012/CloudTrail/eu-west-1',
      'AWSLogs/123456789012/CloudTrail/us-east-1',
      'AWSLogs/o-abc123/210987654321/CloudTrail/eu-west-1',
    ]);
  });

  it('--format cloudtrail lists the CloudTrail files only', async () => {
    const { out } = await list(opts({ format: 'cloudtrail' }));
    expect(out.map((o) => uniqueOf(o.key))).toEqual(['C1', 'C2', 'C3']);
  });
});
