import type { LifecycleRule } from '@aws-sdk/client-s3';

export interface EarlyExpiry {
  readonly rule: string;
  readonly what: string;
}

function scope(rule: LifecycleRule): string {
  // The rule-level Prefix is the pre-2019 form, still returned for rules written that way.
  const legacyPrefix = (rule as { Prefix?: string }).Prefix;
  const prefix = rule.Filter?.Prefix ?? legacyPrefix ?? rule.Filter?.And?.Prefix;
  const tags = rule.Filter?.Tag !== undefined || (rule.Filter?.And?.Tags ?? []).length > 0;
  if (prefix !== undefined && prefix !== '') return ` (keys under ${prefix}${tags ? ', with tags' : ''})`;
  return tags ? ' (tagged objects)' : '';
}

/**
 * Enabled lifecycle rules that remove recordings before `retentionDays`: expiring current
 * versions, expiring on a fixed date (whatever the object's age), or purging noncurrent versions
 * early (a deleted or overwritten recording could then not be recovered for the whole period).
 * Every rule counts whatever its filter: which keys hold recordings is not knowable from here.
 */
export function earlyExpirations(rules: readonly LifecycleRule[], retentionDays: number): EarlyExpiry[] {
  const out: EarlyExpiry[] = [];
  for (const [i, rule] of rules.entries()) {
    if (rule.Status !== 'Enabled') continue;
    const name = `${rule.ID ?? `#${i + 1}`}${scope(rule)}`;
    const days = rule.Expiration?.Days;
    if (days !== undefined && days < retentionDays) out.push({ rule: name, what: `expires current versions after ${days} days` });
    const date = rule.Expiration?.Date;
    if (date !== undefined) out.push({ rule: name, what: `expires every matching object on ${new Date(date).toISOString().slice(0, 10)}, whatever its age` });
    const noncurrent = rule.NoncurrentVersionExpiration?.NoncurrentDays;
    if (noncurrent !== undefined && noncurrent < retentionDays) {
      out.push({ rule: name, what: `purges noncurrent versions ${noncurrent} days after they become noncurrent` });
    }
  }
  return out;
}
