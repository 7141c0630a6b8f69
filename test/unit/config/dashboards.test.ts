// config/dashboards/recording-audit.ndjson: importable as Dashboards saved objects, generated from
// test/support/dashboards.ts, and naming only fields the index mapping has.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { aliasTarget, mappingLeaves } from '../../../src/event/mapping.js';
import { DASHBOARDS_FILE, dashboardsNdjson, INDEX_PATTERN_TITLE } from '../../support/dashboards.js';
import { parseSavedObjects, queryOf, searchSourceOf, visStateOf, aggsOf, type ParsedObject } from '../../support/saved-objects.js';

const text = readFileSync(DASHBOARDS_FILE, 'utf8');
const objects = parseSavedObjects(text);
const mapped = mappingLeaves();
// An alias answers with its target's type (url.original → a subfield, typed like its parent here).
const leaves = new Map([...mapped].map(([f, t]) => [f, t === 'alias' ? (mapped.get(aliasTarget(f)!.replace(/\.text$/, '')) ?? t) : t]));
/** The fields the investigation queries may use (the v2 schema's query names). */
const QUERYABLE = new Set([
  '@timestamp',
  'aws.s3access.requester',
  'aws.principal.type',
  'aws.principal.account_id',
  'aws.principal.role_name',
  'aws.principal.session_name',
  'actor.kind',
  'actor.email',
  'event.self',
  'source.ip',
  'aws.s3access.remote_ip',
  'event.action',
  'aws.s3access.operation',
  'aws.s3access.bucket',
  'aws.s3.object.key',
  'aws.s3.object.version_id',
  'aws.s3access.user_agent',
  'event.outcome',
  'aws.s3access.http_status',
  'aws.s3access.error_code',
  'genesys.conversation.id',
  'genesys.recording.id',
  'genesys.recording.file',
  'genesys.agent.user_ids',
  'genesys.participants.user_id',
  'genesys.participants.name',
  'genesys.participants.name.text',
  'genesys.participants.name.text',
  'genesys.participants.purpose',
  'enrichment.status',
  'aws.s3access.authentication_type',
  'aws.s3.presigned.access_key_id',
  'aws.s3.presigned.signed_at',
  'aws.s3.presigned.expires_at',
  'aws.s3.presigned.expires_in_secs',
  'event.hash',
  'log.file.path',
  'log.offset',
  'event.kind',
]);

/** Field names in a Lucene query string (`field:`), a DSL clause's keys, or a visualization's params. */
function luceneFields(q: string): string[] {
  return [...q.matchAll(/([A-Za-z@_][\w.@]*):/g)].map((m) => m[1]!);
}
function dslFields(q: unknown): string[] {
  if (Array.isArray(q)) return q.flatMap(dslFields);
  if (q === null || typeof q !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(q as Record<string, unknown>)) {
    if (['term', 'match', 'match_phrase', 'terms', 'range', 'prefix'].includes(k) && v !== null && typeof v === 'object') out.push(...Object.keys(v));
    else if (k === 'path' && typeof v === 'string') continue;
    else out.push(...dslFields(v));
  }
  return out;
}
const byRef = (o: ParsedObject, name: string): ParsedObject | undefined => {
  const r = o.references.find((x) => x.name === name);
  return r === undefined ? undefined : objects.find((x) => x.type === r.type && x.id === r.id);
};

