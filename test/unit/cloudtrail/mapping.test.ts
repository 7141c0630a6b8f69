import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLOUDTRAIL_FIELD_DOCS, CLOUDTRAIL_FIELDS_BEGIN, cloudTrailFieldReference } from '../../../src/event/cloudtrail-docs.js';
import { CLOUDTRAIL_MAPPINGS } from '../../../src/event/cloudtrail.js';
import { GENERATED_SECTIONS, sectionIn } from '../../support/generated-docs.js';
import { aliasTarget, INDEX_MAPPINGS, mappingLeaves } from '../../../src/event/mapping.js';
import { GENESYS_AUDIT_MAPPINGS } from '../../../src/event/genesys-audit.js';
import { monthlyIndexPatterns } from '../../../src/sinks/opensearch/index-name.js';
import { indexFamilies } from '../../../src/sinks/opensearch/families.js';

type Mappings = { properties: Record<string, unknown> };
const typeIn = (mappings: Mappings, field: string): string | undefined => {
  const leaves = mappingLeaves(mappings);
  const t = leaves.get(field);
  if (t !== 'alias') return t;
  return leaves.get(aliasTarget(field, mappings)!);
};

describe('aws.cloudtrail mapping beside the access and Genesys audit events', () => {
  it('gives every name it shares with the other families one type, an alias counting as its target', () => {
    const ct = mappingLeaves(CLOUDTRAIL_MAPPINGS);
    for (const other of [INDEX_MAPPINGS, GENESYS_AUDIT_MAPPINGS] as Mappings[]) {
      const leaves = mappingLeaves(other);
      const shared = [...ct.keys()].filter((f) => leaves.has(f));
      const clashes = shared.map((f) => [f, typeIn(other, f), typeIn(CLOUDTRAIL_MAPPINGS, f)] as const).filter(([, a, b]) => a !== b);
      expect(clashes).toEqual([]);
    }
    const shared = [...ct.keys()].filter((f) => mappingLeaves(INDEX_MAPPINGS).has(f));
    expect(shared).toEqual(
      expect.arrayContaining([
        'client.ip',
        'source.ip',
        'related.ip',
        'event.action',
        'event.id',
        'event.code',
        'user_agent.original',
        'tls.version',
        'tls.cipher',
        'actor.kind',
        'actor.email',
        'aws.principal.type',
        'aws.principal.role_name',
        'aws.s3.bucket.name',
        'aws.s3.object.key',
        'aws.s3.object.version_id',
        'genesys.conversation.id',
        'genesys.recording.id',
        'log.file.path',
        'log.offset',
      ]),
    );
  });

  it('is its own family with its own prefix, covered by the retention and alias patterns', () => {
    const families = indexFamilies({ INDEX_PREFIX: 'ra', INDEX_SHARDS: 1, INDEX_REPLICAS: 0 });
    expect(families.map((f) => [f.dataset, f.settings.INDEX_PREFIX])).toEqual([
      ['aws.s3access', 'ra'],
      ['genesys.audit', 'ra.genesys'],
      ['aws.cloudtrail', 'ra.cloudtrail'],
    ]);
    const patterns = monthlyIndexPatterns('ra');
    const matches = (name: string): boolean => patterns.some((p) => new RegExp(`^${p.replace('.', '\\.').replace('*', '.*')}$`).test(name));
    expect(matches('ra.cloudtrail-2026.12')).toBe(true);
    expect(matches('ra-alerts')).toBe(false);
  });
});

describe('aws.cloudtrail field reference (src/event/cloudtrail-docs.ts)', () => {
  it('documents every leaf of the mapping, and nothing it lacks', () => {
    expect(Object.keys(CLOUDTRAIL_FIELD_DOCS).sort()).toEqual([...mappingLeaves(CLOUDTRAIL_MAPPINGS).keys()].sort());
  });

  it('is in docs/event-schema.md as the generator writes it now (run `npm run docs`)', () => {
    const section = GENERATED_SECTIONS.find((s) => s.begin === CLOUDTRAIL_FIELDS_BEGIN)!;
    expect(sectionIn(readFileSync('docs/event-schema.md', 'utf8'), section)).toBe(cloudTrailFieldReference().trim());
  });
});
