import { BEGIN, END, configReference } from '../../src/config/docs.js';
import { FIELDS_BEGIN, FIELDS_END, fieldReference } from '../../src/event/field-docs.js';
import { CLOUDTRAIL_FIELDS_BEGIN, CLOUDTRAIL_FIELDS_END, cloudTrailFieldReference } from '../../src/event/cloudtrail-docs.js';
import { AUDIT_FIELDS_BEGIN, AUDIT_FIELDS_END, genesysAuditFieldReference } from '../../src/event/genesys-audit-docs.js';
import { CODES_BEGIN, CODES_END, METRICS_BEGIN, METRICS_END, codesReference, metricsReference } from '../../src/ops/docs.js';

/** A generated part of a document: the text between two marker comments. */
export interface GeneratedSection {
  file: string;
  begin: string;
  end: string;
  generate: () => string;
}

/** Every generated section of the docs; `npm run docs` writes them and unit tests compare them. */
export const GENERATED_SECTIONS: readonly GeneratedSection[] = [
  { file: 'docs/configuration.md', begin: BEGIN, end: END, generate: configReference },
  { file: 'docs/operations.md', begin: METRICS_BEGIN, end: METRICS_END, generate: metricsReference },
  { file: 'docs/operations.md', begin: CODES_BEGIN, end: CODES_END, generate: codesReference },
  { file: 'docs/event-schema.md', begin: FIELDS_BEGIN, end: FIELDS_END, generate: () => fieldReference() },
  { file: 'docs/event-schema.md', begin: AUDIT_FIELDS_BEGIN, end: AUDIT_FIELDS_END, generate: genesysAuditFieldReference },
  { file: 'docs/event-schema.md', begin: CLOUDTRAIL_FIELDS_BEGIN, end: CLOUDTRAIL_FIELDS_END, generate: cloudTrailFieldReference },
];

function bounds(text: string, s: GeneratedSection): { start: number; end: number } {
  const start = text.indexOf(s.begin);
  const end = text.indexOf(s.end);
  if (start < 0 || end < start) throw new Error(`${s.file} lacks the markers ${s.begin} … ${s.end}`);
  return { start: start + s.begin.length, end };
}

/** The section's current text in `text`, trimmed. */
export function sectionIn(text: string, s: GeneratedSection): string {
  const b = bounds(text, s);
  return text.slice(b.start, b.end).trim();
}

/** `text` with the section replaced by what the generator produces now. */
export function withSection(text: string, s: GeneratedSection): string {
  const b = bounds(text, s);
  return `${text.slice(0, b.start)}\n\n${s.generate().trim()}\n\n${text.slice(b.end)}`;
}
