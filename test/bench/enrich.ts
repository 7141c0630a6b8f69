/**
 * npm run bench -- enrich [--events N] [--recordings R] [--conversations C] [--users U]
 *                         [--rpm 300] [--latency-ms 50] [--zipf-s 1] [--batch 300] [--concurrency 8] [--seed 1]
 *
 * A skewed access stream (Zipf-like popularity over recordings) through the enrichment stage,
 * with the real Genesys SDK against the simulator enforcing the rate limit with 429s. Prints
 * Genesys requests per unique conversation, cache hit ratio, events/s, and the time a naive
 * one-request-per-recording approach needs under the same limit against the time measured.
 * Baseline measured in the same run: the same stream through the stage in keys-only mode (no
 * Genesys at all), i.e. the stage's own ceiling.
 */
import { parseArgs } from 'node:util';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { createEnricher } from '../../src/enrich/enricher.js';
import type { AccessEvent, EnrichmentStatus } from '../../src/event/types.js';
import { createMetrics, type Metrics } from '../../src/core/metrics.js';
import { createRandom, exportKey, generateDataset, type Dataset } from '../../src/sim/genesys/dataset.js';
import { accessEventForKey } from '../../src/sim/genesys/events.js';
import { startGenesysSimulator } from '../../src/sim/genesys/server.js';

interface Stream {
  /** Index into dataset.recordings of each event, in order. */
  readonly picks: Uint32Array;
  readonly keys: readonly string[];
}

/** Zipf(s) popularity over a random permutation of the recordings (popularity unrelated to id order). */
function zipfStream(dataset: Dataset, events: number, s: number, seed: number): Stream {
  const rand = createRandom(seed ^ 0x21bf);
  const n = dataset.recordings.length;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank++) {
    total += 1 / Math.pow(rank + 1, s);
    cumulative[rank] = total;
  }
  const picks = new Uint32Array(events);
  for (let e = 0; e < events; e++) {
    const x = rand() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    picks[e] = order[lo]!;
  }
  return { picks, keys: dataset.recordings.map((r) => exportKey(dataset, r)) };
}

