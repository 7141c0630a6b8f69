import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BEGIN, configReference } from '../../../src/config/docs.js';
import { SCHEMA } from '../../../src/config/schema.js';
import { GENERATED_SECTIONS, sectionIn } from '../../support/generated-docs.js';

describe('docs/configuration.md', () => {
  it('holds the reference generated from the schema (run `npm run docs` after changing a setting)', () => {
    const section = GENERATED_SECTIONS.find((s) => s.begin === BEGIN)!;
    expect(section.file).toBe('docs/configuration.md');
    expect(sectionIn(readFileSync(section.file, 'utf8'), section)).toBe(configReference().trim());
  });

  it('documents every setting', () => {
    const text = configReference();
    for (const name of Object.keys(SCHEMA)) expect(text).toContain(`\`${name}\``);
  });
});
