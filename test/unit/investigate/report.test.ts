import { describe, expect, it } from 'vitest';
import { escapeHtml, renderHtml } from '../../../src/investigate/report/html.js';
import { buildReportModel, type ReportContext } from '../../../src/investigate/report/model.js';
import { pdfSafe, renderPdf } from '../../../src/investigate/report/pdf.js';
import { pdfText } from '../../support/pdf-text.js';
import { row } from './support.js';

const context: ReportContext = {
  conversationId: 'c-1',
  from: '2024-05-01T00:00:00.000Z',
  generatedAt: '2024-06-01T12:00:00.000Z',
  osUser: 'auditor',
  awsIdentity: 'arn:aws:sts::123456789012:assumed-role/Audit/auditor@example.org',
  index: 'recording-access',
  query: { query: { term: { 'genesys.conversation.id': 'c-1' } } },
  excluded: [
    { reason: 'self', count: 2 },
    { reason: 'service', count: 1 },
  ],
  includeSelf: false,
  includeService: false,
};

const hex = (c: string): string => c.repeat(64);
const rows = [
  row({ timestamp: '2024-05-14T08:30:00.000Z', hash: hex('a'), id: hex('1'), logLine: 3 }),
  row({ timestamp: '2024-05-14T08:31:00.000Z', operation: 'REST.HEAD.OBJECT', access: 'head_only', hash: hex('b'), id: hex('2') }),
  row({
    timestamp: '2024-05-14T09:00:00.000Z',
    actorEmail: undefined,
    roleName: undefined,
    requester: 'arn:aws:iam::123456789012:user/<script>alert(1)</script>',
    actorKind: 'unknown',
    outcome: 'failure',
    httpStatus: 403,
    errorCode: 'AccessDenied',
    sourceIp: '198.51.100.9',
    hash: hex('c'),
    id: hex('3'),
    key: 'x"><img src=x onerror=alert(2)>',
    recordingId: undefined,
  }),
];

describe('report model', () => {
  it('summarizes recordings, participants and each person', () => {
    const m = buildReportModel(context, rows);
    expect(m.recordings).toEqual([{ id: 'r-1', files: ['media'], keys: ['s3://recordings/org/conversation_id=c/r.opus'] }]);
    expect(m.participants).toEqual([{ userId: 'u-1', name: 'Bruno Díaz', purpose: 'agent' }, { purpose: 'customer' }]);
    expect(m.observed).toEqual({ first: '2024-05-14T08:30:00.000Z', last: '2024-05-14T09:00:00.000Z' });
    expect(m.persons).toEqual([
      expect.objectContaining({ actor: 'ana.silva@example.org', reads: 1, headOnly: 1, denied: 0, ips: ['192.0.2.10'] }),
      expect.objectContaining({ actor: 'arn:aws:iam::123456789012:user/<script>alert(1)</script>', reads: 0, denied: 1, ips: ['198.51.100.9'] }),
    ]);
  });
});

describe('HTML report', () => {
  const html = renderHtml(buildReportModel(context, rows));

  it('escapes every value', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe('&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#96;');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain("Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"");
  });

  it('has the header, the summary, the table with evidence and how to verify', () => {
    for (const text of [
      'Accounting of disclosures (45 CFR 164.528)',
      'Bruno Díaz (agent) u-1',
      'Generated</dt><dd>2024-06-01T12:00:00.000Z by auditor (OS user); AWS identity arn:aws:sts::123456789012:assumed-role/Audit/auditor@example.org',
      '&#34;genesys.conversation.id&#34;: &#34;c-1&#34;',
      'recording-audit&#39;s own requests left out (2)',
      'Summary by person',
      'REST.HEAD.OBJECT (HEAD only)',
      hex('a'),
      hex('1'),
      's3://logs/access-logs/2024-05-14-09-00-00-ABC',
      'recording-audit verify --conversation c-1',
    ]) {
      expect(html, text).toContain(text);
    }
    expect(html.indexOf(hex('a'))).toBeLessThan(html.indexOf(hex('b')));
  });
});

describe('PDF report', () => {
  it('renders, and its text holds the header, people, every event with its evidence, and the verify paragraph', async () => {
    const pdf = await renderPdf(buildReportModel(context, rows));
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // Text extraction does not keep runs of spaces.
    const text = (await pdfText(pdf)).join('\n').replace(/ +/g, ' ');
    for (const s of [
      'Accounting of disclosures (45 CFR 164.528)',
      'Conversation',
      'c-1',
      'Bruno Díaz (agent) u-1',
      'by auditor (OS user)',
      'ana.silva@example.org',
      'REST.HEAD.OBJECT (HEAD only)',
      'failure 403 AccessDenied',
      `event.hash ${hex('a')}  document id ${hex('1')}`,
      `event.hash ${hex('c')}  document id ${hex('3')}`,
      'log object s3://logs/access-logs/2024-05-14-09-00-00-ABC  line 3',
      'recording-audit verify --conversation c-1',
    ]) {
      expect(text, s).toContain(s.replace(/ +/g, ' '));
    }
  });

  it('prints what its fonts cannot show predictably', async () => {
    expect(pdfSafe('a\u001bb 王 José … \n')).toBe('a\\x1bb ? José … \\x0a');
    expect(pdfSafe('a\nb', true)).toBe('a\nb');
    const pdf = await renderPdf(buildReportModel(context, [row({ actorEmail: 'wang.王@example.org', key: 'k\u001b[2J' })]));
    const text = (await pdfText(pdf)).join('\n');
    expect(text).toContain('wang.?@example.org');
  });

  it('an empty period still renders, saying so', async () => {
    const text = (await pdfText(await renderPdf(buildReportModel(context, [])))).join('\n');
    expect(text).toContain('No accesses recorded in this period.');
    expect(text).toContain('page 1 of 1');
  });
});
