import { open, mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AuditError } from '../core/errors.js';

/** One small document kept durably: a checkpoint or a report. */
export interface DocumentStore {
  /** Where it lives, for logs and the report (a file path or s3://bucket/key). */
  readonly location: string;
  read(): Promise<string | undefined>;
  /** Replaces the document whole: a reader sees the old or the new text, never a mix. */
  write(text: string): Promise<void>;
}

/** `file:///dir/name.json` or `s3://bucket/key.json` with `suffix` inserted before the extension. */
export function withSuffix(url: string, suffix: string): string {
  const slash = url.lastIndexOf('/');
  const dot = url.lastIndexOf('.');
  if (dot > slash) return `${url.slice(0, dot)}${suffix}${url.slice(dot)}`;
  return `${url}${suffix}.json`;
}

class FileStore implements DocumentStore {
  constructor(readonly location: string) {}

  async read(): Promise<string | undefined> {
    try {
      return await readFile(this.location, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async write(text: string): Promise<void> {
    const dir = dirname(this.location);
    await mkdir(dir, { recursive: true });
    const tmp = `${this.location}.${process.pid}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, this.location);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    // The rename itself is durable only once the directory entry is.
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}

class S3Store implements DocumentStore {
  readonly location: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
  ) {
    this.location = `s3://${bucket}/${key}`;
  }

  async read(): Promise<string | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      return out.Body ? await out.Body.transformToString('utf8') : '';
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
      throw err;
    }
  }

  async write(text: string): Promise<void> {
    // PutObject replaces the object atomically: readers see the previous or the new version.
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key, Body: text, ContentType: 'application/json' }));
  }
}

/** Opens a `file:///path` or `s3://bucket/key` location. */
export function openStore(url: string, s3: S3Client): DocumentStore {
  if (url.startsWith('file://')) return new FileStore(fileURLToPath(url));
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]+[a-z0-9])\/(.+)$/.exec(url);
  if (m) return new S3Store(s3, m[1]!, m[2]!);
  throw new AuditError('CONFIG_INVALID', `A checkpoint or report location must be file:///path or s3://bucket/key, got "${url}".`);
}

/** A plain path (the --report flag) as a file URL; URLs pass through. */
export function toStoreUrl(pathOrUrl: string): string {
  if (/^(file|s3):\/\//.test(pathOrUrl)) return pathOrUrl;
  return pathToFileURL(resolve(pathOrUrl)).href;
}
