import { describe, expect, it } from 'vitest';
import { isAuditError } from '../../../src/core/errors.js';
import {
  chunks,
  isFinalVisibilityFailure,
  messageAttributes,
  receiveBackoffMs,
  retryVisibilitySecs,
  sdkErrorFacts,
  sqsSourceOptionsFromConfig,
  validateSqsSourceOptions,
  type SqsSourceOptions,
} from '../../../src/sources/sqs-policy.js';
import { callSignal } from '../../../src/sources/sqs-heartbeat.js';
import { loadConfigOrThrow } from '../../../src/config/load.js';

const base: SqsSourceOptions = {
  queueUrl: 'http://127.0.0.1:1/123/q',
  waitTimeSecs: 20,
  maxMessages: 10,
  maxInFlight: 20,
  visibilityTimeoutSecs: 300,
  heartbeatIntervalSecs: 60,
};

describe('validateSqsSourceOptions', () => {
  it('fills defaults', () => {
    expect(validateSqsSourceOptions(base)).toEqual({ ...base, retryBackoffBaseSecs: 10, receiveErrorBackoffMaxMs: 30_000, requestTimeoutMs: 10_000 });
  });

  it.each([
    [{ waitTimeSecs: 21 }, 'waitTimeSecs'],
    [{ waitTimeSecs: -1 }, 'waitTimeSecs'],
    [{ maxMessages: 0 }, 'maxMessages'],
    [{ maxMessages: 11 }, 'maxMessages'],
    [{ maxInFlight: 0 }, 'maxInFlight'],
    [{ visibilityTimeoutSecs: 2.5 }, 'visibilityTimeoutSecs'],
    [{ visibilityTimeoutSecs: 43_201 }, 'visibilityTimeoutSecs'],
    [{ heartbeatIntervalSecs: 151 }, 'heartbeatIntervalSecs'],
    [{ heartbeatIntervalSecs: 0 }, 'heartbeatIntervalSecs'],
    [{ queueUrl: '' }, 'queueUrl'],
    [{ retryBackoffBaseSecs: -1 }, 'retryBackoffBaseSecs'],
  ])('%o is refused naming %s', (patch, name) => {
    try {
      validateSqsSourceOptions({ ...base, ...patch });
      expect.unreachable();
    } catch (err) {
      expect(isAuditError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain(name);
    }
  });

  it('reports every problem at once', () => {
    expect(() => validateSqsSourceOptions({ ...base, maxMessages: 0, maxInFlight: 0 })).toThrow(/maxMessages.*maxInFlight/);
  });

  it('accepts a heartbeat of exactly half the timeout, fractional heartbeats for short timeouts', () => {
    expect(() => validateSqsSourceOptions({ ...base, heartbeatIntervalSecs: 150 })).not.toThrow();
    expect(() => validateSqsSourceOptions({ ...base, visibilityTimeoutSecs: 3, heartbeatIntervalSecs: 1.5 })).not.toThrow();
  });
});

describe('retryVisibilitySecs', () => {
  it('doubles per receive and is capped by the visibility timeout', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryVisibilitySecs(n, 10, 300))).toEqual([10, 20, 40, 80, 160, 300]);
    expect(retryVisibilitySecs(1000, 10, 300)).toBe(300);
    expect(retryVisibilitySecs(0, 10, 300)).toBe(10);
  });
  it('0 leaves the visibility alone', () => {
    expect(retryVisibilitySecs(3, 0, 300)).toBeUndefined();
  });
});

describe('receiveBackoffMs', () => {
  it('grows exponentially with jitter in [cap/2, cap]', () => {
    expect(receiveBackoffMs(1, 30_000, () => 0)).toBe(500);
    expect(receiveBackoffMs(1, 30_000, () => 1)).toBe(1000);
    expect(receiveBackoffMs(4, 30_000, () => 1)).toBe(8000);
    expect(receiveBackoffMs(50, 30_000, () => 1)).toBe(30_000);
    expect(receiveBackoffMs(50, 30_000, () => 0)).toBe(15_000);
  });
});

