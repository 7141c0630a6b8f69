import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAuditError } from '../../../src/core/errors.js';
import { readWatermark } from '../../../src/detect/store.js';
import { runDetect } from '../../../src/detect/run.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { stackEnv } from '../../support/stack-env.js';
import { Fixture, HOUR, HUMAN, MONDAY, recordingKey, type Access } from './support.js';

const del = (at: number, n: number): Access => ({ at, requester: HUMAN('mallory'), op: 'REST.DELETE.OBJECT', key: recordingKey(n) });

describe('detection watermark', () => {
  const fx = new Fixture('wm');
  beforeAll(async () => {
    await fx.setup();
    // One deletion (one alert) in each of the hours 2..6 after Monday 00:00.
    await fx.ingest([2, 3, 4, 5, 6].map((h) => del(MONDAY + h * HOUR + 30 * 60_000, h)));
  });
  afterAll(async () => {
    await fx.drop();
  });

  it('covers the closed windows after the watermark, one at a time, and never repeats one', async () => {
    const first = await runDetect(fx.options({ now: () => MONDAY + 5 * HOUR + 600_000, firstLookbackSecs: 3 * 3600 }));
    expect(first.windows.map((w) => w.start)).toEqual([2, 3, 4].map((h) => new Date(MONDAY + h * HOUR).toISOString()));
    expect(first.created).toBe(3);
    expect(first.watermark).toBe(new Date(MONDAY + 5 * HOUR).toISOString());

    // Same time again: nothing closed since.
    const again = await runDetect(fx.options({ now: () => MONDAY + 5 * HOUR + 900_000, firstLookbackSecs: 3 * 3600 }));
    expect(again.windows).toEqual([]);
    expect(again.created).toBe(0);

    // An hour later, with the lag: the window of hour 5 only closes at 6:00 + lag.
    const lagged = await runDetect(fx.options({ now: () => MONDAY + 6 * HOUR + 600_000, lagSecs: 1200 }));
    expect(lagged.windows).toEqual([]);
    const next = await runDetect(fx.options({ now: () => MONDAY + 6 * HOUR + 600_000 }));
    expect(next.windows).toHaveLength(1);
    expect(next.created).toBe(1);
    expect((await readWatermark(fx.client, fx.prefix))?.at).toBe(MONDAY + 6 * HOUR);
    expect((await fx.storedAlerts()).length).toBe(4);
  });

  it('two runs at once write each alert once and both leave the watermark at the end', async () => {
    const other = new Fixture('wm2');
    await other.setup();
    try {
      await other.ingest([2, 3, 4, 5].map((h) => del(MONDAY + h * HOUR + 30 * 60_000, h)));
      const opts = other.options({ now: () => MONDAY + 6 * HOUR, firstLookbackSecs: 6 * 3600 });
      const [a, b] = await Promise.all([runDetect(opts), runDetect(opts)]);
      expect(a.created + b.created).toBe(4);
      expect(a.created + a.existing).toBe(4);
      expect(b.created + b.existing).toBe(4);
      expect((await other.storedAlerts()).length).toBe(4);
      expect((await readWatermark(other.client, other.prefix))?.at).toBe(MONDAY + 6 * HOUR);
    } finally {
      await other.drop();
    }
  });

  describe('with OpenSearch going down', () => {
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(stackEnv().opensearchUrl).port));
    let viaProxy: Client;
    beforeAll(async () => {
      await proxy.up();
      viaProxy = new Client({ node: proxy.url, maxRetries: 0, requestTimeout: 2000 });
    });
    afterAll(async () => {
      await viaProxy.close();
      await proxy.down();
    });

    it('down from the start: the run fails and the watermark does not move', async () => {
      const before = await readWatermark(fx.client, fx.prefix);
      await proxy.down();
      const failed = await runDetect(fx.options({ client: viaProxy, now: () => MONDAY + 7 * HOUR + 600_000 })).catch((e: unknown) => e);
      expect(isAuditError(failed, 'SINK_UNAVAILABLE')).toBe(true);
      expect(await readWatermark(fx.client, fx.prefix)).toEqual(before);
      await proxy.up();
    });

    it('down after a window is written: the watermark stays before it; the next run completes it once', async () => {
      await fx.ingest([del(MONDAY + 7 * HOUR + 60_000, 7), del(MONDAY + 8 * HOUR + 60_000, 8)]);
      const failed = await runDetect(
        fx.options({
          client: viaProxy,
          now: () => MONDAY + 9 * HOUR,
          afterWindowWritten: async (w) => {
            if (w.start === MONDAY + 7 * HOUR) await proxy.down();
          },
        }),
      ).catch((e: unknown) => e);
      expect(isAuditError(failed, 'SINK_UNAVAILABLE')).toBe(true);
      // Windows 6 and 7 were evaluated and written; 7's watermark write found OpenSearch gone.
      expect((await readWatermark(fx.client, fx.prefix))?.at).toBe(MONDAY + 7 * HOUR);
      await proxy.up();
      const rerun = await runDetect(fx.options({ client: viaProxy, now: () => MONDAY + 9 * HOUR }));
      expect(rerun.windows.map((w) => w.start)).toEqual([7, 8].map((h) => new Date(MONDAY + h * HOUR).toISOString()));
      // Window 7's alert was written before the fault: found again, not written twice.
      expect(rerun.existing).toBe(1);
      expect(rerun.created).toBe(1);
      expect((await readWatermark(fx.client, fx.prefix))?.at).toBe(MONDAY + 9 * HOUR);
      expect((await fx.storedAlerts()).length).toBe(7);
    });
  });
});
