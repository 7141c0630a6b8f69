import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { CreateBucketCommand, DeleteObjectCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { isAuditError, type AuditError } from '../../../src/core/errors.js';
import { openObject, type OpenedObject } from '../../../src/sources/s3-object.js';
import { createS3Client } from '../../../src/core/aws-clients.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { awsClientConfig, stackEnv, uniqueName } from '../../support/stack-env.js';
import { newS3, sleep } from './aws.js';

let admin: S3Client;
const bucket = uniqueName('t-src-s3');
const versioned = uniqueName('t-src-s3v');
const moto = new URL(stackEnv().awsEndpointUrl);
const cfg = loadConfigOrThrow({ env: { SELF_USER_AGENT_SUFFIX: 'recording-audit-itest' } });

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SMALL = Buffer.from('line one\nline two\n');
const MEDIUM = Buffer.alloc(1024 * 1024, 'x');

beforeAll(async () => {
  admin = newS3();
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  await admin.send(new CreateBucketCommand({ Bucket: versioned }));
  await admin.send(new PutBucketVersioningCommand({ Bucket: versioned, VersioningConfiguration: { Status: 'Enabled' } }));
  await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'small.log', Body: SMALL }));
  await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'medium.log', Body: MEDIUM }));
});

afterAll(async () => {
  for (const b of [bucket, versioned]) await emptyAndDeleteBucket(admin, b);
  admin.destroy();
});

function found(opened: OpenedObject): Extract<OpenedObject, { found: true }> {
  if (!opened.found) throw new Error(`expected found, got ${opened.reason}`);
  return opened;
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of body) parts.push(chunk);
  return Buffer.concat(parts);
}

async function readError(body: AsyncIterable<Uint8Array>): Promise<AuditError> {
  try {
    await readAll(body);
  } catch (err) {
    if (isAuditError(err)) return err;
    throw err;
  }
  throw new Error('expected the read to fail');
}

/** Forwards the first `limit` bytes of each response, then holds the connection open in silence. */
class StallingProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly limit: number) {}
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(moto.port), moto.hostname);
      this.sockets.add(client).add(upstream);
      let sent = 0;
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (sent >= this.limit) return void upstream.pause();
        const part = chunk.subarray(0, this.limit - sent);
        sent += part.length;
        client.write(part);
        if (sent >= this.limit) upstream.pause();
      });
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

