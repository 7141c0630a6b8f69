import { describe, expect, it } from 'vitest';
import { DispatchingObjectProcessor } from '../../../src/pipeline/cloudtrail-object.js';
import type { ObjectProcessor, ObjectRef, ObjectResult } from '../../../src/pipeline/types.js';

/** A processor that only records which objects it was given (the routing is what is tested). */
class Recorder implements ObjectProcessor {
  readonly seen: string[] = [];
  process(ref: ObjectRef): Promise<ObjectResult> {
    this.seen.push(`${ref.bucket}/${ref.key}`);
    return Promise.resolve({
      ref,
      status: 'done',
      bytes: 0,
      lines: 0,
      blankLines: 0,
      indexed: 0,
      duplicates: 0,
      quarantined: 0,
      quarantinedByReason: {},
      errorEvents: 0,
      linesByDay: {},
      durationMs: 0,
    });
  }
}

describe('DispatchingObjectProcessor', () => {
  it('sends CloudTrail keys of CLOUDTRAIL_BUCKETS to the CloudTrail reader and everything else to the access-log reader', async () => {
    const access = new Recorder();
    const cloudTrail = new Recorder();
    const d = new DispatchingObjectProcessor(new Set(['trail']), access, cloudTrail);
    const ct = 'AWSLogs/123456789012/CloudTrail/eu-west-1/2026/01/01/123456789012_CloudTrail_eu-west-1_20260101T0100Z_abc.json.gz';
    const digest = 'pre/AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2026/01/01/x.json.gz';
    for (const [bucket, key] of [
      ['trail', ct],
      ['trail', digest],
      ['trail', 'access-logs/2026-01-01-01-00-00-ABCDEF0123456789'],
      ['logs', ct],
    ] as const)
      await d.process({ bucket, key });
    expect(cloudTrail.seen).toEqual([`trail/${ct}`, `trail/${digest}`]);
    expect(access.seen).toEqual(['trail/access-logs/2026-01-01-01-00-00-ABCDEF0123456789', `logs/${ct}`]);
  });
});
