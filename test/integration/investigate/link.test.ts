import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { checkDocument } from '../../../src/investigate/verify.js';
import { linkPass, LINKED_SOURCES, startLinkTask, type LinkResult } from '../../../src/sinks/opensearch/link.js';
import { runCli } from '../../support/cli.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { accessEvent, cloudTrailEvent, dropAll, indexBoth, LINES, LOG_BUCKET, OTHER_BUCKET, recordingKey, rid, setupPrefix } from './two-sources.js';

interface Doc {
  _index: string;
  _id: string;
  _seq_no: number;
  _primary_term: number;
  _source: Record<string, unknown> & { link?: { sources: string[]; twin_id: string[]; linked_at: string }; event: { hash: string } };
}

const at = (hhmmss: string): string => `2026-01-01T${hhmmss}.000Z`;
const withoutLink = (d: Doc): Record<string, unknown> => {
  const { link: _link, ...rest } = d._source;
  return rest;
};

describe('linker on the real node: only link.* changes, in either arrival order', () => {
  const client = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-link');
  const logger = createLogger('silent');
  const pass = (now = '2026-01-02T00:00:00.000Z'): Promise<LinkResult> =>
    linkPass({ client, index: prefix, from: at('00:00:00'), to: '2026-01-02T00:00:00.000Z', logger, refresh: true, now: () => new Date(now) });
  const get = async (id: string): Promise<Doc> => {
    const res = await client.search({ index: prefix, body: { query: { ids: { values: [id] } }, seq_no_primary_term: true } });
    const hit = (res.body as unknown as { hits: { hits: Doc[] } }).hits.hits[0];
    if (hit === undefined) throw new Error(`no document ${id}`);
    return hit;
  };

  // CloudTrail first: its twin arrives after the first pass.
  const ctFirst = cloudTrailEvent({ id: rid('ct-first'), time: at('10:00:00') });
  const ctFirstTwin = accessEvent({ id: rid('ct-first'), time: at('10:00:00') });
  // Access log first.
  const s3First = accessEvent({ id: rid('s3-first'), time: at('10:05:00') });
  const s3FirstTwin = cloudTrailEvent({ id: rid('s3-first'), time: at('10:05:01') });
  // A copy: two access-log records, one CloudTrail event.
  const copyCt = cloudTrailEvent({ id: rid('copy'), time: at('10:10:00'), eventName: 'CopyObject', key: recordingKey(2) });
  const copyPut = accessEvent({ id: rid('copy'), time: at('10:10:00'), op: 'REST.COPY.OBJECT', key: recordingKey(2) });
  const copyGet = accessEvent({ id: rid('copy'), time: at('10:10:00'), op: 'REST.COPY.OBJECT_GET', key: recordingKey(1) });
  // Same request id, another bucket: not a twin.
  const lonely = cloudTrailEvent({ id: rid('lonely'), time: at('10:20:00') });
  const foreign = accessEvent({ id: rid('lonely'), time: at('10:20:00'), bucket: OTHER_BUCKET });

  beforeAll(async () => {
    await setupPrefix(client, prefix);
    await indexBoth(client, prefix, [s3First, copyPut, copyGet, foreign], [ctFirst, copyCt, lonely]);
  });

  afterAll(async () => {
    await dropAll(client, prefix);
    await client.close();
  });

  it('links what has a twin, leaves the rest for later, and changes nothing but link.*', async () => {
    const ids = [ctFirst.id, s3First.id, copyCt.id, copyPut.id, copyGet.id, lonely.id, foreign.id];
    const before = new Map((await Promise.all(ids.map(get))).map((d) => [d._id, d]));

    const first = await pass();
    expect(first).toMatchObject({ scanned: 3, linked: 1, accessLinked: 2, waiting: 2, conflicts: 0, failed: 0 });
    const copy = await get(copyCt.id);
    expect(copy._source.link).toEqual({ sources: [...LINKED_SOURCES], twin_id: [copyPut.id, copyGet.id], linked_at: '2026-01-02T00:00:00.000Z' });
    for (const id of [copyPut.id, copyGet.id])
      expect((await get(id))._source.link).toMatchObject({ sources: ['aws.cloudtrail', 'aws.s3access'], twin_id: [copyCt.id] });
    for (const id of [ctFirst.id, s3First.id, lonely.id, foreign.id]) expect((await get(id))._source.link).toBeUndefined();

    // The twins arrive: the CloudTrail event of an indexed access record, the access record of a waiting CloudTrail event.
    await indexBoth(client, prefix, [ctFirstTwin], [s3FirstTwin]);
    const second = await pass('2026-01-02T01:00:00.000Z');
    expect(second).toMatchObject({ scanned: 3, linked: 2, accessLinked: 2, waiting: 1, conflicts: 0, failed: 0 });
    expect((await get(ctFirst.id))._source.link?.twin_id).toEqual([ctFirstTwin.id]);
    expect((await get(ctFirstTwin.id))._source.link?.twin_id).toEqual([ctFirst.id]);
    expect((await get(s3FirstTwin.id))._source.link?.twin_id).toEqual([s3First.id]);
    expect((await get(s3First.id))._source.link?.twin_id).toEqual([s3FirstTwin.id]);
    expect((await get(lonely.id))._source.link).toBeUndefined();

    // Evidence unchanged: every other field, the hash, and verify's check of each access event against its line.
    for (const [id, old] of before) {
      const now = await get(id);
      expect(withoutLink(now)).toEqual(withoutLink(old));
      expect(now._source.event.hash).toBe(old._source.event.hash);
    }
    for (const id of [s3First.id, copyPut.id, copyGet.id, ctFirstTwin.id]) {
      const line = LINES.get(id)!;
      const hit = await get(id);
      expect(checkDocument(hit, { number: line.number, bytes: line.bytes }, LOG_BUCKET, line.path).status).toBe('verified');
    }

    // Nothing left to do but the lonely one.
    expect(await pass()).toMatchObject({ scanned: 1, linked: 0, waiting: 1 });
  });

  it('leaves a document changed since it was read (409) for the next pass', async () => {
    const ct = cloudTrailEvent({ id: rid('raced'), time: at('11:00:00') });
    const twin = accessEvent({ id: rid('raced'), time: at('11:00:00') });
    await indexBoth(client, prefix, [twin], [ct]);
    // Someone (re-enrichment) updates the access event between the linker's read and its write:
    // simulated by running the pass with a client whose bulk first bumps the twin's seq_no.
    const racing = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'bulk') return Reflect.get(target, prop, receiver) as unknown;
        return async (params: { body: Record<string, unknown>[] }) => {
          const first = params.body[0] as { update?: { _id?: string } };
          if (first.update?._id === twin.id) {
            await client.update({
              index: (await get(twin.id))._index,
              id: twin.id,
              body: { doc: { enrichment: { status: 'not_a_recording' } } },
              refresh: true,
            });
          }
          return target.bulk(params);
        };
      },
    });
    const raced = await linkPass({ client: racing, index: prefix, from: at('11:00:00'), to: at('12:00:00'), logger, refresh: true });
    expect(raced).toMatchObject({ scanned: 1, linked: 0, conflicts: 1 });
    expect((await get(ct.id))._source.link).toBeUndefined();
    expect(await linkPass({ client, index: prefix, from: at('11:00:00'), to: at('12:00:00'), logger, refresh: true })).toMatchObject({
      linked: 1,
      conflicts: 0,
    });
    expect((await get(twin.id))._source.link?.twin_id).toEqual([ct.id]);
  });

  it('the worker task links on its interval and stops cleanly', async () => {
    const ct = cloudTrailEvent({ id: rid('task'), time: new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, '.000Z') });
    const twin = accessEvent({ id: rid('task'), time: ct.event['@timestamp'] });
    await indexBoth(client, prefix, [twin], [ct]);
    const task = startLinkTask({ client, index: prefix, logger, intervalSecs: 1, lookbackSecs: 3600, refresh: true });
    try {
      // Bounded wait for the first passes (no timing is asserted, only that one of them links).
      for (let i = 0; i < 100 && (await get(ct.id))._source.link === undefined; i++) await new Promise((r) => setTimeout(r, 200));
    } finally {
      await task.stop();
    }
    expect((await get(ct.id))._source.link?.twin_id).toEqual([twin.id]);
    expect((await get(twin.id))._source.link?.twin_id).toEqual([ct.id]);
  });

  it('recording-audit link runs one pass and says what it did', async () => {
    const res = await runCli(['link', '--from', '2026-01-01', '--to', '2026-01-02', '--index', prefix], {
      OPENSEARCH_URL: stackEnv().opensearchUrl,
      LOG_LEVEL: 'warn',
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('1 unlinked CloudTrail events: 0 linked (0 access-log events), 1 without an access-log twin yet');
    expect((await runCli(['link', '--from', '2026-01-01'], { OPENSEARCH_URL: stackEnv().opensearchUrl })).code).toBe(64);
  });
});
