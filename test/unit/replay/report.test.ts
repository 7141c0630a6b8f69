import { describe, expect, it } from 'vitest';
import type { ObjectResult } from '../../../src/pipeline/types.js';
import type { ListedObject } from '../../../src/replay/list.js';
import { ReportAccumulator, buildReport, summarize } from '../../../src/replay/report.js';

const obj = (key: string, day: string, size = 100): ListedObject => ({
  bucket: 'b',
  key,
  size,
  format: 'simple',
  kind: 'delivery',
  keyTimeMs: Date.parse(`${day}T01:00:00Z`),
  keyDay: day,
});
const result = (o: ListedObject, over: Partial<ObjectResult> = {}): ObjectResult => ({
  ref: { bucket: o.bucket, key: o.key },
  status: 'done',
  bytes: o.size,
  lines: 10,
  blankLines: 1,
  indexed: 7,
  duplicates: 2,
  quarantined: 1,
  quarantinedByReason: { PARSE_FIELD_COUNT: 1 },
  errorEvents: 1,
  linesByDay: { '2024-01-04': { lines: 4, indexed: 4, duplicates: 0, quarantined: 0 }, '2024-01-05': { lines: 6, indexed: 3, duplicates: 2, quarantined: 1 } },
  durationMs: 5,
  ...over,
});

describe('reconciliation report', () => {
  it('adds up per key day, per event day and in total, and survives a checkpoint round trip', () => {
    const a = new ReportAccumulator();
    const o1 = obj('k1', '2024-01-05');
    const o2 = obj('k2', '2024-01-05');
    const o3 = obj('k3', '2024-01-06');
    a.addResult(o1, result(o1));
    const resumed = new ReportAccumulator(JSON.parse(JSON.stringify(a.state)) as typeof a.state);
    resumed.addResult(o2, result(o2, { quarantinedByReason: { PARSE_FIELD_COUNT: 1 } }));
    resumed.addResult(o3, result(o3, { status: 'missing', lines: 0 }));
    const report = buildReport({
      mode: 'process',
      runKey: 'rk',
      params: { bucket: 'b', prefix: '', from: 'f', to: 't', marginSecs: 0, format: 'auto', mode: 'process' },
      window: { from: 'f', end: 'e' },
      checkpoint: null,
      attempt: 2,
      startedAt: new Date(0),
      finishedAt: new Date(1),
      outcome: 'failed',
      listing: { requests: 1, keysSeen: 4, selected: 4, notLogKeys: 0, outsideWindow: 0, formats: ['simple'], sources: [], skippedByCheckpoint: 1 },
      state: resumed.state,
      failures: [{ key: 'k4', keyTimeMs: Date.parse('2024-01-06T02:00:00Z'), code: 'OBJECT_READ_FAILED', message: 'x', attempts: 3 }],
    });
    expect(report.totals).toMatchObject({
      objects: 2,
      missing: 1,
      failed: 1,
      bytes: 200,
      lines: 20,
      indexed: 14,
      duplicates: 4,
      quarantined: 2,
      quarantinedByReason: { PARSE_FIELD_COUNT: 2 },
    });
    expect(report.reconciled).toBe(true);
    expect(report.byKeyDay).toEqual({
      '2024-01-05': { objects: 2, missing: 0, failed: 0, bytes: 200, lines: 20, indexed: 14, duplicates: 4, quarantined: 2 },
      '2024-01-06': { objects: 0, missing: 1, failed: 1, bytes: 0, lines: 0, indexed: 0, duplicates: 0, quarantined: 0 },
    });
    expect(report.byEventDay['2024-01-05']).toEqual({ lines: 12, indexed: 6, duplicates: 4, quarantined: 2 });
    expect(report.failedObjects).toEqual([{ key: 'k4', keyTime: '2024-01-06T02:00:00.000Z', code: 'OBJECT_READ_FAILED', message: 'x', attempts: 3 }]);
    expect(summarize(report)).toContain('20 lines: 14 indexed, 4 duplicates, 2 quarantined; 1 missing, 1 failed');
  });
});
