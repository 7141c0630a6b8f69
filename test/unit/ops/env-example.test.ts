import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { SCHEMA } from '../../../src/config/schema.js';
import { renderEnvExample } from '../../../src/ops/env-example.js';

const FILE = new URL('../../../config/recording-audit.env.example', import.meta.url);

/** KEY=value lines, commented or not (`#KEY=value`). */
function assignments(text: string): Map<string, { value: string; commented: boolean }> {
  const out = new Map<string, { value: string; commented: boolean }>();
  for (const line of text.split('\n')) {
    const m = /^(#?)([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[2] !== undefined) out.set(m[2], { value: m[3] ?? '', commented: m[1] === '#' });
  }
  return out;
}

describe('config/recording-audit.env.example', () => {
  it('is up to date with src/config/schema.ts (regenerate: npx tsx src/ops/env-example.ts > config/recording-audit.env.example)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(renderEnvExample());
  });

  it('names every setting exactly once, with its default', () => {
    const vars = assignments(renderEnvExample());
    expect([...vars.keys()].sort()).toEqual(Object.keys(SCHEMA).sort());
    for (const [name, setting] of Object.entries(SCHEMA)) {
      const d = (setting as { default?: string | number | boolean | string[] }).default;
      if (d !== undefined) expect(vars.get(name)?.value, name).toBe(Array.isArray(d) ? d.join(',') : String(d));
    }
  });

  it('loads as a valid configuration with the commented lines enabled', () => {
    const env: Record<string, string> = {};
    for (const [name, { value }] of assignments(renderEnvExample())) if (!value.startsWith('(')) env[name] = value;
    env.OPENSEARCH_AUTH = 'none';
    const result = loadConfig({ env, required: ['SQS_QUEUE_URL', 'LOG_BUCKETS', 'OPENSEARCH_URL'] });
    expect(result.ok ? [] : result.problems).toEqual([]);
  });
});
