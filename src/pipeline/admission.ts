import type { Config } from '../config/schema.js';
import type { RejectReason } from '../decode/reject-reason.js';
import type { AccessEvent } from '../event/types.js';
import { DAY_MS, logKeyTimeMs } from '../sources/log-keys.js';

/**
 * Whether a parsed record may be a real S3 server access log record of this deployment. Anyone who
 * can write a log object can write any record: one for another bucket, or with times spread over
 * centuries, each month of which would create a monthly index until the cluster's shard limit is
 * reached. Such records go to quarantine (and a pipeline_error event) instead.
 */
export interface AdmissionRules {
  /** Buckets whose records are accepted; undefined accepts every bucket. */
  readonly audited: ReadonlySet<string> | undefined;
  readonly skewMs: number;
}

export function admissionRulesFrom(cfg: Pick<Config, 'AUDITED_BUCKETS' | 'RECORDINGS_BUCKET' | 'RECORD_TIME_SKEW_DAYS'>): AdmissionRules {
  const buckets =
    cfg.AUDITED_BUCKETS !== undefined && cfg.AUDITED_BUCKETS.length > 0
      ? cfg.AUDITED_BUCKETS
      : cfg.RECORDINGS_BUCKET !== undefined
        ? [cfg.RECORDINGS_BUCKET]
        : [];
  return { audited: buckets.length > 0 ? new Set(buckets) : undefined, skewMs: cfg.RECORD_TIME_SKEW_DAYS * DAY_MS };
}

/**
 * The time records of a log object are measured against: its LastModified, which S3 sets and no
 * writer chooses. Not the time in its name: whoever can write an object chooses its name, and
 * forged objects named over centuries would again create one monthly index each (for their
 * records and for their pipeline_error events). S3 names a log object by its delivery time, so for
 * a real delivery the two agree; an object copied later (a backfill) has a new LastModified, and
 * its older records are quarantined unless RECORD_TIME_SKEW_DAYS is raised for the backfill. The
 * name's time is the fallback when S3 sent no LastModified (it always does), then the time the
 * object is read.
 */
export function objectTimeMs(key: string, lastModified: Date | undefined, now: () => number = Date.now): number {
  return lastModified?.getTime() ?? logKeyTimeMs(key) ?? now();
}

export type Refusal = { reason: Extract<RejectReason, 'foreign_bucket' | 'record_time_skew'>; detail: string };

/** Why the record is refused, or undefined when it is admitted. */
export function admissionOf(event: AccessEvent, rules: AdmissionRules, objectMs: number): Refusal | undefined {
  const bucket = event.aws.s3access.bucket;
  if (rules.audited !== undefined && (bucket === undefined || !rules.audited.has(bucket))) {
    return { reason: 'foreign_bucket', detail: `record for bucket ${bucket ?? '-'}, which is not an audited bucket` };
  }
  const t = Date.parse(event['@timestamp']);
  if (!(Math.abs(t - objectMs) <= rules.skewMs)) {
    return {
      reason: 'record_time_skew',
      detail: `record time ${event['@timestamp']} is more than ${rules.skewMs / DAY_MS} days from its log object's time ${new Date(objectMs).toISOString()}`,
    };
  }
  return undefined;
}
