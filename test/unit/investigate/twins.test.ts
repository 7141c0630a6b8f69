import { describe, expect, it } from 'vitest';
import { parseHit, sourceLabel, type Hit } from '../../../src/investigate/row.js';
import { collapseTwins, type CollapseStats } from '../../../src/investigate/twins.js';

const access = (id: string, requestId: string, t: string, key = 'k'): Hit =>
  parseHit({
    _id: id,
    _index: 'ra-2026.01',
    _source: {
      '@timestamp': t,
      event: { dataset: 'aws.s3access' },
      aws: { s3access: { request_id: requestId, bucket: 'rec', operation: 'REST.GET.OBJECT' }, s3: { object: { key } } },
    },
  })!;
const trail = (id: string, requestId: string, t: string, key = 'k'): Hit =>
  parseHit({
    _id: id,
    _index: 'ra.cloudtrail-2026.01',
    _source: {
      '@timestamp': t,
      event: { dataset: 'aws.cloudtrail', id: requestId, action: 'GetObject' },
      aws: { s3: { bucket: { name: 'rec' }, object: { key } } },
    },
  })!;
const genesys = (id: string, t: string): Hit => parseHit({ _id: id, _source: { '@timestamp': t, event: { dataset: 'genesys.audit', action: 'View' } } })!;

async function collect(hits: Hit[], windowMs?: number): Promise<{ rows: Hit[]; stats: CollapseStats }> {
  const stats: CollapseStats = { collapsed: 0 };
  const rows: Hit[] = [];
  for await (const h of collapseTwins(
    (async function* () {
      await Promise.resolve();
      yield* hits;
    })(),
    stats,
    windowMs,
  ))
    rows.push(h);
  return { rows, stats };
}

const T = (s: number): string => new Date(Date.UTC(2026, 0, 1, 10, 0, s)).toISOString();

describe('collapseTwins', () => {
  it('shows one request recorded by both sources as one s3+ct row, in the access record’s words, in either order', async () => {
    const { rows, stats } = await collect([
      trail('ct1', 'R1', T(0)),
      genesys('g1', T(0)),
      access('a1', 'R1', T(1)),
      access('a2', 'R2', T(2)),
      trail('ct2', 'R2', T(2)),
      trail('ct3', 'R3', T(3)),
      access('a4', 'R4', T(4), 'other-key'),
      trail('ct4', 'R4', T(4), 'k'),
    ]);
    expect(rows.map((r) => [r.row.id, sourceLabel(r.row)])).toEqual([
      ['a1', 's3+ct'],
      ['g1', 'genesys'],
      ['a2', 's3+ct'],
      ['ct3', 'ct'],
      ['a4', 's3'],
      ['ct4', 'ct'],
    ]);
    expect(stats.collapsed).toBe(2);
    expect(rows[0]!.row.twinIds).toEqual(['ct1']);
    expect(rows[0]!.source).toMatchObject({ _sources: ['aws.s3access', 'aws.cloudtrail'], _twins: [{ _id: 'ct1', _index: 'ra.cloudtrail-2026.01' }] });
    expect(Object.keys(rows[0]!.source).slice(-2)).toEqual(['_sources', '_twins']);
  });

  it('pairs only across sources and within the window; a copy’s two access records stay two rows', async () => {
    const { rows } = await collect(
      [access('a1', 'R1', T(0)), access('a1b', 'R1', T(0)), trail('ct1', 'R1', T(0)), access('a5', 'R5', T(0)), trail('ct5', 'R5', T(30))],
      10_000,
    );
    expect(rows.map((r) => [r.row.id, sourceLabel(r.row)])).toEqual([
      ['a1', 's3+ct'],
      ['a1b', 's3'],
      ['a5', 's3'],
      ['ct5', 'ct'],
    ]);
  });
});
