import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../src/core/errors.js';
import { CODES_BEGIN, METRICS_BEGIN, codesReference, metricsReference } from '../../../src/ops/docs.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { classifyItem } from '../../../src/sinks/opensearch/retry.js';
import { DOCUMENT_FAULTS, SINK_REJECT_REASONS } from '../../../src/sinks/opensearch/reject-reason.js';
import { GENERATED_SECTIONS, sectionIn } from '../../support/generated-docs.js';

const operations = readFileSync('docs/operations.md', 'utf8');
const section = (begin: string) => GENERATED_SECTIONS.find((s) => s.begin === begin)!;

describe('docs/operations.md generated tables (run `npm run docs` after adding a metric or a code)', () => {
  it('lists every metric of the registry, as the generator writes it now', () => {
    expect(sectionIn(operations, section(METRICS_BEGIN))).toBe(metricsReference().trim());
    const { registry } = createMetrics({ defaultMetrics: false });
    for (const m of registry.getMetricsAsArray()) expect(metricsReference()).toContain(`\`${m.name}\``);
  });

  it('lists every error and reason code, as the generator writes it now', () => {
    expect(sectionIn(operations, section(CODES_BEGIN))).toBe(codesReference().trim());
    for (const code of Object.keys(ERROR_CODES)) expect(codesReference()).toContain(`\`${code}\``);
  });

  it('has a meaning for every reason the sink quarantines with', () => {
    // Reasons the sink writes as literals (bulk.ts, index-name.ts): each must be in the table.
    const dir = 'src/sinks/opensearch';
    const literals = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'reject-reason.ts')) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        if (!/reason/.test(line)) continue;
        for (const m of line.matchAll(/'([a-z]+(?:_[a-z]+)+)'/g)) literals.add(m[1]!);
      }
    }
    expect([...literals].sort()).toEqual(expect.arrayContaining(['integrity_mismatch', 'invalid_timestamp', 'serialization_failed']));
    for (const reason of literals) expect(Object.keys(SINK_REJECT_REASONS)).toContain(reason);
    // Every document fault is quarantined under its own name, and nothing else of status 400 is.
    for (const type of Object.keys(DOCUMENT_FAULTS)) expect(classifyItem(400, type)).toEqual({ kind: 'reject', reason: type });
    expect(classifyItem(400, 'illegal_argument_exception', 'failed to parse field')).toEqual({ kind: 'reject', reason: 'illegal_argument_exception' });
  });
});
