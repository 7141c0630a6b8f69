import { collapseTwins } from '../investigate/twins.js';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@opensearch-project/opensearch';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { genesysFromConfig } from '../enrich/genesys/from-config.js';
import { auditSourceFromConfig } from '../genesys-audit/from-config.js';
import { runAuditSource } from '../genesys-audit/source.js';
import { buildQuery } from '../investigate/queries.js';
import { searchHits } from '../investigate/search.js';
import { tableColumns, TableWriter } from '../investigate/format/table.js';
import { createQuarantineStore } from '../sinks/quarantine/store.js';
import type { SimAuditMessage } from '../sim/genesys/audit-messages.js';
import type { GenesysSimulator } from '../sim/genesys/server.js';

/**
 * The demo's second source: what people did with the day's recordings inside Genesys Cloud, which
 * S3 never sees. Two supervisors play the call people read most in S3, the records manager exports
 * it, a QA analytics integration (an OAuth client, no user) reads it, and a supervisor plays a few
 * other calls of the day. The simulator serves those audit messages through the real audit APIs,
 * and the audit source reads them into the index, keeping each results page in the evidence bucket.
 */

const HOUR = 3_600_000;

/** The conversation most people read in S3 today: the one the summary suggests investigating. */
async function mostReadConversation(os: Client, index: string, scope: object): Promise<string | undefined> {
  const res = await os.search({
    index,
    body: {
      size: 0,
      query: {
        bool: {
          filter: [
            scope,
            { term: { 'event.kind': 'event' } },
            { term: { 'actor.kind': 'human' } },
            { term: { 'event.outcome': 'success' } },
            { term: { 'event.action': 'REST.GET.OBJECT' } },
          ],
        },
      },
      aggs: {
        conversations: {
          terms: { field: 'genesys.conversation.id', size: 1, order: [{ people: 'desc' }, { _count: 'desc' }, { _key: 'asc' }] },
          aggs: { people: { cardinality: { field: 'aws.s3access.requester' } } },
        },
      },
    },
  } as never);
  const buckets = (res.body as { aggregations?: { conversations?: { buckets?: { key: string }[] } } }).aggregations?.conversations?.buckets ?? [];
  return buckets[0]?.key;
}

export function demoAuditMessages(sim: GenesysSimulator, conversationId: string, day: Date): SimAuditMessage[] {
  const ds = sim.dataset;
  const staff = (email: string): string | undefined => ds.users.find((u) => u.email === email)?.id;
  // Supervisors: Genesys users who are not the scenario's S3 people.
  const supervisors = ds.users.filter((u) => u.state === 'active' && !u.email.endsWith('@example-health.org') && !u.email.endsWith('.example')).slice(0, 2);
  const conv = ds.conversationById.get(conversationId);
  const recs = ds.recordingsByConversation.get(conversationId) ?? [];
  if (conv === undefined || recs[0] === undefined || supervisors.length < 2) return [];
  const endOfDay = day.getTime() + 24 * HOUR - 60_000;
  const after = (from: string, hours: number): string => new Date(Math.min(endOfDay, Date.parse(from) + hours * HOUR)).toISOString();
  const rec = recs[0];
  const base = { entityType: 'Recording', status: 'Success' as const, entityId: rec.id, conversationId };
  const out: SimAuditMessage[] = [
    { ...base, id: 'demo-audit-0001', eventDate: after(conv.conversationEnd, 1), action: 'Read', userId: supervisors[0]!.id, remoteIps: ['10.30.0.5'] },
    { ...base, id: 'demo-audit-0002', eventDate: after(conv.conversationEnd, 2), action: 'Read', userId: supervisors[1]!.id, remoteIps: ['10.30.0.9'] },
    {
      ...base,
      id: 'demo-audit-0003',
      eventDate: after(conv.conversationEnd, 3),
      action: 'Read',
      clientId: 'qa-analytics-integration',
      remoteIps: ['54.210.1.20'],
    },
  ];
  const admin = staff('maria.gonzalez@example-health.org');
  if (admin !== undefined) {
    out.push({ ...base, id: 'demo-audit-0004', eventDate: after(conv.conversationEnd, 4), action: 'Export', userId: admin, remoteIps: ['198.51.100.5'] });
  }
  // The first supervisor also plays a few other calls of the day.
  const others = ds.conversations.filter((c) => c.conversationId !== conversationId).slice(0, 5);
  others.forEach((c, i) => {
    const r = ds.recordingsByConversation.get(c.conversationId)?.[0];
    if (r === undefined) return;
    out.push({
      entityType: 'Recording',
      status: 'Success',
      entityId: r.id,
      conversationId: c.conversationId,
      id: `demo-audit-${String(10 + i).padStart(4, '0')}`,
      eventDate: after(c.conversationEnd, 1),
      action: 'Read',
      userId: supervisors[0]!.id,
      remoteIps: ['10.30.0.5'],
    });
  });
  return out;
}

