import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../../src/config/schema.js';
import { allActions, grants, loadRoles, matches, type RoleDocument } from '../../support/opensearch-roles.js';

const PREFIX = SCHEMA.INDEX_PREFIX.default;
const MONTHLY = `${PREFIX}-2026.01`;

/** What erases, rewrites or re-configures evidence: the worker must hold none of it. */
const DESTRUCTIVE = [
  'indices:data/write/delete',
  'indices:data/write/delete/byquery',
  'indices:data/write/update',
  'indices:data/write/update/byquery',
  'indices:data/write/reindex',
  'indices:admin/delete',
  'indices:admin/close',
  'indices:admin/settings/update',
  'indices:admin/mapping/put',
  'indices:admin/aliases',
  'indices:admin/index_template/put',
  'indices:admin/index_template/delete',
  'indices:admin/template/put',
  'indices:admin/template/delete',
  'cluster:admin/opendistro/ism/policy/write',
  'cluster:admin/opendistro/ism/policy/delete',
  'cluster:admin/opendistro/ism/managedindex/add',
  'cluster:admin/opendistro/ism/managedindex/change',
  'cluster:admin/opendistro/ism/managedindex/remove',
  'indices:admin/opensearch/ism/managedindex',
  'cluster:admin/snapshot/delete',
  'cluster:admin/snapshot/restore',
  'cluster:admin/repository/put',
  'cluster:admin/settings/update',
];

function held(role: RoleDocument, forbidden: readonly string[]): string[] {
  return allActions(role).flatMap((p) => forbidden.filter((a) => matches(p, a)).map((a) => `${p} grants ${a}`));
}

