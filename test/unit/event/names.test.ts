import { describe, expect, it } from 'vitest';
import { foldName, participantName } from '../../../src/event/names.js';

describe('foldName (genesys.participants.name_folded)', () => {
  it('lowercases, drops accents and collapses whitespace, so a name typed plainly finds it', () => {
    expect(foldName('José  López')).toBe('jose lopez');
    expect(foldName('  Sofía Moreno ')).toBe('sofia moreno');
    expect(foldName('ZOË Ångström-Ñúñez')).toBe('zoe angstrom-nunez');
    // Compatibility forms fold too (a full-width letter, a ligature).
    expect(foldName('Ｊａｎｅ ﬁnch')).toBe('jane finch');
    // Letters without a decomposition stay: folding never invents a match.
    expect(foldName('Øystein Łukasz')).toBe('øystein łukasz');
    expect(foldName('José López')).toBe(foldName('JOSE LOPEZ'));
  });

  it('keeps the name as Genesys spells it next to the key', () => {
    expect(participantName('Renée Dubois')).toEqual({ name: 'Renée Dubois', name_folded: 'renee dubois' });
  });
});
