import { describe, expect, it } from 'vitest';
import { GENESYS_AUDIT_MAPPINGS } from '../../../src/event/genesys-audit.js';
import { aliasTarget, INDEX_MAPPINGS, mappingLeaves } from '../../../src/event/mapping.js';
import { monthlyIndexPatterns } from '../../../src/sinks/opensearch/index-name.js';

describe('genesys.audit mapping beside the access events', () => {
  it('gives every name the two mappings share one type, an alias counting as its target', () => {
    const access = mappingLeaves(INDEX_MAPPINGS);
    const audit = mappingLeaves(GENESYS_AUDIT_MAPPINGS);
    const typeIn = (leaves: Map<string, string>, mappings: { properties: Record<string, unknown> }, field: string): string | undefined => {
      const t = leaves.get(field);
      if (t !== 'alias') return t;
      return leaves.get(aliasTarget(field, mappings)!);
    };
    const shared = [...audit.keys()].filter((f) => access.has(f));
    expect(shared).toEqual(
      expect.arrayContaining(['client.ip', 'event.action', 'event.id', 'source.ip', 'actor.kind', 'genesys.conversation.id', 'related.ip']),
    );
    const clashes = shared.map((f) => [f, typeIn(access, INDEX_MAPPINGS, f), typeIn(audit, GENESYS_AUDIT_MAPPINGS, f)] as const).filter(([, a, b]) => a !== b);
    expect(clashes).toEqual([]);
  });

  it('retention and alias patterns cover both families and not the detection indices', () => {
    const patterns = monthlyIndexPatterns('ra');
    const matches = (name: string): boolean => patterns.some((p) => new RegExp(`^${p.replace('.', '\\.').replace('*', '.*')}$`).test(name));
    expect(matches('ra-2026.12')).toBe(true);
    expect(matches('ra.genesys-2026.12')).toBe(true);
    expect(matches('ra-alerts')).toBe(false);
    expect(matches('ra-detect-state')).toBe(false);
  });
});
