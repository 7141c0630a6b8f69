import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffMs, classifyItem, mayRetry, probeDelayMs, reasonCode } from '../../../src/sinks/opensearch/retry.js';

describe('classifyItem', () => {
  it('201 and 200 are indexed, 409 is a conflict to check', () => {
    expect(classifyItem(201, undefined)).toEqual({ kind: 'indexed' });
    expect(classifyItem(200, undefined)).toEqual({ kind: 'indexed' });
    expect(classifyItem(409, 'version_conflict_engine_exception')).toEqual({ kind: 'conflict' });
  });

  it('429 and 5xx are retried', () => {
    expect(classifyItem(429, 'es_rejected_execution_exception')).toEqual({ kind: 'retry', status: '429' });
    expect(classifyItem(503, 'unavailable_shards_exception')).toEqual({ kind: 'retry', status: '5xx' });
    expect(classifyItem(500, undefined)).toEqual({ kind: 'retry', status: '5xx' });
  });

  it('blocked, missing or forbidden indices are retried, never quarantined (the document is fine)', () => {
    expect(classifyItem(403, 'cluster_block_exception').kind).toBe('retry');
    expect(classifyItem(404, 'index_not_found_exception').kind).toBe('retry');
    expect(classifyItem(401, 'security_exception').kind).toBe('retry');
    expect(classifyItem(400, 'cluster_block_exception').kind).toBe('retry');
  });

  it('mapping and parse errors are rejected with the error type as reason', () => {
    expect(classifyItem(400, 'mapper_parsing_exception')).toEqual({ kind: 'reject', reason: 'mapper_parsing_exception' });
    expect(classifyItem(400, 'strict_dynamic_mapping_exception')).toEqual({ kind: 'reject', reason: 'strict_dynamic_mapping_exception' });
    expect(classifyItem(400, 'document_parsing_exception')).toEqual({ kind: 'reject', reason: 'document_parsing_exception' });
    expect(classifyItem(400, 'illegal_argument_exception', 'Document contains at least one immense term in field="user_agent.original"')).toEqual({
      kind: 'reject',
      reason: 'illegal_argument_exception',
    });
  });

  it('refusals of the index rather than the document are retried, so a month of events is not quarantined', () => {
    // What OpenSearch answers for every item when the month's index cannot be created.
    expect(
      classifyItem(
        400,
        'validation_exception',
        'Validation Failed: 1: this action would add [2] total shards, but this cluster currently has [1000]/[1000] maximum shards open;',
      ),
    ).toEqual({
      kind: 'retry',
      status: '400',
    });
    expect(classifyItem(400, 'illegal_argument_exception', 'no write index is defined for alias [recording-audit]')).toEqual({ kind: 'retry', status: '400' });
    expect(classifyItem(400, 'illegal_argument_exception', 'number of documents in the index cannot exceed 2147483519')).toEqual({
      kind: 'retry',
      status: '400',
    });
    expect(classifyItem(400, 'resource_already_exists_exception')).toEqual({ kind: 'retry', status: '400' });
    expect(classifyItem(400, undefined)).toEqual({ kind: 'retry', status: '400' });
    expect(classifyItem(413, undefined)).toEqual({ kind: 'retry', status: '413' });
  });

  it('reason codes stay identifiers (low-cardinality labels)', () => {
    expect(reasonCode('weird type with spaces', 400)).toBe('http_400');
    expect(reasonCode('Illegal_Argument', 400)).toBe('http_400');
    expect(reasonCode('illegal_argument_exception', 400)).toBe('illegal_argument_exception');
  });
});

describe('backoffMs (full jitter)', () => {
  it('is within [0, min(max, base·2^(n-1))]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, base, max, r) => {
          const d = backoffMs(n, base, max, () => r);
          const ceiling = Math.min(max, base * 2 ** Math.min(n - 1, 40));
          return d >= 0 && d <= ceiling && Number.isInteger(d);
        },
      ),
    );
  });

  it('doubles its ceiling per failure until the cap', () => {
    const top = (n: number): number => backoffMs(n, 100, 5000, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(top)).toEqual([99, 199, 399, 799, 1599, 3199, 4999, 4999]);
    expect(backoffMs(3, 100, 5000, () => 0)).toBe(0);
  });

  it('mayRetry allows exactly maxAttempts sends', () => {
    expect(mayRetry(0, 3)).toBe(true);
    expect(mayRetry(2, 3)).toBe(true);
    expect(mayRetry(3, 3)).toBe(false);
  });
});

describe('probeDelayMs (equal jitter)', () => {
  it('never fires back to back: at least half the ceiling', () => {
    expect(probeDelayMs(1, 200, 5000, () => 0)).toBe(100);
    expect(probeDelayMs(10, 200, 5000, () => 0)).toBe(2500);
    expect(probeDelayMs(10, 200, 5000, () => 0.999999)).toBe(4999);
  });
});
