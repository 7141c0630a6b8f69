/**
 * genesys.participants.name_folded: a person's name as a search key, folded in the product rather
 * than by an index normalizer, because accent folding is a token filter of the `analysis-common`
 * module, which not every OpenSearch distribution has (the bare 2.x one does not). Lowercase, the
 * accents of a letter dropped (NFKD without combining marks), whitespace runs as one space:
 * "José  López" and "jose lopez" have the same key. The query side folds its input the same way.
 */
export function foldName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** `{ name, name_folded }` for a participant that has a name. */
export function participantName(name: string): { name: string; name_folded: string } {
  return { name, name_folded: foldName(name) };
}
