import { GetBucketReplicationCommand, GetObjectLockConfigurationCommand, type ReplicationRule, type S3Client } from '@aws-sdk/client-s3';
import { describeAwsError, fixForAwsError, isAccessDenied, isNotFound } from './aws-errors.js';
import type { Rows } from './types.js';

/** A bucket's default Object Lock retention; `undefined` fields when the bucket has none. */
export interface LockRetention {
  readonly enabled: boolean;
  readonly mode: string | undefined;
  /** Years count as 365 days: a retention given in years never reads as longer than it is. */
  readonly days: number | undefined;
}

export function lockMeets(lock: LockRetention, minDays: number): boolean {
  return lock.enabled && lock.mode === 'COMPLIANCE' && lock.days !== undefined && lock.days >= minDays;
}

export function describeLock(lock: LockRetention, minDays: number): string {
  if (!lock.enabled) return 'no Object Lock';
  if (lock.mode === undefined || lock.days === undefined)
    return 'Object Lock without a default retention (S3 log delivery and replication set none per object)';
  const parts = [`Object Lock ${lock.mode}, ${lock.days} days`];
  if (lock.mode !== 'COMPLIANCE') parts.push('governance mode can be bypassed (s3:BypassGovernanceRetention)');
  if (lock.days < minDays) parts.push(`shorter than LOG_RETENTION_DAYS (${minDays})`);
  return parts.join('; ');
}

/** Rules that copy every object (no prefix or tag filter) and are on. */
export function wholeBucketRules(rules: readonly ReplicationRule[]): ReplicationRule[] {
  return rules.filter((r) => {
    if (r.Status !== 'Enabled') return false;
    const legacyPrefix = (r as { Prefix?: string }).Prefix;
    if (legacyPrefix !== undefined && legacyPrefix !== '') return false;
    if (r.Filter === undefined) return true;
    return (r.Filter.Prefix ?? '') === '' && r.Filter.Tag === undefined && r.Filter.And === undefined;
  });
}

export const bucketOfArn = (arn: string): string => arn.replace(/^arn:[\w-]+:s3:::/, '');

async function lockOf(s3: S3Client, bucket: string): Promise<LockRetention> {
  try {
    const res = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    const c = res.ObjectLockConfiguration;
    const r = c?.Rule?.DefaultRetention;
    const days = r?.Days ?? (r?.Years !== undefined ? r.Years * 365 : undefined);
    return { enabled: c?.ObjectLockEnabled === 'Enabled', mode: r?.Mode, days };
  } catch (err) {
    if (isNotFound(err, 'ObjectLockConfigurationNotFoundError')) return { enabled: false, mode: undefined, days: undefined };
    throw err;
  }
}

/**
 * The raw access logs are the evidence `verify` proves events against: they must outlive
 * LOG_RETENTION_DAYS unaltered. S3 log delivery cannot write into a bucket with Object Lock, so the
 * usual form is a replication rule copying every log object into one; a log bucket locked itself
 * (logs copied there by other means) also passes.
 */
export async function immutabilityCheck(rows: Rows, s3: S3Client, bucket: string, minDays: number): Promise<void> {
  const check = `${bucket} log objects immutable`;
  const fix = `Replicate every log object (a rule without filter) to a bucket with Object Lock in COMPLIANCE mode and a default retention of at least ${minDays} days, as LogArchiveBucket in config/cloudformation/recording-storage.yaml does; S3 log delivery cannot write into an Object Lock bucket directly.`;
  let own: LockRetention;
  let rules: ReplicationRule[] = [];
  try {
    own = await lockOf(s3, bucket);
    if (lockMeets(own, minDays)) {
      rows.pass(check, `${describeLock(own, minDays)} on the log bucket itself`);
      return;
    }
    try {
      rules = (await s3.send(new GetBucketReplicationCommand({ Bucket: bucket }))).ReplicationConfiguration?.Rules ?? [];
    } catch (err) {
      if (!isNotFound(err, 'ReplicationConfigurationNotFoundError')) throw err;
    }
  } catch (err) {
    if (isAccessDenied(err)) rows.skip(check, 'cannot read the Object Lock or replication configuration; run `check` with an operator role to verify');
    else
      rows.fail(
        check,
        `reading the Object Lock or replication configuration failed: ${describeAwsError(err)}`,
        fixForAwsError(err, 's3:GetBucketObjectLockConfiguration', `arn:aws:s3:::${bucket}`),
      );
    return;
  }
  const found: string[] = [`the log bucket has ${describeLock(own, minDays)}`];
  const whole = wholeBucketRules(rules);
  if (rules.length > 0 && whole.length === 0) found.push('its replication rules are off or copy only part of the objects');
  for (const rule of whole) {
    const dest = bucketOfArn(rule.Destination?.Bucket ?? '');
    let lock: LockRetention;
    try {
      lock = await lockOf(s3, dest);
    } catch (err) {
      found.push(`${dest}: ${describeAwsError(err)}`);
      continue;
    }
    if (lockMeets(lock, minDays)) {
      rows.pass(check, `every log object is replicated to ${dest}: ${describeLock(lock, minDays)}`);
      return;
    }
    found.push(`its copies in ${dest} have ${describeLock(lock, minDays)}`);
  }
  if (whole.length === 0) found.push('no replication copies its objects to a locked bucket');
  rows.fail(check, `${found.join('; ')}: log objects can be overwritten or deleted before ${minDays} days`, fix);
}
