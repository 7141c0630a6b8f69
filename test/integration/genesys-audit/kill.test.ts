// `recording-audit genesys-audit` killed with SIGKILL while it pages through a query's results,
// then run again: the index holds exactly the audit trail, each message once.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDetectSetup } from '../../../src/detect/mapping.js';
import { genesysAuditDocId } from '../../../src/genesys-audit/build.js';
import { createOpenSearchClient } from '../../../src/sinks/opensearch/client.js';
import { genesysAuditPrefix } from '../../../src/sinks/opensearch/index-name.js';
import { ensureIndexSetup } from '../../../src/sinks/opensearch/setup.js';
import type { SimAuditMessage } from '../../../src/sim/genesys/audit-messages.js';
import { generateDataset } from '../../../src/sim/genesys/dataset.js';
import { startGenesysSimulator, type GenesysSimulator } from '../../../src/sim/genesys/server.js';
import { runCli } from '../../support/cli.js';
import { stackSettings, uniqueName } from '../../support/stack-env.js';
import { logger, simConfig } from '../enrich/support.js';

const dataset = generateDataset({ seed: 2216, users: 30, conversations: 60, start: '2024-05-01T00:00:00Z', spanDays: 2 });
const FROM = Date.parse('2025-02-01T00:00:00Z');
const HOURS = 3;

/** 1,200 playbacks in each of three hours: three pages of 500 per hourly window. */
function trail(): SimAuditMessage[] {
  const out: SimAuditMessage[] = [];
  for (let i = 0; i < HOURS * 1200; i++) {
    const rec = dataset.recordings[i % dataset.recordings.length]!;
    out.push({
      id: `k-${String(i).padStart(5, '0')}`,
      eventDate: new Date(FROM + i * 3000).toISOString(),
      action: i % 97 === 0 ? 'Export' : 'Read',
      entityType: 'Recording',
      userId: dataset.users[i % dataset.users.length]!.id,
      remoteIps: ['10.20.30.40'],
      status: 'Success',
      entityId: rec.id,
      conversationId: rec.conversationId,
    });
  }
  return out;
}

describe('genesys-audit killed with SIGKILL during a paged read', () => {
  let sim: GenesysSimulator;
  const prefix = uniqueName('t-gkill');
  const messages = trail();
  const os = createOpenSearchClient(simConfig({ url: 'http://127.0.0.1:1' }, { ...stackSettings() }));

  beforeAll(async () => {
    // Every request takes a while, so the command is killed with pages of a query still to read.
    sim = await startGenesysSimulator({ dataset, audits: false, latencyMs: 60, auditQueryDelayMs: 50 });
    sim.addAuditMessages(messages);
    const cfg = simConfig(sim, { ...stackSettings(), INDEX_PREFIX: prefix, INDEX_REPLICAS: '0' });
    await ensureIndexSetup(os, cfg, logger);
    await ensureDetectSetup(os, prefix, logger);
  });
  afterAll(async () => {
    await os.indices.delete({ index: `${prefix}*`, ignore_unavailable: true }).catch(() => undefined);
    await os.close();
    await sim.close();
  });

  const env = (): Record<string, string> => ({
    ...stackSettings(),
    INDEX_PREFIX: prefix,
    INDEX_REPLICAS: '0',
    LOG_LEVEL: 'warn',
    GENESYS_CLIENT_ID: 'sim-client',
    GENESYS_CLIENT_SECRET: 'sim-secret',
    GENESYS_API_URL: sim.url,
    GENESYS_REQUESTS_PER_MINUTE: '100000',
    GENESYS_AUDIT_WINDOW_SECS: '3600',
    BULK_FLUSH_INTERVAL_MS: '50',
    QUARANTINE_URL: `file://${mkdtempSync(join(tmpdir(), 'gkill-q-'))}`,
  });
  const args = ['genesys-audit', '--from', new Date(FROM).toISOString(), '--to', new Date(FROM + HOURS * 3_600_000).toISOString(), '--format', 'json'];

  async function count(): Promise<number> {
    await os.indices.refresh({ index: `${genesysAuditPrefix(prefix)}-*`, allow_no_indices: true } as never);
    const res = await os.count({ index: `${genesysAuditPrefix(prefix)}-*`, allow_no_indices: true } as never);
    return (res.body as { count: number }).count;
  }

  it('the run after each kill completes the span, and the index is the trail exactly', async () => {
    // Killed three times, each once more documents are in than before: in the middle of a
    // window's pages (the bulk writes of a page land before the next page is asked for).
    let seen = 0;
    for (let kill = 0; kill < 3; kill++) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env() },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      const deadline = Date.now() + 60_000;
      let n = await count();
      while (n <= seen && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 25));
        n = await count();
      }
      child.kill('SIGKILL');
      expect(await exited, `kill ${kill}: ${stderr}`).toBe('SIGKILL');
      expect(n).toBeLessThan(messages.length);
      seen = n;
    }

    const done = await runCli(args, env());
    expect(done.code, done.stderr).toBe(0);
    const report = JSON.parse(done.stdout) as { results: { tally: { indexed: number; duplicate: number; messages: number } }[] };
    const tally = report.results[0]!.tally;
    expect(tally.messages).toBe(messages.length);
    expect(tally.indexed + tally.duplicate).toBe(messages.length);
    expect(tally.duplicate).toBeGreaterThanOrEqual(seen);

    // Exactly the trail: every id once, nothing else.
    await os.indices.refresh({ index: `${genesysAuditPrefix(prefix)}-*` } as never);
    const ids: string[] = [];
    let after: unknown[] | undefined;
    for (;;) {
      const res = await os.search({
        index: `${genesysAuditPrefix(prefix)}-*`,
        body: { size: 2000, _source: false, sort: [{ 'event.id': 'asc' }], ...(after !== undefined ? { search_after: after } : {}) },
      } as never);
      const hits = (res.body as { hits: { hits: { _id: string; sort: unknown[] }[] } }).hits.hits;
      if (hits.length === 0) break;
      ids.push(...hits.map((h) => h._id));
      after = hits[hits.length - 1]!.sort;
    }
    expect(ids.length).toBe(messages.length);
    expect(new Set(ids)).toEqual(new Set(messages.map((m) => genesysAuditDocId('quality', m.id!))));
  });
});
