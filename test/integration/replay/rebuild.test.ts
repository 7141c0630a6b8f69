/**
 * Rebuilding older months into a new mapping revision, end to end, with the commands
 * docs/operations/setup.md gives ("Rebuilding older months"): setup of a new INDEX_PREFIX, replay
 * of the same log objects into it, and `setup --take-alias-from` moving the read alias in one
 * atomic request. The old generation holds revision-3 documents under the revision-3 mapping
 * (test/fixtures/mappings/revision-3.json, the mapping as released before schema v2).
 */
import { readFileSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { buildEvent, PARSER_VERSION } from '../../../src/event/build.js';
import { shortDocumentId } from '../../../src/event/document-id.js';
import { MAPPING_REVISION } from '../../../src/event/mapping.js';
import { ensureIndexSetupWith, indexNameFor, verifyIndexSetup } from '../../../src/sinks/opensearch/setup.js';
import { corpusLines } from '../../bench/e2e-corpus.js';
import { emptyAndDeleteBucket } from '../../support/buckets.js';
import { stackEnv, stackSettings, uniqueName } from '../../support/stack-env.js';
import { createBucket, putObjects, s3Client, simpleKey } from './support.js';
import { runCli, type CliRun } from '../../support/cli.js';

const REVISION_3 = JSON.parse(readFileSync(new URL('../../fixtures/mappings/revision-3.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const LINES = 40;

const cli = (args: string[], env: Record<string, string>): Promise<CliRun> => runCli(args, env);

/** A revision-3 document: the fields revision 3 stored that this line gives (what the old release indexed). */
function revision3Doc(event: Record<string, unknown>): Record<string, unknown> {
  const e = event as { event: Record<string, unknown>; aws: { s3access: Record<string, unknown> } };
  const { module: _module, duration: _duration, ...ev } = e.event;
  const ip = e.aws.s3access.remote_ip as string | undefined;
  return {
    '@timestamp': event['@timestamp'],
    event: { ...ev, parser_version: 4 },
    cloud: event.cloud,
    ...(ip !== undefined ? { source: { ip, address: ip } } : {}),
    aws: { s3access: e.aws.s3access },
    log: event.log,
  };
}

describe('rebuilding older months into a new INDEX_PREFIX, then moving the read alias (CLI, moto + real node)', () => {
  let s3: S3Client;
  const os = new Client({ node: stackEnv().opensearchUrl });
  const logBucket = uniqueName('t-rebuild-logs');
  const oldPrefix = uniqueName('t-rb-old');
  const newPrefix = uniqueName('t-rb-new');
  const alias = uniqueName('t-rb-alias');
  const key = simpleKey('logs/', '2024-03-20T10:00:00Z', 'REBUILD0');
  const lines = [...corpusLines(LINES, 31)];
  const filePath = `s3://${logBucket}/${key}`;
  const expected = lines.map((line, i) => {
    const r = buildEvent({ number: i + 1, bytes: Buffer.from(line) }, { logBucket, filePath });
    if (!r.ok) throw new Error(`corpus line ${i + 1} does not parse`);
    return r.doc;
  });
  const env = (over: Record<string, string>): Record<string, string> => ({
    ...stackSettings(),
    INDEX_REPLICAS: '0',
    LOG_LEVEL: 'warn',
    LOG_BUCKETS: logBucket,
    RECORD_TIME_SKEW_DAYS: '36500',
    BULK_FLUSH_INTERVAL_MS: '100',
    ...over,
  });
  const count = async (target: string): Promise<number> => {
    await os.indices.refresh({ index: target, allow_no_indices: true, ignore_unavailable: true } as never);
    return ((await os.count({ index: target })).body as { count: number }).count;
  };
  const oldMapping = async (): Promise<unknown> => (await os.transport.request({ method: 'GET', path: `/${oldPrefix}-*/_mapping` })).body;

  beforeAll(async () => {
    s3 = s3Client();
    await createBucket(s3, logBucket);
    await putObjects(s3, logBucket, [{ key, body: `${lines.join('\n')}\n` }]);
    // The old generation, as the release before schema v2 left it.
    await ensureIndexSetupWith(
      os,
      { INDEX_PREFIX: oldPrefix, INDEX_ALIAS: alias, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 },
      createLogger('silent'),
      REVISION_3,
    );
    const body = expected.flatMap((d) => [
      { create: { _index: indexNameFor(oldPrefix, d.event['@timestamp']), _id: d.id } },
      revision3Doc(d.event as unknown as Record<string, unknown>),
    ]);
    const res = await os.bulk({ body, refresh: true });
    expect((res.body as { errors: boolean }).errors).toBe(false);
  });

  afterAll(async () => {
    for (const p of [oldPrefix, newPrefix]) {
      await os.transport.request({ method: 'DELETE', path: `/${p}-*` }, { ignore: [404] });
      await os.transport.request({ method: 'DELETE', path: `/_index_template/${p}` }, { ignore: [404] });
    }
    await emptyAndDeleteBucket(s3, logBucket);
    await os.close();
  });

  it('setup of this release over the old prefix changes nothing: the old indices cannot take the new mapping', async () => {
    const before = await oldMapping();
    const run = await cli(['setup'], env({ INDEX_PREFIX: oldPrefix, INDEX_ALIAS: alias }));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Rebuild into a new INDEX_PREFIX');
    expect(await oldMapping()).toEqual(before);
  });

  it('a new prefix inside the old pattern is refused before anything is written', async () => {
    const run = await cli(['setup', '--take-alias-from', oldPrefix], env({ INDEX_PREFIX: `${oldPrefix}-v2`, INDEX_ALIAS: alias }));
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('overlap');
    const template = await os.transport.request({ method: 'GET', path: `/_index_template/${oldPrefix}-v2` }, { ignore: [404] });
    expect(template.statusCode).toBe(404);
  });

  it('setup, replay and the alias move leave the alias on exactly one generation, every record once, the old indices untouched', async () => {
    const oldBefore = await oldMapping();
    // 1. The new generation, under a private alias while it fills.
    const rebuilding = env({ INDEX_PREFIX: newPrefix, INDEX_ALIAS: `${newPrefix}-rebuilding` });
    expect((await cli(['setup'], rebuilding)).code).toBe(0);
    // 2. The same log objects, replayed into it.
    const replay = ['replay', '--bucket', logBucket, '--prefix', 'logs/', '--from', '2024-03-20', '--to', '2024-03-21', '--report', '-'];
    const first = await cli(replay, rebuilding);
    expect(first.stderr).not.toMatch(/"level":(50|60)/);
    expect(first.code).toBe(0);
    expect(await count(`${newPrefix}-*`)).toBe(LINES);
    // Analysts still read the old generation.
    expect(await count(alias)).toBe(LINES);
    expect(((await os.search({ index: alias, body: { size: 1 } })).body as { hits: { hits: { _index: string }[] } }).hits.hits[0]?._index).toMatch(
      new RegExp(`^${oldPrefix}-`),
    );

    // 3. The alias moves in one request.
    const moved = await cli(['setup', '--take-alias-from', oldPrefix], env({ INDEX_PREFIX: newPrefix, INDEX_ALIAS: alias }));
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain(`taken from ${oldPrefix}-2024.03, ${oldPrefix}-2024.04`);

    const res = await os.search({ index: alias, body: { size: 100, query: { match_all: {} } } });
    const hits = (res.body as { hits: { hits: { _id: string; _index: string; _source: { event: { parser_version: number } } }[] } }).hits.hits;
    // A new generation has the short ids in every month (src/event/document-id.ts); the old one keeps its hex ids.
    expect(hits.map((h) => h._id).sort()).toEqual(expected.map((d) => shortDocumentId(d.id)).sort());
    expect(new Set(hits.map((h) => h._index))).toEqual(new Set(expected.map((d) => indexNameFor(newPrefix, d.event['@timestamp']))));
    expect(new Set(hits.map((h) => h._source.event.parser_version))).toEqual(new Set([PARSER_VERSION]));
    // v2 names answer through the alias: an ECS alias field and a nested-safe query.
    const first3 = expected[3]!.event.aws.s3access.remote_ip!;
    expect(await os.count({ index: alias, body: { query: { term: { 'client.ip': first3 } } } }).then((r) => (r.body as { count: number }).count)).toBe(1);

    // The old generation is evidence: same documents, same mapping, out of the alias.
    expect(await count(`${oldPrefix}-*`)).toBe(LINES);
    expect(await oldMapping()).toEqual(oldBefore);
    const oldAliases = (await os.transport.request({ method: 'GET', path: `/${oldPrefix}-*/_alias` })).body as Record<string, { aliases: object }>;
    expect(Object.values(oldAliases).every((v) => !Object.hasOwn(v.aliases, alias))).toBe(true);

    // Workers of this release with the new prefix and the old alias start.
    const verified = await verifyIndexSetup(
      os,
      { INDEX_PREFIX: newPrefix, INDEX_ALIAS: alias, INDEX_SHARDS: 1, INDEX_REPLICAS: 0, RETENTION_DAYS: 2192 },
      createLogger('silent'),
    );
    expect(verified.problems).toEqual([]);
    expect(verified.template.state === 'matches' && verified.template.revision).toBe(MAPPING_REVISION);

    // 4. The catch-up replay (objects delivered while the old workers still ran) adds nothing twice.
    const again = await cli([...replay, '--restart'], env({ INDEX_PREFIX: newPrefix, INDEX_ALIAS: alias }));
    expect(again.code).toBe(0);
    expect(await count(alias)).toBe(LINES);
  });
});
