import type { z } from 'zod';
import { AuditError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { Metrics } from '../../core/metrics.js';
import {
  ConversationDetailsResponseSchema,
  ErrorBodySchema,
  RecordingMetadataListSchema,
  RetentionListingSchema,
  TokenInfoSchema,
  UserListingSchema,
  type ConversationDetail,
  type GenesysUser,
  type RecordingMetadata,
  type TokenInfo,
} from './models.js';
import { GateAbortedError, GateDeadlineError, RateGate, type Clock } from './rate-gate.js';
import { TransportError, type GenesysTransport, type RawResponse } from './sdk.js';

/**
 * Everything between a lookup and the wire: token life cycle (client credentials, renewed before
 * expiry and once on a 401), the shared rate gate (client-side budget + Retry-After), retries with
 * backoff on 5xx and network errors, a circuit that stops calling a Genesys that is down, per-call
 * timeouts, metrics, and parsing of every body into our own types.
 */

export type Endpoint = 'oauth_token' | 'conversation_details' | 'users' | 'recording_metadata' | 'retention_query' | 'tokens_me';

export interface CallOptions {
  /** Epoch ms after which the caller no longer wants the answer. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  /**
   * Asked before a lookup that the caches and requests already on their way cannot answer; false
   * refuses it (GENESYS_LOOKUPS_PER_REQUESTER_PER_MIN). Absent: every lookup may go out.
   */
  readonly admit?: () => boolean;
}

export interface GenesysClientOptions {
  readonly transport: GenesysTransport;
  readonly requestsPerMinute: number;
  readonly retryMaxAttempts: number;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock?: Clock;
  /** First retry backoff; doubles per attempt with full jitter. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Consecutive failed attempts that open the circuit; default: one call's worth of retries. */
  readonly circuitThreshold?: number;
}

export interface RetentionPage {
  readonly entries: readonly { readonly conversationId: string; readonly recordingId: string }[];
  readonly nextCursor: string | undefined;
}

const CIRCUIT_MIN_MS = 2_000;
const CIRCUIT_MAX_MS = 60_000;

export class GenesysClient {
  readonly gate: RateGate;
  private readonly o: GenesysClientOptions;
  private readonly clock: Clock;
  private tokenExpiresAt = 0;
  private tokenRenewAt = 0;
  private tokenGeneration = 0;
  private loginInFlight: Promise<void> | undefined;
  private consecutiveFailures = 0;
  private circuitOpenUntil = 0;
  private circuitCooldownMs = CIRCUIT_MIN_MS;
  private closed = false;

  constructor(options: GenesysClientOptions) {
    this.o = options;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.gate = new RateGate(options.requestsPerMinute, { clock: this.clock });
  }

  /** Conversations found, by id; an id absent from the map does not exist (or is not visible). */
  async conversationDetails(ids: readonly string[], opts: CallOptions): Promise<Map<string, ConversationDetail>> {
    const res = await this.request('conversation_details', () => this.o.transport.conversationDetails(ids), opts);
    const out = new Map<string, ConversationDetail>();
    if (res.status === 404) return out;
    const body = parse(ConversationDetailsResponseSchema, res, 'conversation_details');
    for (const c of body.conversations ?? []) out.set(c.conversationId.toLowerCase(), c);
    return out;
  }

  /** Users found (any state, deleted included), by id. */
  async users(ids: readonly string[], opts: CallOptions): Promise<Map<string, GenesysUser>> {
    const out = new Map<string, GenesysUser>();
    const pageSize = Math.max(1, ids.length);
    for (let page = 1; ; page++) {
      const res = await this.request('users', () => this.o.transport.users(ids, pageSize, page), opts);
      if (res.status === 404) return out;
      const body = parse(UserListingSchema, res, 'users');
      for (const u of body.entities ?? []) out.set(u.id.toLowerCase(), u);
      const more = (body.pageCount ?? 1) > page && (body.entities?.length ?? 0) > 0;
      if (!more || out.size >= ids.length) return out;
    }
  }

  /** All recordings of one conversation; undefined when the conversation is unknown (404). */
  async recordingMetadata(conversationId: string, opts: CallOptions): Promise<RecordingMetadata[] | undefined> {
    const res = await this.request('recording_metadata', () => this.o.transport.recordingMetadata(conversationId), opts);
    if (res.status === 404) return undefined;
    return parse(RecordingMetadataListSchema, res, 'recording_metadata');
  }

  async retentionPage(cursor: string | undefined, pageSize: number, opts: CallOptions): Promise<RetentionPage> {
    const res = await this.request('retention_query', () => this.o.transport.retentionQuery(cursor, pageSize), opts);
    if (res.status === 404) {
      // No listing at all is an empty one; a page after the first that is gone (an expired cursor)
      // is not the end of the listing, and must not turn the rest into "no such recording".
      if (cursor === undefined) return { entries: [], nextCursor: undefined };
      throw new AuditError('GENESYS_BAD_RESPONSE', 'retention listing page not found (cursor expired?)', { retryable: true, details: { endpoint: 'retention_query' } });
    }
    const body = parse(RetentionListingSchema, res, 'retention_query');
    const entries = (body.entities ?? []).flatMap((e) =>
      e.conversationId !== undefined && e.recordingId !== undefined ? [{ conversationId: e.conversationId.toLowerCase(), recordingId: e.recordingId.toLowerCase() }] : [],
    );
    return { entries, nextCursor: cursorOf(body.nextUri) };
  }

  async tokenInfo(opts: CallOptions): Promise<TokenInfo> {
    const res = await this.request('tokens_me', () => this.o.transport.tokenInfo(), opts);
    return parse(TokenInfoSchema, res, 'tokens_me');
  }

  /**
   * One call with auth, gate, retries and classification. Returns 2xx and 404 responses; throws
   * AuditError (GENESYS_*) for everything else.
   */
  async request(endpoint: Endpoint, send: () => Promise<RawResponse>, opts: CallOptions): Promise<RawResponse> {
    let failures = 0;
    let reloggedIn = false;
    let retrying = false;
    for (;;) {
      this.checkOpen(opts);
      await this.ensureToken(opts);
      const generation = this.tokenGeneration;
      const res = await this.attempt(endpoint, send, opts, retrying);
      retrying = true;
      if (res instanceof TransportError || res.status >= 500) {
        failures++;
        const backoff = this.failed(endpoint, res, failures, opts);
        await sleepUntil(this.clock.now() + backoff, opts.signal);
        continue;
      }
      this.succeeded();
      if (res.status === 401) {
        if (reloggedIn) throw new AuditError('GENESYS_AUTH_FAILED', `Genesys refused a fresh token on ${endpoint} (401)`, { retryable: true, details: { endpoint } });
        reloggedIn = true;
        // Only the first caller to see the old token rejected renews it.
        if (generation === this.tokenGeneration) this.tokenExpiresAt = 0;
        continue;
      }
      if (res.status === 429) {
        const waitMs = retryAfterMs(res) ?? 1_000 * 2 ** Math.min(5, failures);
        const until = this.clock.now() + waitMs;
        this.gate.block(until);
        this.o.logger.debug({ endpoint, retryAfterMs: waitMs }, 'Genesys asked to slow down.');
        if (until > opts.deadline) throw new AuditError('GENESYS_RATE_LIMITED', `Genesys rate limit: retry after ${waitMs} ms, beyond the wait budget`, { retryable: true, details: { endpoint, waitMs } });
        continue;
      }
      if ((res.status >= 200 && res.status < 300) || res.status === 404) return res;
      const detail = errorText(res);
      if (res.status === 403) throw new AuditError('GENESYS_AUTH_FAILED', `Genesys denied ${endpoint} (403): ${detail}`, { retryable: true, details: { endpoint, status: 403 } });
      throw new AuditError('GENESYS_BAD_RESPONSE', `Genesys answered ${endpoint} with ${res.status}: ${detail}`, { retryable: true, details: { endpoint, status: res.status } });
    }
  }

  close(): void {
    this.closed = true;
    this.gate.close();
  }

  private async attempt(endpoint: Endpoint, send: () => Promise<RawResponse>, opts: CallOptions, front: boolean): Promise<RawResponse | TransportError> {
    await this.passGate(opts, front);
    let res: RawResponse | TransportError;
    try {
      res = await withTimeout(send(), this.o.requestTimeoutMs + 1_000);
    } catch (err) {
      res = err instanceof TransportError ? err : new TransportError('network', describeError(err).message);
    }
    this.o.metrics.genesysRequests.inc({ endpoint, status: res instanceof TransportError ? 'error' : String(res.status) });
    return res;
  }

  private async passGate(opts: CallOptions, front: boolean): Promise<void> {
    if (this.closed) throw new AuditError('GENESYS_UNAVAILABLE', 'Genesys client is closed', { retryable: true });
    try {
      await this.gate.acquire(opts.deadline, opts.signal, front);
    } catch (err) {
      if (err instanceof GateDeadlineError) {
        throw new AuditError('GENESYS_RATE_LIMITED', err.message, { retryable: true, details: { reason: err.reason, waitMs: err.waitMs } });
      }
      if (err instanceof GateAbortedError) throw new AuditError('GENESYS_UNAVAILABLE', err.message, { retryable: true, details: { reason: 'aborted' } });
      throw err;
    }
  }

  private checkOpen(opts: CallOptions): void {
    if (opts.signal?.aborted) throw new AuditError('GENESYS_UNAVAILABLE', 'Genesys call abandoned', { retryable: true, details: { reason: 'aborted' } });
    if (this.clock.now() < this.circuitOpenUntil) {
      throw new AuditError('GENESYS_UNAVAILABLE', 'Genesys is failing; calls are paused', { retryable: true, details: { reason: 'circuit_open', until: new Date(this.circuitOpenUntil).toISOString() } });
    }
    if (this.clock.now() > opts.deadline) throw new AuditError('GENESYS_RATE_LIMITED', 'Wait budget spent', { retryable: true, details: { reason: 'deadline' } });
  }

  /** Records a 5xx or network failure; returns the backoff before the next attempt, or throws. */
  private failed(endpoint: Endpoint, res: RawResponse | TransportError, failures: number, opts: CallOptions): number {
    const what = res instanceof TransportError ? `${res.kind} error (${res.code ?? res.message})` : `status ${res.status}`;
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= (this.o.circuitThreshold ?? this.o.retryMaxAttempts) && this.clock.now() >= this.circuitOpenUntil) {
      this.o.logger.warn({ endpoint, cause: what, pauseMs: this.circuitCooldownMs }, 'Genesys keeps failing; pausing calls. Events are written with enrichment pending.');
      this.openCircuit();
    }
    const base = this.o.retryBaseMs ?? 250;
    const backoff = Math.random() * Math.min(this.o.retryMaxMs ?? 10_000, base * 2 ** (failures - 1));
    if (failures >= this.o.retryMaxAttempts || this.clock.now() + backoff > opts.deadline || this.clock.now() < this.circuitOpenUntil) {
      throw new AuditError('GENESYS_UNAVAILABLE', `Genesys ${endpoint} failed: ${what}`, { retryable: true, details: { endpoint, attempts: failures } });
    }
    return backoff;
  }

  private succeeded(): void {
    if (this.consecutiveFailures > 0 || this.circuitCooldownMs !== CIRCUIT_MIN_MS) {
      if (this.circuitOpenUntil > 0) this.o.logger.info('Genesys answers again.');
      this.consecutiveFailures = 0;
      this.circuitCooldownMs = CIRCUIT_MIN_MS;
      this.circuitOpenUntil = 0;
    }
  }

  private async ensureToken(opts: CallOptions): Promise<void> {
    if (this.tokenExpiresAt > 0 && this.clock.now() < this.tokenRenewAt) return;
    this.loginInFlight ??= this.login().finally(() => {
      this.loginInFlight = undefined;
    });
    await raceDeadline(this.loginInFlight, opts);
  }

  private async login(): Promise<void> {
    // A login is worth finishing even when the caller that started it has given up.
    const opts: CallOptions = { deadline: this.clock.now() + 4 * (this.o.requestTimeoutMs + 1_000) };
    let failures = 0;
    for (;;) {
      this.checkOpen(opts);
      await this.passGate(opts, true);
      let result;
      try {
        result = await withTimeout(this.o.transport.login(), this.o.requestTimeoutMs + 1_000);
      } catch (err) {
        const te = err instanceof TransportError ? err : new TransportError('network', describeError(err).message);
        this.o.metrics.genesysRequests.inc({ endpoint: 'oauth_token', status: 'error' });
        failures++;
        await sleepUntil(this.clock.now() + this.failed('oauth_token', te, failures, opts));
        continue;
      }
      if (result.ok) {
        this.o.metrics.genesysRequests.inc({ endpoint: 'oauth_token', status: '200' });
        this.succeeded();
        const now = this.clock.now();
        const lifetime = Math.max(0, result.expiresAtMs - now);
        this.tokenExpiresAt = result.expiresAtMs;
        // Renew ahead of expiry: a tenth of the lifetime, at most a minute early.
        this.tokenRenewAt = result.expiresAtMs - Math.min(60_000, lifetime / 10);
        this.tokenGeneration++;
        this.o.logger.debug({ expiresAt: new Date(result.expiresAtMs).toISOString() }, 'Genesys login succeeded.');
        return;
      }
      const res = result.response;
      this.o.metrics.genesysRequests.inc({ endpoint: 'oauth_token', status: String(res.status) });
      if (res.status === 429) {
        this.gate.block(this.clock.now() + (retryAfterMs(res) ?? 5_000));
        continue;
      }
      if (res.status >= 500) {
        failures++;
        await sleepUntil(this.clock.now() + this.failed('oauth_token', res, failures, opts));
        continue;
      }
      const err = new AuditError('GENESYS_AUTH_FAILED', `Genesys login failed (${res.status}): ${errorText(res)}`, { retryable: true, details: { status: res.status } });
      this.o.logger.error({ err: describeError(err) }, 'Genesys login failed; check GENESYS_CLIENT_ID/SECRET and the OAuth client.');
      // Bad credentials do not fix themselves within seconds: back off like an outage.
      this.openCircuit();
      throw err;
    }
  }

  private openCircuit(): void {
    this.circuitOpenUntil = this.clock.now() + this.circuitCooldownMs;
    this.circuitCooldownMs = Math.min(CIRCUIT_MAX_MS, this.circuitCooldownMs * 2);
  }
}