async function runStage(
  stream: Stream,
  env: Record<string, string>,
  options: { batch: number; concurrency: number },
): Promise<{ seconds: number; statuses: Partial<Record<EnrichmentStatus, number>>; metrics: Metrics; batchMs: number[] }> {
  const metrics = createMetrics({ defaultMetrics: false });
  const enricher = createEnricher(loadConfigOrThrow({ env }), { logger: createLogger('silent'), metrics });
  const statuses: Partial<Record<EnrichmentStatus, number>> = {};
  const batchMs: number[] = [];
  let next = 0;
  const started = performance.now();
  async function worker(): Promise<void> {
    for (;;) {
      const from = next;
      if (from >= stream.picks.length) return;
      next = Math.min(stream.picks.length, from + options.batch);
      const events: AccessEvent[] = [];
      for (let i = from; i < next; i++) events.push(accessEventForKey(stream.keys[stream.picks[i]!]!, { seq: i, hash: String(i) }));
      const t = performance.now();
      await enricher.enrich(events);
      batchMs.push(performance.now() - t);
      for (const e of events) {
        const st = e.enrichment?.status ?? 'pending';
        statuses[st] = (statuses[st] ?? 0) + 1;
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  const seconds = (performance.now() - started) / 1000;
  await enricher.close();
  return { seconds, statuses, metrics, batchMs };
}

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function bench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string', default: '1000000' },
      recordings: { type: 'string', default: '50000' },
      conversations: { type: 'string', default: '20000' },
      users: { type: 'string', default: '500' },
      rpm: { type: 'string', default: '300' },
      'latency-ms': { type: 'string', default: '50' },
      'zipf-s': { type: 'string', default: '1' },
      batch: { type: 'string', default: '300' },
      concurrency: { type: 'string', default: '8' },
      seed: { type: 'string', default: '1' },
    },
    strict: true,
  });
  const events = Number(values.events);
  const rpm = Number(values.rpm);
  const stageOptions = { batch: Number(values.batch), concurrency: Number(values.concurrency) };
  const dataset = generateDataset({
    seed: Number(values.seed),
    conversations: Number(values.conversations),
    recordings: Number(values.recordings),
    users: Number(values.users),
  });
  const stream = zipfStream(dataset, events, Number(values['zipf-s']), Number(values.seed));
  const uniqueRecordings = new Set(stream.picks).size;
  const uniqueConversations = new Set(Array.from(stream.picks, (i) => dataset.recordings[i]!.conversationId)).size;
  process.stdout.write(
    `enrich bench: ${events.toLocaleString()} events over ${uniqueRecordings.toLocaleString()} recordings in ${uniqueConversations.toLocaleString()} conversations (Zipf s=${values['zipf-s']}), ` +
      `simulator ${rpm} requests/min, ${values['latency-ms']} ms latency, batches of ${stageOptions.batch} x ${stageOptions.concurrency} in flight\n`,
  );

  // Baseline: the same stream through the stage without Genesys.
  const baseline = await runStage(stream, {}, stageOptions);
  process.stdout.write(`  baseline keys-only: ${baseline.seconds.toFixed(1)} s, ${Math.round(events / baseline.seconds).toLocaleString()} events/s\n`);

  const sim = await startGenesysSimulator({ dataset, rateLimitPerMin: rpm, latencyMs: Number(values['latency-ms']) });
  try {
    const run = await runStage(
      stream,
      {
        GENESYS_CLIENT_ID: 'sim-client',
        GENESYS_CLIENT_SECRET: 'sim-secret',
        GENESYS_API_URL: sim.url,
        GENESYS_REQUESTS_PER_MINUTE: String(rpm),
        // The stream has a single requester; it measures the shared budget, not the per-requester cap.
        GENESYS_LOOKUPS_PER_REQUESTER_PER_MIN: '0',
      },
      stageOptions,
    );
    const stats = sim.stats();
    const requests = Object.values(stats.requests).reduce((a, b) => a + b, 0);
    let hits = 0;
    let lookups = 0;
    for (const v of (await run.metrics.genesysCache.get()).values) {
      lookups += v.value;
      if (v.labels.result === 'hit') hits += v.value;
    }
    const naiveSeconds = uniqueRecordings / (rpm / 60);
    const perConversation = requests / uniqueConversations;
    process.stdout.write(
      [
        `  genesys: ${run.seconds.toFixed(1)} s, ${Math.round(events / run.seconds).toLocaleString()} events/s (${(run.seconds / baseline.seconds).toFixed(1)}x the keys-only time)`,
        `  statuses: ${JSON.stringify(run.statuses)}`,
        `  Genesys requests: ${requests} ${JSON.stringify(stats.requests)}, HTTP ${JSON.stringify(stats.statuses)}`,
        `  requests per unique conversation: ${perConversation.toFixed(4)} (target <= 0.05: ${perConversation <= 0.05 ? 'met' : 'NOT met'})`,
        `  cache hit ratio: ${(hits / Math.max(1, lookups)).toFixed(4)} (${hits.toLocaleString()} of ${lookups.toLocaleString()} lookups; lookups are per unique key per batch)`,
        `  enrich() call latency: p50 ${percentile(run.batchMs, 50).toFixed(0)} ms, p99 ${percentile(run.batchMs, 99).toFixed(0)} ms, max ${Math.max(...run.batchMs).toFixed(0)} ms`,
        `  naive one request per recording at ${rpm}/min: ${(naiveSeconds / 60).toFixed(1)} min for ${uniqueRecordings.toLocaleString()} recordings; measured ${run.seconds.toFixed(1)} s = ${(naiveSeconds / run.seconds).toFixed(0)}x faster`,
      ].join('\n') + '\n',
    );
  } finally {
    await sim.close();
  }
}
