import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/core/log.js';
import { GenesysClient } from '../../../src/enrich/genesys/client.js';
import type { GenesysTransport, RawResponse } from '../../../src/enrich/genesys/sdk.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { manualClock, type ManualClock } from './manual-clock.js';

const HOUR = 3_600_000;
const ok: RawResponse = { status: 200, headers: {}, body: {} };
const status = (s: number): RawResponse => ({ status: s, headers: {}, body: {} });

/** A client on a scripted transport and a manual clock: retries and backoff without waiting. */
function scripted(
  clock: ManualClock,
  answers: RawResponse[],
  over: { retryMaxAttempts?: number } = {},
): { client: GenesysClient; send: () => Promise<RawResponse>; sent: () => number; logins: () => number } {
  let sent = 0;
  let logins = 0;
  const transport = {
    login: () => {
      logins++;
      return Promise.resolve({ ok: true as const, expiresAtMs: clock.now() + HOUR });
    },
  } as unknown as GenesysTransport;
  const client = new GenesysClient({
    transport,
    requestsPerMinute: 60_000,
    retryMaxAttempts: over.retryMaxAttempts ?? 5,
    requestTimeoutMs: 1_000,
    logger: createLogger('silent'),
    metrics: createMetrics({ defaultMetrics: false }),
    clock,
    random: () => 0.5,
    retryBaseMs: 100,
  });
  const send = (): Promise<RawResponse> => Promise.resolve(answers[sent++] ?? ok);
  return { client, send, sent: () => sent, logins: () => logins };
}

describe('request loop', () => {
  it('retries 5xx after a full-jitter backoff drawn from the injected random, waiting on the clock', async () => {
    const clock = manualClock();
    const start = clock.now();
    const { client, send, sent } = scripted(clock, [status(503), status(502)]);
    const res = await clock.settle(client.request('tokens_me', send, { deadline: start + 10_000 }));
    expect(res).toMatchObject({ status: 'fulfilled', value: { status: 200 } });
    expect(sent()).toBe(3);
    // half of 100 ms, then half of 200 ms
    expect(clock.now() - start).toBe(150);
    client.close();
  });

  it('gives up after retryMaxAttempts failures, which also opens the circuit for the next call', async () => {
    const clock = manualClock();
    const { client, send, sent } = scripted(clock, [status(503), status(503), status(503)], { retryMaxAttempts: 3 });
    const first = await clock.settle(client.request('tokens_me', send, { deadline: clock.now() + 60_000 }));
    expect(first).toMatchObject({ status: 'rejected', reason: { code: 'GENESYS_UNAVAILABLE', details: { attempts: 3 } } });
    const second = await clock.settle(client.request('tokens_me', send, { deadline: clock.now() + 60_000 }));
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'GENESYS_UNAVAILABLE', details: { reason: 'circuit_open' } } });
    expect(sent()).toBe(3);
    client.close();
  });

  it('logs in again once after a 401, and refuses a second 401 on the fresh token', async () => {
    const clock = manualClock();
    const { client, send, logins } = scripted(clock, [status(401), ok, status(401), status(401)]);
    await expect(client.request('tokens_me', send, { deadline: clock.now() + 10_000 })).resolves.toMatchObject({ status: 200 });
    expect(logins()).toBe(2);
    await expect(client.request('tokens_me', send, { deadline: clock.now() + 10_000 })).rejects.toMatchObject({ code: 'GENESYS_AUTH_FAILED' });
    expect(logins()).toBe(3);
    client.close();
  });

  it('blocks the gate for a 429 without Retry-After, and fails at once when that is past the deadline', async () => {
    const clock = manualClock();
    const { client, send } = scripted(clock, [status(429)]);
    await expect(client.request('tokens_me', send, { deadline: clock.now() + 500 })).rejects.toMatchObject({
      code: 'GENESYS_RATE_LIMITED',
      details: { waitMs: 1_000 },
    });
    expect(client.gate.blockedUntil).toBe(clock.now() + 1_000);
    client.close();
  });
});