function parse<S extends z.ZodType>(schema: S, res: RawResponse, endpoint: Endpoint): z.infer<S> {
  const parsed = schema.safeParse(res.body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new AuditError('GENESYS_BAD_RESPONSE', `Genesys ${endpoint} body does not match its model: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(), {
    retryable: true,
    details: { endpoint },
  });
}

/** Retry-After in ms: delta seconds or an HTTP date; else the "[42] seconds" of the error message. */
export function retryAfterMs(res: RawResponse, now = Date.now()): number | undefined {
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
  return [body.data.code, body.data.message].filter((x) => x !== undefined).join(': ').slice(0, 300);
}

function cursorOf(nextUri: string | undefined): string | undefined {
  if (nextUri === undefined || nextUri === '') return undefined;
  try {
    return new URL(nextUri, 'http://localhost').searchParams.get('cursor') ?? undefined;
  } catch {
    return undefined;
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TransportError('timeout', `no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Waits for `p` but gives up at the caller's deadline or abort (p keeps running). */
export async function raceDeadline<T>(p: Promise<T>, opts: CallOptions): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        const fail = (reason: string): void => reject(new AuditError(reason === 'aborted' ? 'GENESYS_UNAVAILABLE' : 'GENESYS_RATE_LIMITED', `Genesys wait ended: ${reason}`, { retryable: true, details: { reason } }));
        timer = setTimeout(() => fail('deadline'), Math.min(Math.max(0, opts.deadline - Date.now()), 2_147_483_647));
        if (opts.signal !== undefined) {
          onAbort = () => fail('aborted');
          if (opts.signal.aborted) onAbort();
          else opts.signal.addEventListener('abort', onAbort, { once: true });
        }
      }),
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (onAbort !== undefined) opts.signal?.removeEventListener('abort', onAbort);
  }
}

function sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
  const ms = Math.max(0, at - Date.now());
  return new Promise((resolve) => {
    if (ms === 0 || signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', done);
      resolve();
    }, ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
  });
}
