import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIELD_DOCS, FIELDS_BEGIN, fieldReference, mappingLeafDetails } from '../../../src/event/field-docs.js';
import { INDEX_MAPPINGS, mappingLeaves } from '../../../src/event/mapping.js';
import { GENERATED_SECTIONS, sectionIn } from '../../support/generated-docs.js';
import { GENESYS_AUDIT_MAPPINGS } from '../../../src/event/genesys-audit.js';
import { AUDIT_FIELDS_BEGIN, GENESYS_AUDIT_FIELD_DOCS, genesysAuditFieldReference } from '../../../src/event/genesys-audit-docs.js';

describe('field reference (src/event/field-docs.ts, docs/event-schema.md)', () => {
  it('documents every leaf of the mapping, and nothing the mapping lacks', () => {
    const leaves = [...mappingLeaves(INDEX_MAPPINGS).keys()].sort();
    expect(Object.keys(FIELD_DOCS).sort()).toEqual(leaves);
  });

  it('gives every field a meaning', () => {
    for (const [field, doc] of Object.entries(FIELD_DOCS)) expect(doc.meaning.trim(), field).not.toBe('');
  });

  it('sees the leaves mappingLeaves sees, with the alias targets that exist in the mapping', () => {
    const details = mappingLeafDetails();
    const types = mappingLeaves(INDEX_MAPPINGS);
    expect(new Map(details.map((l) => [l.path, l.type]))).toEqual(types);
    const paths = new Set(details.flatMap((l) => [l.path, ...l.subfields.map(([sub]) => `${l.path}.${sub}`)]));
    for (const l of details.filter((d) => d.type === 'alias')) expect(paths, l.path).toContain(l.aliasOf);
  });

  it('is in docs/event-schema.md as the generator writes it now (run `npm run docs`)', () => {
    const section = GENERATED_SECTIONS.find((s) => s.begin === FIELDS_BEGIN)!;
    expect(sectionIn(readFileSync('docs/event-schema.md', 'utf8'), section)).toBe(fieldReference().trim());
  });
});

describe('genesys.audit field reference (src/event/genesys-audit-docs.ts)', () => {
  it('documents every leaf of the audit mapping, and nothing it lacks', () => {
    expect(Object.keys(GENESYS_AUDIT_FIELD_DOCS).sort()).toEqual([...mappingLeaves(GENESYS_AUDIT_MAPPINGS).keys()].sort());
  });

  it('is in docs/event-schema.md as the generator writes it now (run `npm run docs`)', () => {
    const section = GENERATED_SECTIONS.find((s) => s.begin === AUDIT_FIELDS_BEGIN)!;
    expect(sectionIn(readFileSync('docs/event-schema.md', 'utf8'), section)).toBe(genesysAuditFieldReference().trim());
  });
});
