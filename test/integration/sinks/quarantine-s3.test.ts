import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { quarantineKey, type QuarantineRecord, type StoredQuarantineRecord } from '../../../src/sinks/quarantine/record.js';
import { createQuarantineStore } from '../../../src/sinks/quarantine/store.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { awsClientConfig, uniqueName } from '../../support/stack-env.js';

const logger = createLogger('silent');

const rec = (line: number, reason = 'line_unparseable'): QuarantineRecord => ({
  reason,
  stage: 'parse',
  source: 's3://logs/2024-05-01-00-00-00-ABCDEF',
  line,
  hash: 'cd'.repeat(32),
  raw: Buffer.from(`garbage ${line}\u0000\u001b[31m`).toString('base64'),
  detail: 'field count 3',
  at: new Date().toISOString(),
});

describe('S3 quarantine (moto)', () => {
  const s3 = new S3Client(awsClientConfig());
  const bucket = uniqueName('t-quarantine');

  const list = async (): Promise<string[]> => {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (res.Contents ?? []).map((o) => o.Key!).sort();
  };
  const read = async (key: string): Promise<StoredQuarantineRecord[]> => {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = await res.Body!.transformToString('utf8');
    return text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as StoredQuarantineRecord);
  };

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    await emptyAndDeleteBucket(s3, bucket);
    s3.destroy();
  });

  it('writes NDJSON batches under prefix/YYYY/MM/DD/<digest>.ndjson; a retried put lands on the same key', async () => {
    const store = createQuarantineStore({ QUARANTINE_URL: `s3://${bucket}/audit/quarantine/` }, { s3, logger });
    const records = [rec(1), rec(2), rec(3, 'line_too_long')];
    await store.put(records);
    const keys = await list();
    expect(keys).toHaveLength(1);
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    expect(keys[0]).toMatch(new RegExp(`^audit/quarantine/${day}/[0-9a-f]{64}\\.ndjson$`));

    const stored = await read(keys[0]!);
    expect(stored.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(stored[0]).toMatchObject({ ...records[0], key: quarantineKey(records[0]!) });
    expect(Buffer.from(stored[0]!.raw!, 'base64').toString()).toBe('garbage 1\u0000\u001b[31m');

    // The same records again (a redelivered object, a retried put): no second object.
    await store.put(records.map((r) => ({ ...r, at: new Date(Date.now() + 1000).toISOString() })));
    expect(await list()).toEqual(keys);
    await store.close();
  });

  it('combines concurrent puts into few objects and loses none', async () => {
    const store = createQuarantineStore({ QUARANTINE_URL: `s3://${bucket}/many` }, { s3, logger });
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.put([rec(1000 + i)])));
    await store.close();
    const keys = (await list()).filter((k) => k.startsWith('many/'));
    expect(keys.length).toBeLessThan(40);
    const lines = (await Promise.all(keys.map(read))).flat().map((r) => r.line);
    expect(lines.sort((a, b) => a! - b!)).toEqual(Array.from({ length: 40 }, (_, i) => 1000 + i));
  });

  it('a write that hangs fails after QUARANTINE_WRITE_TIMEOUT_MS, and the next write is not held behind it', async () => {
    // An S3 endpoint that accepts connections and never answers: a half-open connection.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const hung = new S3Client({ ...awsClientConfig(`http://127.0.0.1:${port}`), maxAttempts: 1 });
    try {
      const store = createQuarantineStore({ QUARANTINE_URL: `s3://${bucket}/hung`, QUARANTINE_WRITE_TIMEOUT_MS: 300 }, { s3: hung, logger });
      const started = Date.now();
      const first = store.put([rec(1)]);
      const second = store.put([rec(2)]);
      await expect(first).rejects.toMatchObject({ code: 'QUARANTINE_WRITE_FAILED', retryable: true });
      await expect(second).rejects.toMatchObject({ code: 'QUARANTINE_WRITE_FAILED' });
      expect(Date.now() - started).toBeLessThan(5_000);
      await store.close();
    } finally {
      hung.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('reports a failed write (missing bucket) so the object is not acknowledged', async () => {
    const store = createQuarantineStore({ QUARANTINE_URL: `s3://${bucket}-missing/x` }, { s3, logger });
    await expect(store.put([rec(1)])).rejects.toMatchObject({ code: 'QUARANTINE_WRITE_FAILED', retryable: true });
    await store.close();
  });
});
