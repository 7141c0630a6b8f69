import type { Hit } from '../row.js';

/** One document per line: `_id` and `_index` first, then the stored `_source` as it is. */
export function ndjsonLine(hit: Hit): string {
  return `${JSON.stringify({ _id: hit.row.id, _index: hit.row.index, ...hit.source })}\n`;
}
