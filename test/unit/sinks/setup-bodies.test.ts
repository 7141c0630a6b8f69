import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { INDEX_ANALYSIS, INDEX_CODEC, INDEX_MAPPINGS, INDEX_SORT, mappingLeaves, MAPPING_REVISION, NEW_MONTHS_ONLY } from '../../../src/event/mapping.js';
import { ismPolicyBody, ismPolicyId, MONTH_MARGIN_DAYS } from '../../../src/sinks/opensearch/ism.js';
import { indexTemplateBody, mappingsWithout } from '../../../src/sinks/opensearch/template.js';

const mappings = { dynamic: 'strict', properties: { '@timestamp': { type: 'date' } } };
const cfg = { INDEX_PREFIX: 'audit', INDEX_SHARDS: 2, INDEX_REPLICAS: 1 };

describe('indexTemplateBody', () => {
  it('covers <prefix>-*, carries the mapping verbatim, the alias and the shard settings', () => {
    const t = indexTemplateBody(cfg, mappings);
    expect(t.index_patterns).toEqual(['audit-*']);
    expect(t.template.mappings).toBe(mappings);
    expect(t.template.aliases).toEqual({ audit: {} });
    expect(t.template.settings.index).toEqual({ number_of_shards: 2, number_of_replicas: 1, codec: INDEX_CODEC, analysis: INDEX_ANALYSIS });
    expect(INDEX_CODEC).toBe('best_compression');
    expect(t._meta.managed_by).toBe('recording-audit');
  });

  it('sorts new indices only when asked (setup asks on OpenSearch 3.2 and later), and the sort changes the version', () => {
    expect(indexTemplateBody(cfg, mappings).template.settings.index.sort).toBeUndefined();
    const sorted = indexTemplateBody(cfg, mappings, MAPPING_REVISION, INDEX_SORT);
    expect(sorted.template.settings.index.sort).toEqual({ field: ['aws.s3.object.key', '@timestamp'], order: ['asc', 'asc'] });
    expect(sorted._meta.version).not.toBe(indexTemplateBody(cfg, mappings)._meta.version);
  });

  it('never sets ISM settings in the template (they break index creation without the plugin)', () => {
    expect(JSON.stringify(indexTemplateBody(cfg, mappings))).not.toContain('index_state_management');
  });

  it('has a version that changes with the content and only with it', () => {
    const v = indexTemplateBody(cfg, mappings)._meta.version;
    expect(indexTemplateBody({ ...cfg }, { ...mappings })._meta.version).toBe(v);
    expect(indexTemplateBody({ ...cfg, INDEX_REPLICAS: 0 }, mappings)._meta.version).not.toBe(v);
    expect(indexTemplateBody(cfg, { ...mappings, dynamic: false })._meta.version).not.toBe(v);
  });
});

describe('MAPPING_REVISION', () => {
  it('goes up with every change to the mapping, its analysis settings or its index sort (update the digest and the revision together)', () => {
    const digest = createHash('sha256')
      .update(JSON.stringify([INDEX_MAPPINGS, INDEX_ANALYSIS, INDEX_SORT]))
      .digest('hex')
      .slice(0, 16);
    expect({ revision: MAPPING_REVISION, digest }).toEqual({ revision: 7, digest: 'b42897c589bef227' });
    expect(indexTemplateBody(cfg, mappings)._meta.mapping_revision).toBe(MAPPING_REVISION);
  });
});

describe('mappingsWithout (the mapping setup puts on existing monthly indices)', () => {
  it('leaves out exactly the revision-7 fields, nested ones included, and keeps every other field and the _meta', () => {
    const all = new Set(mappingLeaves(INDEX_MAPPINGS).keys());
    for (const path of NEW_MONTHS_ONLY) expect(all.has(path), path).toBe(true);
    const existing = mappingsWithout(INDEX_MAPPINGS, [...NEW_MONTHS_ONLY, 'genesys.participants.purpose', 'no.such.field']);
    expect([...mappingLeaves(existing as typeof INDEX_MAPPINGS).keys()].sort()).toEqual(
      [...all].filter((f) => !NEW_MONTHS_ONLY.includes(f) && f !== 'genesys.participants.purpose').sort(),
    );
    expect(existing).toMatchObject({
      dynamic: 'strict',
      _meta: INDEX_MAPPINGS._meta,
      properties: { genesys: { properties: { participants: { type: 'nested' } } } },
    });
    expect(mappingsWithout(INDEX_MAPPINGS, [])).toBe(INDEX_MAPPINGS);
  });
});

describe('ismPolicyBody', () => {
  it('deletes RETENTION_DAYS plus one month after creation and attaches by ism_template', () => {
    const p = ismPolicyBody({ INDEX_PREFIX: 'audit', RETENTION_DAYS: 2192 });
    expect(ismPolicyId('audit')).toBe('audit-retention');
    expect(JSON.stringify(p.policy.states)).toContain(`"min_index_age":"${2192 + MONTH_MARGIN_DAYS}d"`);
    // Monthly indices of both datasets only: audit-alerts and audit-detect-state match none of the patterns.
    const patterns = ['audit', 'audit.genesys', 'audit.cloudtrail'].flatMap((p) => ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => `${p}-${d}*`));
    expect(p.policy.ism_template).toEqual([{ index_patterns: patterns, priority: 100 }]);
    const matches = (index: string): boolean => patterns.some((pat) => index.startsWith(pat.slice(0, -1)));
    expect(['audit-2024.05', 'audit-1999.12', 'audit-0001.01'].every(matches)).toBe(true);
    expect(['audit-alerts', 'audit-detect-state'].some(matches)).toBe(false);
    expect(p.policy.description).toMatch(/\[v:[0-9a-f]{16}\]$/);
    expect(ismPolicyBody({ INDEX_PREFIX: 'audit', RETENTION_DAYS: 30 }).policy.description).not.toBe(p.policy.description);
  });
});
