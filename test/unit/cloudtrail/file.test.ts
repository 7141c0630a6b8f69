import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCloudTrailFile, type CloudTrailFileStats, type CloudTrailItem } from '../../../src/decode/cloudtrail-file.js';
import { cloudTrailKeyKind, cloudTrailKeyTimeMs } from '../../../src/sources/cloudtrail-keys.js';

async function read(data: Buffer, maxRecordBytes = 100_000, chunk = 13): Promise<{ items: CloudTrailItem[]; stats: CloudTrailFileStats }> {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += chunk) chunks.push(data.subarray(i, i + chunk));
  const it = readCloudTrailFile(Readable.from(chunks), { maxRecordBytes });
  const items: CloudTrailItem[] = [];
  for (;;) {
    const n = await it.next();
    if (n.done === true) return { items, stats: n.value };
    items.push(...n.value);
  }
}
const summary = (items: CloudTrailItem[]): unknown[] => items.map((i) => (i.kind === 'record' ? ['record', i.index] : [i.kind, i.index, i.reason]));
const file = (o: unknown): Buffer => gzipSync(Buffer.from(JSON.stringify(o)));

describe('CloudTrail file reader', () => {
  it('reads each sample file, gzipped or not, in any chunking', async () => {
    for (const name of ['getobject', 'putobject', 'deleteobject-accessdenied']) {
      const raw = readFileSync(new URL(`../../fixtures/samples/cloudtrail-s3-${name}.json`, import.meta.url));
      const expected = (JSON.parse(raw.toString()) as { Records: unknown[] }).Records;
      for (const [data, chunk] of [
        [raw, 1],
        [gzipSync(raw), 7],
        [gzipSync(raw), 1 << 16],
      ] as const) {
        const { items, stats } = await read(data, 100_000, chunk);
        expect(items.map((i) => (i.kind === 'record' ? i.value : i))).toEqual(expected);
        expect(stats).toMatchObject({ elements: 1, gzip: data !== raw });
      }
    }
  });

  it('keeps records in order with their 1-based index; a record over the cap or not an object is one entry and the file goes on', async () => {
    const { items } = await read(file({ Records: [{ a: 1 }, { b: 'x'.repeat(5000) }, 3, [1, [2]], { c: { d: [1, 2] } }], other: { z: [1, { y: 2 }] } }), 4096);
    expect(summary(items)).toEqual([
      ['record', 1],
      ['bad_record', 2, 'ct_record_too_large'],
      ['bad_record', 3, 'ct_record_not_object'],
      ['bad_record', 4, 'ct_record_not_object'],
      ['record', 5],
    ]);
    expect(items[4]).toMatchObject({ value: { c: { d: [1, 2] } } });
  });

  it('reads one huge line of many records with memory for one record', async () => {
    const records = Array.from({ length: 20_000 }, (_, i) => ({ eventID: `e${i}`, pad: 'p'.repeat(100) }));
    const { items, stats } = await read(file({ Records: records }), 4096, 65_536);
    expect(items.length).toBe(20_000);
    expect(items.every((i, n) => i.kind === 'record' && i.index === n + 1 && i.value.eventID === `e${n}`)).toBe(true);
    expect(stats.elements).toBe(20_000);
  });

  it('stops at a token that never ends: the records before it, then one entry, without reading on', async () => {
    const cap = 4096;
    let pulled = 0;
    // 100 MB of one string, made as it is read: the reader must stop near the cap, not hold the string.
    function* body(): Generator<Uint8Array> {
      const head = Buffer.from('{"Records":[{"eventID":"a"},{"eventID":"b","pad":"');
      pulled += head.length;
      yield head;
      const block = Buffer.alloc(64 * 1024, 0x78);
      for (let i = 0; i < 1600; i += 1) {
        pulled += block.length;
        yield block;
      }
      yield Buffer.from('"}]}');
    }
    const it = readCloudTrailFile(Readable.from(body()), { maxRecordBytes: cap });
    const items: CloudTrailItem[] = [];
    for (let n = await it.next(); n.done !== true; n = await it.next()) items.push(...n.value);
    expect(summary(items)).toEqual([
      ['record', 1],
      ['file_error', 2, 'ct_token_too_large'],
    ]);
    expect(pulled).toBeLessThan(4 * cap + 2 * 64 * 1024);
    // A long but legal string below the token cap is only the record's problem.
    const { items: ok } = await read(file({ Records: [{ a: 'y'.repeat(3 * cap) }, { b: 1 }] }), cap, 1000);
    expect(summary(ok)).toEqual([
      ['bad_record', 1, 'ct_record_too_large'],
      ['record', 2],
    ]);
  });

  it('a truncated gzip keeps the records before the break; the rest is one entry', async () => {
    const gz = file({ Records: Array.from({ length: 200 }, (_, i) => ({ eventID: `e${i}`, n: i * 7919 })) });
    const { items } = await read(gz.subarray(0, Math.floor(gz.length / 2)), 4096, 64);
    const last = items.at(-1)!;
    expect(last).toMatchObject({ kind: 'file_error', reason: 'ct_truncated_gzip' });
    const records = items.slice(0, -1);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((i, n) => i.kind === 'record' && i.index === n + 1)).toBe(true);
  });

  it('invalid JSON partway: the records before it, then one entry', async () => {
    const { items } = await read(Buffer.from('{"Records":[{"a":1},{"b":2,}]}'));
    expect(summary(items)).toEqual([
      ['record', 1],
      ['file_error', 2, 'ct_invalid_json'],
    ]);
  });

  it('refuses files whose Records is not an array, that have no Records, or are not an object', async () => {
    expect(summary((await read(Buffer.from('{"Records":{"a":{"b":1}}}'))).items)).toEqual([['file_error', 0, 'ct_records_not_array']]);
    expect(summary((await read(Buffer.from('{"Records":"x"}'))).items)).toEqual([['file_error', 0, 'ct_records_not_array']]);
    expect(summary((await read(Buffer.from('[{"eventID":"a"}]'))).items)).toEqual([['file_error', 0, 'ct_records_not_array']]);
    expect(summary((await read(file({ digestStartTime: 'x', logFiles: [{ a: 1 }] }))).items)).toEqual([['file_error', 0, 'ct_records_missing']]);
    expect(summary((await read(Buffer.alloc(0))).items)).toEqual([['file_error', 0, 'ct_records_missing']]);
    expect(summary((await read(Buffer.from('{"Records":[]} {"x":1}'))).items)).toEqual([['file_error', 0, 'ct_invalid_json']]);
    expect(summary((await read(Buffer.from('{"Records":[{"a":1}'))).items)).toEqual([
      ['record', 1],
      ['file_error', 1, 'ct_invalid_json'],
    ]);
  });

  it('an empty Records array is a file with no records', async () => {
    expect((await read(file({ Records: [] }))).items).toEqual([]);
  });
});

describe('CloudTrail keys', () => {
  it('tells log files from digest, Insights and other event-type files', () => {
    expect(
      cloudTrailKeyKind('AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz'),
    ).toBe('log');
    expect(cloudTrailKeyKind('pre/fix/AWSLogs/o-abc123/111122223333/CloudTrail/us-east-1/2026/01/01/x.json.gz')).toBe('log');
    expect(
      cloudTrailKeyKind(
        'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/01/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20260101T010000Z.json.gz',
      ),
    ).toBe('digest');
    expect(cloudTrailKeyKind('AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/01/01/x.json.gz')).toBe('insights');
    expect(cloudTrailKeyKind('AWSLogs/111122223333/CloudTrail-NetworkActivity/us-east-1/2026/01/01/x.json.gz')).toBe('other_event_type');
    expect(cloudTrailKeyKind('logs/2026-01-01-01-00-00-ABCDEF0123456789')).toBeUndefined();
  });

  it('reads the delivery time in the file name', () => {
    expect(cloudTrailKeyTimeMs('a/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz')).toBe(Date.UTC(2015, 7, 1, 2, 10));
    expect(cloudTrailKeyTimeMs('a/b.json.gz')).toBeUndefined();
  });
});
