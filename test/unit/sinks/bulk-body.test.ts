import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/sim/s3-logs/access-log-writer.js';
import { buildEvent } from '../../../src/event/build.js';
import type { IndexableEvent } from '../../../src/event/types.js';
import { BulkLineEncoder } from '../../../src/sinks/opensearch/bulk-body.js';
import { PIECES, PLACES, repeatedLine } from '../../fixtures/adversarial.js';
import { mutateLine } from '../../fixtures/mutate.js';
import { corpusLines } from '../../bench/e2e-corpus.js';

const ctx = { logBucket: 'logs', filePath: 's3://logs/k' };

function events(): IndexableEvent[] {
  const rand = seededRandom(7);
  const lines: Buffer[] = [];
  for (const l of corpusLines(300, 3)) {
    lines.push(Buffer.from(l));
    lines.push(mutateLine(Buffer.from(l), rand));
  }
  for (const place of PLACES) for (const piece of PIECES) lines.push(Buffer.from(repeatedLine(place, [piece, 'é€😀\u2028'], 600)));
  const out: IndexableEvent[] = [];
  for (const [i, bytes] of lines.entries()) {
    const r = buildEvent({ number: i + 1, bytes }, ctx);
    if (r.ok) out.push(r.doc);
  }
  return out;
}

describe('BulkLineEncoder.bytes (what the sink holds until OpenSearch answers)', () => {
  const docs = events();

  it('covers enough well-formed and adversarial events to mean something', () => {
    expect(docs.length).toBeGreaterThan(400);
  });

  it('is the UTF-8 of the action line and JSON.stringify of the event, and reads back to the same document', () => {
    const encoder = new BulkLineEncoder();
    for (const doc of docs) {
      const bytes = encoder.bytes('audit-2024.03', doc);
      const expected = `{"create":{"_index":"audit-2024.03","_id":${JSON.stringify(doc.id)}}}\n${JSON.stringify(doc.event)}\n`;
      expect(bytes.equals(Buffer.from(expected))).toBe(true);
      // Two lines exactly: nothing in a value can end the source line early.
      expect(bytes.filter((b) => b === 0x0a).length).toBe(2);
      const source = bytes.toString('utf8', bytes.indexOf(0x0a) + 1);
      expect(source).toBe(`${JSON.stringify(doc.event)}\n`);
      expect(JSON.parse(source)).toEqual(JSON.parse(JSON.stringify(doc.event)));
    }
  });

  it('keeps a lone surrogate as its JSON escape, not a replacement character', () => {
    const doc = docs[0]!;
    const odd: IndexableEvent = {
      id: doc.id,
      event: { ...doc.event, aws: { ...doc.event.aws, s3access: { ...doc.event.aws.s3access, user_agent: 'a\uD800b' } } },
    };
    const bytes = new BulkLineEncoder().bytes('audit-2024.03', odd);
    expect(bytes.toString('utf8')).toContain('a\\ud800b');
    const back = JSON.parse(bytes.toString('utf8', bytes.indexOf(0x0a) + 1)) as IndexableEvent['event'];
    expect(back.aws.s3access.user_agent).toBe('a\uD800b');
  });
});
