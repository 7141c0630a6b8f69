import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyListStats, listLogObjects, type ListOptions } from '../../../src/replay/list.js';
import { createBucket, partitionedKey, putObjects, s3Client, simpleKey } from './support.js';
import { uniqueName } from '../../support/stack-env.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';

const T = (iso: string): number => Date.parse(iso);
const SRC_A = '123456789012/eu-west-1/recordings-a';
const SRC_B = '123456789012/eu-west-1/recordings-b';
// An account id that starts like a year: it sorts among the simple keys of 2024 and must still be found.
const SRC_C = '202401234567/us-east-1/recordings-c';

/** Keys in both layouts over 2024-01-03 .. 2024-01-08, with boundary cases around the window. */
const SIMPLE = [
  ['2024-01-03T12:00:00Z', 'S0'],
  ['2024-01-04T23:59:59Z', 'S1'], // 1 s before from: out
  ['2024-01-05T00:00:00Z', 'S2'], // at from: in
  ['2024-01-05T13:14:15Z', 'S3'],
  ['2024-01-06T08:00:00Z', 'S4'],
  ['2024-01-07T02:59:59Z', 'S5'], // last second inside to + margin: in
  ['2024-01-07T03:00:00Z', 'S6'], // at to + margin: out
  ['2024-01-08T00:00:00Z', 'S7'],
] as const;
const PARTITIONED = [
  [SRC_A, '2024-01-04T00:00:00Z', 'PA0'], // event day before from: out
  [SRC_A, '2024-01-05T00:00:00Z', 'PA1'], // event day of from: in
  [SRC_A, '2024-01-06T00:00:00Z', 'PA2'],
  [SRC_A, '2024-01-07T00:00:00Z', 'PA3'], // event day that the margin reaches into: in
  [SRC_A, '2024-01-08T00:00:00Z', 'PA4'], // out
  [SRC_B, '2024-01-04T23:30:00Z', 'PB0'], // delivery key before from: out
  [SRC_B, '2024-01-05T00:00:01Z', 'PB1'],
  [SRC_B, '2024-01-06T23:59:59Z', 'PB2'],
  [SRC_B, '2024-01-07T02:00:00Z', 'PB3'], // delivered within the margin: in
  [SRC_B, '2024-01-07T04:00:00Z', 'PB4'], // after the margin: out
  [SRC_C, '2024-01-05T13:14:15Z', 'PC0'],
  [SRC_C, '2024-01-09T00:00:00Z', 'PC1'],
] as const;
const IN = new Set(['S2', 'S3', 'S4', 'S5', 'PA1', 'PA2', 'PA3', 'PB1', 'PB2', 'PB3', 'PC0']);

describe('replay listing against S3 (moto)', () => {
  let s3: S3Client;
  const bucket = uniqueName('replay-list');
  const prefix = 'logs/';

  beforeAll(async () => {
    s3 = s3Client();
    await createBucket(s3, bucket);
    await putObjects(s3, bucket, [
      ...SIMPLE.map(([t, u]) => ({ key: simpleKey(prefix, t, u), body: `${u}\n` })),
      ...PARTITIONED.map(([src, t, u]) => ({ key: partitionedKey(prefix, src, t, u), body: `${u}\n` })),
      // Not log keys: ignored, and never a reason to scan.
      { key: `${prefix}README.txt`, body: 'x' },
      { key: 'other/2024-01-05-10-00-00-X1', body: 'x' },
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
  const uniqueOf = (key: string): string => key.slice(key.lastIndexOf('-') + 1);
  async function list(o: ListOptions) {
    const stats = emptyListStats();
    const out = [];
    for await (const obj of listLogObjects(s3, o, stats)) out.push(obj);
    return { out, stats };
  }

  it('auto: selects exactly the window in both layouts, in key-time order', async () => {
    const { out, stats } = await list(opts());
    expect(new Set(out.map((o) => uniqueOf(o.key)))).toEqual(IN);
    const order = out.map((o) => [o.keyTimeMs, o.key] as const);
    expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1)));
    expect(stats.formats.sort()).toEqual(['partitioned', 'simple']);
    expect(stats.sources.sort()).toEqual([SRC_A, SRC_B, SRC_C].sort());
    const pa1 = out.find((o) => o.key.endsWith('PA1'))!;
    expect(pa1).toMatchObject({ format: 'partitioned', kind: 'event-day', keyDay: '2024-01-05', size: 4 });
  });

  it('lists only prefixes that can hold the window: keys of other days are never returned', async () => {
    const { out, stats } = await list(opts());
    // Every key S3 returned is either selected or a boundary key inside a listed day folder.
    const outside = stats.keysSeen - out.length;
    expect(outside).toBe(stats.outsideWindow + stats.notLogKeys);
    // S0, S1, S6, S7, PA0, PA4, PB0, PC1 live in days or ranges that are never listed.
    expect(stats.keysSeen).toBeLessThanOrEqual(out.length + 1);
  });

  it('forced formats list one layout', async () => {
    const simple = await list(opts({ format: 'simple' }));
    expect(simple.out.map((o) => uniqueOf(o.key))).toEqual(['S2', 'S3', 'S4', 'S5']);
    const part = await list(opts({ format: 'partitioned' }));
    expect(part.out.every((o) => o.format === 'partitioned')).toBe(true);
    expect(part.out).toHaveLength(7);
  });

  it('margin 0 drops the objects delivered after --to', async () => {
    const { out } = await list(opts({ window: { fromMs: T('2024-01-05T00:00:00Z'), toMs: T('2024-01-07T00:00:00Z'), marginMs: 0 } }));
    expect(new Set(out.map((o) => uniqueOf(o.key)))).toEqual(new Set(['S2', 'S3', 'S4', 'PA1', 'PA2', 'PB1', 'PB2', 'PC0']));
  });

  it('pages of one key still find every source and every object (year-skip past simple keys)', async () => {
    const { out, stats } = await list(opts({ pageSize: 1 }));
    expect(new Set(out.map((o) => uniqueOf(o.key)))).toEqual(IN);
    expect(stats.sources).toContain(SRC_C);
  });

  it('a prefix naming one source lists that source only', async () => {
    const { out, stats } = await list(opts({ prefix: `${prefix}${SRC_B}/` }));
    expect(out.map((o) => uniqueOf(o.key))).toEqual(['PB1', 'PB2', 'PB3']);
    expect(stats.sources).toEqual([SRC_B]);
  });

  it('a window inside one hour of one day', async () => {
    const { out } = await list(opts({ window: { fromMs: T('2024-01-05T13:00:00Z'), toMs: T('2024-01-05T13:30:00Z'), marginMs: 0 } }));
    // PA1 is the event-day object of 2024-01-05 and covers this hour too.
    expect(out.map((o) => uniqueOf(o.key))).toEqual(['PA1', 'S3', 'PC0']); // same time: by key
  });
});
