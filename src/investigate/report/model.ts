import { outcomeText, recordingText } from '../format/table.js';
import { actorLabel, operationLabel, sourceLabel, type AccessRow, type Participant } from '../row.js';

/**
 * The accounting of disclosures for one conversation (45 CFR 164.528): what the HTML, PDF and CSV
 * renderings show, built from the events alone (pure, so renderings and tests share it).
 */

export interface ReportContext {
  readonly conversationId: string;
  /** The period asked for; absent ends are open. */
  readonly from?: string;
  readonly to?: string;
  readonly generatedAt: string;
  /** The OS user that ran the command. */
  readonly osUser: string;
  /** The AWS caller identity (ARN) when known. */
  readonly awsIdentity?: string;
  readonly index: string;
  /** The search body sent to OpenSearch for each page. */
  readonly query: unknown;
  /** What the default exclusions left out, by reason. */
  readonly excluded: readonly { reason: 'self' | 'service'; count: number }[];
  readonly includeSelf: boolean;
  readonly includeService: boolean;
}

export interface RecordingSummary {
  readonly id: string;
  readonly files: readonly string[];
  readonly keys: readonly string[];
}

export interface PersonSummary {
  /** The actor as shown in the table (email, role/session, requester). */
  readonly actor: string;
  readonly kind: string;
  readonly requesters: readonly string[];
  readonly reads: number;
  readonly headOnly: number;
  readonly writes: number;
  readonly deletes: number;
  readonly denied: number;
  readonly other: number;
  readonly first?: string;
  readonly last?: string;
  readonly ips: readonly string[];
}

export interface ReportModel {
  readonly context: ReportContext;
  readonly recordings: readonly RecordingSummary[];
  readonly participants: readonly Participant[];
  /** First and last event time seen. */
  readonly observed?: { first: string; last: string };
  readonly persons: readonly PersonSummary[];
  readonly rows: readonly AccessRow[];
}

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

export function buildReportModel(context: ReportContext, rows: readonly AccessRow[]): ReportModel {
  const recordings = new Map<string, { files: Set<string>; keys: Set<string> }>();
  const participants = new Map<string, Participant>();
  const persons = new Map<
    string,
    { actor: string; kind: Set<string>; requesters: Set<string>; counts: Record<string, number>; first?: string; last?: string; ips: Set<string> }
  >();

  for (const r of rows) {
    if (r.recordingId !== undefined) {
      const rec = recordings.get(r.recordingId) ?? { files: new Set<string>(), keys: new Set<string>() };
      if (r.recordingFile !== undefined) rec.files.add(r.recordingFile);
      if (r.key !== undefined) rec.keys.add(r.bucket === undefined ? r.key : `s3://${r.bucket}/${r.key}`);
      recordings.set(r.recordingId, rec);
    }
    for (const p of r.participants) {
      const k = `${p.userId ?? ''}\u0000${p.name ?? ''}\u0000${p.purpose ?? ''}`;
      if (!participants.has(k)) participants.set(k, p);
    }
    const actor = actorLabel(r);
    const person = persons.get(actor) ?? { actor, kind: new Set<string>(), requesters: new Set<string>(), counts: {}, ips: new Set<string>() };
    if (r.actorKind !== undefined) person.kind.add(r.actorKind);
    if (r.requester !== undefined) person.requesters.add(r.requester);
    const bucket = r.outcome === 'failure' ? 'denied' : r.access;
    person.counts[bucket] = (person.counts[bucket] ?? 0) + 1;
    if (r.timestamp !== undefined) {
      if (person.first === undefined || r.timestamp < person.first) person.first = r.timestamp;
      if (person.last === undefined || r.timestamp > person.last) person.last = r.timestamp;
    }
    if (r.sourceIp !== undefined) person.ips.add(r.sourceIp);
    persons.set(actor, person);
  }

  const times = rows.map((r) => r.timestamp).filter((t): t is string => t !== undefined);
  const purposeRank = (p: Participant): number =>
    p.purpose === 'agent' || p.purpose === 'user' ? 0 : p.purpose === 'customer' || p.purpose === 'external' ? 1 : 2;
  return {
    context,
    recordings: [...recordings.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, r]) => ({ id, files: sorted(r.files), keys: sorted(r.keys) })),
    participants: [...participants.values()].sort(
      (a, b) => purposeRank(a) - purposeRank(b) || (a.name ?? '').localeCompare(b.name ?? '') || (a.userId ?? '').localeCompare(b.userId ?? ''),
    ),
    observed: times.length === 0 ? undefined : { first: times.reduce((a, b) => (a < b ? a : b)), last: times.reduce((a, b) => (a > b ? a : b)) },
    persons: [...persons.values()]
      .map((p) => ({
        actor: p.actor,
        kind: sorted(p.kind).join(', ') || 'unknown',
        requesters: sorted(p.requesters),
        reads: p.counts.read ?? 0,
        headOnly: p.counts.head_only ?? 0,
        writes: p.counts.write ?? 0,
        deletes: p.counts.delete ?? 0,
        denied: p.counts.denied ?? 0,
        other: (p.counts.list ?? 0) + (p.counts.other ?? 0),
        ...(p.first === undefined ? {} : { first: p.first }),
        ...(p.last === undefined ? {} : { last: p.last }),
        ips: sorted(p.ips),
      }))
      .sort((a, b) => (a.first ?? '').localeCompare(b.first ?? '') || a.actor.localeCompare(b.actor)),
    rows,
  };
}

