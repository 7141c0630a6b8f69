import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

function resources(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(resources);
  return [];
}

function checkJson(statements: Statement[], label: string): void {
  const es = statements.filter((s) => list(s.Action).some((a) => a.startsWith('es:')));
  const actions = es.flatMap((s) => list(s.Action)).sort();
  expect(actions, label).toEqual(['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost']);
  for (const s of es) {
    expect(s.Effect, label).toBe('Allow');
    if (list(s.Action).includes('es:ESHttpPost')) {
      // POST only where the worker posts: /_bulk (create) and /_mget (the 409 hash comparison).
      expect(list(s.Action), label).toEqual(['es:ESHttpPost']);
      expect(
        resources(s.Resource)
          .map((r) => r.replace(/^.*domain\/[^/]+/, ''))
          .sort(),
        label,
      ).toEqual(['/_bulk', '/_mget']);
    }
  }
}

describe('the task role reaches OpenSearch with GET/HEAD and POST on _bulk/_mget only', () => {
  it('config/iam/task-role-policy.json', () => {
    const policy = JSON.parse(readFileSync('config/iam/task-role-policy.json', 'utf8')) as { Statement: Statement[] };
    checkJson(policy.Statement, 'json');
  });

  it('config/cloudformation/recording-audit.yaml (TaskRole), read as text: no YAML parser is a dependency', () => {
    const text = readFileSync('config/cloudformation/recording-audit.yaml', 'utf8');
    const role = text.slice(text.indexOf('\n  TaskRole:\n'), text.indexOf('\n  TaskExecutionRole:\n'));
    expect(role.length).toBeGreaterThan(0);
    expect([...new Set(role.match(/es:ESHttp\w+/g))].sort()).toEqual(['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost']);
    const statements = role.split(/\n\s+- Sid: /).slice(1);
    const post = statements.filter((st) => st.includes('es:ESHttpPost'));
    expect(post).toHaveLength(1);
    expect(post[0]).toMatch(/Action: es:ESHttpPost\n/);
    const paths = [...post[0]!.matchAll(/domain\/\$\{OpenSearchDomainName\}([^"]*)"/g)].map((m) => m[1]).sort();
    expect(paths).toEqual(['/_bulk', '/_mget']);
  });
});
