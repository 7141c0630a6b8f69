import type { Counter, Gauge } from 'prom-client';

/** Sum of a prom-client counter or gauge over the series whose labels match (0 when never set). */
export async function metricValue<T extends string>(metric: Counter<T> | Gauge<T>, labels: Partial<Record<T, string>> = {}): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}
