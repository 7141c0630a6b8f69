import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { quarantineKey, toNdjsonLine, type QuarantineRecord } from '../../../src/sinks/quarantine/record.js';
import { createQuarantineStore } from '../../../src/sinks/quarantine/store.js';
import { FileQuarantine } from '../../../src/sinks/quarantine/file.js';

const logger = createLogger('silent');
const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

const rec = (over: Partial<QuarantineRecord> = {}): QuarantineRecord => ({
  reason: 'line_truncated',
  stage: 'parse',
  source: 's3://logs/2024-05-01-00-00-00-ABC',
  line: 7,
  hash: 'ab'.repeat(32),
  raw: Buffer.from('bad "line\n{"delete":{}}').toString('base64'),
  at: '2024-05-01T00:00:00.000Z',
  ...over,
});

describe('quarantine records', () => {
  it('key identifies the rejection, not when it was made', () => {
    expect(quarantineKey(rec())).toBe(quarantineKey(rec({ at: '2030-01-01T00:00:00.000Z', detail: 'other words' })));
    expect(quarantineKey(rec())).not.toBe(quarantineKey(rec({ line: 8 })));
    expect(quarantineKey(rec())).not.toBe(quarantineKey(rec({ reason: 'mapper_parsing_exception' })));
    expect(quarantineKey(rec())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('one NDJSON line per record, even with newlines and bulk actions inside values', () => {
    const line = toNdjsonLine(rec({ detail: 'x\n{"index":{}}\r\n' }));
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.key).toBe(quarantineKey(rec()));
    expect(parsed.detail).toBe('x\n{"index":{}}\r\n');
  });

  it("stores no credential value: the raw line and the detail are redacted, the hash stays the original bytes' (issue 20)", () => {
    const sig = 'ab12'.repeat(16);
    const line = `o b [01/Jan/2024:00:00:00 +0000] 1.2.3.4 - R REST.GET.OBJECT k "GET /k?X-Amz-Credential=AKIAEXAMPLE%2Fx&X-Amz-Signature=${sig}&x-amz-security-token=tok123 HTTP/1.1" 200 \xff`;
    const raw = Buffer.from(line, 'latin1');
    const stored = JSON.parse(toNdjsonLine(rec({ raw: raw.toString('base64'), detail: `bad line near "GET /k?X-Amz-Signature=${sig}"` }))) as QuarantineRecord;
    const text = Buffer.from(stored.raw ?? '', 'base64').toString('latin1');
    expect(text).toBe(line.replace('AKIAEXAMPLE%2Fx', '[redacted]').replace(sig, '[redacted]').replace('tok123', '[redacted]'));
    expect(JSON.stringify(stored)).not.toMatch(new RegExp(`${sig}|AKIAEXAMPLE|tok123`));
    expect(stored).toMatchObject({ redacted: true, hash: 'ab'.repeat(32) });
    // A line without credentials is stored byte for byte, unflagged.
    expect(JSON.parse(toNdjsonLine(rec()))).not.toHaveProperty('redacted');
    expect((JSON.parse(toNdjsonLine(rec())) as QuarantineRecord).raw).toBe(rec().raw);
  });

  it('refuses an unknown scheme', () => {
    expect(() => createQuarantineStore({ QUARANTINE_URL: 'http://x/y' }, { s3, logger })).toThrow(/QUARANTINE_URL/);
  });
});

describe('file quarantine', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quarantine-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends every record of concurrent puts exactly once, then closes', async () => {
    const store = createQuarantineStore({ QUARANTINE_URL: pathToFileURL(join(dir, 'nested', 'q')).href }, { s3, logger });
    const puts = Array.from({ length: 50 }, (_, i) => store.put([rec({ line: i * 2 }), rec({ line: i * 2 + 1 })]));
    await Promise.all(puts);
    await store.put([]);
    await store.close();
    await expect(store.put([rec()])).rejects.toMatchObject({ code: 'QUARANTINE_WRITE_FAILED' });

    const files = await readdir(join(dir, 'nested', 'q'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^quarantine-\d{4}-\d{2}-\d{2}-\d+-[0-9a-f]{8}\.ndjson$/);
    const lines = (await readFile(join(dir, 'nested', 'q', files[0]!), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(100);
    const numbers = lines.map((l) => (JSON.parse(l) as QuarantineRecord).line).sort((a, b) => a! - b!);
    expect(numbers).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('a file left ending inside a line (a cut-short write) gets a newline before the next record', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const file = join(dir, `quarantine-${day}-tag.ndjson`);
    const torn = toNdjsonLine(rec({ line: 1 })).slice(0, 40);
    await writeFile(file, toNdjsonLine(rec({ line: 0 })) + torn);
    const store = new FileQuarantine(pathToFileURL(dir), logger, 'tag');
    await store.put([rec({ line: 2 }), rec({ line: 3 })]);
    await store.close();
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[1]).toBe(torn);
    expect(lines[4]).toBe('');
    expect([lines[0], lines[2], lines[3]].map((l) => (JSON.parse(l!) as QuarantineRecord).line)).toEqual([0, 2, 3]);
    // A file that ends with a whole line is appended to as it is.
    const again = new FileQuarantine(pathToFileURL(dir), logger, 'tag');
    await again.put([rec({ line: 4 })]);
    await again.close();
    expect((await readFile(file, 'utf8')).split('\n')).toHaveLength(6);
  });

  it('reports a write failure instead of losing records', async () => {
    // A directory path that is a regular file cannot be created.
    const blocker = join(dir, 'file');
    await (await import('node:fs/promises')).writeFile(blocker, 'x');
    const store = createQuarantineStore({ QUARANTINE_URL: pathToFileURL(join(blocker, 'q')).href }, { s3, logger });
    await expect(store.put([rec()])).rejects.toMatchObject({ code: 'QUARANTINE_WRITE_FAILED', retryable: true });
    await store.close();
  });
});
