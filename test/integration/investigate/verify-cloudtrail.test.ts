import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCloudTrailEvent } from '../../../src/event/cloudtrail-build.js';
import type { CloudTrailEvent } from '../../../src/event/cloudtrail.js';
import type { IndexableDocument } from '../../../src/event/types.js';
import { verifyEvidence, type VerifyOutcome } from '../../../src/investigate/verify.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { cloudTrailKey, cloudTrailRecord } from '../../support/cloudtrail-files.js';
import { applyStackEnv, awsClientConfig, stackEnv, uniqueName } from '../../support/stack-env.js';
import { BUCKET, dropAll, indexBoth, recordingKey, setupPrefix } from './two-sources.js';

// verify for CloudTrail events: the record at log.offset of the file at log.file.path, re-read
// from S3, must give the stored event (hash, id, every field the record gives).
describe('verify: CloudTrail events against their CloudTrail file in S3', () => {
  applyStackEnv();
  const s3 = new S3Client(awsClientConfig());
  const client = new Client({ node: stackEnv().opensearchUrl });
  const trailBucket = uniqueName('t-verify-ct');
  const prefix = uniqueName('t-verify-ct');
  const time = (s: number): Date => new Date(Date.UTC(2026, 0, 1, 10, 0, s));
  const records = [1, 2, 3, 4].map((i) => cloudTrailRecord({ bucket: BUCKET, key: recordingKey(i), time: time(i) }));
  const key = cloudTrailKey(time(0), 'VERIFYCT');
  const path = `s3://${trailBucket}/${key}`;
  const docs: IndexableDocument<CloudTrailEvent>[] = records.map((r, i) => {
    const b = buildCloudTrailEvent(r, i + 1, { filePath: path, audited: undefined });
    if (b.kind !== 'event') throw new Error(b.kind);
    return b.doc;
  });

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: trailBucket }));
    await s3.send(new PutObjectCommand({ Bucket: trailBucket, Key: key, Body: gzipSync(JSON.stringify({ Records: records })) }));
    await setupPrefix(client, prefix);
    // What enrichment and the linker add is not from the record.
    docs[1]!.event.actor.kind = 'human';
    docs[1]!.event.genesys = { conversation: { id: 'c' } };
    await indexBoth(client, prefix, [], docs);
    const indexOf = async (id: string): Promise<string> =>
      ((await client.search({ index: prefix, body: { query: { ids: { values: [id] } } } })).body as unknown as { hits: { hits: { _index: string }[] } }).hits
        .hits[0]!._index;
    await client.update({
      index: await indexOf(docs[1]!.id),
      id: docs[1]!.id,
      body: { doc: { link: { sources: ['aws.cloudtrail'], twin_id: ['x'], linked_at: time(9).toISOString() } } },
      refresh: true,
    });
    // An edit: someone changes who made the request.
    await client.update({
      index: await indexOf(docs[2]!.id),
      id: docs[2]!.id,
      body: { doc: { aws: { cloudtrail: { user_identity: { arn: 'arn:aws:sts::123456789012:assumed-role/Other/x' } } } } },
      refresh: true,
    });
  });

  afterAll(async () => {
    await dropAll(client, prefix);
    await emptyAndDeleteBucket(s3, trailBucket);
    await client.close();
    s3.destroy();
  });

  it('verifies the untouched and the enriched and linked ones, and names the edited field', async () => {
    const outcomes: VerifyOutcome[] = [];
    const summary = await verifyEvidence({
      client,
      s3,
      index: prefix,
      selection: { from: time(0).toISOString(), to: time(60).toISOString() },
      objectReadTimeoutMs: 10_000,
      onOutcome: (o) => outcomes.push(o),
    });
    const byId = new Map(outcomes.map((o) => [o.id, o]));
    expect(summary.counts).toMatchObject({ verified: 3, altered: 1, source_missing: 0, source_unreadable: 0 });
    expect(summary.objects).toBe(1);
    for (const i of [0, 1, 3]) expect(byId.get(docs[i]!.id)?.status).toBe('verified');
    expect(byId.get(docs[2]!.id)).toMatchObject({ status: 'altered', differences: [{ field: 'aws.cloudtrail.user_identity.arn' }] });
  });
});