describe('messageAttributes', () => {
  it('reads receive count and sent time', () => {
    expect(messageAttributes({ Attributes: { ApproximateReceiveCount: '3', SentTimestamp: '1769388199000' } })).toEqual({
      receiveCount: 3,
      sentAt: new Date(1769388199000),
    });
  });
  it('defaults when attributes are missing or garbage', () => {
    expect(messageAttributes({})).toEqual({ receiveCount: 1, sentAt: undefined });
    expect(messageAttributes({ Attributes: { ApproximateReceiveCount: 'x', SentTimestamp: '-5' } })).toEqual({ receiveCount: 1, sentAt: undefined });
  });
});

describe('isFinalVisibilityFailure', () => {
  it.each([
    [{ senderFault: true, code: 'ReceiptHandleIsInvalid' }, true],
    [{ senderFault: true, code: 'InvalidParameterValue' }, true],
    [{ senderFault: false, code: 'InternalError' }, false],
    [{ senderFault: false, code: 'Whatever' }, false],
    [{ code: 'ReceiptHandleIsInvalid', fault: 'client' }, true],
    [{ code: 'MessageNotInflight', fault: 'client' }, true],
    [{ code: 'InvalidParameterValue', fault: 'client' }, true],
    [{ code: 'ThrottlingException', fault: 'client' }, false],
    [{ code: 'RequestThrottled', fault: 'client' }, false],
    [{ code: 'InternalError', fault: 'server' }, false],
    [{ code: 'AbortError' }, false],
    [{ code: 'TimeoutError' }, false],
    [{ code: 'ECONNREFUSED' }, false],
    [{ code: 'SomethingClient', fault: 'client', retryable: true }, false],
  ])('%o → final %s', (failure, final) => {
    expect(isFinalVisibilityFailure(failure)).toBe(final);
  });
});

describe('sdkErrorFacts', () => {
  it('reads name, fault, retryable and status', () => {
    const err = Object.assign(new Error('x'), { name: 'ReceiptHandleIsInvalid', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    expect(sdkErrorFacts(err)).toEqual({ code: 'ReceiptHandleIsInvalid', fault: 'client', retryable: false, status: 400 });
    expect(sdkErrorFacts('boom')).toEqual({ code: 'Unknown', fault: undefined, retryable: false, status: undefined });
    expect(sdkErrorFacts(null)).toEqual({ code: 'Unknown', fault: undefined, retryable: false, status: undefined });
  });
});

describe('chunks', () => {
  it('splits into groups of at most n', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 10)).toEqual([]);
  });
});

describe('sqsSourceOptionsFromConfig', () => {
  it('maps the SQS settings', () => {
    const cfg = loadConfigOrThrow({
      env: { SQS_QUEUE_URL: 'http://127.0.0.1:1/123456789012/q', SQS_VISIBILITY_TIMEOUT_SECS: '120', SQS_HEARTBEAT_INTERVAL_SECS: '30' },
    });
    expect(sqsSourceOptionsFromConfig(cfg)).toEqual({
      queueUrl: 'http://127.0.0.1:1/123456789012/q',
      waitTimeSecs: 20,
      maxMessages: 10,
      maxInFlight: 20,
      visibilityTimeoutSecs: 120,
      heartbeatIntervalSecs: 30,
    });
  });
  it('requires the queue URL', () => {
    expect(() => sqsSourceOptionsFromConfig(loadConfigOrThrow({ env: {} }))).toThrow(/SQS_QUEUE_URL/);
  });
});

describe('callSignal', () => {
  it('aborts on timeout, on the parent, and detaches when done', async () => {
    const parent = new AbortController();
    const timed = callSignal(parent.signal, 20);
    await new Promise((r) => setTimeout(r, 60));
    expect(timed.signal.aborted).toBe(true);
    expect((timed.signal.reason as Error).name).toBe('TimeoutError');
    timed.done();

    const byParent = callSignal(parent.signal, 10_000);
    parent.abort(new Error('stop'));
    expect(byParent.signal.aborted).toBe(true);
    byParent.done();

    const already = callSignal(parent.signal, 10_000);
    expect(already.signal.aborted).toBe(true);
    already.done();

    const other = new AbortController();
    const detached = callSignal(other.signal, 10_000);
    detached.done();
    other.abort();
    expect(detached.signal.aborted).toBe(false);
  });
});