describe('openObject against moto', () => {
  it('streams the exact bytes with size and unquoted eTag', async () => {
    const opened = found(await openObject(admin, { bucket, key: 'small.log' }, { idleTimeoutMs: 5000 }));
    expect(await readAll(opened.body)).toEqual(SMALL);
    expect(opened.size).toBe(SMALL.length);
    expect(opened.eTag).toBe(createHash('md5').update(SMALL).digest('hex'));
  });

  it('maps a missing key, a missing bucket and a missing version to not_found', async () => {
    expect(await openObject(admin, { bucket, key: 'no/such/key.log' }, { idleTimeoutMs: 5000 })).toEqual({ found: false, reason: 'not_found' });
    expect(await openObject(admin, { bucket: uniqueName('t-src-none'), key: 'k' }, { idleTimeoutMs: 5000 })).toEqual({ found: false, reason: 'not_found' });
    const put = await admin.send(new PutObjectCommand({ Bucket: versioned, Key: 'v.log', Body: SMALL }));
    expect(put.VersionId).toBeDefined();
    expect(found(await openObject(admin, { bucket: versioned, key: 'v.log', versionId: put.VersionId! }, { idleTimeoutMs: 5000 })).size).toBe(SMALL.length);
    await admin.send(new DeleteObjectCommand({ Bucket: versioned, Key: 'v.log', VersionId: put.VersionId! }));
    expect(await openObject(admin, { bucket: versioned, key: 'v.log', versionId: put.VersionId! }, { idleTimeoutMs: 5000 })).toEqual({
      found: false,
      reason: 'not_found',
    });
  });

  it('reads only the version the notification named: another ETag under the key is changed', async () => {
    const first = Buffer.from('first version\n');
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'overwritten.log', Body: first }));
    const eTag = createHash('md5').update(first).digest('hex');
    expect(await readAll(found(await openObject(admin, { bucket, key: 'overwritten.log', eTag }, { idleTimeoutMs: 5000 })).body)).toEqual(first);
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'overwritten.log', Body: Buffer.from('second version\n') }));
    expect(await openObject(admin, { bucket, key: 'overwritten.log', eTag }, { idleTimeoutMs: 5000 })).toEqual({ found: false, reason: 'changed' });
  });

  it('streams a 50 MB object with bounded memory and intact content', async () => {
    const size = 50 * 1024 * 1024;
    const line = Buffer.from(
      '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be audit-logs [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT key "GET /k HTTP/1.1" 200 -\n',
    );
    const expected = createHash('sha256');
    function* chunks(): Generator<Buffer> {
      let left = size;
      const block = Buffer.concat(Array.from({ length: Math.ceil(65536 / line.length) }, () => line));
      while (left > 0) {
        const part = block.subarray(0, Math.min(block.length, left));
        left -= part.length;
        expected.update(part);
        yield part;
      }
    }
    // Without a streaming checksum trailer (aws-chunked), which moto takes ~40 s to decode for 50 MB.
    const uploader = new S3Client({ ...awsClientConfig(), requestChecksumCalculation: 'WHEN_REQUIRED' });
    await uploader.send(new PutObjectCommand({ Bucket: bucket, Key: 'big.log', Body: Readable.from(chunks()), ContentLength: size }));
    uploader.destroy();
    const digest = expected.digest('hex');

    // Collect garbage before the baseline and every 4 MiB, so what is measured is memory the
    // reader keeps, not 64 KiB chunks the collector has not reached yet.
    gc();
    await sleep(100);
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakRetained = 0;
    const hash = createHash('sha256');
    let bytes = 0;
    let sinceGc = 0;
    const opened = found(await openObject(admin, { bucket, key: 'big.log' }, { idleTimeoutMs: 10_000 }));
    for await (const chunk of opened.body) {
      hash.update(chunk);
      bytes += chunk.length;
      sinceGc += chunk.length;
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      if (sinceGc >= 4 * 1024 * 1024) {
        sinceGc = 0;
        gc();
        const m = process.memoryUsage();
        peakRetained = Math.max(peakRetained, m.external + m.heapUsed - before.external - before.heapUsed);
      }
    }
    expect(bytes).toBe(size);
    expect(opened.size).toBe(size);
    expect(hash.digest('hex')).toBe(digest);
    const rssGrowthMb = (peakRss - before.rss) / 1024 / 1024;
    const retainedMb = peakRetained / 1024 / 1024;
    console.log(`openObject 50 MB: peak RSS growth ${rssGrowthMb.toFixed(1)} MB, peak retained (after GC) ${retainedMb.toFixed(1)} MB`);
    // Buffering would retain the whole 50 MB (100 MB with a concat).
    expect(retainedMb).toBeLessThan(20);
    expect(rssGrowthMb).toBeLessThan(40);
  });

  it('a consumer slower than the idle timeout is not idle time', async () => {
    const opened = found(await openObject(admin, { bucket, key: 'medium.log' }, { idleTimeoutMs: 200 }));
    let bytes = 0;
    let n = 0;
    for await (const chunk of opened.body) {
      bytes += chunk.length;
      if (n++ < 3) await sleep(400);
    }
    expect(bytes).toBe(MEDIUM.length);
  });

  it('aborts with a retryable OBJECT_READ_FAILED when S3 stalls mid-body', async () => {
    const proxy = new StallingProxy(64 * 1024);
    await proxy.up();
    const s3 = newS3(proxy.url, 1);
    try {
      const opened = found(await openObject(s3, { bucket, key: 'medium.log' }, { idleTimeoutMs: 300 }));
      const err = await readError(opened.body);
      expect(err.code).toBe('OBJECT_READ_FAILED');
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/sent nothing for 300 ms/);
    } finally {
      s3.destroy();
      await proxy.down();
    }
  });

  it('aborts with a retryable OBJECT_READ_FAILED when no response headers arrive', async () => {
    const proxy = new StallingProxy(0);
    await proxy.up();
    const s3 = newS3(proxy.url, 1);
    try {
      const t0 = Date.now();
      const err = await openObject(s3, { bucket, key: 'small.log' }, { idleTimeoutMs: 300 }).then(
        () => undefined,
        (e: unknown) => e as AuditError,
      );
      expect(err?.code).toBe('OBJECT_READ_FAILED');
      expect(err?.retryable).toBe(true);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      s3.destroy();
      await proxy.down();
    }
  });

  it('an abort signal stops the read, before and during the body', async () => {
    const before = new AbortController();
    before.abort();
    await expect(openObject(admin, { bucket, key: 'small.log' }, { idleTimeoutMs: 5000, signal: before.signal })).rejects.toMatchObject({
      code: 'OBJECT_READ_FAILED',
    });

    const during = new AbortController();
    const opened = found(await openObject(admin, { bucket, key: 'medium.log' }, { idleTimeoutMs: 5000, signal: during.signal }));
    let n = 0;
    const err = await (async () => {
      try {
        for await (const _chunk of opened.body) if (++n === 1) during.abort();
      } catch (e) {
        return e as AuditError;
      }
      return undefined;
    })();
    expect(err?.code).toBe('OBJECT_READ_FAILED');
    expect(err?.details.aborted).toBe(true);
  });

  it('breaking out early releases the connection (no pool exhaustion over 60 opens)', async () => {
    for (let i = 0; i < 60; i++) {
      const opened = found(await openObject(admin, { bucket, key: 'medium.log' }, { idleTimeoutMs: 5000 }));
      for await (const _chunk of opened.body) break;
    }
    expect(await readAll(found(await openObject(admin, { bucket, key: 'small.log' }, { idleTimeoutMs: 5000 })).body)).toEqual(SMALL);
  });
});