describe(DASHBOARDS_FILE, () => {
  it('is what test/support/dashboards.ts generates (npm run docs)', () => {
    expect(text).toBe(dashboardsNdjson());
  });

  it('is NDJSON of saved objects with unique ids, and every reference resolves to an object in the file', () => {
    expect(text.endsWith('\n')).toBe(true);
    expect(new Set(objects.map((o) => `${o.type}:${o.id}`)).size).toBe(objects.length);
    expect(objects.map((o) => o.type)).toEqual(expect.arrayContaining(['index-pattern', 'search', 'visualization', 'dashboard']));
    for (const o of objects) {
      for (const r of o.references) expect(byRef(o, r.name), `${o.id} → ${r.type}:${r.id}`).toBeDefined();
      expect(typeof o.attributes.title).toBe('string');
    }
  });

  it('has an index pattern over the default prefix, timed by @timestamp', () => {
    const patterns = objects.filter((o) => o.type === 'index-pattern');
    expect(patterns).toHaveLength(1);
    expect(patterns[0]!.attributes).toMatchObject({ title: INDEX_PATTERN_TITLE, timeFieldName: '@timestamp' });
    // The read alias and monthly indices of the default INDEX_PREFIX.
    expect(INDEX_PATTERN_TITLE).toBe(`${loadConfigOrThrow({ env: {} }).INDEX_PREFIX}*`);
  });

  it('every search source names its index pattern by reference, and every filter pill too', () => {
    for (const o of objects.filter((x) => x.type === 'search' || x.type === 'visualization')) {
      const s = searchSourceOf(o);
      expect(byRef(o, s.indexRefName ?? '')?.type, o.id).toBe('index-pattern');
      for (const f of s.filter) expect(byRef(o, f.meta.indexRefName ?? '')?.type, o.id).toBe('index-pattern');
      // The request Dashboards would send can be built.
      expect(queryOf(s)).toBeDefined();
    }
  });

  it('has a saved search per query form and four visualizations, all on the dashboard', () => {
    const searches = objects.filter((o) => o.type === 'search').map((o) => o.id);
    expect(searches).toEqual(
      ['conversation', 'recording', 'principal', 'agent', 'ip', 'denied', 'deletions', 'presigned'].map((f) => `recording-audit-search-${f}`),
    );
    const dashboard = objects.find((o) => o.type === 'dashboard')!;
    const panels = JSON.parse(String(dashboard.attributes.panelsJSON)) as { panelRefName: string; gridData: { w: number; x: number } }[];
    for (const p of panels) {
      expect(byRef(dashboard, p.panelRefName), p.panelRefName).toBeDefined();
      expect(p.gridData.x + p.gridData.w).toBeLessThanOrEqual(48);
    }
    const onDashboard = new Set(dashboard.references.map((r) => r.id));
    for (const v of objects.filter((o) => o.type === 'visualization')) expect(onDashboard.has(v.id), v.id).toBe(true);
    expect(objects.filter((o) => o.type === 'visualization')).toHaveLength(4);
  });

  it('names only queryable fields that the index mapping has, and aggregates only on keyword, ip, date, long and boolean fields', () => {
    const mapped = (f: string): string | undefined =>
      leaves.get(f) ?? (f.endsWith('.lower') || f.endsWith('.text') ? leaves.get(f.replace(/\.(lower|text)$/, '')) : undefined);
    for (const o of objects.filter((x) => x.type === 'search' || x.type === 'visualization')) {
      const s = searchSourceOf(o);
      const fields = [...luceneFields(s.query.query), ...dslFields(s.filter.map((f) => f.query))];
      if (o.type === 'search') fields.push(...(o.attributes.columns as string[]), ...(o.attributes.sort as string[][]).map((x) => x[0]!));
      if (o.type === 'visualization') {
        const vis = visStateOf(o);
        const aggFields = vis.aggs.map((a) => a.params.field).filter((f): f is string => typeof f === 'string');
        for (const f of aggFields) expect(['keyword', 'ip', 'date', 'long', 'boolean'], `${o.id}: ${f}`).toContain(mapped(f));
        fields.push(...aggFields);
        expect(Object.keys(aggsOf(vis)).length).toBeGreaterThan(0);
      }
      for (const f of fields) {
        expect(QUERYABLE.has(f) || f === 'aws.s3.object.key', `${o.id}: ${f} is not a query field of the v2 schema`).toBe(true);
        expect(mapped(f), `${o.id}: ${f} is not in the mapping`).toBeDefined();
      }
    }
  });
});
