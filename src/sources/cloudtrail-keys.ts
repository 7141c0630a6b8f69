/**
 * CloudTrail log file keys: `<prefix>AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
 * <account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<unique>.json.gz`. Digest files
 * (`CloudTrail-Digest/`), Insights (`CloudTrail-Insight/`) and the other event-type folders
 * (`CloudTrail-NetworkActivity/`, `CloudTrail-Aggregated/`) sit beside them and hold no S3 data
 * events: they are skipped by their key.
 */

export type CloudTrailKeyKind = 'log' | 'digest' | 'insights' | 'other_event_type';

const FOLDER = /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]+\/)?\d{12}\/(CloudTrail(?:-[A-Za-z]+)?)\//;
const STAMP = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?Z[_.]/;

/** What a key in a CloudTrail bucket is, or undefined when it is not under a CloudTrail folder. */
export function cloudTrailKeyKind(key: string): CloudTrailKeyKind | undefined {
  const m = FOLDER.exec(key);
  if (m === null) return undefined;
  const folder = m[1]!;
  if (folder === 'CloudTrail') return /_CloudTrail-Digest_/.test(key) ? 'digest' : 'log';
  if (folder === 'CloudTrail-Digest') return 'digest';
  if (folder === 'CloudTrail-Insight' || folder === 'CloudTrail-Insights') return 'insights';
  return 'other_event_type';
}

/** The delivery time in the file name (UTC), or undefined. */
export function cloudTrailKeyTimeMs(key: string): number | undefined {
  const m = STAMP.exec(key.slice(key.lastIndexOf('/') + 1));
  if (m === null) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? '0'));
  return Number.isNaN(t) ? undefined : t;
}
