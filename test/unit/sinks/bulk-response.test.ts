import { describe, expect, it } from 'vitest';
import { readBulkItems, readMgetHashes } from '../../../src/sinks/opensearch/bulk-response.js';

describe('readBulkItems', () => {
  it('reads statuses and error types in request order', () => {
    const body = {
      errors: true,
      items: [
        { create: { status: 201 } },
        { create: { status: 409, error: { type: 'version_conflict_engine_exception', reason: 'exists' } } },
        { create: { status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse' } } },
      ],
    };
    expect(readBulkItems(body, 3)).toEqual([
      { status: 201 },
      { status: 409, errorType: 'version_conflict_engine_exception', errorReason: 'exists' },
      { status: 400, errorType: 'mapper_parsing_exception', errorReason: 'failed to parse' },
    ]);
  });

  it('refuses a response that does not line up with the request', () => {
    expect(readBulkItems({ items: [{ create: { status: 201 } }] }, 2)).toBeUndefined();
    expect(readBulkItems({ items: [{ create: {} }] }, 1)).toBeUndefined();
    expect(readBulkItems('<html>', 1)).toBeUndefined();
    expect(readBulkItems({ errors: false }, 1)).toBeUndefined();
  });
});

describe('readMgetHashes', () => {
  it('maps found, missing and failed documents', () => {
    const body = {
      docs: [
        { found: true, _source: { event: { hash: 'aa' } } },
        { found: true, _source: {} },
        { found: false },
        { error: { type: 'index_not_found_exception' } },
      ],
    };
    expect(readMgetHashes(body, 4)).toEqual([{ found: true, hash: 'aa' }, { found: true, hash: undefined }, { found: false }, undefined]);
  });

  it('throws when the count differs', () => {
    expect(() => readMgetHashes({ docs: [] }, 1)).toThrow();
  });
});
