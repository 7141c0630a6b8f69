import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * Deletes every object version and delete marker of a test bucket (versioned or not), then the
 * bucket; gives up after 100 pages, so a bucket something keeps writing into cannot hold a test.
 */
export async function emptyAndDeleteBucket(s3: S3Client, bucket: string): Promise<void> {
  for (let page = 0; ; page += 1) {
    if (page === 100) throw new Error(`${bucket} is still not empty after 100 pages of deletes`);
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const objects = [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key ?? '', VersionId: v.VersionId }));
    if (objects.length === 0) break;
    const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
    if ((out.Errors ?? []).length > 0) throw new Error(`emptying ${bucket}: ${JSON.stringify(out.Errors)}`);
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}
