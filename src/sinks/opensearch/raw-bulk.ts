import type { Client } from '@opensearch-project/opensearch';
import type { IndexableEvent } from '../../event/types.js';
import { indexNameFor } from './index-name.js';

export interface RawBulkSummary {
  docs: number;
  requests: number;
  /** Items answered with any status other than 200/201 (409s included). */
  itemErrors: number;
}

/**
 * The "raw bulk limit" baseline of the e2e benchmark: the same client, `create` with the same ids
 * into the same monthly indices, one `_bulk` request after the other, the client serializing the
 * body itself. No retries, no buffering, no accounting: what BulkIndexer must come close to.
 */
export async function rawBulkLoad(client: Client, docs: readonly IndexableEvent[], batchSize: number, prefix: string): Promise<RawBulkSummary> {
  const summary: RawBulkSummary = { docs: 0, requests: 0, itemErrors: 0 };
  for (let start = 0; start < docs.length; start += batchSize) {
    const body: Record<string, unknown>[] = [];
    const end = Math.min(start + batchSize, docs.length);
    for (let i = start; i < end; i += 1) {
      const doc = docs[i]!;
      body.push({ create: { _index: indexNameFor(prefix, doc.event['@timestamp']), _id: doc.id } }, doc.event as unknown as Record<string, unknown>);
    }
    const res = await client.bulk({ body, filter_path: 'errors,items.*.status' });
    summary.requests += 1;
    summary.docs += end - start;
    if (res.body.errors) {
      for (const item of res.body.items) {
        const status = item.create?.status ?? 0;
        if (status !== 200 && status !== 201) summary.itemErrors += 1;
      }
    }
  }
  return summary;
}
