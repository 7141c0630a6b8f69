import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runParse } from '../../../src/cli/parse.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const samples = join(root, 'test/fixtures/samples');
const real = join(samples, 's3-access-real.log');
const edge = join(samples, 's3-access-edge-synthetic.log');
const malformed = join(samples, 's3-access-real-malformed.log');
const tmp = mkdtempSync(join(tmpdir(), 'parse-cli-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npx tsx src/cli/main.ts parse ...args`, optionally with bytes on stdin. */
function cli(args: string[], stdin?: Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'src/cli/main.ts', 'parse', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? Buffer.alloc(0));
  });
}

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

describe('recording-audit parse (spawned)', () => {
  it('prints one event per parsed line with its _id, rejections and stats on stderr', async () => {
    const r = await cli(['--stats', '--log-bucket', 'acme-logs', real, edge, malformed]);
    expect(r.code).toBe(0);
    const events = jsonLines(r.stdout);
    expect(events).toHaveLength(43 + 9);
    const firstLine = readFileSync(real, 'utf8').split('\n')[0]!;
    expect(events[0]).toMatchObject({
      _id: sha(`acme-logs\n${sha(firstLine)}`),
      event: { hash: sha(firstLine), module: 'aws' },
      aws: { s3access: { operation: 'REST.GET.VERSIONING' } },
      log: { file: { path: real }, offset: 1 },
    });
    // event.action is an alias of aws.s3access.operation in the mapping: never in the document.
    expect((events[0] as { event: Record<string, unknown> }).event.action).toBeUndefined();
    const err = jsonLines(r.stderr);
    expect(err[0]).toMatchObject({ rejected: 'spliced_records', file: malformed, line: 1 });
    expect(err[1]).toEqual({
      stats: {
        files: 3,
        lines: 53,
        blank: 0,
        events: 52,
        rejected: 1,
        rejectedByReason: { spliced_records: 1 },
        bytesIn: expect.any(Number) as number,
        failedFiles: 0,
      },
    });
    // No signature from the presigned sample URLs reaches the output. The SigV4 URL's access key id
    // is kept (not a secret: aws.s3.presigned.access_key_id); the SigV2 one stays redacted.
    expect(r.stdout).not.toContain('75eBWlMvIpO357');
    expect(r.stdout).not.toContain('XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX');
    expect(r.stdout).toContain('"access_key_id":"1VYKRTJ5FFKT5B6F4NR2"');
    expect(r.stdout).not.toContain('AWSAccessKeyId=1VYKRTJ5FFKT5B6F4NR2');
  }, 60_000);

  it('reads gzip from stdin; the default bucket for ids is ""', async () => {
    const text = readFileSync(edge);
    const r = await cli(['-'], gzipSync(text));
    expect(r.code).toBe(0);
    const events = jsonLines(r.stdout);
    expect(events).toHaveLength(9);
    const first = text.toString('utf8').split('\n')[0]!;
    expect(events[0]).toMatchObject({ _id: sha(`\n${sha(first)}`), log: { file: { path: '<stdin>' } } });
    expect(r.stderr).toBe('');
  }, 60_000);

  it('goes on after an unreadable file and exits 66; a truncated gzip exits 65 after its good lines', async () => {
    const missing = await cli([join(tmp, 'missing.log'), edge]);
    expect(missing.code).toBe(66);
    expect(jsonLines(missing.stdout)).toHaveLength(9);
    expect(jsonLines(missing.stderr)[0]).toMatchObject({ error: 'ENOENT' });

    const big = Buffer.from(Array.from({ length: 200 }, () => readFileSync(real, 'utf8')).join(''));
    const gz = gzipSync(big);
    const cut = join(tmp, 'cut.log.gz');
    writeFileSync(cut, gz.subarray(0, gz.length >> 1));
    const truncated = await cli(['--stats', cut]);
    expect(truncated.code).toBe(65);
    expect(jsonLines(truncated.stdout).length).toBeGreaterThan(100);
    const errLines = jsonLines(truncated.stderr);
    expect(errLines.at(-2)).toMatchObject({ error: 'OBJECT_TRUNCATED', file: cut });
    // The lines the file did yield still reconcile with what was printed.
    const { stats } = errLines.at(-1) as { stats: { lines: number; events: number; rejected: number; failedFiles: number } };
    expect(stats.failedFiles).toBe(1);
    expect(stats.events).toBe(jsonLines(truncated.stdout).length);
    expect(stats.lines).toBe(stats.events + stats.rejected);
  }, 60_000);

  it('--help exits 0; an unknown option exits 64', async () => {
    const [help, bad] = await Promise.all([cli(['--help']), cli(['--nope'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--log-bucket');
    expect(bad.code).toBe(64);
  }, 60_000);
});

describe('runParse (in process)', () => {
  it('runs batch hooks before printing: the --enrich extension point', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const seen: number[] = [];
    const code = await runParse(
      {
        files: [edge],
        logBucket: 'b',
        stats: false,
        hooks: [
          (docs) => {
            seen.push(docs.length);
            for (const d of docs) d.event.enrichment = { status: 'not_a_recording' };
            return Promise.resolve();
          },
        ],
      },
      { stdin: PassThrough.from([]), stdout, stderr },
    );
    expect(code).toBe(0);
    expect(seen).toEqual([9]);
    expect(jsonLines(out).every((e) => (e.enrichment as { status: string }).status === 'not_a_recording')).toBe(true);
  });
});
