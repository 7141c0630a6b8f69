import type { Client } from '@opensearch-project/opensearch';
import { z } from 'zod';
import { AuditError } from '../core/errors.js';
import { advanceWatermark as advanceStateWatermark, readWatermark as readStateWatermark, type Watermark } from '../sinks/opensearch/state.js';
import { alertId, alertsIndex, type Alert } from './alert.js';

const WATERMARK_ID = 'watermark';

function unavailable(what: string, cause: unknown): AuditError {
  return new AuditError('SINK_UNAVAILABLE', `${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, retryable: true });
}

export type { Watermark };

export function readWatermark(client: Client, prefix: string): Promise<Watermark | undefined> {
  return readStateWatermark(client, prefix, WATERMARK_ID);
}

export function advanceWatermark(client: Client, prefix: string, current: Watermark | undefined, to: number, windowSecs: number): Promise<Watermark> {
  return advanceStateWatermark(client, prefix, WATERMARK_ID, current, to, windowSecs);
}

const BulkSchema = z.object({
  items: z.array(z.record(z.string(), z.object({ _id: z.string(), status: z.number(), error: z.unknown().optional() }))),
});

export interface WriteResult {
  readonly created: string[];
  readonly existing: string[];
}

/**
 * Writes alerts with `create`: an id already there (the window ran before, or another run wrote it
 * first) is kept as it is and counted as existing. Anything else refused is an error, so the
 * caller does not move the watermark past an alert that was not written.
 */
export async function writeAlerts(client: Client, prefix: string, alerts: readonly (Alert & { id: string })[]): Promise<WriteResult> {
  const created: string[] = [];
  const existing: string[] = [];
  if (alerts.length === 0) return { created, existing };
  const index = alertsIndex(prefix);
  const body = alerts.flatMap(({ id, ...doc }) => [{ create: { _index: index, _id: id } }, doc]);
  let res;
  try {
    // Durable once acknowledged (translog); searches see them after the next refresh.
    res = await client.bulk({ body });
  } catch (cause) {
    throw unavailable('writing alerts failed', cause);
  }
  const parsed = BulkSchema.parse(res.body);
  const refused: string[] = [];
  for (const item of parsed.items) {
    const r = Object.values(item)[0];
    if (r === undefined) continue;
    if (r.status === 201) created.push(r._id);
    else if (r.status === 409) existing.push(r._id);
    else refused.push(`${r._id}: ${r.status} ${JSON.stringify(r.error ?? '')}`);
  }
  if (refused.length > 0) {
    throw new AuditError('SINK_REJECTED', `OpenSearch refused ${refused.length} alert(s): ${refused.slice(0, 3).join('; ')}`, { retryable: true });
  }
  return { created, existing };
}

const PendingSchema = z.object({ hits: z.object({ hits: z.array(z.object({ _id: z.string(), _source: z.record(z.string(), z.unknown()) })) }) });

/** Alerts still waiting to be published (notified: false), oldest first. */
export async function pendingNotifications(client: Client, prefix: string, max: number): Promise<{ id: string; alert: Alert }[]> {
  let res;
  try {
    // The alerts just written must be found: they are unpublished by definition.
    await client.indices.refresh({ index: alertsIndex(prefix), ignore_unavailable: true, allow_no_indices: true });
    res = await client.search({
      index: alertsIndex(prefix),
      ignore_unavailable: true,
      allow_no_indices: true,
      body: { size: max, query: { term: { notified: false } }, sort: [{ detected_at: 'asc' }] },
    });
  } catch (cause) {
    throw unavailable('reading unpublished alerts failed', cause);
  }
  return PendingSchema.parse(res.body).hits.hits.map((h) => ({ id: h._id, alert: h._source as unknown as Alert }));
}

export async function markNotified(client: Client, prefix: string, id: string): Promise<void> {
  await client.update({ index: alertsIndex(prefix), id, body: { doc: { notified: true, notified_at: new Date().toISOString() } } });
}

export { alertId };
