// Reads an OpenSearch Dashboards saved-objects NDJSON file the way Dashboards would use it, and
// turns its saved searches and visualizations into the OpenSearch requests Dashboards sends: a
// Lucene query as `query_string` (with analyze_wildcard, Dashboards' default query options), each
// enabled filter pill's stored query as a filter clause (must_not when negated), and a
// visualization's bucket aggregations nested in order with its metrics at the leaves.
export interface ParsedObject {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  references: { name: string; type: string; id: string }[];
}

export interface SearchSource {
  query: { query: string; language: string };
  filter: { meta: { disabled?: boolean; negate?: boolean; indexRefName?: string }; query: Record<string, unknown> }[];
  indexRefName?: string;
}

export interface VisState {
  title: string;
  type: string;
  aggs: { id: string; type: string; schema: string; enabled: boolean; params: Record<string, unknown> }[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** One object per non-empty line; throws on a line that is not a saved object. */
export function parseSavedObjects(text: string): ParsedObject[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, i) => {
      const o: unknown = JSON.parse(line);
      if (!isRecord(o) || typeof o.type !== 'string' || typeof o.id !== 'string' || !isRecord(o.attributes) || !Array.isArray(o.references))
        throw new Error(`line ${i + 1} is not a saved object`);
      const references = o.references.map((r: unknown) => {
        if (!isRecord(r) || typeof r.name !== 'string' || typeof r.type !== 'string' || typeof r.id !== 'string')
          throw new Error(`line ${i + 1}: bad reference`);
        return { name: r.name, type: r.type, id: r.id };
      });
      return { type: o.type, id: o.id, attributes: o.attributes, references };
    });
}

export function searchSourceOf(o: ParsedObject): SearchSource {
  const meta = o.attributes.kibanaSavedObjectMeta;
  if (!isRecord(meta) || typeof meta.searchSourceJSON !== 'string') throw new Error(`${o.id}: no searchSourceJSON`);
  return JSON.parse(meta.searchSourceJSON) as SearchSource;
}

export function visStateOf(o: ParsedObject): VisState {
  if (typeof o.attributes.visState !== 'string') throw new Error(`${o.id}: no visState`);
  return JSON.parse(o.attributes.visState) as VisState;
}

/** The query Dashboards runs for a search source; `edit` stands for the analyst editing filter pills (placeholder → value). */
export function queryOf(source: SearchSource, edit: (filterJson: string) => string = (f) => f): Record<string, unknown> {
  if (source.query.language !== 'lucene') throw new Error(`query language ${source.query.language} is not translated here`);
  const must: Record<string, unknown>[] = source.query.query.trim() === '' ? [] : [{ query_string: { query: source.query.query, analyze_wildcard: true } }];
  const filter: Record<string, unknown>[] = [];
  const mustNot: Record<string, unknown>[] = [];
  for (const f of source.filter) {
    if (f.meta.disabled === true) continue;
    const q = JSON.parse(edit(JSON.stringify(f.query))) as Record<string, unknown>;
    (f.meta.negate === true ? mustNot : filter).push(q);
  }
  return { bool: { must, filter, must_not: mustNot } };
}

/** A visualization's aggregations: buckets nested in their order, every metric under the innermost. */
export function aggsOf(vis: VisState): Record<string, unknown> {
  const enabled = vis.aggs.filter((a) => a.enabled);
  const metrics: Record<string, unknown> = {};
  for (const m of enabled.filter((a) => a.schema === 'metric' && a.type !== 'count')) {
    metrics[m.id] = { [m.type]: { field: m.params.field } };
  }
  const buckets = enabled.filter((a) => a.schema !== 'metric');
  let inner: Record<string, unknown> = metrics;
  for (const b of [...buckets].reverse()) {
    const p = b.params;
    const body =
      b.type === 'terms'
        ? { field: p.field, size: p.size, ...(p.missingBucket === true ? { missing: String(p.missingBucketLabel) } : {}) }
        : b.type === 'date_histogram'
          ? { field: p.field, fixed_interval: '1h', min_doc_count: p.min_doc_count ?? 1 }
          : undefined;
    if (body === undefined) throw new Error(`bucket aggregation ${b.type} is not translated here`);
    inner = { [b.id]: { [b.type]: body, ...(Object.keys(inner).length > 0 ? { aggs: inner } : {}) } };
  }
  return inner;
}
