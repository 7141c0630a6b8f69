// The README's first command. It broke once without any test noticing: a new admission rule sent
// every demo record to quarantine. This runs it as a user does, on the stack the suite already has,
// with an index prefix of its own, and then reads back what the worker indexed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timelineViolations, type TimelineEvent } from '../../src/sim/s3-logs/timeline.js';
import { uniqueName } from '../support/stack-env.js';
import { allDocuments, openSearch } from '../support/worker-harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const prefix = uniqueName('t-demo');

const get = (obj: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
const str = (obj: unknown, path: string): string | undefined => {
  const v = get(obj, path);
  return typeof v === 'string' ? v : undefined;
};
const ms = (v: string | undefined): number | undefined => (v === undefined ? undefined : Date.parse(v));

/** An indexed access event as the timeline rules see it. */
function timelineOf(id: string, doc: Record<string, unknown>): TimelineEvent {
  const status = get(doc, 'aws.s3access.http_status');
  const presigned = get(doc, 'aws.s3.presigned');
  return {
    ref: id,
    key: str(doc, 'aws.s3.object.key') ?? '',
    timeMs: Date.parse(str(doc, '@timestamp') ?? ''),
    operation: str(doc, 'aws.s3access.operation') ?? '',
    httpStatus: typeof status === 'number' ? status : undefined,
    presigned: presigned === undefined ? undefined : { signedAtMs: ms(str(presigned, 'signed_at')), expiresAtMs: ms(str(presigned, 'expires_at')) },
  };
}

describe('npm run demo', () => {
  let out: { code: number | null; stdout: string };
  const os = openSearch();

  beforeAll(async () => {
    out = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, LOG_LEVEL: 'error', DEMO_INDEX_PREFIX: prefix },
      });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });
  }, 180_000);

  afterAll(async () => {
    await os.indices
      .delete({ index: `${prefix}-*,${prefix}.genesys-*,${prefix}.cloudtrail-*`, ignore_unavailable: true, allow_no_indices: true })
      .catch(() => undefined);
    await os.indices.deleteIndexTemplate({ name: prefix }).catch(() => undefined);
    await os.indices.deleteIndexTemplate({ name: `${prefix}.genesys` }).catch(() => undefined);
    await os.indices.deleteIndexTemplate({ name: `${prefix}.cloudtrail` }).catch(() => undefined);
    await os.close();
  });

  it('indexes every record of its day, quarantines none, and prints the summary', () => {
    expect(out.code, out.stdout).toBe(0);
    const done = /Worker done in [\d.]+ s: (\{.*\})/.exec(out.stdout);
    expect(done, out.stdout).not.toBeNull();
    const totals = JSON.parse(done![1]!) as { lines: number; indexed: number; quarantined: number; deleted: number; messages: number };
    expect(totals.lines).toBeGreaterThan(1000);
    expect(totals).toMatchObject({ indexed: totals.lines, quarantined: 0, deleted: totals.messages });
    // The worker's lines are the access-log records and the CloudTrail records.
    const trail = /Wrote \d+ CloudTrail files \((\d+) S3 data events\)/.exec(out.stdout);
    expect(trail, out.stdout).not.toBeNull();
    expect(out.stdout).toContain(`== ${totals.lines - Number(trail![1])} access events in index alias "${prefix}" from this run`);
    expect(out.stdout).toMatch(/Enrichment: resolved \d+/);
    expect(out.stdout).toMatch(/Denied or failed requests \([1-9]\d*\):/);
  });

  it("names the Genesys user of at least 95% of the human S3 accesses (the scenario's people exist in Genesys)", () => {
    const m = /People: (\d+) of (\d+) human accesses name their Genesys user/.exec(out.stdout);
    expect(m, out.stdout).not.toBeNull();
    const [attributed, humans] = [Number(m![1]), Number(m![2])];
    expect(humans).toBeGreaterThan(100);
    expect(attributed / humans).toBeGreaterThanOrEqual(0.95);
  });

  it("reads the day's Genesys audit trail and shows S3 and Genesys accesses of one call in one timeline", async () => {
    const m = /Read (\d+) Genesys audit messages .* into (\S+)\.genesys-2024\.05; each results page kept first in s3:\/\/(\S+) under Object Lock\./.exec(
      out.stdout,
    );
    expect(m, out.stdout).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(8);
    const timeline = /Conversation (\S+), both sources in one timeline[^\n]*\n((?: {2}.*\n)+)/.exec(out.stdout);
    expect(timeline, out.stdout).not.toBeNull();
    const rows = timeline![2]!
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '');
    // Requests in both the access log and CloudTrail are one row.
    expect(rows.some((r) => /^ {2}\S+ \S+\s+s3\+ct /.test(r))).toBe(true);
    expect(rows.filter((r) => /^ {2}\S+ \S+\s+genesys /.test(r)).length).toBeGreaterThanOrEqual(4);
    expect(rows.some((r) => r.includes('Export'))).toBe(true);
    // The suggested investigation is that call, and the person who acted in both sources.
    expect(out.stdout).toContain(`recording-audit query conversation ${timeline![1]!}`);
    expect(out.stdout).toContain('recording-audit query person maria.gonzalez@example-health.org');
    const audits = await os.count({
      index: prefix,
      body: { query: { bool: { filter: [{ term: { 'event.dataset': 'genesys.audit' } }, { term: { 'genesys.conversation.id': timeline![1]! } }] } } },
    } as never);
    expect((audits.body as { count: number }).count).toBeGreaterThanOrEqual(4);
  });

  it('indexed a causal history: per key, nothing before its upload or after its deletion; presigned URLs used while valid', async () => {
    const bucket = /\(this run's log objects: (s3:\/\/[^/]+\/)\)/.exec(out.stdout)?.[1];
    expect(bucket, out.stdout).toBeDefined();
    const docs = [...(await allDocuments(os, `${prefix}-*`))].filter(
      ([, d]) => str(d, 'event.kind') === 'event' && str(d, 'log.file.path')?.startsWith(bucket!),
    );
    expect(docs.length).toBeGreaterThan(1000);
    const events = docs.map(([id, d]) => timelineOf(id, d));
    expect(events.filter((e) => e.presigned !== undefined).length).toBeGreaterThan(0);
    expect(events.filter((e) => e.operation === 'REST.DELETE.OBJECT').length).toBeGreaterThan(0);
    expect(timelineViolations(events)).toEqual([]);
  });

  it('closes with query, report and verify commands naming ids that are in the index', async () => {
    const cmd = (form: string): string => {
      const m = new RegExp(`^ {2}recording-audit ${form} (\\S+)`, 'm').exec(out.stdout);
      expect(m, `no "${form}" line in:\n${out.stdout}`).not.toBeNull();
      return m![1]!.replace(/^'|'$/g, '');
    };
    const conversation = cmd('query conversation');
    const recording = cmd('query recording');
    const principal = cmd('query principal');
    const ip = cmd('query ip');
    expect(cmd('report --conversation')).toBe(conversation);
    expect(cmd('verify --conversation')).toBe(conversation);
    for (const form of ['denied', 'deletions', 'presigned']) expect(out.stdout).toContain(`  recording-audit query ${form}\n`);
    expect(out.stdout).toMatch(/^ {2}recording-audit query agent '[^']+'/m);
    expect(principal).toBe('kevin.walsh@example-health.org');
    expect(ip).toBe('198.51.100.77');
    const count = async (term: Record<string, string>): Promise<number> =>
      ((await os.count({ index: prefix, body: { query: { term } } } as never)).body as { count: number }).count;
    expect(await count({ 'genesys.conversation.id': conversation })).toBeGreaterThan(0);
    expect(await count({ 'genesys.recording.id': recording })).toBeGreaterThan(0);
    expect(await count({ 'actor.email': principal })).toBeGreaterThan(0);
  });

  it('writes CloudTrail for the same requests, loses a few access-log records, and reconcile finds exactly those', () => {
    const planted = /the access log lost (\d+) records on purpose: ([A-Z0-9, ]+)\./.exec(out.stdout);
    expect(planted, out.stdout).not.toBeNull();
    const lost = planted![2]!.split(', ');
    expect(lost).toHaveLength(Number(planted![1]));
    expect(lost.length).toBeGreaterThan(0);
    const section =
      /== Completeness: [^\n]*\n {2}Only in CloudTrail \(the access log lost them\): (\d+)\n((?: {4}.*\n)*) {2}Only in the access logs: (.*)\n/.exec(
        out.stdout,
      );
    expect(section, out.stdout).not.toBeNull();
    const found = section![2]!
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s+/)[0]);
    expect(found.sort()).toEqual([...lost].sort());
    expect(section![3]).toBe('none');
    expect(out.stdout).toContain(`reconcile found exactly the ${lost.length} access-log records the demo lost on purpose.`);
    expect(out.stdout).toMatch(/Linked [1-9]\d* CloudTrail events to [1-9]\d* access-log records/);
  });

  it('runs every detection rule over the demo days, and each fires at least once', () => {
    expect(out.stdout).toMatch(/^Detections over \d+ hourly windows: [1-9]\d* alert\(s\)/m);
    for (const id of ['bulk-access', 'off-hours', 'new-source-ip', 'new-principal', 'deletion', 'denied-burst', 'presigned-new-ip', 'not-a-participant']) {
      const m = new RegExp(`^ {2}${id} +(\\d+) `, 'm').exec(out.stdout);
      expect(m, `no "${id}" line in:\n${out.stdout}`).not.toBeNull();
      expect(Number(m![1]), `${id} fired no alert:\n${out.stdout}`).toBeGreaterThan(0);
    }
  });
});
