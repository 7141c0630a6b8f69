import { buildCloudTrailEvent, cloudTrailDocumentId } from '../event/cloudtrail-build.js';
import { NOT_FROM_THE_LINE_FIELDS } from '../event/mapping.js';
import { compareDocuments, type FieldDifference } from './compare.js';

/**
 * The chain of custody of an `aws.cloudtrail` event: its log.file.path is the CloudTrail log file
 * in S3 and log.offset the 1-based position of its record in `Records`. The record's canonical
 * JSON hash (event.hash), the document id from its eventID, and every field a fresh build of the
 * record gives must match the document. Not compared: what enrichment, the sink and the linker
 * write (NOT_FROM_THE_LINE_FIELDS: actor.kind, event.self, genesys.*, enrichment.*,
 * event.ingested, link.*).
 */

const SKIPPED: ReadonlySet<string> = new Set([...NOT_FROM_THE_LINE_FIELDS, 'event.hash']);

export function isCloudTrailSource(source: Readonly<Record<string, unknown>>): boolean {
  const event = source.event as { dataset?: unknown } | undefined;
  return event?.dataset === 'aws.cloudtrail';
}

export function cloudTrailDifferences(
  source: Readonly<Record<string, unknown>>,
  id: string,
  storedHash: string | undefined,
  record: Record<string, unknown>,
  index: number,
  filePath: string,
): FieldDifference[] {
  const built = buildCloudTrailEvent(record, index, { filePath, audited: undefined });
  if (built.kind !== 'event') return [{ field: '(record)', stored: 'a CloudTrail event', fromLine: `no event: ${built.reason}` }];
  const differences: FieldDifference[] = [];
  const fresh = built.doc.event;
  if (storedHash !== fresh.event.hash) differences.push({ field: 'event.hash', stored: storedHash, fromLine: fresh.event.hash });
  const freshId = cloudTrailDocumentId(fresh.aws.cloudtrail.event_id);
  if (id !== freshId) differences.push({ field: '_id', stored: id, fromLine: freshId });
  differences.push(...compareDocuments(source, JSON.parse(JSON.stringify(fresh)) as unknown, SKIPPED));
  return differences;
}
