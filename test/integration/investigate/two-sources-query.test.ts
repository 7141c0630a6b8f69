import { Writable } from 'node:stream';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Output } from '../../../src/cli/investigate-common.js';
import { runQuery, summaryLine } from '../../../src/cli/query.js';
import { collectReport } from '../../../src/cli/report.js';
import { CSV_COLUMNS } from '../../../src/investigate/format/csv.js';
import { parseTarget, type Scope, type Target } from '../../../src/investigate/queries.js';
import { linkPass } from '../../../src/sinks/opensearch/link.js';
import { createLogger } from '../../../src/core/log.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { accessEvent, cloudTrailEvent, dropAll, indexBoth, rid, setupPrefix } from './two-sources.js';

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const CID = 'c0c0c0c0-0000-4000-8000-000000000042';
const at = (hhmmss: string): string => `2026-01-01T${hhmmss}.000Z`;
const scope: Scope = { includeSelf: false, includeService: false };

describe('query and report: one request in two sources is one access', () => {
  const client = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-twins');
  const conv = { organization: { id: 'o' }, conversation: { id: CID } };
  const pairAccess = accessEvent({ id: rid('pair'), time: at('10:00:00') });
  const pairTrail = cloudTrailEvent({ id: rid('pair'), time: at('10:00:01') });
  const lostAccess = cloudTrailEvent({ id: rid('ct-only'), time: at('10:01:00') });
  const lostTrail = accessEvent({ id: rid('s3-only'), time: at('10:02:00') });
  for (const d of [pairAccess, lostTrail]) d.event.genesys = { ...conv };
  for (const d of [pairTrail, lostAccess]) d.event.genesys = { ...conv };

  beforeAll(async () => {
    await setupPrefix(client, prefix);
    await indexBoth(client, prefix, [pairAccess, lostTrail], [pairTrail, lostAccess]);
  });
  afterAll(async () => {
    await dropAll(client, prefix);
    await client.close();
  });

  const target = (form: string, arg: string): Target => {
    const t = parseTarget(form, arg);
    if (!t.ok) throw new Error(t.problem);
    return t.value;
  };
  const ask = async (format: 'table' | 'csv' | 'ndjson') => {
    const out = new Collect();
    const res = await runQuery({
      client,
      index: prefix,
      target: target('conversation', CID),
      scope,
      limit: 100,
      format,
      zone: undefined,
      output: new Output(out),
    });
    return { ...res, text: out.text };
  };

  const check = async (): Promise<void> => {
    const csv = await ask('csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.map((c) => c.name).join(','));
    const col = (line: string, name: string): string => line.split(',')[CSV_COLUMNS.findIndex((c) => c.name === name)]!;
    expect(lines.slice(1).map((l) => [col(l, 'source'), col(l, 'request_id'), col(l, 'twin_document_ids')])).toEqual([
      ['s3+ct', rid('pair'), pairTrail.id],
      ['ct', rid('ct-only'), ''],
      ['s3', rid('s3-only'), ''],
    ]);
    expect(csv.twins.collapsed).toBe(1);
    expect(summaryLine(csv.progress, csv.excluded, target('conversation', CID), 100, csv.twins)).toBe(
      '4 events; 1 CloudTrail event shown in the row of their access-log twin (s3+ct)\n',
    );
    const table = await ask('table');
    expect(table.text.split('\n').filter((l) => l.includes('s3+ct'))).toHaveLength(1);
    const nd = (await ask('ndjson')).text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(nd).toHaveLength(3);
    expect(nd[0]).toMatchObject({ _id: pairAccess.id, _sources: ['aws.s3access', 'aws.cloudtrail'], _twins: [{ _id: pairTrail.id }] });

    const model = await collectReport(client, { index: prefix, conversationId: CID, scope, now: () => new Date(at('12:00:00')), osUser: 't' });
    expect(model.rows.map((r) => r.id)).toEqual([pairAccess.id, lostAccess.id, lostTrail.id]);
  };

  it('before the linker has run', check);

  it('and after it (the same rows)', async () => {
    expect(await linkPass({ client, index: prefix, from: at('00:00:00'), to: at('23:00:00'), logger: createLogger('silent'), refresh: true })).toMatchObject({
      linked: 1,
    });
    await check();
  });
});
