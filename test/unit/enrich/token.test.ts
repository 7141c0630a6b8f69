import { describe, expect, it } from 'vitest';
import { TokenLifecycle } from '../../../src/enrich/genesys/token.js';
import { manualClock, type ManualClock } from './manual-clock.js';

const HOUR = 3_600_000;

/** A login the test answers by hand: each call waits until the test says when its token expires. */
function logins(): { login: () => Promise<number>; count: () => number; answer: (expiresAt: number) => void; fail: (err: Error) => void } {
  const pending: { resolve: (at: number) => void; reject: (err: Error) => void }[] = [];
  let count = 0;
  return {
    login: () => {
      count++;
      return new Promise<number>((resolve, reject) => pending.push({ resolve, reject }));
    },
    count: () => count,
    answer: (at) => pending.shift()!.resolve(at),
    fail: (err) => pending.shift()!.reject(err),
  };
}

/** No deadline: the caller waits for the login whatever it takes. */
const patiently = { deadline: Number.POSITIVE_INFINITY };

function fixture(): { clock: ManualClock; l: ReturnType<typeof logins>; token: TokenLifecycle; loggedIn: (expiresAt: number) => Promise<void> } {
  const clock = manualClock();
  const l = logins();
  const token = new TokenLifecycle(l.login, clock);
  const loggedIn = async (expiresAt: number): Promise<void> => {
    const first = token.ensure(patiently);
    await clock.advance(0);
    l.answer(expiresAt);
    await first;
  };
  return { clock, l, token, loggedIn };
}

describe('TokenLifecycle', () => {
  it('logs in once for every caller that arrives while the login runs, and not again while the token is fresh', async () => {
    const { clock, l, token } = fixture();
    const callers = Array.from({ length: 5 }, () => token.ensure({ deadline: clock.now() + 10_000 }));
    await clock.advance(10);
    expect(l.count()).toBe(1);
    l.answer(clock.now() + HOUR);
    await Promise.all(callers);
    expect(token.generation).toBe(1);
    await clock.advance(HOUR - 60_001);
    await token.ensure({ deadline: clock.now() + 10_000 });
    expect(l.count()).toBe(1);
  });

  it('renews ahead of expiry: a minute early for a long token, a tenth of the lifetime for a short one', async () => {
    const { clock, l, token, loggedIn } = fixture();
    await loggedIn(clock.now() + HOUR);
    await clock.advance(HOUR - 60_000);
    void token.ensure(patiently);
    expect(l.count()).toBe(2);
    l.answer(clock.now() + 20_000);
    await clock.advance(0);
    expect(token.generation).toBe(2);
    await clock.advance(17_999);
    await token.ensure(patiently);
    expect(l.count()).toBe(2);
    await clock.advance(1);
    void token.ensure(patiently);
    expect(l.count()).toBe(3);
  });

  it('renews once after a 401 on the current token, not for a 401 answered before a newer login', async () => {
    const { clock, l, token, loggedIn } = fixture();
    await loggedIn(clock.now() + HOUR);
    const seen = token.generation;
    // Two calls were refused with the same token: the first report renews it, the second does not.
    token.rejected(seen);
    const renewing = token.ensure(patiently);
    await clock.advance(0);
    l.answer(clock.now() + HOUR);
    await renewing;
    token.rejected(seen);
    const after = token.ensure(patiently);
    expect(l.count()).toBe(2);
    await after;
    expect(token.generation).toBe(seen + 1);
  });

  it('gives up a caller at its deadline or abort while the login goes on for the others', async () => {
    const { clock, l, token } = fixture();
    const abort = new AbortController();
    const hasty = token.ensure({ deadline: clock.now() + 1_000 });
    const aborted = token.ensure({ ...patiently, signal: abort.signal });
    const patient = token.ensure({ deadline: clock.now() + 10_000 });
    const hastyCheck = expect(hasty).rejects.toMatchObject({ code: 'GENESYS_RATE_LIMITED', details: { reason: 'deadline' } });
    abort.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'GENESYS_UNAVAILABLE', details: { reason: 'aborted' } });
    await clock.advance(999);
    expect(l.count()).toBe(1);
    await clock.advance(1);
    await hastyCheck;
    l.answer(clock.now() + HOUR);
    await expect(patient).resolves.toBeUndefined();
    expect(l.count()).toBe(1);
    expect(clock.now()).toBe(1_000_000 + 1_000);
  });

  it('fails every caller sharing a failed login, and tries again for the next one', async () => {
    const { clock, l, token } = fixture();
    const a = token.ensure(patiently);
    const b = token.ensure(patiently);
    await clock.advance(0);
    const checks = [a, b].map((p) => expect(p).rejects.toThrow('bad credentials'));
    l.fail(new Error('bad credentials'));
    await Promise.all(checks);
    expect(token.generation).toBe(0);
    const again = token.ensure(patiently);
    await clock.advance(0);
    expect(l.count()).toBe(2);
    l.answer(clock.now() + HOUR);
    await again;
    expect(token.generation).toBe(1);
  });
});
