import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../../../src/core/metrics.js';
import { SqsSource, type Disposition, type InFlightMessage, type SqsSourceOptions } from '../../../src/sources/sqs.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { metricValue } from '../../support/metrics.js';
import { stackEnv } from '../../support/stack-env.js';
import { captureLogger, newSqs, queueCounts, receivedHandles, recordCommands, sendBodies, sleep, TestQueues, waitFor, type RecordedCommand } from './aws.js';

let admin: SQSClient;
let queues: TestQueues;

beforeAll(() => {
  admin = newSqs();
  queues = new TestQueues(admin);
});

afterAll(async () => {
  await queues.deleteAll();
  admin.destroy();
});

interface Harness {
  source: SqsSource;
  client: SQSClient;
  metrics: Metrics;
  commands: RecordedCommand[];
  logs: Record<string, unknown>[];
  running: Promise<void> | undefined;
}

function harness(queueUrl: string, options: Partial<SqsSourceOptions> = {}, canReceive?: () => boolean, endpoint?: string, clock?: () => number): Harness {
  const client = newSqs(endpoint);
  const commands = recordCommands(client);
  const metrics = createMetrics({ defaultMetrics: false });
  const { logger, lines } = captureLogger();
  const source = new SqsSource(
    client,
    { queueUrl, waitTimeSecs: 1, maxMessages: 10, maxInFlight: 10, visibilityTimeoutSecs: 30, heartbeatIntervalSecs: 10, retryBackoffBaseSecs: 0, ...options },
    { logger, metrics, ...(canReceive ? { canReceive } : {}), ...(clock ? { clock } : {}) },
  );
  return { source, client, metrics, commands, logs: lines, running: undefined };
}

/**
 * Runs the source with a handler that holds its message until the message's signal aborts, then
 * answers 'delete' (too late: the source must ignore it); returns once the handler holds one.
 */
async function holdUntilAborted(h: Harness): Promise<AbortSignal> {
  let signal: AbortSignal | undefined;
  h.running = h.source.run(async (msg) => {
    signal = msg.signal;
    await new Promise<void>((resolve) => msg.signal.addEventListener('abort', () => resolve(), { once: true }));
    return 'delete';
  });
  await waitFor(() => signal !== undefined, 10_000, 'the handler');
  return signal!;
}

async function finish(h: Harness, graceMs = 5000): Promise<void> {
  await h.source.stop(graceMs);
  await h.running;
  h.client.destroy();
}

const count = (h: Harness, name: string): number => h.commands.filter((c) => c.name === name).length;

