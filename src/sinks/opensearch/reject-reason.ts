/**
 * Why the sink quarantined a document, with what it means and what to do. docs/operations.md is
 * generated from these tables, and retry.ts takes its list of document faults from the first one,
 * so a new reason cannot ship without its meaning.
 */

/** OpenSearch error types (400) that are the document's own fault: retrying the same bytes cannot help. */
export const DOCUMENT_FAULTS = {
  mapper_parsing_exception: {
    meaning: "OpenSearch cannot map a field of the document (for example a month's index created with another type for it).",
    action: "Compare the index mapping with `setup`'s template; reindex the month if it was created without the template.",
  },
  strict_dynamic_mapping_exception: {
    meaning: 'The document has a field the strict mapping does not name: the code and the index template disagree.',
    action: 'Run `recording-audit setup` for this release; the documents stay in quarantine for a replay.',
  },
  document_parsing_exception: {
    meaning: 'OpenSearch cannot parse a field value of the document.',
    action: 'Read the quarantined document and the error detail; open an issue.',
  },
  x_content_parse_exception: {
    meaning: 'OpenSearch cannot parse the document body.',
    action: 'Read the quarantined document and the error detail; open an issue.',
  },
  json_parse_exception: {
    meaning: 'OpenSearch cannot parse the document as JSON.',
    action: 'Read the quarantined document and the error detail; open an issue.',
  },
  not_x_content_exception: {
    meaning: 'OpenSearch does not recognise the document body as JSON.',
    action: 'Read the quarantined document and the error detail; open an issue.',
  },
} as const satisfies Record<string, { meaning: string; action: string }>;

/** Every reason the sink quarantines with. */
export const SINK_REJECT_REASONS = {
  ...DOCUMENT_FAULTS,
  illegal_argument_exception: {
    meaning: 'OpenSearch refused a value of the document (an immense term, a value it failed to parse); index-level refusals of this type are retried instead.',
    action: 'Read the quarantined document and the error detail; open an issue.',
  },
  invalid_timestamp: {
    meaning: "The document's @timestamp is not a date in range, so no monthly index can be chosen.",
    action: 'Read the quarantined document; open an issue.',
  },
  serialization_failed: {
    meaning: 'The document could not be serialised for the bulk request.',
    action: 'Open an issue with the quarantine record.',
  },
  integrity_mismatch: {
    meaning: 'Integrity alarm: a stored document has this id but a different event.hash. The stored one is never overwritten.',
    action: 'Investigate: compare both with the raw line in the log bucket (log.file.path, log.offset); see the integrity alarm runbook.',
  },
} as const satisfies Record<string, { meaning: string; action: string }>;

export type SinkRejectReason = keyof typeof SINK_REJECT_REASONS;
