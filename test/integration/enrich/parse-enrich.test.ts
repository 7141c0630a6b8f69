import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAccessRecord, requestIds } from '../../../src/sim/s3-logs/access-log-writer.js';
import { exportKey, exportMetadataKey } from '../../../src/sim/genesys/dataset.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';

const run = promisify(execFile);

describe('recording-audit parse --enrich against the Genesys simulator', () => {
  let sim: GenesysSimulator;
  beforeAll(async () => {
    // A 429 with Retry-After first: the command must wait it out before its next request.
    sim = await startGenesysSimulator({ seed: 77, dataset: { seed: 77, conversations: 12, users: 8 }, script: [{ status: 429, retryAfterSecs: 1 }] });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('prints every event with the genesys fields of its export-layout key', async () => {
    const recs = sim.dataset.recordings.slice(0, 6);
    const lines = recs.flatMap((r, i) =>
      (['media', 'metadata'] as const).map((file, j) =>
        formatAccessRecord({
          bucketOwner: 'f'.repeat(64),
          bucket: 'recordings',
          time: new Date(Date.UTC(2024, 4, 2, 10, i, j)),
          remoteIp: '10.0.0.9',
          requester: 'arn:aws:sts::123456789012:assumed-role/qa/u',
          ...requestIds(i * 2 + j + 5000),
          operation: 'REST.GET.OBJECT',
          key: file === 'media' ? exportKey(sim.dataset, r) : exportMetadataKey(sim.dataset, r),
          method: 'GET',
          uri: '/x',
          httpStatus: 200,
          totalTimeMs: 5,
          turnAroundMs: 2,
          userAgent: 'curl/8',
          hostHeader: 'recordings.s3.amazonaws.com',
        }),
      ),
    );
    const file = join(mkdtempSync(join(tmpdir(), 'parse-enrich-')), 'access.log');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'parse', '--enrich', file], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        GENESYS_CLIENT_ID: 'sim-client',
        GENESYS_CLIENT_SECRET: 'sim-secret',
        GENESYS_API_URL: sim.url,
        LOG_LEVEL: 'warn',
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    const events = stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            genesys?: { conversation?: { id?: string }; recording?: { id?: string; file?: string }; participants?: unknown[]; agent?: { user_ids?: string[] } };
            enrichment?: { status: string };
          },
      );
    expect(events).toHaveLength(lines.length);
    events.forEach((e, n) => {
      const rec = recs[Math.floor(n / 2)]!;
      expect(e.enrichment?.status).toBe('resolved');
      expect(e.genesys?.conversation?.id).toBe(rec.conversationId);
      expect(e.genesys?.recording?.id).toBe(rec.id);
      expect(e.genesys?.recording?.file).toBe(n % 2 === 0 ? 'media' : 'metadata');
      expect(e.genesys?.participants?.length).toBeGreaterThan(0);
    });
    // No request arrived before the Retry-After of the 429 had passed.
    const log = sim.stats().log.filter((r) => r.endpoint !== 'oauth_token');
    const limited = log.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    const after = log.filter((r) => r.at > (limited?.at ?? 0));
    expect(after.length).toBeGreaterThan(0);
    for (const r of after) expect(r.at).toBeGreaterThanOrEqual((limited?.respondedAt ?? 0) + 1000 - 20);
  });
});
