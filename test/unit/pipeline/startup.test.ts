import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuditError } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/core/log.js';
import { StartupWait, type DependencyCheck } from '../../../src/pipeline/startup.js';
import { manualClock } from '../enrich/manual-clock.js';

function capture(): { logger: ReturnType<typeof createLogger>; records: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    }),
  );
  return {
    logger,
    records: () =>
      lines
        .join('')
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9200'), { code: 'ECONNREFUSED' });

/** A check that fails with the given errors in turn, then answers. */
function failing(name: string, errors: (() => Error)[]): DependencyCheck & { calls: number } {
  const dep = {
    name,
    calls: 0,
    check: () => {
      const next = errors[dep.calls];
      dep.calls += 1;
      return next === undefined ? Promise.resolve() : Promise.reject(next());
    },
  };
  return dep;
}

describe('StartupWait (the worker waits for its dependencies at start)', () => {
  it('retries with capped equal-jitter backoff; one warning per dependency per state change, debug lines in between', async () => {
    const clock = manualClock();
    const log = capture();
    const changes: string[] = [];
    const os = failing('opensearch', [refused, refused, refused, refused, refused, refused]);
    const sqs = failing('sqs', [refused, refused, () => Object.assign(new Error('Access denied'), { name: 'AccessDenied' }), refused]);
    const wait = new StartupWait([os, sqs], {
      baseMs: 100,
      maxMs: 1000,
      logger: log.logger,
      clock,
      random: () => 0.999,
      onChange: (name, ok) => changes.push(`${name}:${ok ? 'up' : 'down'}`),
    });
    const started = clock.now();
    const outcome = await clock.settle(wait.run(new AbortController().signal));
    expect(outcome.status).toBe('fulfilled');
    expect(os.calls).toBe(7);
    expect(sqs.calls).toBe(5);
    // Equal jitter near its top: 100, 200, 400, 800, then capped at 1000.
    expect(clock.now() - started).toBe(99 + 199 + 399 + 799 + 999 + 999);
    const warnings = log.records().filter((r) => r.level === 'warn');
    expect(warnings.map((w) => [w.dependency, (w.err as { code: string }).code])).toEqual([
      ['opensearch', 'ECONNREFUSED'],
      ['sqs', 'ECONNREFUSED'],
      // Another reason is another state, worth its own warning; back to the first one too.
      ['sqs', 'AccessDenied'],
      ['sqs', 'ECONNREFUSED'],
    ]);
    expect(log.records().filter((r) => r.level === 'debug' && r.dependency === 'opensearch')).toHaveLength(5);
    expect(log.records().filter((r) => r.msg === 'opensearch answers.' || r.msg === 'sqs answers.')).toHaveLength(2);
    expect(changes).toEqual(['opensearch:down', 'sqs:down', 'sqs:up', 'opensearch:up']);
    expect(wait.waitingFor).toEqual([]);
  });

  it('names what it waits for while it waits', async () => {
    const clock = manualClock();
    const wait = new StartupWait(
      [
        failing(
          'opensearch',
          Array.from({ length: 100 }, () => refused),
        ),
        failing('sqs', []),
      ],
      {
        baseMs: 100,
        maxMs: 1000,
        logger: capture().logger,
        clock,
      },
    );
    const controller = new AbortController();
    const running = wait.run(controller.signal);
    await clock.advance(2500);
    expect(wait.waitingFor).toEqual(['opensearch']);
    expect(wait.state).toMatchObject([
      { name: 'opensearch', ok: false, error: { code: 'ECONNREFUSED' } },
      { name: 'sqs', ok: true },
    ]);
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'SHUTDOWN' });
  });

  it('a configuration error ends the wait at once with that error, and the other dependencies stop retrying', async () => {
    const clock = manualClock();
    const sqs = failing(
      'sqs',
      Array.from({ length: 100 }, () => refused),
    );
    const mismatch = new AuditError('SETUP_MISMATCH', 'index template t is missing');
    const wait = new StartupWait([failing('opensearch', [refused, () => mismatch]), sqs], { baseMs: 100, maxMs: 1000, logger: capture().logger, clock });
    const outcome = await clock.settle(wait.run(new AbortController().signal));
    expect(outcome).toMatchObject({ status: 'rejected', reason: mismatch });
    const calls = sqs.calls;
    await clock.advance(60_000);
    expect(sqs.calls).toBe(calls);
  });

  it('an abort ends the wait at once, even while a check hangs', async () => {
    const wait = new StartupWait([{ name: 'opensearch', check: () => new Promise<void>(() => undefined) }], {
      baseMs: 100,
      maxMs: 1000,
      logger: capture().logger,
      clock: manualClock(),
    });
    const controller = new AbortController();
    const running = wait.run(controller.signal);
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'SHUTDOWN' });
    const already = new AbortController();
    already.abort();
    await expect(wait.run(already.signal)).rejects.toMatchObject({ code: 'SHUTDOWN' });
  });
});
