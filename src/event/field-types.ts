/**
 * The OpenSearch field types the event mappings are made of (src/event/mapping.ts for the access
 * events, src/event/genesys-audit.ts for the Genesys audit events), so a name the two share is
 * typed the same way in both.
 */

export const keyword = { type: 'keyword', ignore_above: 8191 } as const;
/** Filtered on, never aggregated or sorted: no column store. */
export const keywordNoDv = { ...keyword, doc_values: false } as const;
/** Kept in `_source` for the record only: no query filters or aggregates on it. */
export const stored = { type: 'keyword', index: false, doc_values: false } as const;
export const long = { type: 'long' } as const;
/**
 * Aggregated or sorted, and filtered rarely: a column store and no BKD points. A range or term
 * query on it still works, on the doc values (OpenSearch 2.12 and later), at the cost of a scan of
 * what the other filters of the query leave: cheap beside a time range, a key or a requester.
 */
export const longNoIndex = { type: 'long', index: false } as const;
/** A date as longNoIndex is a number: doc values, no points. */
export const dateNoIndex = { type: 'date', index: false } as const;
/** Kept in `_source` only. */
export const longStored = { type: 'long', index: false, doc_values: false } as const;
export const date = { type: 'date' } as const;
export const bool = { type: 'boolean' } as const;
/** An address S3 wrote; a value that is not an IP stays in `_source` and is not indexed, instead of refusing the document. */
export const ipField = { type: 'ip', ignore_malformed: true } as const;
/** A keyword with a `match_only_text` subfield, for a case-insensitive search on a word or phrase of it. */
export const keywordText = { ...keyword, fields: { text: { type: 'match_only_text' } } } as const;
/** A person's name: exact, lowercase-normalized (`.lower`) and word-searchable (`.text`). */
export const personName = {
  ...keyword,
  fields: { lower: { type: 'keyword', normalizer: 'lower', ignore_above: 8191 }, text: { type: 'text' } },
} as const;
export const alias = <P extends string>(path: P): { type: 'alias'; path: P } => ({ type: 'alias', path });

/**
 * The correlation namespace of the access and CloudTrail events: written only after the fact, by the
 * linker (src/sinks/opensearch/link.ts), never by the parser; no evidence field changes with it.
 */
export const linkProps = {
  properties: { sources: { type: 'keyword', ignore_above: 8191 }, twin_id: { type: 'keyword', ignore_above: 8191 }, linked_at: { type: 'date' } },
} as const;

export const props = <T extends Record<string, unknown>>(properties: T): { properties: T } => ({ properties });
