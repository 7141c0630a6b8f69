/**
 * Why a line did not become an event, with what it means and what to do. Stable snake_case codes:
 * quarantine records, metrics labels and dashboards use them. docs/operations.md is generated from
 * this table, so a new code cannot ship without its meaning.
 */
export const REJECT_REASONS = {
  too_few_fields: {
    meaning: 'The line ends before the 17 fields every era of the format has (through User-Agent).',
    action: 'Usually a cut-off or foreign line; read the quarantine record and the original in the log bucket.',
  },
  bad_time: {
    meaning: 'The Time field is not `[dd/Mon/yyyy:HH:mm:ss ±hhmm]` or names an impossible date.',
    action: 'Read the quarantine record; S3 does not write such lines.',
  },
  bad_operation: {
    meaning: 'The Operation field does not look like `PREFIX.VERB.RESOURCE`.',
    action: 'Read the quarantine record; S3 does not write such lines.',
  },
  bad_quoting: {
    meaning: 'A quoted field (Request-URI, Referer, User-Agent) cannot be delimited.',
    action: 'Read the quarantine record; if S3 wrote it, open an issue with the redacted line.',
  },
  bad_number: {
    meaning: 'HTTP status, Bytes Sent, Object Size, Total Time or Turn-Around Time is not a number or `-`.',
    action: 'Read the quarantine record; S3 does not write such lines.',
  },
  bad_field: {
    meaning: 'An empty field (two spaces, trailing space), a field after User-Agent with the wrong shape, or more than 64 fields.',
    action: 'Read the quarantine record; if S3 added a new field format, open an issue.',
  },
  spliced_records: {
    meaning: "Two records joined without a newline: a second record head, `<owner> <bucket> [time]`, of the line's owner.",
    action: 'Someone wrote into the log bucket; check who may write log objects (`recording-audit check`).',
  },
  line_too_long: {
    meaning: "Longer than the decoder's line cap; only a preview and the full-line hash were kept.",
    action: 'Read the original in the log bucket by log.file.path and log.offset.',
  },
  foreign_bucket: {
    meaning: 'Admission (src/pipeline/admission.ts): the record is for a bucket outside AUDITED_BUCKETS.',
    action: 'Add the bucket to AUDITED_BUCKETS if it should be audited; otherwise find who writes its records here.',
  },
  record_time_skew: {
    meaning: "Admission: the record's time is more than RECORD_TIME_SKEW_DAYS from its log object's LastModified.",
    action: 'A forged or copied log object; for a backfill of copied objects raise RECORD_TIME_SKEW_DAYS and replay.',
  },
  ct_truncated_gzip: {
    meaning:
      'CloudTrail file: the gzip stream ends early or is corrupt. The records before the break were read; the rest of the file is this one quarantine entry.',
    action: "Read the original by the quarantine record's source; CloudTrail writes whole files, so look for who wrote or cut it.",
  },
  ct_invalid_json: {
    meaning: 'CloudTrail file: not valid JSON from this point; the records before it were read, the rest of the file is this one entry.',
    action: 'Read the original by its source and the detail (byte offset); CloudTrail does not write such files.',
  },
  ct_records_not_array: {
    meaning: 'CloudTrail file: the top level is not an object whose `Records` is an array.',
    action: 'A foreign or hand-made file under a CloudTrail prefix; find who wrote it.',
  },
  ct_records_missing: {
    meaning: 'CloudTrail file: a JSON object without `Records` (a digest or another file type outside its usual folder).',
    action: 'Find who wrote the file; digest and Insights files are skipped by their key, not quarantined.',
  },
  ct_record_too_large: {
    meaning: 'CloudTrail record larger than CLOUDTRAIL_MAX_RECORD_BYTES: dropped while read (bounded memory), the file went on.',
    action: 'Read the original by its source and record index; raise CLOUDTRAIL_MAX_RECORD_BYTES if real records are this large.',
  },
  ct_token_too_large: {
    meaning:
      'CloudTrail file: one JSON token (a string, a number or whitespace) runs past 4 × CLOUDTRAIL_MAX_RECORD_BYTES. Reading stopped there to bound memory; the records before it were read, the rest of the file is this one entry.',
    action: 'Read the original by its source and the detail (byte offsets); CloudTrail does not write such tokens, so find who wrote the file.',
  },
  ct_record_not_object: {
    meaning: 'CloudTrail: an element of `Records` that is not a JSON object.',
    action: 'CloudTrail does not write such files; find who wrote it.',
  },
  ct_missing_event_id: {
    meaning: 'CloudTrail S3 record without an `eventID`, so no document id can be derived.',
    action: 'Read the quarantine record; CloudTrail always writes eventID.',
  },
  ct_missing_request_id: {
    meaning: 'CloudTrail S3 record without a `requestID`: it could never be matched with its access-log record.',
    action: 'Read the quarantine record; S3 data events always carry requestID.',
  },
  ct_bad_record: {
    meaning: 'CloudTrail S3 record with a field of the wrong type or an eventTime that is not a time.',
    action: 'Read the quarantine record (the detail names the field).',
  },
} as const satisfies Record<string, { meaning: string; action: string }>;

export type RejectReason = keyof typeof REJECT_REASONS;
