import { describe, expect, it } from 'vitest';
import { monthlyIndices } from '../../../src/enrich/reenrich.js';

describe('monthlyIndices', () => {
  it('names every month the range touches, in the sink layout', () => {
    expect(monthlyIndices('ra', '2024-11-30T23:00:00Z', '2025-02-01T00:00:00Z')).toEqual(['ra-2024.11', 'ra-2024.12', 'ra-2025.01', 'ra-2025.02']);
    expect(monthlyIndices('ra', '2024-06-01T00:00:00Z', '2024-06-02T00:00:00Z')).toEqual(['ra-2024.06']);
  });
  it('falls back to a wildcard for huge or invalid ranges', () => {
    expect(monthlyIndices('ra', '2000-01-01T00:00:00Z', '2024-01-01T00:00:00Z')).toEqual(['ra-*']);
    expect(monthlyIndices('ra', 'nope', '2024-01-01T00:00:00Z')).toEqual(['ra-*']);
  });
});