describe('OpenSearch security roles (config/opensearch/roles/)', () => {
  const roles = loadRoles();
  const role = (name: string): RoleDocument => {
    const r = roles.get(name);
    if (r === undefined) throw new Error(`config/opensearch/roles/${name}.json is missing`);
    return r;
  };

  it('ships the worker, analyst, setup, reenrich and detect roles in the REST API body format', () => {
    expect([...roles.keys()]).toEqual([
      'recording-audit-analyst',
      'recording-audit-detect',
      'recording-audit-reenrich',
      'recording-audit-setup',
      'recording-audit-worker',
    ]);
    for (const [name, r] of roles) {
      expect(
        Object.keys(r).filter((k) => !['description', 'cluster_permissions', 'index_permissions', 'tenant_permissions'].includes(k)),
        name,
      ).toEqual([]);
      expect(Array.isArray(r.cluster_permissions), name).toBe(true);
      expect(r.tenant_permissions, name).toEqual([]);
      for (const ip of r.index_permissions) {
        expect(ip.index_patterns.length, name).toBeGreaterThan(0);
        expect(ip.allowed_actions.length, name).toBeGreaterThan(0);
        // No document-level security or field masking: a filtered role would silently hide evidence.
        expect([ip.dls ?? '', ip.fls ?? [], ip.masked_fields ?? []], name).toEqual(['', [], []]);
      }
      // Throws on an action group the tests do not know, so nothing goes unjudged.
      expect(allActions(r).length, name).toBeGreaterThan(0);
    }
  });

  it(`keeps every index pattern under the prefix (${PREFIX}, ${PREFIX}-* the Genesys audit events' ${PREFIX}.genesys-* and the CloudTrail events' ${PREFIX}.cloudtrail-*)`, () => {
    for (const [name, r] of roles) {
      for (const pattern of r.index_permissions.flatMap((ip) => ip.index_patterns)) {
        expect(
          pattern === PREFIX || pattern.startsWith(`${PREFIX}-`) || pattern.startsWith(`${PREFIX}.genesys-`) || pattern.startsWith(`${PREFIX}.cloudtrail-`),
          `${name}: ${pattern}`,
        ).toBe(true);
        expect(pattern.slice(0, PREFIX.length + 1).includes('*'), `${name}: ${pattern}`).toBe(false);
      }
    }
  });

  it('detect: searches the events, writes only its own alerts and state indices', () => {
    const detect = role('recording-audit-detect');
    expect(grants(detect, 'indices:data/read/search', MONTHLY)).toBe(true);
    for (const index of [`${PREFIX}-alerts`, `${PREFIX}-detect-state`]) {
      expect(grants(detect, 'indices:data/write/index', index)).toBe(true);
      expect(grants(detect, 'indices:data/write/update', index)).toBe(true);
    }
    expect(
      held({ ...detect, index_permissions: detect.index_permissions.filter((ip) => ip.index_patterns.some((p) => matches(p, MONTHLY))) }, DESTRUCTIVE),
    ).toEqual([]);
    for (const a of ['indices:data/write/index', 'indices:data/write/update', 'indices:data/write/delete', 'indices:admin/create']) {
      expect(grants(detect, a, MONTHLY), a).toBe(false);
    }
  });

  it('worker: create and bulk on the monthly indices, reads to verify the setup, and nothing that deletes, updates or re-configures', () => {
    const worker = role('recording-audit-worker');
    expect(held(worker, DESTRUCTIVE)).toEqual([]);
    expect(worker.cluster_permissions.some((p) => p === '*' || p.endsWith(':*') || p === 'cluster_all')).toBe(false);
    // Writes: the bulk request, its shard requests, the create items, and the month's index on first write.
    expect(grants(worker, 'indices:data/write/bulk')).toBe(true);
    for (const action of ['indices:data/write/bulk[s]', 'indices:data/write/index', 'indices:admin/create']) {
      expect(grants(worker, action, MONTHLY), action).toBe(true);
      expect(grants(worker, action, 'other-index'), `${action} outside the prefix`).toBe(false);
    }
    // The 409 comparison by hash (mget), and everything verifyIndexSetup reads.
    expect(grants(worker, 'indices:data/read/mget')).toBe(true);
    expect(grants(worker, 'indices:data/read/mget[shard]', MONTHLY)).toBe(true);
    for (const action of [
      'indices:admin/index_template/get',
      'cluster:admin/opendistro/ism/policy/get',
      'cluster:monitor/main',
      'cluster:monitor/nodes/info',
      'cluster:monitor/state',
    ]) {
      expect(grants(worker, action), action).toBe(true);
    }
    expect(grants(worker, 'indices:admin/aliases/get', PREFIX)).toBe(true);
    expect(grants(worker, 'indices:admin/aliases/get', MONTHLY)).toBe(true);
    // Not an analyst either: the worker never searches the trail.
    expect(grants(worker, 'indices:data/read/search', MONTHLY)).toBe(false);
  });

  it('analyst: reads and searches only', () => {
    const analyst = role('recording-audit-analyst');
    expect(
      held(analyst, [...DESTRUCTIVE, 'indices:data/write/index', 'indices:data/write/bulk', 'indices:data/write/bulk[s]', 'indices:admin/create']),
    ).toEqual([]);
    for (const p of allActions(analyst))
      expect(p, p).toMatch(/^(indices:data\/read|indices:admin\/(aliases\/(get|exists)|mappings\/(fields\/)?get|resolve\/index))/);
    expect(grants(analyst, 'indices:data/read/search', PREFIX)).toBe(true);
    expect(grants(analyst, 'indices:data/read/search', MONTHLY)).toBe(true);
  });

  it('setup: template, alias, mapping and ISM policy, but no document writes and no deletion', () => {
    const setup = role('recording-audit-setup');
    expect(
      held(setup, [
        'indices:data/write/index',
        'indices:data/write/bulk',
        'indices:data/write/delete',
        'indices:data/write/update',
        'indices:data/write/delete/byquery',
        'indices:admin/delete',
        'cluster:admin/opendistro/ism/policy/delete',
        'cluster:admin/snapshot/delete',
      ]),
    ).toEqual([]);
    for (const action of [
      'indices:admin/index_template/put',
      'cluster:admin/opendistro/ism/policy/write',
      'cluster:admin/opendistro/ism/managedindex/add',
      'cluster:admin/opendistro/ism/managedindex/change',
    ]) {
      expect(grants(setup, action), action).toBe(true);
    }
    for (const action of ['indices:admin/mapping/put', 'indices:admin/aliases', 'indices:admin/create', 'indices:admin/opensearch/ism/managedindex']) {
      expect(grants(setup, action, MONTHLY), action).toBe(true);
    }
  });

  it('reenrich: update, the one write the worker lacks, and still no delete', () => {
    const reenrich = role('recording-audit-reenrich');
    expect(grants(reenrich, 'indices:data/write/update', MONTHLY)).toBe(true);
    expect(
      held(
        reenrich,
        DESTRUCTIVE.filter((a) => a !== 'indices:data/write/update'),
      ),
    ).toEqual([]);
    expect(grants(reenrich, 'indices:data/write/index', MONTHLY)).toBe(false);
  });
});
