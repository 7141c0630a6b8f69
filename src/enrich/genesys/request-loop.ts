import { AuditError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { backoff, systemClock, type Backoff, type Clock } from '../../core/time.js';
import type { Metrics } from '../../core/metrics.js';
import { CircuitBreaker } from './circuit.js';
import { raceTimer, type CallOptions } from './deadline.js';
import { ErrorBodySchema } from './models.js';
import { GateAbortedError, GateDeadlineError, type RateGate } from './rate-gate.js';
import { TransportError, type GenesysTransport, type RawResponse } from './sdk.js';
import { TokenLifecycle } from './token.js';

export type Endpoint =
  | 'oauth_token'
  | 'conversation_details'
  | 'users'
  | 'recording_metadata'
  | 'retention_query'
  | 'tokens_me'
  | 'quality_audits_query'
  | 'quality_audits_status'
  | 'quality_audits_results'
  | 'audits_query'
  | 'audits_status'
  | 'audits_results'
  | 'audits_servicemapping'
  | 'users_search';

export interface RequestLoopOptions {
  readonly transport: GenesysTransport;
  readonly gate: RateGate;
  readonly clock: Clock;
  /** Jitter source for retry backoff; absent: backoff()'s default. */
  readonly random?: () => number;
  readonly retryMaxAttempts: number;
  readonly requestTimeoutMs: number;
  /** 5xx and network failures: full jitter, doubling from the base. */
  readonly retry: Backoff;
  readonly circuitThreshold: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** A 429 without Retry-After on an API call: 1 s, doubling per failure so far, up to 32 s. */
const RATE_LIMITED: Backoff = { base: 1_000, cap: 32_000, jitter: 'none' };
/** A 429 without Retry-After on the login. */
const LOGIN_RATE_LIMITED_MS = 5_000;
/** Slack on top of the SDK's own timeout, so that its error (with a code) normally comes first. */
const TIMEOUT_SLACK_MS = 1_000;

/**
 * Every attempt of every call, login included: the circuit, the token, the shared rate gate, a
 * per-attempt timeout, metrics, retries with backoff on 5xx and network errors, 401 renewal, 429
 * with Retry-After blocking the gate for everyone, and the caller's deadline and abort throughout.
 */
export class RequestLoop {
  private readonly o: RequestLoopOptions;
  private readonly circuit: CircuitBreaker;
  private readonly token: TokenLifecycle;
  private closed = false;

  constructor(options: RequestLoopOptions) {
    this.o = options;
    this.circuit = new CircuitBreaker(options.circuitThreshold, options.clock);
    this.token = new TokenLifecycle(() => this.login(), options.clock);
  }

  /** One call; returns 2xx and 404 responses, throws AuditError (GENESYS_*) for everything else. */
  async request(endpoint: Endpoint, send: () => Promise<RawResponse>, opts: CallOptions): Promise<RawResponse> {
    let failures = 0;
    let reloggedIn = false;
    let retrying = false;
    for (;;) {
      this.checkOpen(opts);
      await this.token.ensure(opts);
      const generation = this.token.generation;
      // A retry goes to the front of the gate's queue: its caller has waited once already.
      const res = await this.attempt(endpoint, send, (r) => String(r.status), opts, retrying);
      retrying = true;
      if (res instanceof TransportError || res.status >= 500) {
        failures++;
        await this.o.clock.sleep(this.failed(endpoint, res, failures, opts), opts.signal);
        continue;
      }
      this.succeeded();
      if (res.status === 401) {
        if (reloggedIn)
          throw new AuditError('GENESYS_AUTH_FAILED', `Genesys refused a fresh token on ${endpoint} (401)`, { retryable: true, details: { endpoint } });
        reloggedIn = true;
        this.token.rejected(generation);
        continue;
      }
      if (res.status === 429) {
        const waitMs = retryAfterMs(res, this.o.clock.now()) ?? backoff(failures + 1, RATE_LIMITED);
        const until = this.o.clock.now() + waitMs;
        this.o.gate.block(until);
        this.o.logger.debug({ endpoint, retryAfterMs: waitMs }, 'Genesys asked to slow down.');
        if (until > opts.deadline)
          throw new AuditError('GENESYS_RATE_LIMITED', `Genesys rate limit: retry after ${waitMs} ms, beyond the wait budget`, {
            retryable: true,
            details: { endpoint, waitMs },
          });
        continue;
      }
      if ((res.status >= 200 && res.status < 300) || res.status === 404) return res;
      const detail = errorText(res);
      if (res.status === 403)
        throw new AuditError('GENESYS_AUTH_FAILED', `Genesys denied ${endpoint} (403): ${detail}`, { retryable: true, details: { endpoint, status: 403 } });
      throw new AuditError('GENESYS_BAD_RESPONSE', `Genesys answered ${endpoint} with ${res.status}: ${detail}`, {
        retryable: true,
        details: { endpoint, status: res.status },
      });
    }
  }

  close(): void {
    this.closed = true;
  }

  /** Logs in with retries; returns the token's expiry. Run by the token lifecycle, one at a time. */
  private async login(): Promise<number> {
    // A login is worth finishing even when the caller that started it has given up.
    const opts: CallOptions = { deadline: this.o.clock.now() + 4 * (this.o.requestTimeoutMs + TIMEOUT_SLACK_MS) };
    let failures = 0;
    for (;;) {
      this.checkOpen(opts);
      const result = await this.attempt(
        'oauth_token',
        () => this.o.transport.login(),
        (r) => (r.ok ? '200' : String(r.response.status)),
        opts,
        true,
      );
      if (result instanceof TransportError || (!result.ok && result.response.status >= 500)) {
        failures++;
        await this.o.clock.sleep(this.failed('oauth_token', result instanceof TransportError ? result : result.response, failures, opts));
        continue;
      }
      if (result.ok) {
        this.succeeded();
        this.o.logger.debug({ expiresAt: new Date(result.expiresAtMs).toISOString() }, 'Genesys login succeeded.');
        return result.expiresAtMs;
      }
      const res = result.response;
      if (res.status === 429) {
        this.o.gate.block(this.o.clock.now() + (retryAfterMs(res, this.o.clock.now()) ?? LOGIN_RATE_LIMITED_MS));
        continue;
      }
      const err = new AuditError('GENESYS_AUTH_FAILED', `Genesys login failed (${res.status}): ${errorText(res)}`, {
        retryable: true,
        details: { status: res.status },
      });
      this.o.logger.error({ err: describeError(err) }, 'Genesys login failed; check GENESYS_CLIENT_ID/SECRET and the OAuth client.');
      // Bad credentials do not fix themselves within seconds: back off like an outage.
      this.circuit.open();
      throw err;
    }
  }

  /** Passes the gate and sends once; a response or the TransportError of no response. */
  private async attempt<R>(
    endpoint: Endpoint,
    send: () => Promise<R>,
    status: (r: R) => string,
    opts: CallOptions,
    front: boolean,
  ): Promise<R | TransportError> {
    await this.passGate(opts, front);
    let res: R | TransportError;
    const ms = this.o.requestTimeoutMs + TIMEOUT_SLACK_MS;
    try {
      res = await raceTimer(send(), ms, undefined, this.o.clock, () => new TransportError('timeout', `no answer within ${ms} ms`));
    } catch (err) {
      res = err instanceof TransportError ? err : new TransportError('network', describeError(err).message);
    }
    this.o.metrics.genesysRequests.inc({ endpoint, status: res instanceof TransportError ? 'error' : status(res) });
    return res;
  }

  private async passGate(opts: CallOptions, front: boolean): Promise<void> {
    if (this.closed) throw new AuditError('GENESYS_UNAVAILABLE', 'Genesys client is closed', { retryable: true });
    try {
      await this.o.gate.acquire(opts.deadline, opts.signal, front);
    } catch (err) {
      if (err instanceof GateDeadlineError) {
        throw new AuditError('GENESYS_RATE_LIMITED', err.message, { retryable: true, details: { reason: err.reason, waitMs: err.waitMs } });
      }
      if (err instanceof GateAbortedError) throw new AuditError('GENESYS_UNAVAILABLE', err.message, { retryable: true, details: { reason: 'aborted' } });
      throw err;
    }
  }

  private checkOpen(opts: CallOptions): void {
    if (opts.signal?.aborted === true)
      throw new AuditError('GENESYS_UNAVAILABLE', 'Genesys call abandoned', { retryable: true, details: { reason: 'aborted' } });
    if (this.circuit.isOpen()) {
      throw new AuditError('GENESYS_UNAVAILABLE', 'Genesys is failing; calls are paused', {
        retryable: true,
        details: { reason: 'circuit_open', until: new Date(this.circuit.openUntil).toISOString() },
      });
    }
    if (this.o.clock.now() > opts.deadline)
      throw new AuditError('GENESYS_RATE_LIMITED', 'Wait budget spent', { retryable: true, details: { reason: 'deadline' } });
  }

  /** Records a 5xx or network failure; returns the backoff before the next attempt, or throws. */
  private failed(endpoint: Endpoint, res: RawResponse | TransportError, failures: number, opts: CallOptions): number {
    const what = res instanceof TransportError ? `${res.kind} error (${res.code ?? res.message})` : `status ${res.status}`;
    const pauseMs = this.circuit.failure();
    if (pauseMs !== undefined)
      this.o.logger.warn({ endpoint, cause: what, pauseMs }, 'Genesys keeps failing; pausing calls. Events are written with enrichment pending.');
    const wait = backoff(failures, this.o.retry, this.o.random);
    const now = this.o.clock.now();
    if (failures >= this.o.retryMaxAttempts || now + wait > opts.deadline || this.circuit.isOpen()) {
      throw new AuditError('GENESYS_UNAVAILABLE', `Genesys ${endpoint} failed: ${what}`, { retryable: true, details: { endpoint, attempts: failures } });
    }
    return wait;
  }

  private succeeded(): void {
    if (this.circuit.success()) this.o.logger.info('Genesys answers again.');
  }
}

/** Retry-After in ms: delta seconds or an HTTP date; else the "[42] seconds" of the error message. */
export function retryAfterMs(res: RawResponse, now = systemClock.now()): number | undefined {
  const header = res.headers['retry-after'];
  if (header !== undefined && header.trim() !== '') {
    const v = header.trim();
    if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
    const date = Date.parse(v);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const body = ErrorBodySchema.safeParse(res.body);
  const m = body.success ? /\[(\d+)\]\s*seconds/.exec(body.data.message ?? '') : null;
  return m?.[1] !== undefined ? Number(m[1]) * 1000 : undefined;
}

function errorText(res: RawResponse): string {
  const body = ErrorBodySchema.safeParse(res.body);
  if (!body.success) return 'no error body';
  return [body.data.code, body.data.message]
    .filter((x) => x !== undefined)
    .join(': ')
    .slice(0, 300);
}
