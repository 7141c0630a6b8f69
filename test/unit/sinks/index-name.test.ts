import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { indexNameFor } from '../../../src/sinks/opensearch/index-name.js';

describe('indexNameFor', () => {
  it('uses the UTC month of the event time', () => {
    expect(indexNameFor('audit', '2024-05-31T23:59:59Z')).toBe('audit-2024.05');
    expect(indexNameFor('audit', '2024-05-31T23:59:59.123Z')).toBe('audit-2024.05');
    expect(indexNameFor('audit', '2024-06-01T00:00:00.000Z')).toBe('audit-2024.06');
  });

  it('converts offsets to UTC before choosing the month', () => {
    expect(indexNameFor('audit', '2024-06-01T01:30:00+02:00')).toBe('audit-2024.05');
    expect(indexNameFor('audit', '2024-12-31T20:00:00-05:00')).toBe('audit-2025.01');
  });

  it('refuses a timestamp that is not a date, with reason invalid_timestamp', () => {
    expect(() => indexNameFor('audit', 'yesterday')).toThrow(expect.objectContaining({ code: 'SINK_REJECTED', details: { reason: 'invalid_timestamp' } }));
    expect(() => indexNameFor('audit', '')).toThrow();
  });

  it('agrees with Date for every instant (fast path and slow path)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        const iso = d.toISOString();
        const expected = `p-${iso.slice(0, 4)}.${iso.slice(5, 7)}`;
        const noMillis = iso.replace(/\.\d{3}Z$/, 'Z');
        const offset = new Date(d.getTime()).toISOString().replace('Z', '+00:00');
        return indexNameFor('p', iso) === expected && indexNameFor('p', noMillis) === expected && indexNameFor('p', offset) === expected;
      }),
    );
  });
});
