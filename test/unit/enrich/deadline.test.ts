import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { raceDeadline } from '../../../src/enrich/genesys/deadline.js';
import { manualClock } from './manual-clock.js';

describe('raceDeadline', () => {
  it('answers with the promise and leaves no listener on the caller’s long-lived signal', async () => {
    const clock = manualClock();
    const closing = new AbortController();
    for (let i = 0; i < 3; i++)
      await expect(raceDeadline(Promise.resolve(i), { deadline: clock.now() + 1_000, signal: closing.signal }, clock)).resolves.toBe(i);
    expect(getEventListeners(closing.signal, 'abort')).toHaveLength(0);
  });

  it('gives up at the deadline on the injected clock, or at once on abort', async () => {
    const clock = manualClock();
    const never = new Promise<never>(() => undefined);
    const late = raceDeadline(never, { deadline: clock.now() + 1_000 }, clock);
    const lateCheck = expect(late).rejects.toMatchObject({ code: 'GENESYS_RATE_LIMITED', details: { reason: 'deadline' } });
    await clock.advance(1_000);
    await lateCheck;
    await expect(raceDeadline(never, { deadline: clock.now() + 1_000, signal: AbortSignal.abort() }, clock)).rejects.toMatchObject({
      code: 'GENESYS_UNAVAILABLE',
      details: { reason: 'aborted' },
    });
  });
});
