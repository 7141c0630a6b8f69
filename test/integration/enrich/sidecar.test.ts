import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnricher } from '../../../src/enrich/enricher.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { exportMetadataKey, generateDataset, recordingIdOnlyKey, sidecarDocument } from '../../../src/sim/genesys/dataset.js';
import { accessEventForKey } from '../../../src/sim/genesys/events.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { awsClientConfig, uniqueName } from '../../support/stack-env.js';
import { logger, simConfig } from './support.js';

const dataset = generateDataset({ seed: 11, users: 10, conversations: 20, recordings: 30 });
const bucket = uniqueName('t-enr-sidecars');
const SUFFIX = 'recording-audit-test';

describe('export sidecars from the recordings bucket (moto S3)', () => {
  const s3 = new S3Client({ ...awsClientConfig(), customUserAgent: SUFFIX });
  let sim: GenesysSimulator;

  beforeAll(async () => {
    sim = await startGenesysSimulator({ dataset });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    // Sidecars next to recording-id-only media keys (the layout that lacks the conversation id).
    for (const rec of dataset.recordings.slice(0, 10)) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${recordingIdOnlyKey(rec)}_metadata.json`, Body: JSON.stringify(sidecarDocument(rec)) }));
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${recordingIdOnlyKey(dataset.recordings[10]!)}_metadata.json`, Body: 'not json' }));
  });

  afterAll(async () => {
    await emptyAndDeleteBucket(s3, bucket);
    s3.destroy();
    await sim.close();
  });

  it('gives keys-only mode the conversation, users, media type and times', async () => {
    const cfg = simConfig(sim, { GENESYS_CLIENT_ID: '', GENESYS_CLIENT_SECRET: '', RECORDINGS_BUCKET: bucket, SELF_USER_AGENT_SUFFIX: SUFFIX });
    const enricher = createEnricher(cfg, { logger, metrics: createMetrics({ defaultMetrics: false }), s3 });
    const recs = dataset.recordings.slice(0, 10);
    const events = recs.map((r) => accessEventForKey(recordingIdOnlyKey(r), { bucket }));
    const noSidecar = accessEventForKey(recordingIdOnlyKey(dataset.recordings[20]!), { bucket });
    const badSidecar = accessEventForKey(recordingIdOnlyKey(dataset.recordings[10]!), { bucket });
    await enricher.enrich([...events, noSidecar, badSidecar]);
    recs.forEach((r, i) => {
      const e = events[i]!;
      expect(e.enrichment).toMatchObject({ status: 'partial', reason: 'keys_only' });
      expect(e.genesys).toEqual({
        conversation: { id: r.conversationId },
        recording: { id: r.id, file: 'media', media_type: r.media, start: r.startTime, end: r.endTime },
        participants: r.userIds.map((u) => ({ user_id: u })),
        agent: { user_ids: r.userIds },
      });
      // v2: the users are stored once, in genesys.*; related.user is a query alias of the raw Requester.
      expect('related' in e).toBe(false);
    });
    expect(noSidecar.enrichment).toMatchObject({ status: 'partial', reason: 'keys_only' });
    expect(noSidecar.genesys?.conversation).toBeUndefined();
    expect(badSidecar.genesys?.conversation).toBeUndefined();
    expect(sim.stats().log).toEqual([]);
    await enricher.close();
  });

  it('keys only, a sidecar that cannot be read now leaves the event pending for reenrich, not final', async () => {
    // Nothing listens on this port: every sidecar read fails with a connection error.
    const down = new S3Client({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      forcePathStyle: true,
      maxAttempts: 1,
    });
    const cfg = simConfig(sim, { GENESYS_CLIENT_ID: '', GENESYS_CLIENT_SECRET: '', RECORDINGS_BUCKET: bucket, SELF_USER_AGENT_SUFFIX: SUFFIX });
    const enricher = createEnricher(cfg, { logger, metrics: createMetrics({ defaultMetrics: false }), s3: down });
    const event = accessEventForKey(recordingIdOnlyKey(dataset.recordings[0]!), { bucket });
    await enricher.enrich([event]);
    expect(event.enrichment).toMatchObject({ status: 'pending', reason: 'sidecar_unreadable' });
    await enricher.close();
    down.destroy();
  });

  it('lets Genesys mode skip the retention scan, and never reads sidecars for its own reads or other buckets', async () => {
    const cfg = simConfig(sim, { RECORDINGS_BUCKET: bucket, SELF_USER_AGENT_SUFFIX: SUFFIX });
    const enricher = createEnricher(cfg, { logger, metrics: createMetrics({ defaultMetrics: false }), s3 });
    const rec = dataset.recordings[2]!;
    const event = accessEventForKey(recordingIdOnlyKey(rec), { bucket });
    const own = accessEventForKey(`${recordingIdOnlyKey(dataset.recordings[3]!)}_metadata.json`, { bucket, userAgent: `aws-sdk-js/3 ${SUFFIX}` });
    const otherBucket = accessEventForKey(recordingIdOnlyKey(dataset.recordings[4]!), { bucket: 'some-other-bucket' });
    const exportLayout = accessEventForKey(exportMetadataKey(dataset, dataset.recordings[5]!), { bucket });
    await enricher.enrich([event, own, otherBucket, exportLayout]);
    expect(event.enrichment?.status).toBe('resolved');
    expect(event.genesys?.conversation?.id).toBe(rec.conversationId);
    expect(event.genesys?.participants?.find((p) => p.purpose === 'agent')?.name).toBe(dataset.userById.get(rec.userIds[0]!)!.name);
    expect(own.event.self).toBe(true);
    // own read and the other bucket: no sidecar; their conversation came from the retention scan
    expect(own.enrichment?.status).toBe('resolved');
    expect(otherBucket.enrichment?.status).toBe('resolved');
    expect(exportLayout.enrichment?.status).toBe('resolved');
    // one sidecar read for `event`, one (missing) for the export-layout key
    expect(enricher.sidecars!.requestCount).toBe(2);
    expect(sim.stats().requests.retention_query).toBe(1);
    await enricher.close();
  });
});
