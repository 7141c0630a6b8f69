import { AuditError } from '../../core/errors.js';

// The parser writes `@timestamp` as `YYYY-MM-DDTHH:mm:ss(.sss)Z`; that form is read by slicing, which
// keeps the per-document cost low. Anything else goes through Date.
const CANONICAL_UTC = /^(\d{4})-(0[1-9]|1[0-2])-\d{2}T[\d:.]+Z$/;

/**
 * `<prefix>-YYYY.MM` of the event's own time in UTC. Never processing time: a replay or a late log
 * object must land in the same index as the first delivery, or `create` could not detect the
 * duplicate.
 */
export function indexNameFor(prefix: string, timestampIso: string): string {
  const m = CANONICAL_UTC.exec(timestampIso);
  if (m !== null) return `${prefix}-${m[1]!}.${m[2]!}`;
  const t = Date.parse(timestampIso);
  if (Number.isNaN(t)) {
    throw new AuditError('SINK_REJECTED', 'event @timestamp is not a date', { details: { reason: 'invalid_timestamp' } });
  }
  const d = new Date(t);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) {
    throw new AuditError('SINK_REJECTED', 'event @timestamp is out of range', { details: { reason: 'invalid_timestamp' } });
  }
  return `${prefix}-${String(year).padStart(4, '0')}.${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * `<prefix>.genesys`: the prefix of the Genesys audit events' monthly indices
 * (`<prefix>.genesys-YYYY.MM`). A dot, not a dash, after INDEX_PREFIX: `<prefix>-*` (the access
 * events' template, its mapping updates, the alias and rebuild tooling) must not match them, since
 * their mapping differs (src/event/genesys-audit.ts).
 */
export function genesysAuditPrefix(prefix: string): string {
  return `${prefix}.genesys`;
}

/**
 * `<prefix>.cloudtrail`: the prefix of the CloudTrail S3 data events' monthly indices
 * (`<prefix>.cloudtrail-YYYY.MM`); a dot for the reason genesysAuditPrefix gives.
 */
export function cloudTrailPrefix(prefix: string): string {
  return `${prefix}.cloudtrail`;
}

/**
 * Wildcard patterns that match the monthly indices of every dataset, `<prefix>-YYYY.MM` and
 * `<prefix>.genesys-YYYY.MM` and `<prefix>.cloudtrail-YYYY.MM`, and not `<prefix>-alerts` or `<prefix>-detect-state` (which also
 * start with `<prefix>-`): one per leading digit of the year. Index patterns have no character
 * classes, so this is how a policy attaches to months only.
 */
export function monthlyIndexPatterns(prefix: string): string[] {
  return [prefix, genesysAuditPrefix(prefix), cloudTrailPrefix(prefix)].flatMap((p) =>
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].map((d) => `${p}-${d}*`),
  );
}
