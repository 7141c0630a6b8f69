import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { createLogger } from '../../../src/core/log.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { createEnricher } from '../../../src/enrich/enricher.js';
import { buildEvent } from '../../../src/event/build.js';
import { NOT_FROM_THE_LINE_FIELDS } from '../../../src/event/mapping.js';
import type { AccessEvent } from '../../../src/event/types.js';
import { documentLeaves } from '../../../src/investigate/compare.js';
import { exportKey } from '../../../src/sim/genesys/dataset.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';
import { formatAccessRecord, requestIds, type AccessRecord } from '../../../src/sim/s3-logs/access-log-writer.js';

// `verify` compares every field of a stored event with a fresh parse of its line except
// NOT_FROM_THE_LINE_FIELDS. If enrichment ever writes another field, verify would call every
// enriched document altered: this test enriches real events (Genesys simulator on loopback, in
// process) and checks that nothing outside the list changed.
const SELF_ROLE = 'arn:aws:iam::123456789012:role/recording-audit-task';

describe('fields enrichment writes', () => {
  let sim: GenesysSimulator;
  beforeAll(async () => {
    // The requester's session is ana@example.com: a Genesys user, so the person fields are written too.
    sim = await startGenesysSimulator({
      dataset: { seed: 5, users: 6, conversations: 4, recordings: 4, staff: [{ name: 'Ana Silva', email: 'ana@example.com', department: 'Quality' }] },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  function event(n: number, over: Partial<AccessRecord>): AccessEvent {
    const rec = sim.dataset.recordings[n % sim.dataset.recordings.length]!;
    const text = formatAccessRecord({
      bucketOwner: 'f'.repeat(64),
      bucket: 'recordings',
      time: new Date(Date.UTC(2024, 5, 1, 12, 0, n)),
      remoteIp: '198.51.100.7',
      requester: 'arn:aws:sts::123456789012:assumed-role/reviewer/ana@example.com',
      ...requestIds(n),
      operation: 'REST.GET.OBJECT',
      key: exportKey(sim.dataset, rec),
      method: 'GET',
      uri: '/x',
      httpStatus: 200,
      bytesSent: 10,
      totalTimeMs: 5,
      turnAroundMs: 2,
      userAgent: 'aws-cli/2.15.0',
      hostHeader: 'recordings.s3.amazonaws.com',
      ...over,
    });
    const built = buildEvent({ number: n, bytes: Buffer.from(text) }, { logBucket: 'logs', filePath: 's3://logs/k' });
    if (!built.ok) throw new Error(built.rejection.detail);
    return built.doc.event;
  }

  it('changes only fields in NOT_FROM_THE_LINE_FIELDS, and the test reaches each kind of change', async () => {
    const cfg = loadConfigOrThrow({
      env: {
        GENESYS_CLIENT_ID: 'sim-client',
        GENESYS_CLIENT_SECRET: 'sim-secret',
        GENESYS_API_URL: sim.url,
        GENESYS_BATCH_WINDOW_MS: '10',
        SELF_ROLE_ARNS: SELF_ROLE,
      },
    });
    const enricher = createEnricher(cfg, { logger: createLogger('silent'), metrics: createMetrics({ defaultMetrics: false }) });
    const events = [
      event(1, {}),
      event(2, { requester: 'arn:aws:sts::123456789012:assumed-role/recording-audit-task/i-1', userAgent: 'aws-sdk-js/3 recording-audit' }),
      event(3, { requester: '-', httpStatus: 403, errorCode: 'AccessDenied' }),
      event(4, { key: 'not/a/recording.txt', uri: '/not/a/recording.txt' }),
      event(5, { requester: 'arn:aws:sts::123456789012:assumed-role/genesys-recording-export/GenesysCloud', operation: 'REST.PUT.OBJECT', method: 'PUT' }),
    ];
    const before = events.map((e) => documentLeaves(JSON.parse(JSON.stringify(e))));
    try {
      await enricher.enrich(events);
    } finally {
      await enricher.close();
    }
    const changed = new Set<string>();
    events.forEach((e, i) => {
      const after = documentLeaves(JSON.parse(JSON.stringify(e)));
      for (const field of new Set([...before[i]!.keys(), ...after.keys()])) {
        if (JSON.stringify(before[i]!.get(field)) !== JSON.stringify(after.get(field))) changed.add(field);
      }
    });
    const outside = [...changed].filter((f) => !NOT_FROM_THE_LINE_FIELDS.includes(f));
    expect(outside).toEqual([]);
    // The sample reaches every kind of field enrichment writes, so the check above means something.
    expect([...changed].sort()).toEqual(
      expect.arrayContaining([
        'actor.kind',
        'event.self',
        'enrichment.status',
        'enrichment.resolved_at',
        'genesys.conversation.id',
        'genesys.recording.id',
        'genesys.participants.user_id',
        'genesys.agent.user_ids',
        'actor.genesys_user_id',
        'actor.name',
        'actor.name_folded',
        'actor.division.id',
        'actor.division.name',
        'actor.department',
      ]),
    );
    expect(events.map((e) => e.actor?.kind)).toEqual(['human', 'self', 'anonymous', 'human', 'service']);
  });
});
