import type { Client } from '@opensearch-project/opensearch';
import { z } from 'zod';
import { AuditError } from '../../core/errors.js';

/**
 * `<prefix>-detect-state`: one small document per periodic task holding how far it has got (its
 * watermark): detection runs, and the Genesys audit source per API. `setup` installs its template
 * (src/detect/mapping.ts STATE_MAPPINGS).
 */
export function stateIndex(prefix: string): string {
  return `${prefix}-detect-state`;
}

export interface Watermark {
  /** End (exclusive) of the last window whose output is all written, epoch ms. */
  readonly at: number;
  readonly seqNo: number;
  readonly primaryTerm: number;
}

const StateDoc = z.object({ _seq_no: z.number(), _primary_term: z.number(), _source: z.object({ watermark: z.string() }) });

function unavailable(what: string, cause: unknown): AuditError {
  return new AuditError('SINK_UNAVAILABLE', `${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, retryable: true });
}

export async function readWatermark(client: Client, prefix: string, id: string): Promise<Watermark | undefined> {
  let res;
  try {
    res = await client.transport.request({ method: 'GET', path: `/${stateIndex(prefix)}/_doc/${encodeURIComponent(id)}` }, { ignore: [404] });
  } catch (cause) {
    throw unavailable(`reading the watermark ${id} failed`, cause);
  }
  if (res.statusCode === 404) return undefined;
  const doc = StateDoc.parse(res.body);
  return { at: Date.parse(doc._source.watermark), seqNo: doc._seq_no, primaryTerm: doc._primary_term };
}

/**
 * Moves the watermark to `to`, never back. Compare-and-set on the sequence number: of two runs
 * finishing the same window one writes and the other finds it already there.
 */
export async function advanceWatermark(
  client: Client,
  prefix: string,
  id: string,
  current: Watermark | undefined,
  to: number,
  windowSecs: number,
): Promise<Watermark> {
  let known = current;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (known !== undefined && known.at >= to) return known;
    const body = { watermark: new Date(to).toISOString(), window_secs: windowSecs, updated_at: new Date().toISOString() };
    try {
      const res = await client.transport.request(
        {
          method: 'PUT',
          path: `/${stateIndex(prefix)}/_doc/${encodeURIComponent(id)}`,
          querystring:
            known === undefined ? { op_type: 'create', refresh: 'true' } : { if_seq_no: known.seqNo, if_primary_term: known.primaryTerm, refresh: 'true' },
          body,
        },
        { ignore: [409] },
      );
      if (res.statusCode !== 409) {
        const r = z.object({ _seq_no: z.number(), _primary_term: z.number() }).parse(res.body);
        return { at: to, seqNo: r._seq_no, primaryTerm: r._primary_term };
      }
    } catch (cause) {
      throw unavailable(`advancing the watermark ${id} failed`, cause);
    }
    known = await readWatermark(client, prefix, id);
  }
  throw new AuditError('SINK_UNAVAILABLE', `the watermark ${id} kept changing under this run; the next run continues`, { retryable: true });
}
