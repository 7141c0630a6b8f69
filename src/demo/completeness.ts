/**
 * The demo's completeness proof: the linker pairs each CloudTrail event with its access-log twin,
 * and `reconcile` over the day must find exactly the access-log records the demo lost on purpose.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { Logger } from '../core/log.js';
import { reconcileHours } from '../investigate/reconcile.js';
import { linkPass } from '../sinks/opensearch/link.js';
import type { LostRecord } from './cloudtrail.js';

export interface CompletenessInput {
  readonly os: Client;
  readonly indexPrefix: string;
  readonly recordingsBucket: string;
  readonly day: Date;
  readonly lost: readonly LostRecord[];
  readonly graceSecs: number;
  readonly logger: Logger;
}

export async function demoCompleteness(c: CompletenessInput, say: (text: string) => void): Promise<void> {
  // The scenario's day spills into the next (late reviews), as the detections' span does.
  const from = c.day;
  const to = new Date(c.day.getTime() + 2 * 86_400_000);
  const hours = (to.getTime() - from.getTime()) / 3_600_000;
  const linked = await linkPass({ client: c.os, index: c.indexPrefix, from: from.toISOString(), to: to.toISOString(), logger: c.logger, refresh: true });
  say('');
  say(
    `Linked ${linked.linked} CloudTrail events to ${linked.accessLinked} access-log records of the same requests (link.*; ${linked.waiting} CloudTrail events have no access-log twin).`,
  );
  const started = Date.now();
  let settled = 0;
  let cloudtrail = 0;
  let accessLog = 0;
  let matched = 0;
  const ctOnly: { id: string; time: string; action: string; key: string }[] = [];
  const s3Only: string[] = [];
  for await (const h of reconcileHours({
    client: c.os,
    index: c.indexPrefix,
    from,
    to,
    buckets: [c.recordingsBucket],
    graceSecs: c.graceSecs,
    now: new Date(),
  })) {
    if (h.status === 'settled') settled++;
    cloudtrail += h.cloudtrail;
    accessLog += h.access_log;
    matched += h.matched;
    for (const r of h.cloudtrail_only) ctOnly.push({ id: r.request_id, time: r.time, action: r.action, key: r.key ?? '-' });
    for (const r of h.access_log_only) s3Only.push(r.request_id);
  }
  const secs = ((Date.now() - started) / 1000).toFixed(2);
  const day = from.toISOString().slice(0, 10);
  say(
    `== Completeness: recording-audit reconcile --from ${day} --to ${to.toISOString().slice(0, 10)} (${secs} s): ${settled} of ${hours} hours settled; ` +
      `requests on recordings: ${cloudtrail} in CloudTrail, ${accessLog} in the access logs, ${matched} in both`,
  );
  say(`  Only in CloudTrail (the access log lost them): ${ctOnly.length}`);
  for (const r of ctOnly) say(`    ${r.id}  ${r.time}  ${r.action}  ${r.key}`);
  say(`  Only in the access logs: ${s3Only.length === 0 ? 'none' : s3Only.join(', ')}`);
  const planted = new Set(c.lost.map((l) => l.requestId));
  const exact = ctOnly.length === planted.size && ctOnly.every((r) => planted.has(r.id)) && s3Only.length === 0;
  say(
    exact
      ? `  reconcile found exactly the ${planted.size} access-log records the demo lost on purpose.`
      : `  reconcile did NOT find exactly the records the demo lost (${[...planted].join(', ')}).`,
  );
}
