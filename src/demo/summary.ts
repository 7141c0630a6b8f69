import type { Client } from '@opensearch-project/opensearch';

interface Bucket {
  key: string | number;
  doc_count: number;
  outcome?: { buckets: Bucket[] };
}

interface SummaryResponse {
  hits: { total: { value: number }; hits: { _source: Record<string, unknown> }[] };
  aggregations: {
    actions: { buckets: Bucket[] };
    principals: { buckets: Bucket[] };
    enrichment: { buckets: Bucket[] };
    conversations: { value: number };
  };
}

const get = (obj: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
/** A stored scalar as text; objects and absent values as the fallback. */
const text = (obj: unknown, path: string, fallback = ''): string => {
  const v = get(obj, path);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : fallback;
};

/**
 * One resolved playback that is not the worker's own read. `event.self` is written false on every
 * event that is not (schema v2), so a `term: false` filter finds them; a test runs this query
 * against events indexed by the real worker.
 */
export function playbackSampleQuery(scope: object): object {
  return {
    size: 1,
    query: {
      bool: {
        filter: [scope, { term: { 'event.action': 'REST.GET.OBJECT' } }, { term: { 'enrichment.status': 'resolved' } }, { term: { 'event.self': false } }],
      },
    },
  };
}

/** What a security engineer looks at first, from the index the worker just filled. */
export async function printSummary(os: Client, indexPrefix: string, logBucket: string, say: (s: string) => void): Promise<void> {
  await os.indices.refresh({ index: `${indexPrefix}-*` });
  const scope = { prefix: { 'log.file.path': `s3://${logBucket}/` } };
  // Quarantined lines leave a pipeline_error event each: counted apart, never as accesses.
  const traces = await os.count({ index: indexPrefix, body: { query: { bool: { filter: [scope, { term: { 'event.kind': 'pipeline_error' } }] } } } } as never);
  const quarantined = (traces.body as unknown as { count: number }).count;
  const events = { bool: { filter: [scope, { term: { 'event.kind': 'event' } }] } };
  const res = await os.search({
    index: indexPrefix,
    body: {
      size: 0,
      track_total_hits: true,
      query: events,
      aggs: {
        actions: { terms: { field: 'event.action', size: 20 }, aggs: { outcome: { terms: { field: 'event.outcome' } } } },
        principals: { terms: { field: 'aws.s3access.requester', size: 5 } },
        enrichment: { terms: { field: 'enrichment.status' } },
        conversations: { cardinality: { field: 'genesys.conversation.id' } },
      },
    },
  } as never);
  const body = res.body as unknown as SummaryResponse;
  say('');
  say(`== ${body.hits.total.value} access events in index alias "${indexPrefix}" from this run`);
  if (quarantined > 0) say(`   and ${quarantined} quarantined lines, each marked by a pipeline_error event (event.kind:pipeline_error)`);
  say('');
  say('Events by operation and outcome:');
  for (const b of body.aggregations.actions.buckets) {
    const outcomes = (b.outcome?.buckets ?? []).map((o) => `${String(o.key)} ${o.doc_count}`).join(', ');
    say(`  ${String(b.key).padEnd(22)} ${String(b.doc_count).padStart(6)}   (${outcomes})`);
  }
  say('');
  say('Top principals:');
  for (const b of body.aggregations.principals.buckets) say(`  ${String(b.doc_count).padStart(6)}  ${String(b.key)}`);
  say('');
  say(
    `Enrichment: ${body.aggregations.enrichment.buckets.map((b) => `${String(b.key)} ${b.doc_count}`).join(', ')}; ${body.aggregations.conversations.value} distinct conversations touched.`,
  );

  const denied = await os.search({
    index: indexPrefix,
    body: {
      size: 10,
      sort: [{ '@timestamp': 'asc' }],
      query: { bool: { filter: [scope, { term: { 'event.kind': 'event' } }, { term: { 'event.outcome': 'failure' } }] } },
    },
  } as never);
  const deniedHits = (denied.body as unknown as SummaryResponse).hits;
  say('');
  say(`Denied or failed requests (${deniedHits.total.value}):`);
  for (const h of deniedHits.hits) {
    const s = h._source;
    say(
      `  ${text(s, '@timestamp')}  ${text(s, 'aws.s3access.http_status')} ${text(s, 'aws.s3access.error_code')}  ${text(s, 'aws.s3access.requester')} from ${text(s, 'aws.s3access.remote_ip')}`,
    );
    say(`      conversation ${text(s, 'genesys.conversation.id', '?')}, recording ${text(s, 'genesys.recording.id', '?')}`);
  }

  const sample = await os.search({
    index: indexPrefix,
    body: playbackSampleQuery(scope),
  } as never);
  const one = (sample.body as unknown as SummaryResponse).hits.hits[0]?._source;
  const cid = get(one, 'genesys.conversation.id');
  if (one !== undefined) {
    say('');
    say('One playback, as stored:');
    say(
      JSON.stringify(
        {
          '@timestamp': get(one, '@timestamp'),
          'aws.s3access.operation': get(one, 'aws.s3access.operation'),
          'event.outcome': get(one, 'event.outcome'),
          'aws.s3access.requester': get(one, 'aws.s3access.requester'),
          'aws.s3access.remote_ip': get(one, 'aws.s3access.remote_ip'),
          'aws.s3.object.key': get(one, 'aws.s3.object.key'),
          genesys: get(one, 'genesys'),
          enrichment: get(one, 'enrichment'),
        },
        null,
        2,
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
  }
  say('');
  say('Next: who touched this conversation, when, from where, with what outcome:');
  say(
    `  curl -s "$OPENSEARCH_URL/${indexPrefix}/_search?pretty" -H 'Content-Type: application/json' -d '{"size":50,"sort":[{"@timestamp":"asc"}],"_source":["@timestamp","aws.s3access.operation","event.outcome","aws.s3access.requester","aws.s3access.remote_ip","genesys.recording.id"],"query":{"term":{"genesys.conversation.id":"${typeof cid === 'string' ? cid : '<conversation id>'}"}}}'`,
  );
  say('  (set -a; . .stack/env; set +a first, for OPENSEARCH_URL)');
}