describe('SqsSource against moto', () => {
  it("deletes a message only after the handler returns 'delete'", async () => {
    const queueUrl = await queues.create();
    await sendBodies(admin, queueUrl, ['a', 'b', 'c']);
    // A wall clock one minute ahead: the oldest held message is then about 60 s old.
    const h = harness(queueUrl, {}, undefined, undefined, () => Date.now() + 60_000);
    const seen: InFlightMessage[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    h.running = h.source.run(async (msg) => {
      seen.push(msg);
      await gate;
      return 'delete';
    });
    await waitFor(() => seen.length === 3, 10_000, 'three messages in flight');
    // Held, not deleted: all three are in flight on the queue.
    expect(await queueCounts(admin, queueUrl)).toEqual({ visible: 0, inFlight: 3 });
    expect(count(h, 'DeleteMessageCommand')).toBe(0);
    expect(await metricValue(h.metrics.messagesInFlight)).toBe(3);
    const lag = await metricValue(h.metrics.queueLagSeconds);
    expect(lag).toBeGreaterThanOrEqual(59);
    expect(lag).toBeLessThan(120);
    release();
    await waitFor(() => h.source.inFlight === 0, 10_000, 'handlers to settle');
    await finish(h);
    expect(await queueCounts(admin, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(seen.map((m) => m.body).sort()).toEqual(['a', 'b', 'c']);
    expect(seen.every((m) => m.receiveCount === 1 && m.sentAt instanceof Date)).toBe(true);
    expect(await metricValue(h.metrics.messagesReceived)).toBe(3);
    expect(await metricValue(h.metrics.messagesDeleted)).toBe(3);
    expect(await metricValue(h.metrics.messagesInFlight)).toBe(0);
    expect(await metricValue(h.metrics.queueLagSeconds)).toBe(0);
    const receive = h.commands.find((c) => c.name === 'ReceiveMessageCommand')!;
    expect(receive.input).toMatchObject({
      WaitTimeSeconds: 1,
      VisibilityTimeout: 30,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
    });
  });

  it("leaves the message on 'retry' and on a thrown error; it reappears after the visibility timeout", async () => {
    const queueUrl = await queues.create();
    await sendBodies(admin, queueUrl, ['retry-me', 'throw-me']);
    const h = harness(queueUrl, { visibilityTimeoutSecs: 2, heartbeatIntervalSecs: 1 });
    const handled: string[] = [];
    h.running = h.source.run((msg): Promise<Disposition> => {
      handled.push(msg.body);
      return msg.body === 'retry-me' ? Promise.resolve('retry') : Promise.reject(new Error('handler exploded'));
    });
    await waitFor(() => handled.length >= 2 && h.source.inFlight === 0, 10_000, 'both handled once');
    await finish(h);
    expect(count(h, 'DeleteMessageCommand')).toBe(0);
    expect(await metricValue(h.metrics.messagesAbandoned, { reason: 'retry' })).toBeGreaterThanOrEqual(1);
    expect(await metricValue(h.metrics.messagesAbandoned, { reason: 'handler_error' })).toBeGreaterThanOrEqual(1);
    expect(h.logs.some((l) => l.msg === 'Message handler failed; message left for redelivery.')).toBe(true);
    // Still on the queue: received again after the 2 s timeout, with a higher receive count.
    const again = await admin.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    const bodies = (again.Messages ?? []).map((m) => m.Body);
    if (bodies.length < 2) {
      const more = await admin.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }));
      bodies.push(...(more.Messages ?? []).map((m) => m.Body));
    }
    expect(bodies.sort()).toEqual(['retry-me', 'throw-me']);
    expect(Number(again.Messages![0]!.Attributes!.ApproximateReceiveCount)).toBeGreaterThanOrEqual(2);
  });

  it('shortens the visibility after a retry so it comes back soon (retryBackoffBaseSecs)', async () => {
    const queueUrl = await queues.create();
    await sendBodies(admin, queueUrl, ['soon']);
    const h = harness(queueUrl, { visibilityTimeoutSecs: 60, heartbeatIntervalSecs: 30, retryBackoffBaseSecs: 1 });
    let calls = 0;
    h.running = h.source.run(() => {
      calls += 1;
      return Promise.resolve(calls === 1 ? 'retry' : 'delete');
    });
    // With the 60 s receive timeout it could only come back this fast through the 1 s backoff.
    await waitFor(() => calls >= 2 && h.source.inFlight === 0, 15_000, 'the retried message to be received again');
    await finish(h);
    expect(h.commands.some((c) => c.name === 'ChangeMessageVisibilityCommand' && c.input.VisibilityTimeout === 1)).toBe(true);
    expect(await queueCounts(admin, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it("the heartbeat keeps a slow handler's message invisible past the visibility timeout", async () => {
    const queueUrl = await queues.create();
    await sendBodies(admin, queueUrl, ['slow-1', 'slow-2', 'slow-3']);
    const h = harness(queueUrl, { visibilityTimeoutSecs: 2, heartbeatIntervalSecs: 1 });
    let started = 0;
    let finished = 0;
    h.running = h.source.run(async () => {
      started += 1;
      await sleep(5000);
      finished += 1;
      return 'delete';
    });
    await waitFor(() => started === 3, 10_000, 'three slow handlers');
    // A rival consumer polls for 4 s: beyond the 2 s timeout, nothing may be redelivered.
    const rival = await admin.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 4 }));
    expect(rival.Messages ?? []).toEqual([]);
    await waitFor(() => finished === 3 && h.source.inFlight === 0, 10_000, 'handlers to finish');
    await finish(h);
    expect(started).toBe(3);
    expect(await queueCounts(admin, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await metricValue(h.metrics.heartbeatExtensions, { result: 'ok' })).toBeGreaterThanOrEqual(9);
    expect(await metricValue(h.metrics.heartbeatExtensions, { result: 'failed' })).toBe(0);
    // Three messages due together share one batch call.
    expect(count(h, 'ChangeMessageVisibilityBatchCommand')).toBeGreaterThanOrEqual(1);
  });

  it('a failed heartbeat (message purged out of band) aborts the handler and the message is never deleted', async () => {
    const queueUrl = await queues.create();
    await sendBodies(admin, queueUrl, ['gone-1', 'gone-2']);
    const h = harness(queueUrl, { visibilityTimeoutSecs: 2, heartbeatIntervalSecs: 1 });
    const aborted: unknown[] = [];
    let started = 0;
    h.running = h.source.run(async (msg) => {
      started += 1;
      await new Promise<void>((resolve) => msg.signal.addEventListener('abort', () => resolve(), { once: true }));
      aborted.push(msg.signal.reason);
      return 'delete'; // must be ignored: the handle is no longer ours
    });
    await waitFor(() => started === 2, 10_000, 'two handlers');
    // The receipt handles become invalid: moto answers the next ChangeMessageVisibility(Batch)
    // with ReceiptHandleIsInvalid (per entry, SenderFault true).
    await admin.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    await waitFor(() => aborted.length === 2 && h.source.inFlight === 0, 10_000, 'both handlers aborted');
    await finish(h);
    expect(aborted.every((r) => (r as { code?: string }).code === 'HEARTBEAT_FAILED')).toBe(true);
    expect(count(h, 'DeleteMessageCommand')).toBe(0);
    expect(await metricValue(h.metrics.heartbeatExtensions, { result: 'failed' })).toBe(2);
    expect(await metricValue(h.metrics.messagesAbandoned, { reason: 'heartbeat_failed' })).toBe(2);
    expect(await metricValue(h.metrics.messagesDeleted)).toBe(0);
    expect(
      h.logs.some(
        (l) => l.msg === 'Message abandoned; it will reappear and be processed again.' && (l.err as { code?: string }).code === 'ReceiptHandleIsInvalid',
      ),
    ).toBe(true);
  });

  it('a failed single heartbeat (message deleted out of band with its handle) aborts the handler', async () => {
    const queueUrl = await queues.create();
    await sendBodies(admin, queueUrl, ['solo']);
    const h = harness(queueUrl, { visibilityTimeoutSecs: 2, heartbeatIntervalSecs: 1 });
    const signal = await holdUntilAborted(h);
    const handle = receivedHandles(h.commands)[0]!;
    await admin.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: handle }));
    await waitFor(() => signal.aborted && h.source.inFlight === 0, 10_000, 'the abort');
    await finish(h);
    expect(count(h, 'DeleteMessageCommand')).toBe(0);
    expect(await metricValue(h.metrics.messagesAbandoned, { reason: 'heartbeat_failed' })).toBe(1);
  });

  it('respects maxInFlight: never more concurrent handlers, never asks for more than the free slots', async () => {
    const queueUrl = await queues.create();
    await sendBodies(
      admin,
      queueUrl,
      Array.from({ length: 12 }, (_, i) => `m${i}`),
    );
    const h = harness(queueUrl, { maxInFlight: 3 });
    let concurrent = 0;
    let peak = 0;
    let done = 0;
    h.running = h.source.run(async () => {
      concurrent += 1;
      peak = Math.max(peak, concurrent);
      await sleep(150);
      concurrent -= 1;
      done += 1;
      return 'delete';
    });
    await waitFor(() => done === 12 && h.source.inFlight === 0, 30_000, 'twelve messages');
    await finish(h);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
    for (const c of h.commands.filter((x) => x.name === 'ReceiveMessageCommand')) expect(c.input.MaxNumberOfMessages).toBeLessThanOrEqual(3);
    expect(await queueCounts(admin, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('does not receive while canReceive() is false, and resumes when it turns true', async () => {
    const queueUrl = await queues.create();
    await sendBodies(admin, queueUrl, ['x', 'y']);
    let open = false;
    const h = harness(queueUrl, {}, () => open);
    let handled = 0;
    h.running = h.source.run(() => {
      handled += 1;
      return Promise.resolve('delete');
    });
    await sleep(2000);
    expect(count(h, 'ReceiveMessageCommand')).toBe(0);
    expect(handled).toBe(0);
    expect(await queueCounts(admin, queueUrl)).toEqual({ visible: 2, inFlight: 0 });
    open = true;
    await waitFor(() => handled === 2 && h.source.inFlight === 0, 10_000, 'both after reopening');
    await finish(h);
  });

  it('stop(grace) returns promptly, aborts unfinished handlers and leaves their messages undeleted', async () => {
    const queueUrl = await queues.create();
    await sendBodies(admin, queueUrl, ['stuck']);
    const h = harness(queueUrl, { waitTimeSecs: 20, visibilityTimeoutSecs: 60, heartbeatIntervalSecs: 30 });
    const signal = await holdUntilAborted(h);
    await sleep(300); // the loop is now in a 20 s long poll
    const t0 = Date.now();
    await h.source.stop(500);
    await h.running;
    const elapsed = Date.now() - t0;
    h.client.destroy();
    expect(elapsed).toBeLessThan(5000); // not the 20 s long poll
    expect(signal.aborted).toBe(true);
    expect((signal.reason as { code?: string }).code).toBe('SHUTDOWN');
    expect(h.source.inFlight).toBe(0);
    expect(count(h, 'DeleteMessageCommand')).toBe(0);
    expect(await metricValue(h.metrics.messagesAbandoned, { reason: 'shutdown' })).toBe(1);
    // Released (visibility 0), so it is back at once instead of after 60 s.
    const again = await admin.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    expect(again.Messages?.[0]?.Body).toBe('stuck');
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
  });

  it('stop(grace) lets in-flight handlers finish and deletes their messages (graceful drain)', async () => {
    const queueUrl = await queues.create();
    await sendBodies(admin, queueUrl, ['finishing']);
    const h = harness(queueUrl, { waitTimeSecs: 20 });
    let started = false;
    h.running = h.source.run(async (msg) => {
      started = true;
      await sleep(1000);
      expect(msg.signal.aborted).toBe(false);
      return 'delete';
    });
    await waitFor(() => started, 10_000, 'the handler');
    const receivesBefore = count(h, 'ReceiveMessageCommand');
    await h.source.stop(10_000);
    await h.running;
    h.client.destroy();
    expect(count(h, 'ReceiveMessageCommand')).toBe(receivesBefore);
    expect(await metricValue(h.metrics.messagesDeleted)).toBe(1);
    expect(await queueCounts(admin, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('an idle source stops promptly during a 20 s long poll', async () => {
    const queueUrl = await queues.create();
    const h = harness(queueUrl, { waitTimeSecs: 20 });
    h.running = h.source.run(() => Promise.resolve('delete'));
    await waitFor(() => count(h, 'ReceiveMessageCommand') > 0, 5000, 'the first receive');
    await sleep(200);
    const t0 = Date.now();
    await finish(h, 1000);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('receive errors are logged, counted and backed off; the loop survives', async () => {
    const queueUrl = await queues.create();
    const missing = `${queueUrl}-does-not-exist`;
    const h = harness(missing);
    h.running = h.source.run(() => Promise.resolve('delete'));
    await waitFor(async () => (await metricValue(h.metrics.sqsReceiveErrors)) >= 2, 10_000, 'two receive errors');
    await finish(h, 1000);
    const receives = count(h, 'ReceiveMessageCommand');
    expect(receives).toBeLessThanOrEqual(4); // backing off (0.5-1 s, then 1-2 s), not hot-looping
    // One warning for the outage, however many attempts failed.
    expect(h.logs.filter((l) => l.level === 'warn' && l.msg === 'SQS receive failed; backing off until it works again.')).toHaveLength(1);
  });

  it('a failing receive logs one warning when it starts failing and one info when it recovers, per outage', async () => {
    const { queueUrl, proxy, viaProxy } = await queueBehindProxy();
    const h = harness(viaProxy.toString(), { receiveErrorBackoffMaxMs: 400 }, undefined, proxy.url);
    const warnings = (): number => h.logs.filter((l) => l.level === 'warn' && l.msg === 'SQS receive failed; backing off until it works again.').length;
    const recoveries = (): Record<string, unknown>[] => h.logs.filter((l) => l.level === 'info' && l.msg === 'SQS receive works again.');
    try {
      h.running = h.source.run(() => Promise.resolve('delete'));
      for (let outage = 1; outage <= 2; outage += 1) {
        await proxy.down();
        const before = await metricValue(h.metrics.sqsReceiveErrors);
        await waitFor(async () => (await metricValue(h.metrics.sqsReceiveErrors)) >= before + 4, 20_000, 'four failed receives');
        expect(warnings()).toBe(outage);
        expect(recoveries()).toHaveLength(outage - 1);
        await proxy.up();
        await waitFor(() => recoveries().length === outage, 20_000, 'the recovery line');
        expect(Number(recoveries()[outage - 1]?.failures)).toBeGreaterThanOrEqual(4);
      }
      await sendBodies(admin, queueUrl, ['after']);
      await waitFor(async () => (await metricValue(h.metrics.messagesDeleted)) === 1, 10_000, 'the message after recovery');
      expect(warnings()).toBe(2);
    } finally {
      await finish(h, 1000);
      await proxy.down();
    }
  });
});

/** A new queue, and a TCP proxy (up) in front of moto with the queue's URL through it. */
async function queueBehindProxy(): Promise<{ queueUrl: string; proxy: TcpProxy; viaProxy: URL }> {
  const queueUrl = await queues.create();
  const moto = new URL(stackEnv().awsEndpointUrl);
  const proxy = new TcpProxy(moto.hostname, Number(moto.port));
  await proxy.up();
  const viaProxy = new URL(queueUrl);
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  return { queueUrl, proxy, viaProxy };
}

describe('SqsSource through a TCP proxy that goes down (network faults)', () => {
  it('recovers from receive errors and tolerates a heartbeat outage shorter than the visibility timeout', async () => {
    const { queueUrl, proxy, viaProxy } = await queueBehindProxy();
    const h = harness(viaProxy.toString(), { visibilityTimeoutSecs: 4, heartbeatIntervalSecs: 1, receiveErrorBackoffMaxMs: 1000 }, undefined, proxy.url);
    await proxy.down();
    let phase: 'first' | 'outage' | 'done' = 'first';
    h.running = h.source.run(async (msg) => {
      expect(msg.body).toBe('survivor');
      while (phase !== 'done') await sleep(50);
      return 'delete';
    });
    await waitFor(async () => (await metricValue(h.metrics.sqsReceiveErrors)) >= 1, 10_000, 'a receive error');
    await proxy.up();
    await sendBodies(admin, queueUrl, ['survivor']);
    await waitFor(() => h.source.inFlight === 1, 10_000, 'the message after recovery');
    await sleep(1200);
    phase = 'outage';
    await proxy.down(); // about 1.5 s without heartbeats: less than the 4 s timeout
    await sleep(1500);
    await proxy.up();
    await waitFor(async () => (await metricValue(h.metrics.heartbeatExtensions, { result: 'ok' })) >= 3, 10_000, 'heartbeats to resume');
    phase = 'done';
    await waitFor(() => h.source.inFlight === 0, 10_000, 'the delete');
    await finish(h);
    await proxy.down();
    expect(await metricValue(h.metrics.heartbeatExtensions, { result: 'error' })).toBeGreaterThanOrEqual(1);
    expect(await metricValue(h.metrics.heartbeatExtensions, { result: 'failed' })).toBe(0);
    expect(await metricValue(h.metrics.messagesDeleted)).toBe(1);
    expect(await queueCounts(admin, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('abandons the message when heartbeats fail until the visibility deadline', async () => {
    const { queueUrl, proxy, viaProxy } = await queueBehindProxy();
    await sendBodies(admin, queueUrl, ['orphan']);
    const h = harness(viaProxy.toString(), { visibilityTimeoutSecs: 3, heartbeatIntervalSecs: 1 }, undefined, proxy.url);
    const signal = await holdUntilAborted(h);
    await proxy.down();
    await waitFor(() => signal.aborted, 10_000, 'the abandonment');
    await finish(h, 1000);
    expect(await metricValue(h.metrics.messagesAbandoned, { reason: 'heartbeat_failed' })).toBe(1);
    expect(count(h, 'DeleteMessageCommand')).toBe(0);
    // Not deleted: it comes back on its own once the last extension runs out.
    const again = await admin.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }));
    expect(again.Messages?.[0]?.Body).toBe('orphan');
  });
});

describe('moto behaviour the poller relies on (documented in the README)', () => {
  it('ChangeMessageVisibility with the handle of a deleted message fails with ReceiptHandleIsInvalid', async () => {
    const queueUrl = await queues.create();
    await sendBodies(admin, queueUrl, ['probe']);
    const got = await admin.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 30 }));
    const handle = got.Messages![0]!.ReceiptHandle!;
    await admin.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: handle }));
    const single = await admin.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: handle, VisibilityTimeout: 30 })).then(
      () => undefined,
      (err: unknown) => err as { name: string; $fault: string },
    );
    expect(single?.name).toBe('ReceiptHandleIsInvalid');
    expect(single?.$fault).toBe('client');
    const batch = await admin.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: '1', ReceiptHandle: handle, VisibilityTimeout: 30 },
          { Id: '2', ReceiptHandle: 'garbage', VisibilityTimeout: 30 },
        ],
      }),
    );
    expect(batch.Successful ?? []).toEqual([]);
    expect((batch.Failed ?? []).map((f) => [f.Id, f.Code, f.SenderFault])).toEqual([
      ['1', 'ReceiptHandleIsInvalid', true],
      ['2', 'ReceiptHandleIsInvalid', true],
    ]);
    // Deleting again with the same handle is accepted silently (as on AWS).
    await expect(admin.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: handle }))).resolves.toBeDefined();
  });

  it('unlike AWS, moto accepts a stale handle after the message was received again', async () => {
    const queueUrl = await queues.create();
    await sendBodies(admin, queueUrl, ['stale']);
    const first = await admin.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 1 }));
    await sleep(1500);
    const second = await admin.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, VisibilityTimeout: 30 }));
    expect(second.Messages?.[0]?.Body).toBe('stale');
    await expect(
      admin.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: first.Messages![0]!.ReceiptHandle!, VisibilityTimeout: 30 })),
    ).resolves.toBeDefined();
  });
});