/** The paragraph on checking the report against the source logs (HTML and PDF). */
export function verificationText(conversationId: string): string[] {
  return [
    'Every row names its evidence: the S3 server access log object it was read from (log object), the line in that object (line), the SHA-256 of that raw line (event.hash), and the document id, which is SHA-256 of the log bucket name, a newline and event.hash. The index holds no copy of the line; the log objects in the log bucket are the original record.',
    `To check that this report says what S3 wrote, run: recording-audit verify --conversation ${conversationId}. It re-reads each named log line, recomputes its SHA-256 and the document id, re-derives the event's fields from the raw line and reports each event as verified, altered, source_missing or source_unreadable.`,
    'By hand, for one row: download the log object (aws s3 cp <log object> -), take the numbered line without its line break, and compare its SHA-256 (sha256sum) with event.hash.',
  ];
}

/** The per-person summary's columns, shared by HTML and PDF. */
export const PERSON_HEADERS = [
  'Actor',
  'Kind',
  'Reads',
  'HEAD only',
  'Writes',
  'Deletes',
  'Denied',
  'Other',
  'First (UTC)',
  'Last (UTC)',
  'IP addresses',
] as const;

export function personCells(p: PersonSummary): string[] {
  return [
    p.actor,
    p.kind,
    String(p.reads),
    String(p.headOnly),
    String(p.writes),
    String(p.deletes),
    String(p.denied),
    String(p.other),
    p.first ?? '-',
    p.last ?? '-',
    p.ips.join(', ') || '-',
  ];
}

export function participantText(p: Participant): string {
  return [p.name ?? '(no name)', p.purpose === undefined ? undefined : `(${p.purpose})`, p.userId].filter((x) => x !== undefined).join(' ');
}

export function periodText(m: ReportModel): string {
  const asked = `${m.context.from ?? 'the beginning'} to ${m.context.to ?? 'now'}`;
  return m.observed === undefined ? `${asked}; no events` : `${asked}; events from ${m.observed.first} to ${m.observed.last}`;
}

export function generatedByText(c: ReportContext): string {
  return `${c.osUser} (OS user)${c.awsIdentity === undefined ? '; AWS identity unknown' : `; AWS identity ${c.awsIdentity}`}`;
}

export function exclusionsText(c: ReportContext): string {
  const parts: string[] = [];
  const n = (reason: 'self' | 'service'): number => c.excluded.find((e) => e.reason === reason)?.count ?? 0;
  parts.push(c.includeSelf ? "recording-audit's own requests included" : `recording-audit's own requests left out (${n('self')})`);
  parts.push(c.includeService ? 'routine service writes included' : `routine writes by service principals left out (${n('service')})`);
  return `${parts.join('; ')}. HEAD requests read metadata only and are labelled.`;
}

/** The cells of one access in the chronological table, as every report format shows them (HTML adds the evidence cells). */
export function accessCells(row: AccessRow, n: number): string[] {
  return [
    String(n),
    row.timestamp ?? '-',
    sourceLabel(row),
    actorLabel(row),
    row.actorKind ?? '-',
    operationLabel(row) + (row.presigned ? ' [presigned]' : ''),
    outcomeText(row),
    row.sourceIp ?? '-',
    recordingText(row),
  ];
}
