import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BEGIN, END, configReference } from '../../../src/config/docs.js';
import { SCHEMA } from '../../../src/config/schema.js';

describe('README configuration reference', () => {
  it('is the one generated from the schema (run `npm run docs:config` after changing a setting)', () => {
    const readme = readFileSync('README.md', 'utf8');
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    expect(readme.slice(start + BEGIN.length, end).trim()).toBe(configReference().trim());
  });

  it('documents every setting', () => {
    const text = configReference();
    for (const name of Object.keys(SCHEMA)) expect(text).toContain(`\`${name}\``);
  });
});
