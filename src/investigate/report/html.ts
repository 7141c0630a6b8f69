import type { AccessRow } from '../row.js';
import {
  accessCells,
  exclusionsText,
  generatedByText,
  participantText,
  PERSON_HEADERS,
  personCells,
  periodText,
  verificationText,
  type ReportModel,
} from './model.js';

/**
 * The report as one self-contained HTML page. Every value from the index is attacker-shaped
 * (keys, user agents, session names, participant names), so each goes through `escapeHtml`, there
 * is no script, and the page's Content-Security-Policy forbids loading or running anything.
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const e = escapeHtml;

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:13px;margin:24px;color:#111}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:3px 5px;vertical-align:top;text-align:left}
th{background:#eee}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{font-weight:600}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;word-break:break-all}
pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;word-break:break-all}
tr.failure td{background:#fff2f2}@media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}}`;

export const EVENT_HEADERS = [
  '#',
  'Time (UTC)',
  'Source',
  'Actor',
  'Kind',
  'Operation',
  'Outcome',
  'IP',
  'Recording / object',
  'Log object',
  'Line',
  'event.hash',
  'Document id',
] as const;

export function eventCells(row: AccessRow, n: number): string[] {
  return [...accessCells(row, n), row.logFile ?? '-', row.logLine === undefined ? '-' : String(row.logLine), row.hash ?? '-', row.id];
}

/** Evidence cells in monospace, so hashes can be compared by eye. */
const MONO: ReadonlySet<number> = new Set([9, 11, 12]);

function table(headers: readonly string[], rows: readonly string[][], options: { rowClass?: (i: number) => string; mono?: ReadonlySet<number> } = {}): string {
  const head = `<tr>${headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr>`;
  const body = rows
    .map((r, i) => {
      const cls = options.rowClass?.(i) ?? '';
      const cells = r.map((c, j) => `<td${options.mono?.has(j) === true ? ' class="mono"' : ''}>${e(c)}</td>`).join('');
      return `<tr${cls === '' ? '' : ` class="${cls}"`}>${cells}</tr>`;
    })
    .join('\n');
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

export function renderHtml(m: ReportModel): string {
  const c = m.context;
  const dl = (items: [string, string][]): string => `<dl>\n${items.map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`).join('\n')}\n</dl>`;
  const recordings =
    m.recordings.length === 0
      ? 'none seen'
      : `<ul>${m.recordings.map((r) => `<li><span class="mono">${e(r.id)}</span> (${e(r.files.join(', ') || 'file unknown')})${r.keys.map((k) => `<br><span class="mono">${e(k)}</span>`).join('')}</li>`).join('')}</ul>`;
  const participants = m.participants.length === 0 ? 'none known' : `<ul>${m.participants.map((p) => `<li>${e(participantText(p))}</li>`).join('')}</ul>`;
  const events = m.rows.map((r, i) => eventCells(r, i + 1));
  const eventTable = table(EVENT_HEADERS, events, { rowClass: (i) => (m.rows[i]!.outcome === 'failure' ? 'failure' : ''), mono: MONO });
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>Accounting of disclosures: conversation ${e(c.conversationId)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Accounting of disclosures (45 CFR 164.528)</h1>
${dl([
  ['Conversation', `<span class="mono">${e(c.conversationId)}</span>`],
  ['Recordings', recordings],
  ['Participants', participants],
  ['Period', e(periodText(m))],
  ['Events', e(String(m.rows.length))],
  ['Scope', e(exclusionsText(c))],
  ['Generated', `${e(c.generatedAt)} by ${e(generatedByText(c))}`],
  ['Index', `<span class="mono">${e(c.index)}</span>`],
  ['Query', `<pre>${e(JSON.stringify(c.query, null, 2))}</pre>`],
])}
<h2>Summary by person</h2>
${m.persons.length === 0 ? '<p>No accesses recorded in this period.</p>' : table(PERSON_HEADERS, m.persons.map(personCells))}
<h2>Accesses, oldest first</h2>
${m.rows.length === 0 ? '<p>No accesses recorded in this period.</p>' : eventTable}
<h2>How to verify this report</h2>
${verificationText(c.conversationId)
  .map((p) => `<p>${e(p)}</p>`)
  .join('\n')}
</body>
</html>
`;
}
