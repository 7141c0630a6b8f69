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
    humans: { doc_count: number; attributed: { doc_count: number } };
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
  // The access-log objects of this run; the CloudTrail files in the same bucket are the other source.
  const scope = { bool: { filter: [{ prefix: { 'log.file.path': `s3://${logBucket}/` } }], must_not: [{ term: { 'event.dataset': 'aws.cloudtrail' } }] } };
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
        humans: { filter: { term: { 'actor.kind': 'human' } }, aggs: { attributed: { filter: { exists: { field: 'actor.genesys_user_id' } } } } },
      },
    },
  } as never);
  const body = res.body as unknown as SummaryResponse;
  say('');
  say(`== ${body.hits.total.value} access events in index alias "${indexPrefix}" from this run`);
  say(`   (this run's log objects: s3://${logBucket}/)`);
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
  const humans = body.aggregations.humans;
  say(`People: ${humans.attributed.doc_count} of ${humans.doc_count} human accesses name their Genesys user (actor.genesys_user_id).`);

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
  for (const line of await nextSteps(os, indexPrefix, scope, typeof cid === 'string' ? cid : undefined)) say(line);
}

interface IdBucket {
  key: string;
  doc_count: number;
  people?: { value: number };
  ips?: { value: number };
  first?: { value: number };
  top?: { hits: { hits: { _source: Record<string, unknown> }[] } };
  recent?: { buckets: IdBucket[] };
}
interface IdAggs {
  aggregations?: Record<string, { buckets: IdBucket[] } | undefined>;
  hits: { total: { value: number } };
}

async function aggregate(os: Client, index: string, filter: object[], aggs: Record<string, object>): Promise<IdAggs> {
  const res = await os.search({ index, body: { size: 0, track_total_hits: true, query: { bool: { filter } }, aggs } } as never);
  return res.body as unknown as IdAggs;
}
const bucketsOf = (r: IdAggs, name: string): IdBucket[] => r.aggregations?.[name]?.buckets ?? [];
/** Quoted for a POSIX shell when it holds anything but plain characters. */
const arg = (v: string): string => (/^[\w@.:/+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

/**
 * The investigation commands to try next, with ids picked from this run's events: the conversation
 * most people read, one of its recordings and agents, the person who read from the most addresses
 * (the night's bulk download) and the address they used last.
 */
export async function nextSteps(os: Client, indexPrefix: string, scope: object, fallbackConversation: string | undefined): Promise<string[]> {
  const events = [scope, { term: { 'event.kind': 'event' } }];
  const humans = [...events, { term: { 'actor.kind': 'human' } }, { term: { 'event.outcome': 'success' } }];
  const byConversation = await aggregate(os, indexPrefix, [...humans, { term: { 'event.action': 'REST.GET.OBJECT' } }], {
    conversations: {
      terms: { field: 'genesys.conversation.id', size: 1, order: [{ people: 'desc' }, { _count: 'desc' }, { _key: 'asc' }] },
      aggs: {
        people: { cardinality: { field: 'aws.s3access.requester' } },
        top: { top_hits: { size: 1, sort: [{ '@timestamp': 'asc' }], _source: ['genesys'] } },
      },
    },
  });
  const conv = bucketsOf(byConversation, 'conversations')[0];
  const cid = conv?.key ?? fallbackConversation;
  const g = get(conv?.top?.hits.hits[0]?._source, 'genesys');
  const rid = text(g, 'recording.id', '<recording id>');
  const participants = get(g, 'participants');
  const agent = Array.isArray(participants) ? (participants as unknown[]).find((p) => text(p, 'purpose') === 'agent') : undefined;
  const agentName = text(agent, 'name', text(agent, 'user_id', '<agent name or user id>'));

  const byPerson = await aggregate(os, indexPrefix, humans, {
    people: {
      terms: { field: 'actor.email', size: 1, order: [{ ips: 'desc' }, { _count: 'desc' }, { _key: 'asc' }] },
      aggs: {
        ips: { cardinality: { field: 'source.ip' } },
        recent: { terms: { field: 'source.ip', size: 1, order: { first: 'desc' } }, aggs: { first: { min: { field: '@timestamp' } } } },
      },
    },
  });
  const person = bucketsOf(byPerson, 'people')[0];
  const email = person?.key ?? '<email or ARN>';
  const recent = person?.recent?.buckets[0];
  const ip = recent?.key ?? '<address or CIDR>';
  const fromIp =
    person === undefined || recent === undefined
      ? undefined
      : await aggregate(os, indexPrefix, [...humans, { term: { 'actor.email': email } }, { term: { 'source.ip': ip } }], {
          recordings: { terms: { field: 'genesys.recording.id', size: 1000 } },
          first: { min: { field: '@timestamp' } },
          last: { max: { field: '@timestamp' } },
        });
  const hhmm = (r: IdAggs, name: string): string => {
    const v = (r.aggregations as Record<string, { value?: number } | undefined> | undefined)?.[name]?.value;
    return typeof v === 'number' ? new Date(v).toISOString().slice(11, 16) : '?';
  };
  const ipNote =
    fromIp === undefined
      ? 'the address they used last'
      : `${fromIp.hits.total.value} requests for ${bucketsOf(fromIp, 'recordings').length} recordings, ${hhmm(fromIp, 'first')}–${hhmm(fromIp, 'last')} UTC, from the address they used last`;

  // Someone who acted in both sources: an action inside Genesys by a person S3 also saw.
  const inGenesys = await aggregate(os, indexPrefix, [{ term: { 'event.dataset': 'genesys.audit' } }, { exists: { field: 'actor.email' } }], {
    people: { terms: { field: 'actor.email', size: 20, order: [{ _key: 'asc' }] } },
  });
  const both = [];
  for (const b of bucketsOf(inGenesys, 'people')) {
    const inS3 = await aggregate(os, indexPrefix, [...events, { term: { 'actor.email': b.key } }], {});
    if (inS3.hits.total.value > 0) both.push(b.key);
  }
  const personEmail = both[0];

  const c = cid ?? '<conversation id>';
  const lines = [
    "Try next, on this run's events (set -a; . .stack/env; set +a; export INDEX_PREFIX=" +
      indexPrefix +
      '; in a checkout, `npm run cli --` runs recording-audit):',
    `  recording-audit query conversation ${arg(c)}       # everyone who read this call's recordings (${conv?.people?.value ?? '?'} people)`,
    `  recording-audit query recording ${arg(rid)}`,
    `  recording-audit query agent ${arg(agentName)}       # recordings this agent took part in, read by others`,
    `  recording-audit query principal ${arg(email)}       # ${person?.doc_count ?? 0} requests from ${person?.ips?.value ?? 0} addresses`,
    `  recording-audit query ip ${arg(ip)}       # ${ipNote}`,
    ...(personEmail !== undefined ? [`  recording-audit query person ${arg(personEmail)}       # what this person did, in S3 and inside Genesys`] : []),
    '  recording-audit query denied',
    '  recording-audit query deletions',
    '  recording-audit query presigned',
    `  recording-audit report --conversation ${arg(c)} --format html --out demo-report.html`,
    `  recording-audit verify --conversation ${arg(c)}`,
    '',
    `The same in OpenSearch Dashboards: import config/dashboards/recording-audit.ndjson (docs/dashboards.md)${
      indexPrefix.startsWith('recording-access') ? '' : `, then set its index pattern's title to ${indexPrefix}*`
    }.`,
  ];
  return lines;
}
