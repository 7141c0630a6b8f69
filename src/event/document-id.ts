/**
 * The two forms of an access event's document id, and which month uses which.
 *
 * The id is derived from the sha256 documentId (src/event/build.ts): `hex` is its 64 hex
 * characters, `short` its first 128 bits as 22 base64url characters, which Lucene stores as 16
 * binary bytes instead of 32. Measured (`npm run bench -- size --levers`, 100k events): the short
 * id is the largest single saving left, about 70 bytes per event on disk, because an id is random
 * and compresses not at all, in the stored `_id`, its terms and its postings.
 *
 * 128 bits keep a collision out of reach by chance (2^64 ids for an even chance), and a forged
 * one is not a silent loss: a 409 whose stored event.hash differs from the line's is quarantined
 * as `id_conflict`, never counted a duplicate (src/sinks/opensearch/bulk-pending.ts).
 *
 * Idempotency needs one form per monthly index: a record delivered again must get the id it got
 * the first time. So the form is a property of the month, fixed by a cutover `setup` chooses once
 * and records in the template's mapping `_meta` (which every monthly index copies): months before
 * it keep hex ids for good, months from it on are short (src/sinks/opensearch/document-ids.ts).
 */

/** Months from `shortFrom` (`YYYY.MM`, as in the index names) on have short ids; earlier months hex ids. */
export interface IdCutover {
  readonly shortFrom: string;
}

const HEX_ID = /^[0-9a-f]{64}$/;
const MONTH = /^\d{4}\.(0[1-9]|1[0-2])$/;

/** Every month short: the cutover of a prefix that never had a writer before this form existed. */
export const ALL_MONTHS_SHORT: IdCutover = Object.freeze({ shortFrom: '0000.01' });

export function isMonth(s: string): boolean {
  return s === ALL_MONTHS_SHORT.shortFrom || MONTH.test(s);
}

/** The short form of a hex document id: its first 128 bits, base64url. Any other string is returned as is. */
export function shortDocumentId(hexId: string): string {
  if (!HEX_ID.test(hexId)) return hexId;
  return Buffer.from(hexId.slice(0, 32), 'hex').toString('base64url');
}

/** The month (`YYYY.MM`) a monthly index name ends with, or undefined. */
export function monthOfIndex(index: string): string | undefined {
  const m = index.slice(-7);
  return MONTH.test(m) ? m : undefined;
}

/** Whether the month of `index` has short ids under `cutover` (undefined: every month hex). */
export function shortIdsIn(cutover: IdCutover | undefined, index: string): boolean {
  if (cutover === undefined) return false;
  const month = monthOfIndex(index);
  return month !== undefined && month >= cutover.shortFrom;
}

/** The id a document with the hex id `hexId` has in `index`. */
export function documentIdIn(cutover: IdCutover | undefined, index: string, hexId: string): string {
  return shortIdsIn(cutover, index) ? shortDocumentId(hexId) : hexId;
}

/** The cutover in words, for the operator (`setup`, `check`). */
export function describeIdCutover(cutover: IdCutover | undefined): string {
  if (cutover === undefined) return 'sha256 hex (64 characters) in every month';
  if (cutover.shortFrom === ALL_MONTHS_SHORT.shortFrom) return '128-bit (22 characters) in every month';
  return `sha256 hex before ${cutover.shortFrom}, 128-bit (22 characters) from ${cutover.shortFrom} on; workers of earlier releases must be gone before then`;
}
