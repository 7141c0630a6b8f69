/**
 * npm run bench -- audit-lag [--interval-secs 5] [--seconds 60] [--rate 5] [--query-delay-ms 500]
 *
 * How long an action inside Genesys takes to reach the index: the worker's Genesys audit task
 * (GENESYS_AUDIT_INTERVAL_SECS) reads the simulator's audit trail (the real SDK, query delays like
 * the real API's Queued/Running states) into the real OpenSearch node, while `--rate` playbacks per
 * second happen "now". Lag = event.ingested − @timestamp per message, as percentiles. Baseline in
 * the same run: the interval itself, the floor a periodic reader adds on average (interval / 2).
 */
import { parseArgs } from 'node:util';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { createMetrics } from '../../src/core/metrics.js';
import { ensureDetectSetup } from '../../src/detect/mapping.js';
import { genesysFromConfig } from '../../src/enrich/genesys/from-config.js';
import { auditSourceFromConfig } from '../../src/genesys-audit/from-config.js';
import { startGenesysAuditTask } from '../../src/genesys-audit/source.js';
import { createOpenSearchClient } from '../../src/sinks/opensearch/client.js';
import { genesysAuditPrefix } from '../../src/sinks/opensearch/index-name.js';
import { ensureIndexSetup } from '../../src/sinks/opensearch/setup.js';
import { createQuarantineStore } from '../../src/sinks/quarantine/store.js';
import { createS3Client } from '../../src/core/aws-clients.js';
import { generateDataset } from '../../src/sim/genesys/dataset.js';
import { startGenesysSimulator } from '../../src/sim/genesys/server.js';
import { stackSettings } from '../support/stack-env.js';

const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export async function bench(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    options: { 'interval-secs': { type: 'string' }, seconds: { type: 'string' }, rate: { type: 'string' }, 'query-delay-ms': { type: 'string' } },
  });
  const intervalSecs = Number(v['interval-secs'] ?? 5);
  const seconds = Number(v.seconds ?? 60);
  const rate = Number(v.rate ?? 5);
  const dataset = generateDataset({ seed: 7, users: 40, conversations: 200 });
  const sim = await startGenesysSimulator({ dataset, audits: false, auditQueryDelayMs: Number(v['query-delay-ms'] ?? 500) });
  const prefix = `bench-audit-lag-${Date.now().toString(36)}`;
  const cfg = loadConfigOrThrow({
    env: {
      ...stackSettings(),
      INDEX_PREFIX: prefix,
      INDEX_REPLICAS: '0',
      GENESYS_CLIENT_ID: 'sim-client',
      GENESYS_CLIENT_SECRET: 'sim-secret',
      GENESYS_API_URL: sim.url,
      GENESYS_AUDIT_INTERVAL_SECS: String(intervalSecs),
      GENESYS_AUDIT_FIRST_LOOKBACK_SECS: '60',
      GENESYS_AUDIT_OVERLAP_SECS: '60',
      QUARANTINE_URL: 'file:///tmp/recording-audit/bench-audit-lag-quarantine',
    },
  });
  const logger = createLogger('warn');
  const metrics = createMetrics({ defaultMetrics: false });
  const os = createOpenSearchClient(cfg);
  await ensureIndexSetup(os, cfg, logger);
  await ensureDetectSetup(os, prefix, logger);
  const genesys = genesysFromConfig(cfg, { logger, metrics })!.client;
  const s3 = createS3Client(cfg, {});
  const quarantine = createQuarantineStore(cfg, { s3, logger });
  const parts = auditSourceFromConfig(cfg, { opensearch: os, genesys, quarantine, s3, logger, metrics });
  const task = startGenesysAuditTask({ ...parts.options, intervalSecs });
  sim.resetStats();

  let n = 0;
  const started = Date.now();
  while (Date.now() - started < seconds * 1000) {
    const rec = dataset.recordings[n % dataset.recordings.length]!;
    sim.addAuditMessages([
      {
        id: `lag-${n}`,
        eventDate: new Date().toISOString(),
        action: 'Read',
        entityType: 'Recording',
        userId: dataset.users[n % dataset.users.length]!.id,
        remoteIps: ['10.1.1.1'],
        status: 'Success',
        entityId: rec.id,
        conversationId: rec.conversationId,
      },
    ]);
    n++;
    await new Promise((r) => setTimeout(r, 1000 / rate));
  }
  // The last messages need one more run.
  await new Promise((r) => setTimeout(r, (intervalSecs + 5) * 1000));
  await task.stop();
  await parts.close();
  const requests = Object.entries(sim.stats().requests)
    .filter(([k]) => k.includes('audits'))
    .reduce((a, [, c]) => a + c, 0);

  const index = `${genesysAuditPrefix(prefix)}-*`;
  await os.indices.refresh({ index });
  const res = await os.search({ index, body: { size: 10_000, _source: ['@timestamp', 'event.ingested'], query: { match_all: {} } } });
  const hits = (res.body as { hits: { hits: { _source: { '@timestamp': string; event: { ingested: string } } }[] } }).hits.hits;
  const lags = hits.map((h) => (Date.parse(h._source.event.ingested) - Date.parse(h._source['@timestamp'])) / 1000).sort((a, b) => a - b);
  const report = {
    interval_secs: intervalSecs,
    messages_added: n,
    indexed: hits.length,
    lag_secs_p50: Number(pct(lags, 50).toFixed(2)),
    lag_secs_p95: Number(pct(lags, 95).toFixed(2)),
    lag_secs_max: Number((lags[lags.length - 1] ?? NaN).toFixed(2)),
    baseline_mean_wait_secs: intervalSecs / 2,
    ratio_p50_to_baseline: Number((pct(lags, 50) / (intervalSecs / 2)).toFixed(2)),
    audit_requests: requests,
    audit_requests_per_1000_messages: Number(((requests / Math.max(1, hits.length)) * 1000).toFixed(1)),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  await os.indices.delete({ index: `${prefix}*` });
  await quarantine.close();
  genesys.close();
  s3.destroy();
  await os.close();
  await sim.close();
}
