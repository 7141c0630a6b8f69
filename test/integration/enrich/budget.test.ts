import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEnricher } from '../../../src/enrich/enricher.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { exportKey, exportMetadataKey, generateDataset, sidecarDocument } from '../../../src/sim/genesys/dataset.js';
import { accessEventForKey } from '../../../src/sim/genesys/events.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { awsClientConfig, uniqueName } from '../../support/stack-env.js';
import { counter, logger, simConfig } from './support.js';

const dataset = generateDataset({ seed: 20, users: 40, conversations: 320, recordings: 320 });
const bucket = uniqueName('t-enr-budget');
const ORG = dataset.recordings[0]!.orgId;
const MALLORY = 'arn:aws:sts::123456789012:assumed-role/contractor/mallory';
const ALICE = 'arn:aws:sts::123456789012:assumed-role/qa-analyst/alice';

/** A probe for a recording that does not exist: random conversation and recording ids. */
function probeKey(): string {
  return `${ORG}/year=2024/month=06/day=01/hour=12/conversation_id=${randomUUID()}/${randomUUID()}.opus`;
}

describe('enrichment budget: what an adversary can make the worker spend (simulator + moto S3)', () => {
  const s3 = new S3Client(awsClientConfig());
  // Every GetObject this client sends: the sidecar reads, counted where they leave the process.
  let getObjects = 0;
  s3.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'GetObjectCommand') getObjects++;
      return next(args);
    },
    { step: 'initialize', name: 'countGetObject' },
  );
  let sim: GenesysSimulator;

  beforeAll(async () => {
    sim = await startGenesysSimulator({ dataset });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const rec of dataset.recordings.slice(0, 5)) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: exportMetadataKey(dataset, rec), Body: JSON.stringify(sidecarDocument(rec)) }));
    }
  });
  afterEach(() => {
    sim.resetStats();
    getObjects = 0;
  });
  afterAll(async () => {
    await emptyAndDeleteBucket(s3, bucket);
    s3.destroy();
    await sim.close();
  });

  it('a burst of anonymous 403 probes for random recording keys costs no Genesys call and no sidecar read', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const enricher = createEnricher(simConfig(sim, { RECORDINGS_BUCKET: bucket }), { logger, metrics, s3 });
    const probes = Array.from({ length: 500 }, (_, i) => accessEventForKey(probeKey(), { bucket, requester: null, status: 403, seq: i }));
    // Denied probes by an authenticated principal, and anonymous requests for real recordings
    // (a sidecar exists for each of these): neither is looked up either.
    const denied = Array.from({ length: 100 }, (_, i) => accessEventForKey(probeKey(), { bucket, requester: MALLORY, status: 404, seq: 1000 + i }));
    const anonymousReal = dataset.recordings.slice(0, 5).map((r, i) => accessEventForKey(exportKey(dataset, r), { bucket, requester: null, seq: 2000 + i }));
    await enricher.enrich([...probes, ...denied, ...anonymousReal]);

    expect(sim.stats().log).toEqual([]);
    expect(getObjects).toBe(0);
    expect(enricher.sidecars!.requestCount).toBe(0);
    for (const e of probes) {
      expect(e.enrichment).toMatchObject({ status: 'skipped', reason: 'anonymous,client_error' });
      // Still key-resolved: what the key says is kept for the analyst.
      const [, cid, rid] = /conversation_id=([0-9a-f-]+)\/([0-9a-f-]+)\.opus$/.exec(e.aws.s3.object.key!)!;
      expect(e.genesys).toEqual({
        organization: { id: ORG },
        conversation: { id: cid, start: '2024-06-01T12:00:00.000Z' },
        recording: { id: rid, file: 'media' },
      });
    }
    for (const e of denied) expect(e.enrichment).toMatchObject({ status: 'skipped', reason: 'client_error' });
    dataset.recordings.slice(0, 5).forEach((r, i) => {
      expect(anonymousReal[i]!.enrichment).toMatchObject({ status: 'skipped', reason: 'anonymous' });
      expect(anonymousReal[i]!.genesys?.recording?.id).toBe(r.id);
    });
    expect(await counter(metrics, 'enrichment')).toEqual({ skipped: 605 });
    await enricher.close();
  });

  it("one requester's burst cannot spend the Genesys budget that another requester's events need", async () => {
    // Scaled down: one id per call makes each lookup a request, so 300 recordings are 300 calls
    // (at full scale that is a burst of 30,000 recordings against 300 requests/min).
    const cfg = simConfig(sim, {
      GENESYS_REQUESTS_PER_MINUTE: '600',
      GENESYS_BATCH_MAX_IDS: '1',
      GENESYS_WAIT_BUDGET_MS: '5000',
      GENESYS_LOOKUPS_PER_REQUESTER_PER_MIN: '10',
    });
    const metrics = createMetrics({ defaultMetrics: false });
    const enricher = createEnricher(cfg, { logger, metrics });
    // Mallory may read recordings, and reads 300 distinct ones in the same log object as Alice's 5.
    const burst = dataset.recordings.slice(10, 310).map((r, i) => accessEventForKey(exportKey(dataset, r), { requester: MALLORY, seq: i }));
    const real = dataset.recordings.slice(0, 5).map((r, i) => accessEventForKey(exportKey(dataset, r), { requester: ALICE, seq: 1000 + i }));
    await enricher.enrich([...burst, ...real]);

    for (const e of real) expect(e.enrichment?.status).toBe('resolved');
    const capped = burst.filter((e) => e.enrichment?.status === 'pending');
    expect(capped.length).toBeGreaterThanOrEqual(290);
    for (const e of capped) {
      // Pending, not final: reenrich completes them once Mallory's budget refills.
      expect(e.enrichment).toEqual({ status: 'pending', reason: 'requester_lookup_cap' });
      expect(e.genesys?.conversation?.id).toBeDefined();
      expect(e.genesys?.recording?.id).toBeDefined();
    }
    expect((await metrics.enrichmentCapped.get()).values[0]?.value).toBe(capped.length);
    const requests = sim.stats().requests;
    // Mallory's 10 recordings and Alice's 5, one conversation and a few users each: nothing like 300.
    expect(requests.conversation_details).toBeLessThanOrEqual(15);
    expect(Object.values(requests).reduce((a, b) => a + b, 0)).toBeLessThan(80);
    await enricher.close();
  });
});
