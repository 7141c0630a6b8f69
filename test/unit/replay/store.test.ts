import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { CheckpointWriter, decodeCheckpoint, encodeCheckpoint, runKeyOf, type Checkpoint } from '../../../src/replay/checkpoint.js';
import { createLogger } from '../../../src/core/log.js';
import { emptyReportState } from '../../../src/replay/report.js';
import { openStore, toStoreUrl, withSuffix } from '../../../src/replay/store.js';

const params = {
  bucket: 'b',
  prefix: 'logs/',
  from: '2024-01-05T00:00:00.000Z',
  to: '2024-01-06T00:00:00.000Z',
  marginSecs: 10800,
  format: 'auto',
  mode: 'process',
} as const;
// Only file:// stores are opened in these tests; the S3 client is never used.
const s3 = new S3Client({ region: 'us-east-1' });

const checkpoint = (over: Partial<Checkpoint> = {}): Checkpoint => ({
  runKey: runKeyOf(params),
  params,
  attempt: 1,
  startedAt: '2024-02-01T00:00:00.000Z',
  completed: false,
  progress: {
    watermark: { keyTimeMs: Date.parse('2024-01-05T01:00:00Z'), key: 'logs/a' },
    doneAbove: [{ keyTimeMs: Date.parse('2024-01-05T02:00:00Z'), key: 'logs/c' }],
    failed: [],
  },
  report: emptyReportState(),
  ...over,
});

describe('checkpoint documents', () => {
  it('keys runs by every parameter', () => {
    const k = runKeyOf(params);
    expect(k).toMatch(/^[0-9a-f]{16}$/);
    for (const change of [
      { to: '2024-01-07T00:00:00.000Z' },
      { marginSecs: 0 },
      { format: 'simple' },
      { prefix: 'logs2/' },
      { mode: 'enqueue' as const },
      { bucket: 'c' },
    ]) {
      expect(runKeyOf({ ...params, ...change })).not.toBe(k);
    }
  });

  it('round-trips and refuses what is not a checkpoint', () => {
    const c = checkpoint();
    expect(decodeCheckpoint(encodeCheckpoint(c, new Date()), 'x')).toEqual(c);
    expect(() => decodeCheckpoint('{"kind":"other"}', 'x')).toThrow(/not a replay checkpoint/);
    expect(() => decodeCheckpoint('{', 'x')).toThrow(/not JSON/);
  });

  it('inserts the run key before the extension', () => {
    expect(withSuffix('file:///tmp/r/replay-checkpoint.json', '.abc')).toBe('file:///tmp/r/replay-checkpoint.abc.json');
    expect(withSuffix('s3://bkt/replay/cp', '.abc')).toBe('s3://bkt/replay/cp.abc.json');
    expect(withSuffix('s3://bkt/a.b/cp', '.abc.report')).toBe('s3://bkt/a.b/cp.abc.report.json');
  });

  it('file store: replaces the file atomically, leaves no temp file, reads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-store-'));
    const url = pathToFileURL(join(dir, 'sub', 'cp.json')).href;
    const store = openStore(url, s3);
    expect(await store.read()).toBeUndefined();
    await store.write('one');
    await store.write('two');
    expect(await store.read()).toBe('two');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['cp.json']);
    expect(toStoreUrl(join(dir, 'r.json'))).toBe(pathToFileURL(join(dir, 'r.json')).href);
    expect(toStoreUrl('s3://b/k')).toBe('s3://b/k');
    expect(() => openStore('http://x/y', s3)).toThrow(/file:\/\/\/path or s3/);
  });

  it('coalesces writes and always ends with the latest state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-writer-'));
    const path = join(dir, 'cp.json');
    let attempt = 0;
    const writer = new CheckpointWriter(openStore(pathToFileURL(path).href, s3), () => checkpoint({ attempt: ++attempt }), createLogger('silent'));
    for (let i = 0; i < 50; i += 1) void writer.schedule();
    await writer.flush();
    expect(writer.writes).toBeLessThan(50);
    expect(decodeCheckpoint(readFileSync(path, 'utf8'), path).attempt).toBe(attempt);
  });
});
