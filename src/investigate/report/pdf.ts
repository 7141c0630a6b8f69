import PDFDocument from 'pdfkit';
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
 * The report as a PDF (pdfkit), A4 landscape. The standard PDF fonts cover Latin-1 and a few
 * typographic characters only; any other character is printed as `?` and control characters as
 * `\xNN`, so what the page shows is predictable (the HTML keeps every character).
 */

const WIN_ANSI_EXTRA = new Set('‘’“”–—…•€™'.split(''));

export function pdfSafe(value: string, keepNewlines = false): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (keepNewlines && ch === '\n') out += ch;
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp <= 0xff || WIN_ANSI_EXTRA.has(ch)) out += ch;
    else out += '?';
  }
  return out;
}

type Doc = PDFKit.PDFDocument;

const MARGIN = 36;
const SANS = 'Helvetica';
const SANS_BOLD = 'Helvetica-Bold';
const MONO = 'Courier';

interface Column {
  readonly header: string;
  /** Share of the page width. */
  readonly share: number;
}

const EVENT_COLUMNS: readonly Column[] = [
  { header: '#', share: 0.035 },
  { header: 'Time (UTC)', share: 0.12 },
  { header: 'Source', share: 0.055 },
  { header: 'Actor', share: 0.18 },
  { header: 'Kind', share: 0.06 },
  { header: 'Operation', share: 0.15 },
  { header: 'Outcome', share: 0.11 },
  { header: 'IP', share: 0.09 },
  { header: 'Recording / object', share: 0.2 },
];

const PERSON_SHARES = [0.2, 0.06, 0.05, 0.06, 0.05, 0.05, 0.05, 0.05, 0.12, 0.12, 0.19];

/** Page geometry and a cursor, with page breaks that repeat a table's header. */
class Layout {
  readonly width: number;
  private readonly bottom: number;

  constructor(readonly doc: Doc) {
    this.width = doc.page.width - 2 * MARGIN;
    this.bottom = doc.page.height - MARGIN - 14;
  }

  get y(): number {
    return this.doc.y;
  }

  ensure(height: number, onNewPage?: () => void): void {
    if (this.doc.y + height <= this.bottom) return;
    this.doc.addPage();
    this.doc.y = MARGIN;
    onNewPage?.();
  }

  heading(text: string): void {
    this.ensure(40);
    this.doc.moveDown(0.6).font(SANS_BOLD).fontSize(12).text(pdfSafe(text), MARGIN, this.doc.y, { width: this.width });
    this.doc.moveDown(0.3);
  }

  /** `lines`: each is made safe on its own, so only the line breaks between them remain. */
  field(label: string, lines: string | readonly string[], mono = false): void {
    const doc = this.doc;
    const labelWidth = 90;
    const value = (typeof lines === 'string' ? [lines] : lines).map((l) => pdfSafe(l)).join('\n');
    doc.font(mono ? MONO : SANS).fontSize(mono ? 7 : 9);
    const h = Math.max(doc.heightOfString(value, { width: this.width - labelWidth }), 11);
    this.ensure(h + 2);
    const y = doc.y;
    doc.font(SANS_BOLD).fontSize(9).text(pdfSafe(label), MARGIN, y, { width: labelWidth });
    doc
      .font(mono ? MONO : SANS)
      .fontSize(mono ? 7 : 9)
      .text(value, MARGIN + labelWidth, y, { width: this.width - labelWidth });
    doc.y = Math.max(doc.y, y + h) + 2;
  }

  paragraph(text: string): void {
    this.doc.font(SANS).fontSize(9);
    const h = this.doc.heightOfString(pdfSafe(text), { width: this.width });
    this.ensure(h + 4);
    this.doc.text(pdfSafe(text), MARGIN, this.doc.y, { width: this.width });
    this.doc.moveDown(0.4);
  }

  /** One table row; returns its height. */
  row(cells: readonly string[], widths: readonly number[], font: string, size: number, onNewPage?: () => void, fill?: string): void {
    const doc = this.doc;
    doc.font(font).fontSize(size);
    const heights = cells.map((c, i) => doc.heightOfString(pdfSafe(c), { width: widths[i]! - 4 }));
    const h = Math.max(...heights) + 4;
    this.ensure(h, onNewPage);
    const y = doc.y;
    if (fill !== undefined) doc.save().rect(MARGIN, y, this.width, h).fill(fill).restore();
    let x = MARGIN;
    doc.fillColor('black').font(font).fontSize(size);
    cells.forEach((c, i) => {
      doc.text(pdfSafe(c), x + 2, y + 2, { width: widths[i]! - 4 });
      x += widths[i]!;
    });
    doc.y = y + h;
  }

