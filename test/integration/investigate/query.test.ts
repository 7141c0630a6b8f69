import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Output } from '../../../src/cli/investigate-common.js';
import { runQuery } from '../../../src/cli/query.js';
import { collectReport, renderReport } from '../../../src/cli/report.js';
import { CSV_COLUMNS } from '../../../src/investigate/format/csv.js';
import { buildQuery, parseTarget, type Scope, type Target } from '../../../src/investigate/queries.js';
import { searchHits } from '../../../src/investigate/search.js';
import { dropPrefix } from '../sinks/support.js';
import { pdfText } from '../../support/pdf-text.js';
import { stackEnv, uniqueName } from '../../support/stack-env.js';
import { ACCT, ANA, BRUNO, bulkReads, C1, C2, indexEvents, LINES, R1, R2, REQ, scenarioEvents } from './fixture.js';
import { runCli, type CliRun } from '../../support/cli.js';

const DEFAULTS: Scope = { includeSelf: false, includeService: false };

function target(form: string, arg?: string): Target {
  const t = parseTarget(form, arg);
  if (!t.ok) throw new Error(t.problem);
  return t.value;
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
  runCli(args, { OPENSEARCH_URL: stackEnv().opensearchUrl, LOG_LEVEL: 'warn', AWS_REGION: 'us-east-1', ...env });

describe('recording-audit query and report on the real node', () => {
  const client = new Client({ node: stackEnv().opensearchUrl });
  const prefix = uniqueName('t-investigate');
  const scenario = scenarioEvents();
  // More than one page (1000) of the CLI's --all, so its point in time is paged through.
  const bulk = bulkReads(2100);
  const tmp = mkdtempSync(join(tmpdir(), 'ra-investigate-'));
  /** Request ids of the events a query returns, in order (the fixture numbers them by time). */
  const idsOf = (text: string): string[] =>
    text
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { aws: { s3access: { request_id: string } } }).aws.s3access.request_id);
  const reqOf = (t: number): string => `REQ${String(t).padStart(4, '0')}`;
  const ask = async (t: Target, scope: Scope = DEFAULTS, format: 'ndjson' | 'csv' | 'table' = 'ndjson', limit: number | undefined = 1000) => {
    const out = new Collect();
    const res = await runQuery({ client, index: prefix, target: t, scope, limit, format, zone: 'Europe/Berlin', output: new Output(out) });
    return { ...res, text: out.text };
  };

  beforeAll(async () => {
    await indexEvents(client, prefix, [...scenario, ...bulk]);
  });

  afterAll(async () => {
    rmSync(tmp, { recursive: true, force: true });
    await dropPrefix(client, prefix);
    await client.close();
  });

  it('conversation: people and refusals; recording-audit itself and the export uploads only when asked for', async () => {
    const window: Scope = { ...DEFAULTS, to: '2024-05-14T10:00:00Z' };
    const def = await ask(target('conversation', C1), window);
    expect(idsOf(def.text)).toEqual([60, 61, 120, 180].map(reqOf));
    expect(def.excluded).toEqual([
      { reason: 'self', count: 1 },
      { reason: 'service', count: 2 },
    ]);
    expect(idsOf((await ask(target('conversation', C1), { ...window, includeSelf: true })).text)).toEqual([10, 60, 61, 120, 180].map(reqOf));
    expect(idsOf((await ask(target('conversation', C1), { ...window, includeSelf: true, includeService: true })).text)).toEqual(
      [0, 1, 10, 60, 61, 120, 180].map(reqOf),
    );
  });

  it('recording: a service read and a delete stay; lifecycle expiry is routine', async () => {
    expect(idsOf((await ask(target('recording', R2))).text)).toEqual([240, 300, 301, 400].map(reqOf));
    expect(idsOf((await ask(target('recording', R2), { ...DEFAULTS, includeService: true })).text)).toEqual([2, 240, 300, 301, 400, 500].map(reqOf));
  });

  it('principal: by email (any case), role/session pattern, role ARN and exact requester', async () => {
    const sup = idsOf((await ask(target('principal', 'DAN.OKAFOR@Example-Health.org'), { ...DEFAULTS, to: '2024-05-14T10:00:00Z' })).text);
    expect(sup).toEqual([60, 61, 301].map(reqOf));
    expect(idsOf((await ask(target('principal', 'AWSReservedSSO_Agent_0a1b/*'))).text)).toEqual([120, 300].map(reqOf));
    expect(idsOf((await ask(target('principal', 'AWSReservedSSO_Agent_0a1b/jose.lopez@example-health.org'))).text)).toEqual([reqOf(300)]);
    expect(idsOf((await ask(target('principal', `arn:aws:iam::${ACCT}:role/qa-playback`))).text)).toEqual([reqOf(240)]);
    expect(idsOf((await ask(target('principal', REQ.contractor))).text)).toEqual([reqOf(180)]);
  });

  it("agent: by user id or by name in any case and without accents, leaving out the agent's own reads", async () => {
    const window: Scope = { ...DEFAULTS, to: '2024-05-14T10:00:00Z' };
    const byId = await ask(target('agent', ANA), window);
    expect(idsOf(byId.text)).toEqual([60, 61, 180].map(reqOf));
    expect(byId.progress.dropped).toBe(1);
    expect(idsOf((await ask(target('agent', 'ana silva'), window)).text)).toEqual([60, 61, 180].map(reqOf));
    // Ana's read is someone else's for Bruno.
    expect(idsOf((await ask(target('agent', BRUNO), window)).text)).toEqual([60, 61, 120, 180].map(reqOf));
    const jose = await ask(target('agent', 'JOSE LOPEZ'));
    expect(idsOf(jose.text)).toEqual([240, 301, 400].map(reqOf));
    expect(jose.progress.dropped).toBe(1);
  });

  it('ip: an address and a CIDR block on source.ip', async () => {
    expect(idsOf((await ask(target('ip', '192.0.2.200'))).text)).toEqual([reqOf(180)]);
    const block = idsOf((await ask(target('ip', '10.20.4.0/24'), { ...DEFAULTS, to: '2024-05-14T10:00:00Z' })).text);
    expect(block).toEqual([60, 61, 120, 300, 301].map(reqOf));
  });

  it('denied, deletions and presigned', async () => {
    expect(idsOf((await ask(target('denied'))).text)).toEqual([reqOf(180)]);
    expect(idsOf((await ask(target('deletions'))).text)).toEqual([reqOf(400)]);
    expect(idsOf((await ask(target('deletions'), { ...DEFAULTS, includeService: true })).text)).toEqual([400, 500].map(reqOf));
    const presigned = await ask(target('presigned'), DEFAULTS, 'csv');
    const [header, record] = presigned.text.split('\r\n');
    expect(header).toBe(CSV_COLUMNS.map((c) => c.name).join(','));
    const cells = record!.split(',');
    const col = (name: string): string => cells[CSV_COLUMNS.findIndex((c) => c.name === name)]!;
    expect(col('presigned')).toBe('true');
    expect(col('presigned_access_key_id')).toBe('ASIA4EXAMPLE7Q2BZ6KD');
    expect(col('actor')).toBe('qa-playback/presigner');
    expect(col('agent_names')).toBe('José López');
    expect(col('timestamp_local')).toBe('2024-05-14T11:04:00+02:00');
    expect(col('document_id')).toBe(scenario[LINES.findIndex((l) => l.t === 240)]!.id);
  });

  it('csv neutralizes a formula in a user agent; ndjson carries _id; table labels HEAD and shows both times', async () => {
    const csv = (await ask(target('recording', R2), DEFAULTS, 'csv')).text;
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    const nd = (await ask(target('conversation', C1), { ...DEFAULTS, to: '2024-05-14T10:00:00Z' })).text.split('\n')[0]!;
    const first = JSON.parse(nd) as { _id: string; _index: string };
    expect(first._id).toBe(scenario[LINES.findIndex((l) => l.t === 60)]!.id);
    expect(first._index).toBe(`${prefix}-2024.05`);
    const table = (await ask(target('conversation', C1), { ...DEFAULTS, to: '2024-05-14T10:00:00Z' }, 'table')).text.split('\n');
    expect(table[0]).toMatch(/^TIME \(UTC\)\s+TIME \(Europe\/Berlin\)\s+SOURCE\s+ACTOR\s+KIND\s+OPERATION\s+OUTCOME\s+IP\s+RECORDING\s+AGENTS$/);
    expect(table[1]).toMatch(/^2024-05-14 09:01:00Z {2}2024-05-14 11:01:00\+02:00 {2}s3 +dan.okafor@example-health.org/);
    expect(table[1]).toContain('REST.HEAD.OBJECT (HEAD only)');
    expect(table[1]).toContain('Ana Silva, Bruno Díaz');
    expect(table[4]).toContain('failure 403 AccessDenied');
  });

  it('--all pages through a point in time in order, each event once; --limit stops across pages', async () => {
    const query = buildQuery(target('principal', 'dan.okafor@example-health.org'), DEFAULTS);
    const seen: string[] = [];
    let previous: [string, string] | undefined;
    for await (const hit of searchHits(client, { index: prefix, query, pageSize: 250 })) {
      const key: [string, string] = [hit.row.timestamp!, hit.row.hash!];
      if (previous !== undefined) expect(key[0] > previous[0] || (key[0] === previous[0] && key[1] > previous[1])).toBe(true);
      previous = key;
      seen.push(hit.row.id);
    }
    expect(seen).toHaveLength(3 + bulk.length);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(3)).toEqual(bulk.map((d) => d.id));
    const limited: string[] = [];
    for await (const hit of searchHits(client, { index: prefix, query, pageSize: 3, limit: 10 })) limited.push(hit.row.id);
    expect(limited).toEqual(seen.slice(0, 10));
  });

  it('report: the accounting of C1 in HTML, PDF and CSV, with evidence', async () => {
    const model = await collectReport(client, {
      index: prefix,
      conversationId: C1,
      scope: { ...DEFAULTS, to: '2024-05-14T10:00:00Z' },
      now: () => new Date('2024-06-01T12:00:00Z'),
      osUser: 'auditor',
    });
    expect(model.rows.map((r) => r.id)).toEqual([60, 61, 120, 180].map((t) => scenario[LINES.findIndex((l) => l.t === t)]!.id));
    expect(model.recordings.map((r) => [r.id, r.files])).toEqual([[R1, ['media']]]);
    expect(model.participants.map((p) => p.name ?? p.purpose)).toEqual(['Ana Silva', 'Bruno Díaz', 'customer']);
    expect(model.persons.map((p) => [p.actor, p.reads, p.headOnly, p.denied])).toEqual([
      ['dan.okafor@example-health.org', 1, 1, 0],
      ['ana.silva@example-health.org', 1, 0, 0],
      ['arn:aws:iam::123456789012:user/contractor-temp', 0, 0, 1],
    ]);
    const html = (await renderReport(model, 'html')) as string;
    expect(html).toContain(model.rows[0]!.hash!);
    expect(html).toContain(`s3://log-bucket/access-logs/2024-05-14-12-00-00-INVESTIGATE`);
    const pdf = (await pdfText((await renderReport(model, 'pdf')) as Buffer)).join('\n').replace(/ +/g, ' ');
    for (const r of model.rows) expect(pdf).toContain(`event.hash ${r.hash!} document id ${r.id}`);
    expect(pdf).toContain(`recording-audit verify --conversation ${C1}`);
    expect(pdf).toContain('Ana Silva (agent)');
    const csv = (await renderReport(model, 'csv')) as string;
    expect(csv.split('\r\n').filter((l) => l !== '')).toHaveLength(1 + 4);
  });

  describe('the CLI', () => {
    it('prints a table and exits 0; exits 1 when nothing matches', async () => {
      const found = await cli(['query', 'conversation', C1, '--index', prefix, '--to', '2024-05-14T10:00:00Z']);
      expect(found.code).toBe(0);
      expect(found.stdout.split('\n')[0]).toMatch(/^TIME \(UTC\)\s+SOURCE\s+ACTOR/);
      expect(found.stderr).toBe("4 events; 1 of recording-audit's own left out (--include-self); 2 routine service writes left out (--include-service)\n");
      const none = await cli(['query', 'conversation', C2, '--index', prefix, '--from', '2030-01-01']);
      expect(none.code).toBe(1);
      expect(none.stdout).toBe('');
    });

    it('--all and --limit: all events, or the first N with a note', async () => {
      const all = await cli(['query', 'principal', 'dan.okafor@example-health.org', '--index', prefix, '--all', '--format', 'ndjson']);
      expect(all.code).toBe(0);
      expect(all.stdout.trim().split('\n')).toHaveLength(3 + bulk.length);
      expect(
        new Set(
          all.stdout
            .trim()
            .split('\n')
            .map((l) => (JSON.parse(l) as { _id: string })._id),
        ).size,
      ).toBe(3 + bulk.length);
      const some = await cli(['query', 'principal', 'dan.okafor@example-health.org', '--index', prefix, '--limit', '5', '--format', 'csv']);
      expect(some.stdout.split('\r\n').filter((l) => l !== '')).toHaveLength(6);
      expect(some.stderr).toContain(`5 of ${3 + bulk.length} events shown (raise --limit or use --all)`);
    });

    it('usage errors exit 64', async () => {
      for (const args of [
        ['query'],
        ['query', 'who'],
        ['query', 'ip', 'not-an-ip'],
        ['query', 'denied', '--tz', 'Mars/Base'],
        ['query', 'denied', '--all', '--limit', '3'],
        ['query', 'denied', '--from', 'yesterday'],
      ]) {
        const run = await cli([...args, '--index', prefix]);
        expect(run.code, args.join(' ')).toBe(64);
      }
      expect((await cli(['report', '--conversation', C1, '--format', 'docx', '--out', join(tmp, 'x')])).code).toBe(64);
    });

    it('a missing index and an unreachable node are one line each, without a stack trace', async () => {
      const missing = await cli(['query', 'denied', '--index', `${prefix}-nope`]);
      expect(missing.code).toBe(66);
      expect(missing.stderr).toBe(
        `recording-audit query: OpenSearch at ${new URL(stackEnv().opensearchUrl).origin} has no index or alias "${prefix}-nope" (check INDEX_ALIAS / INDEX_PREFIX / --index; has the worker indexed anything yet?)\n`,
      );
      const down = await cli(['query', 'denied', '--index', prefix], { OPENSEARCH_URL: 'http://127.0.0.1:9' });
      expect(down.code).toBe(69);
      expect(down.stderr.trim().split('\n')).toHaveLength(1);
      expect(down.stderr).toMatch(/^recording-audit query: OpenSearch at http:\/\/127\.0\.0\.1:9 is not reachable: /);
      const report = await cli(['report', '--conversation', C1, '--format', 'html', '--out', join(tmp, 'r.html'), '--index', `${prefix}-nope`]);
      expect(report.code).toBe(66);
      expect(report.stderr.trim().split('\n')).toHaveLength(1);
    });

    it('report writes the file', async () => {
      const out = join(tmp, 'c1.pdf');
      const run = await cli(['report', '--conversation', C1, '--format', 'pdf', '--out', out, '--index', prefix]);
      expect(run.code).toBe(0);
      expect(readFileSync(out).subarray(0, 5).toString()).toBe('%PDF-');
      expect(run.stderr).toContain(`events for conversation ${C1}; pdf report written to ${out}`);
    });
  });
});
