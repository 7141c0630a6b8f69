import { describe, expect, it } from 'vitest';
import { documentId } from '../../../src/event/build.js';
import { ALL_MONTHS_SHORT, documentIdIn, monthOfIndex, shortDocumentId, shortIdsIn } from '../../../src/event/document-id.js';
import { idCutoverOfMeta, withIdCutover } from '../../../src/sinks/opensearch/document-ids.js';

const HEX = documentId('example-logs', 'a'.repeat(64));

describe('document id forms (src/event/document-id.ts)', () => {
  it('the short id is the first 128 bits of the hex id, as 22 base64url characters', () => {
    const short = shortDocumentId(HEX);
    expect(short).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(short, 'base64url').toString('hex')).toBe(HEX.slice(0, 32));
    // Not a hex id (a pipeline_error id is one too; anything else is left alone).
    expect(shortDocumentId('not-an-id')).toBe('not-an-id');
    expect(shortDocumentId(HEX.toUpperCase())).toBe(HEX.toUpperCase());
  });

  it('a month before the cutover keeps hex ids, the cutover month and later are short', () => {
    const cutover = { shortFrom: '2027.01' };
    expect(documentIdIn(cutover, 'audit-2026.12', HEX)).toBe(HEX);
    expect(documentIdIn(cutover, 'audit-2027.01', HEX)).toBe(shortDocumentId(HEX));
    expect(documentIdIn(cutover, 'audit-2031.07', HEX)).toBe(shortDocumentId(HEX));
    expect(documentIdIn(undefined, 'audit-2031.07', HEX)).toBe(HEX);
    expect(documentIdIn(ALL_MONTHS_SHORT, 'audit-0001.01', HEX)).toBe(shortDocumentId(HEX));
    // An index name without a month (never a monthly index) is never short.
    expect(shortIdsIn(cutover, 'audit-alerts')).toBe(false);
    expect(monthOfIndex('a-b-2024.13')).toBeUndefined();
    expect(monthOfIndex('a-b-2024.03')).toBe('2024.03');
  });

  it('the cutover round-trips through the mapping _meta, and a malformed one means hex ids', () => {
    const mappings = withIdCutover({ _meta: { schema: 'x' }, properties: {} }, { shortFrom: '2027.02' });
    expect(mappings._meta).toEqual({ schema: 'x', document_ids: { form: 'sha256-128-base64url', short_from: '2027.02' } });
    expect(idCutoverOfMeta(mappings._meta)).toEqual({ shortFrom: '2027.02' });
    expect(withIdCutover({ properties: {} }, undefined)).toEqual({ properties: {} });
    for (const bad of [
      undefined,
      null,
      'x',
      {},
      { document_ids: {} },
      { document_ids: { short_from: '2027-02' } },
      { document_ids: { short_from: '2027.13' } },
    ]) {
      expect(idCutoverOfMeta(bad)).toBeUndefined();
    }
  });
});