  /** A line of evidence under an event row, in monospace, without a page break inside it. */
  evidence(lines: readonly string[]): void {
    const doc = this.doc;
    doc.font(MONO).fontSize(6);
    const text = lines.map((l) => pdfSafe(l)).join('\n');
    const h = doc.heightOfString(text, { width: this.width - 20 }) + 3;
    this.ensure(h);
    const y = doc.y;
    doc
      .fillColor('#333')
      .text(text, MARGIN + 20, y, { width: this.width - 20 })
      .fillColor('black');
    doc.y = y + h;
    doc
      .moveTo(MARGIN, doc.y)
      .lineTo(MARGIN + this.width, doc.y)
      .lineWidth(0.3)
      .strokeColor('#999')
      .stroke();
    doc.y += 1;
  }
}

/** Renders the report; the PDF's dates are the generation time, so the same model gives the same document. */
export function renderPdf(m: ReportModel): Promise<Buffer> {
  const c = m.context;
  const created = new Date(c.generatedAt);
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: MARGIN,
    bufferPages: true,
    info: {
      Title: pdfSafe(`Accounting of disclosures: conversation ${c.conversationId}`),
      Author: pdfSafe(generatedByText(c)),
      Subject: '45 CFR 164.528 accounting of disclosures',
      Creator: 'recording-audit report',
      CreationDate: created,
      ModDate: created,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const L = new Layout(doc);
  doc.font(SANS_BOLD).fontSize(16).text('Accounting of disclosures (45 CFR 164.528)', MARGIN, MARGIN, { width: L.width });
  doc.moveDown(0.5);
  L.field('Conversation', c.conversationId, true);
  L.field(
    'Recordings',
    m.recordings.length === 0
      ? 'none seen'
      : m.recordings.flatMap((r) => [`${r.id} (${r.files.join(', ') || 'file unknown'})`, ...r.keys.map((k) => `  ${k}`)]),
    true,
  );
  L.field('Participants', m.participants.length === 0 ? 'none known' : m.participants.map(participantText));
  L.field('Period', periodText(m));
  L.field('Events', String(m.rows.length));
  L.field('Scope', exclusionsText(c));
  L.field('Generated', `${c.generatedAt} by ${generatedByText(c)}`);
  L.field('Index', c.index, true);
  L.field('Query', JSON.stringify(c.query), true);

  L.heading('Summary by person');
  if (m.persons.length === 0) L.paragraph('No accesses recorded in this period.');
  else {
    const widths = PERSON_SHARES.map((s) => s * L.width);
    const header = (): void => L.row(PERSON_HEADERS, widths, SANS_BOLD, 7, undefined, '#e6e6e6');
    header();
    for (const p of m.persons) L.row(personCells(p), widths, SANS, 7, header);
  }

  L.heading('Accesses, oldest first');
  if (m.rows.length === 0) L.paragraph('No accesses recorded in this period.');
  else {
    const widths = EVENT_COLUMNS.map((col) => col.share * L.width);
    const header = (): void =>
      L.row(
        EVENT_COLUMNS.map((col) => col.header),
        widths,
        SANS_BOLD,
        7,
        undefined,
        '#e6e6e6',
      );
    header();
    m.rows.forEach((r, i) => {
      // The event and its evidence stay on one page.
      L.ensure(34, header);
      L.row(accessCells(r, i + 1), widths, SANS, 7, header, r.outcome === 'failure' ? '#fdecec' : undefined);
      L.evidence([`log object ${r.logFile ?? '-'}  line ${r.logLine ?? '-'}`, `event.hash ${r.hash ?? '-'}  document id ${r.id}`]);
    });
  }

  L.heading('How to verify this report');
  for (const p of verificationText(c.conversationId)) L.paragraph(p);

  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Below the bottom margin pdfkit would start a new page for the footer.
    doc.page.margins.bottom = 0;
    const footer = pdfSafe(`Conversation ${c.conversationId} - generated ${c.generatedAt} - page ${i + 1} of ${range.count}`);
    doc
      .font(SANS)
      .fontSize(7)
      .fillColor('#555')
      .text(footer, MARGIN, doc.page.height - MARGIN - 8, { width: L.width, align: 'center', lineBreak: false });
  }
  doc.end();
  return done;
}
