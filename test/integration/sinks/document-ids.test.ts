/**
 * The document id cutover on a real node: `setup` chooses it once and records it in the template
 * and on every monthly index; the worker's sink takes it from the verified template; a month
 * before it keeps hex ids, a month from it on gets short ids, and a record delivered again in
 * either is the same document.
 */
import { readFileSync } from 'node:fs';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { ALL_MONTHS_SHORT, shortDocumentId } from '../../../src/event/document-id.js';
import { idCutoversOfIndices } from '../../../src/sinks/opensearch/document-ids.js';
import { assertIndexSetup, ensureIndexSetupWith } from '../../../src/sinks/opensearch/setup.js';
import { ensureIndexTemplate } from '../../../src/sinks/opensearch/template.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { dropPrefix, MAPPINGS, Outcomes, smallIndexer, testDoc } from './support.js';

const logger = createLogger('silent');
const DEC_28 = Date.parse('2026-12-28T00:00:00Z');
/** The access mapping as revision 6 released it, before the id cutover and the revision-7 parameters. */
const REVISION_6 = JSON.parse(readFileSync(new URL('../../fixtures/mappings/revision-6.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('document id cutover (real node)', () => {
  const client = new Client({ node: stackEnv().opensearchUrl });
  const prefixes: string[] = [];
  const settingsOf = (prefix: string) => ({ INDEX_PREFIX: prefix, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 });
  const indexer = (prefix: string) => smallIndexer(client, prefix, logger, { idsByMonth: true });
  /** A prefix as the release before this one left it: its template (no cutover) and a written month. */
  const oldDeployment = async (months: string[]): Promise<string> => {
    const prefix = uniqueName('t-ids');
    prefixes.push(prefix);
    await ensureIndexTemplate(client, settingsOf(prefix), REVISION_6, logger, 6);
    for (const m of months) await client.transport.request({ method: 'PUT', path: `/${prefix}-${m}` });
    return prefix;
  };
  const ids = async (prefix: string): Promise<Record<string, string[]>> => {
    await client.indices.refresh({ index: `${prefix}-*` });
    const res = await client.search({ index: `${prefix}-*`, body: { size: 100, _source: false, sort: [{ '@timestamp': 'asc' }] } });
    const out: Record<string, string[]> = {};
    for (const h of res.body.hits.hits) (out[String(h._index)] ??= []).push(String(h._id));
    return out;
  };

  afterAll(async () => {
    for (const p of prefixes) await dropPrefix(client, p);
    await client.close();
  });

  it('a fresh prefix has short ids in every month; a second setup keeps the cutover', async () => {
    const prefix = uniqueName('t-ids-fresh');
    prefixes.push(prefix);
    const first = await ensureIndexSetupWith(client, settingsOf(prefix), logger, MAPPINGS, { now: DEC_28 });
    expect(first.idCutover).toEqual(ALL_MONTHS_SHORT);
    // Run again later, with indices written: the recorded cutover stands.
    const sink = indexer(prefix);
    sink.useIdCutover((await assertIndexSetup(client, settingsOf(prefix), logger)).idCutover);
    const doc = testDoc(prefix, 1, '2019-05-10T10:00:00Z');
    const outcomes = new Outcomes();
    await sink.write(doc, outcomes);
    await sink.close();
    const again = await ensureIndexSetupWith(client, settingsOf(prefix), logger, MAPPINGS, { now: DEC_28 + 400 * 86_400_000 });
    expect(again).toMatchObject({ idCutover: ALL_MONTHS_SHORT, templateResult: 'unchanged' });
    expect(await ids(prefix)).toEqual({ [`${prefix}-2019.05`]: [shortDocumentId(doc.id)] });
  });

  it('an existing deployment keeps hex ids up to the month after the margin and its latest index; a redelivery is the same document', async () => {
    const prefix = await oldDeployment(['2026.11']);
    const report = await ensureIndexSetupWith(client, settingsOf(prefix), logger, MAPPINGS, { now: DEC_28 });
    // Dec 28 + 7 days is in January: February is the first month no older worker may still be writing.
    expect(report).toMatchObject({ idCutover: { shortFrom: '2027.02' }, templateResult: 'updated', existingIndicesUpdated: true });
    // The existing index records the cutover too: any index says which form its ids have.
    const recorded = await idCutoversOfIndices(client, [`${prefix}-2026.11`]);
    expect(recorded.get(`${prefix}-2026.11`)).toEqual({ shortFrom: '2027.02' });

    const verified = await assertIndexSetup(client, settingsOf(prefix), logger);
    expect(verified.idCutover).toEqual({ shortFrom: '2027.02' });
    const docs = [testDoc(prefix, 1, '2026-11-30T23:59:59Z'), testDoc(prefix, 2, '2027-01-31T23:59:59Z'), testDoc(prefix, 3, '2027-02-01T00:00:00Z')];
    for (let round = 0; round < 2; round++) {
      const sink = indexer(prefix);
      // Refused until the form is known: a guess could give a redelivered record a second id.
      await expect(sink.write(docs[0]!, new Outcomes())).rejects.toMatchObject({ code: 'SETUP_MISMATCH' });
      sink.useIdCutover(verified.idCutover);
      const outcomes = new Outcomes();
      for (const d of docs) await sink.write(d, outcomes);
      await sink.close();
      expect(outcomes.count(round === 0 ? 'indexed' : 'duplicate')).toBe(3);
    }
    // The existing month kept the parameters it was created with (OpenSearch refuses to change
    // them); the new months have revision 7's. The field is queryable in both.
    const offsetOf = async (index: string): Promise<unknown> =>
      ((await client.indices.getMapping({ index })).body[index]?.mappings.properties as { log: { properties: { offset: unknown } } }).log.properties.offset;
    expect(await offsetOf(`${prefix}-2026.11`)).toEqual({ type: 'long' });
    expect(await offsetOf(`${prefix}-2027.02`)).toEqual({ type: 'long', index: false });
    await client.indices.refresh({ index: `${prefix}-*` });
    const byOffset = await client.count({ index: `${prefix}-*`, body: { query: { range: { 'log.offset': { gte: 1, lte: 3 } } } } });
    expect(byOffset.body.count).toBe(3);
    expect(await ids(prefix)).toEqual({
      [`${prefix}-2026.11`]: [docs[0]!.id],
      [`${prefix}-2027.01`]: [docs[1]!.id],
      [`${prefix}-2027.02`]: [shortDocumentId(docs[2]!.id)],
    });
  });

  it('a template deleted and set up again takes the cutover back from the monthly indices, never a later one', async () => {
    const prefix = await oldDeployment(['2026.11']);
    expect((await ensureIndexSetupWith(client, settingsOf(prefix), logger, MAPPINGS, { now: DEC_28 })).idCutover).toEqual({ shortFrom: '2027.02' });
    await client.transport.request({ method: 'PUT', path: `/${prefix}-2027.03` });
    await client.transport.request({ method: 'DELETE', path: `/_index_template/${prefix}` });
    // Months later: without the record on the indices, the margin rule would now give 2027.06.
    const again = await ensureIndexSetupWith(client, settingsOf(prefix), logger, MAPPINGS, { now: Date.parse('2027-05-01T00:00:00Z') });
    expect(again).toMatchObject({ idCutover: { shortFrom: '2027.02' }, templateResult: 'created' });
  });

  it('a month already written past the margin (a late or skewed record) keeps hex ids too', async () => {
    const prefix = await oldDeployment(['2026.11', '2027.05']);
    const report = await ensureIndexSetupWith(client, settingsOf(prefix), logger, MAPPINGS, { now: DEC_28 });
    expect(report.idCutover).toEqual({ shortFrom: '2027.06' });
  });
});
