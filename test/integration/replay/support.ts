import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createLogger } from '../../../src/core/log.js';

/**
 * The local stack's endpoints from .stack/env, also put into process.env for the AWS SDK (which
 * reads its own AWS_* variables, as in production).
 */
export function stackVars(): Record<string, string> {
  const path = `${process.cwd()}/.stack/env`;
  if (!existsSync(path)) throw new Error('The local stack is not up: run npm run stack:up');
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
  }
  for (const [k, v] of Object.entries(vars)) if (k.startsWith('AWS_')) process.env[k] = v;
  return vars;
}

export const unique = (prefix: string): string => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

export function s3Client(): S3Client {
  stackVars();
  return new S3Client({ forcePathStyle: true });
}

export const quietLogger = createLogger('silent');

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** Puts objects with bounded parallelism. */
export async function putObjects(s3: S3Client, bucket: string, objects: readonly { key: string; body: string }[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < objects.length) {
        const o = objects[next++]!;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.body }));
      }
    }),
  );
}

export async function emptyAndDeleteBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const keys = (page.Contents ?? []).flatMap((c) => (c.Key ? [{ Key: c.Key }] : []));
    if (keys.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** `<hh>-<mm>-<ss>` style stamp of an ISO time. */
export function stamp(iso: string): string {
  const d = new Date(iso).toISOString();
  return `${d.slice(0, 10)}-${d.slice(11, 13)}-${d.slice(14, 16)}-${d.slice(17, 19)}`;
}

export function simpleKey(prefix: string, iso: string, u: string): string {
  return `${prefix}${stamp(iso)}-${u}`;
}

export function partitionedKey(prefix: string, source: string, iso: string, u: string): string {
  const d = new Date(iso).toISOString();
  return `${prefix}${source}/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${stamp(iso)}-${u}`;
}
