import type { Client } from '@opensearch-project/opensearch';
import type { IndexableEvent } from '../../src/event/types.js';
import { encodeBulkBody } from '../../src/sinks/opensearch/bulk-body.js';
import { readBulkItems } from '../../src/sinks/opensearch/bulk-response.js';
import { indexNameFor } from '../../src/sinks/opensearch/index-name.js';

export interface RawBulkSummary {
  docs: number;
  requests: number;
  /** Items answered with any status other than 200/201 (409s included). */
  itemErrors: number;
}

/**
 * The "raw bulk limit" baseline of the e2e benchmark: the same client, `create` with the same ids
 * into the same monthly indices, the same body encoding (gzip at the same level when asked), one
 * `_bulk` request after the other. No retries, no buffering, no accounting: what BulkIndexer must
 * come close to.
 */
export async function rawBulkLoad(client: Client, docs: readonly IndexableEvent[], batchSize: number, prefix: string, gzip: boolean): Promise<RawBulkSummary> {
  const summary: RawBulkSummary = { docs: 0, requests: 0, itemErrors: 0 };
  for (let start = 0; start < docs.length; start += batchSize) {
    let ndjson = '';
    const end = Math.min(start + batchSize, docs.length);
    for (let i = start; i < end; i += 1) {
      const doc = docs[i]!;
      ndjson += `${JSON.stringify({ create: { _index: indexNameFor(prefix, doc.event['@timestamp']), _id: doc.id } })}\n${JSON.stringify(doc.event)}\n`;
    }
    const { body, headers } = await encodeBulkBody(ndjson, gzip);
    const res = await client.transport.request(
      { method: 'POST', path: '/_bulk', bulkBody: body, querystring: { filter_path: 'errors,items.*.status' } },
      { headers },
    );
    summary.requests += 1;
    summary.docs += end - start;
    const items = readBulkItems(res.body, end - start);
    if (items === undefined) summary.itemErrors += end - start;
    else for (const item of items) if (item.status !== 200 && item.status !== 201) summary.itemErrors += 1;
  }
  return summary;
}