describe('createS3Client', () => {
  const saved: Record<string, string | undefined> = {};
  const keys = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
  beforeAll(() => {
    const env = stackEnv();
    for (const k of keys) saved[k] = process.env[k];
    process.env.AWS_REGION = env.region;
    process.env.AWS_ACCESS_KEY_ID = env.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = env.secretAccessKey;
  });
  afterAll(() => {
    for (const k of keys) {
      if (saved[k] === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = saved[k];
    }
  });

  it('uses the endpoint override path-style and reads from moto', async () => {
    process.env.AWS_ENDPOINT_URL = moto.toString().replace(/\/$/, '');
    const s3 = createS3Client(cfg);
    try {
      expect(await readAll(found(await openObject(s3, { bucket, key: 'small.log' }, { idleTimeoutMs: 5000 })).body)).toEqual(SMALL);
    } finally {
      s3.destroy();
    }
  });

  it('sends the self User-Agent suffix on every request, path-style', async () => {
    const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
    const server = createHttpServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const s3 = createS3Client(cfg, { userAgentSuffix: 'recording-audit-self' });
    try {
      expect(await openObject(s3, { bucket: 'audit-logs', key: 'logs/2026-01-01-00-00-00-ABC' }, { idleTimeoutMs: 5000 })).toEqual({
        found: false,
        reason: 'not_found',
      });
      expect(seen[0]?.url).toMatch(/^\/audit-logs\/logs\/2026-01-01-00-00-00-ABC/);
      expect(seen[0]?.headers['user-agent']).toMatch(/ recording-audit-self$/);
    } finally {
      s3.destroy();
      Reflect.deleteProperty(process.env, 'AWS_ENDPOINT_URL_S3');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('is virtual-hosted without an endpoint override', () => {
    const s3 = createS3Client(cfg, { env: {} });
    try {
      expect(s3.config.forcePathStyle).toBe(false);
    } finally {
      s3.destroy();
    }
  });
});
