import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { INDEX_ANALYSIS } from '../../../src/event/mapping.js';
import { ensureIndexSetupWith, indexNameFor } from '../../../src/sinks/opensearch/setup.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { dropPrefix, MAPPINGS, testDoc } from './support.js';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const participants = [{ user_id: A, name: 'Ana', purpose: 'agent' }, { user_id: B, name: 'Bo', purpose: 'agent' }, { purpose: 'customer' }];
const TS = '2024-06-03T10:00:00.000Z';

/** One participant's user id and name, matched within the same participant. */
const sameParticipant = (userId: string, nameLower: string): Record<string, unknown> => ({
  nested: {
    path: 'genesys.participants',
    query: {
      bool: {
        filter: [{ term: { 'genesys.participants.user_id': userId } }, { term: { 'genesys.participants.name.lower': nameLower } }],
      },
    },
  },
});

describe('genesys.participants in the product mapping (nested, normalized names, text subfields)', () => {
  const client = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-part');
  const index = indexNameFor(prefix, TS);
  const search = async (body: Record<string, unknown>): Promise<{ ids: string[]; aggregations?: unknown }> => {
    const res = await client.search({ index: prefix, body });
    const b = res.body as { hits: { hits: { _id: string }[] }; aggregations?: unknown };
    return { ids: b.hits.hits.map((h) => h._id).sort(), aggregations: b.aggregations };
  };
  const docs = [
    testDoc('part', 1, TS, (e) => {
      e.aws.s3access.user_agent = 'aws-sdk-java/2.20.0 Linux/5.10 OpenJDK_64-Bit_Server_VM/17';
      e.aws.s3access.request_uri = 'GET /recordings/org/conv/Recording-1.opus HTTP/1.1';
      e.genesys = { participants, agent: { user_ids: [A, B] } };
    }),
    testDoc('part', 2, TS, (e) => {
      e.aws.s3access.user_agent = 'Boto3/1.34.0 md/Botocore#1.34.0 Python/3.11.4';
      e.aws.s3access.request_uri = 'GET /recordings/org/conv/Recording-2.opus HTTP/1.1';
      e.genesys = { participants, agent: { user_ids: [A, B] } };
    }),
  ];

  beforeAll(async () => {
    await ensureIndexSetupWith(client, { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 }, createLogger('silent'), MAPPINGS);
    for (const d of docs) await client.index({ index, id: d.id, body: d.event });
    await client.indices.refresh({ index });
  });

  afterAll(async () => {
    await dropPrefix(client, prefix);
    await client.close();
  });

  it('a user id and a name match only when they are one participant', async () => {
    // A with B's name: both values are in each document, but never in one participant.
    expect((await search({ query: sameParticipant(A, 'bo') })).ids).toEqual([]);
    // A with A's name, asked in lowercase: the normalized keyword matches "Ana".
    expect((await search({ query: sameParticipant(A, 'ana') })).ids).toEqual(docs.map((d) => d.id).sort());
    // The exact keyword keeps Genesys's spelling.
    const exact = { nested: { path: 'genesys.participants', query: { term: { 'genesys.participants.name': 'ana' } } } };
    expect((await search({ query: exact })).ids).toEqual([]);
  });

  it('finds a user-agent fragment through its text subfield, and a URL fragment with a case-insensitive wildcard on url.original (the request line)', async () => {
    expect((await search({ query: { match_phrase: { 'aws.s3access.user_agent.text': 'BOTO3' } } })).ids).toEqual([docs[1]!.id]);
    expect((await search({ query: { match_phrase: { 'aws.s3access.user_agent.text': 'aws-sdk-java' } } })).ids).toEqual([docs[0]!.id]);
    expect((await search({ query: { wildcard: { 'url.original': { value: '*recording-1.OPUS*', case_insensitive: true } } } })).ids).toEqual([docs[0]!.id]);
    expect((await search({ query: { wildcard: { 'aws.s3access.request_uri': { value: '*recording-2.OPUS*', case_insensitive: true } } } })).ids).toEqual([
      docs[1]!.id,
    ]);
    expect((await search({ query: { wildcard: { 'url.original': { value: '*recording-2.OPUS*' } } } })).ids).toEqual([]);
    // The keyword stays exact, under its raw name and its ECS alias.
    expect((await search({ query: { term: { 'user_agent.original': 'boto3' } } })).ids).toEqual([]);
    expect((await search({ query: { term: { 'user_agent.original': 'Boto3/1.34.0 md/Botocore#1.34.0 Python/3.11.4' } } })).ids).toEqual([docs[1]!.id]);
  });

  it('a terms aggregation inside a nested aggregation gives each agent exactly one name', async () => {
    const { aggregations } = await search({
      size: 0,
      aggs: {
        participants: {
          nested: { path: 'genesys.participants' },
          aggs: {
            agents: {
              filter: { term: { 'genesys.participants.purpose': 'agent' } },
              aggs: { by_user: { terms: { field: 'genesys.participants.user_id' }, aggs: { names: { terms: { field: 'genesys.participants.name' } } } } },
            },
          },
        },
      },
    });
    const buckets = (aggregations as { participants: { agents: { by_user: { buckets: { key: string; names: { buckets: { key: string }[] } }[] } } } })
      .participants.agents.by_user.buckets;
    expect(buckets.map((b) => [b.key, b.names.buckets.map((n) => n.key)])).toEqual([
      [A, ['Ana']],
      [B, ['Bo']],
    ]);
  });
});

describe('setup over a monthly index of revision 3 (participants a plain object array)', () => {
  const client = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-part3');

  afterAll(async () => {
    await dropPrefix(client, prefix);
    await client.close();
  });

  it('refuses: the open index cannot take the nested mapping, and the template is left as it was', async () => {
    const old = { genesys: { properties: { participants: { properties: { user_id: { type: 'keyword' }, name: { type: 'keyword' } } } } } };
    await client.transport.request({
      method: 'PUT',
      path: `/${prefix}-2024.05`,
      body: { settings: { analysis: INDEX_ANALYSIS }, mappings: { properties: old } },
    });
    const cfg = { INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 };
    await expect(ensureIndexSetupWith(client, cfg, createLogger('silent'), MAPPINGS)).rejects.toMatchObject({ code: 'SINK_REJECTED' });
    const t = await client.transport.request({ method: 'GET', path: `/_index_template/${prefix}` }, { ignore: [404] });
    expect(t.statusCode).toBe(404);
  });
});
