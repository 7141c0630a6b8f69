/**
 * Why a line did not become an event. Stable snake_case codes: quarantine records, metrics labels
 * and dashboards use them.
 */
export type RejectReason =
  /** The line ends before the 17 fields every era of the format has (through User-Agent). */
  | 'too_few_fields'
  /** The Time field is not `[dd/Mon/yyyy:HH:mm:ss ±hhmm]` or names an impossible date. */
  | 'bad_time'
  /** The Operation field does not look like `PREFIX.VERB.RESOURCE`. */
  | 'bad_operation'
  /** A quoted field (Request-URI, Referer, User-Agent) cannot be delimited. */
  | 'bad_quoting'
  /** HTTP status, Bytes Sent, Object Size, Total Time or Turn-Around Time is not a number or `-`. */
  | 'bad_number'
  /** An empty field (two spaces, trailing space) or a field after User-Agent with the wrong shape. */
  | 'bad_field'
  /** Two records joined without a newline: a second record head, `<owner> <bucket> [time]`, of the line's owner. */
  | 'spliced_records'
  /** Longer than the decoder's line cap; only a preview and the full-line hash were kept. */
  | 'line_too_long'
  /** Admission (src/pipeline/admission.ts): the record is for a bucket outside AUDITED_BUCKETS. */
  | 'foreign_bucket'
  /** Admission: the record's time is more than RECORD_TIME_SKEW_DAYS from its log object's time. */
  | 'record_time_skew';
