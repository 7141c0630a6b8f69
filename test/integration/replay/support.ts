import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLogger } from '../../../src/core/log.js';
import { applyStackEnv } from '../../support/stack-env.js';

/** An S3 client on moto, built as the product builds it: from AWS_* in process.env, which this sets. */
export function s3Client(): S3Client {
  applyStackEnv();
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