export interface DemoAuditResult {
  readonly conversationId: string | undefined;
  readonly messages: number;
  readonly indexed: number;
}

/** Adds the in-Genesys actions to the simulator, reads them into the index (`recording-audit genesys-audit` for the day), and prints the call's timeline from both sources. */
export async function demoGenesysAudit(
  deps: { os: Client; cfg: Config; sim: GenesysSimulator; s3: S3Client; logger: Logger; metrics: Metrics; logBucket: string },
  day: Date,
  say: (s: string) => void,
): Promise<DemoAuditResult> {
  const { os, cfg, sim } = deps;
  await os.indices.refresh({ index: `${cfg.INDEX_PREFIX}-*` });
  const scope = { bool: { filter: [{ prefix: { 'log.file.path': `s3://${deps.logBucket}/` } }], must_not: [{ term: { 'event.dataset': 'aws.cloudtrail' } }] } };
  const cid = await mostReadConversation(os, cfg.INDEX_PREFIX, scope);
  if (cid === undefined) return { conversationId: undefined, messages: 0, indexed: 0 };
  const messages = demoAuditMessages(sim, cid, day);
  sim.addAuditMessages(messages);

  const genesys = genesysFromConfig(cfg, deps)!.client;
  const quarantine = createQuarantineStore(cfg, { s3: deps.s3, logger: deps.logger });
  const parts = auditSourceFromConfig(cfg, { opensearch: os, genesys, quarantine, s3: deps.s3, logger: deps.logger, metrics: deps.metrics });
  let indexed = 0;
  try {
    const results = await runAuditSource({ ...parts.options, mode: { kind: 'range', from: day.getTime(), to: day.getTime() + 2 * 24 * HOUR } });
    for (const r of results) indexed += r.tally.indexed;
  } finally {
    await parts.close();
    await quarantine.close();
    genesys.close();
  }
  say(
    `Read ${indexed} Genesys audit messages (playbacks, an export, an integration's read inside Genesys Cloud) into ${cfg.INDEX_PREFIX}.genesys-${day.toISOString().slice(0, 7).replace('-', '.')}` +
      (cfg.EVIDENCE_BUCKET !== undefined ? `; each results page kept first in s3://${cfg.EVIDENCE_BUCKET} under Object Lock.` : '.'),
  );

  await os.indices.refresh({ index: cfg.INDEX_PREFIX });
  say('');
  say(`Conversation ${cid}, both sources in one timeline (recording-audit query conversation ${cid}):`);
  const table = new TableWriter(tableColumns(undefined), (text) => say(`  ${text.replace(/\n$/, '')}`));
  const query = buildQuery({ form: 'conversation', id: cid }, { includeSelf: false, includeService: false });
  // A request in both the access log and CloudTrail is one row (SOURCE s3+ct).
  for await (const hit of collapseTwins(searchHits(os, { index: cfg.INDEX_PREFIX, query, limit: 40 }))) table.push(hit.row);
  table.end();
  return { conversationId: cid, messages: messages.length, indexed };
}
