import type { z } from 'zod';
import { AuditError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { Metrics } from '../../core/metrics.js';
import { systemClock, type Clock } from '../../core/time.js';
import type { CallOptions } from './deadline.js';
import {
  ConversationDetailsResponseSchema,
  RecordingMetadataListSchema,
  RetentionListingSchema,
  TokenInfoSchema,
  UserListingSchema,
  UsersSearchResponseSchema,
  type ConversationDetail,
  type GenesysUser,
  type RecordingMetadata,
  type TokenInfo,
} from './models.js';
import { RateGate } from './rate-gate.js';
import { RequestLoop, type Endpoint } from './request-loop.js';
import type { GenesysTransport, RawResponse } from './sdk.js';

export { raceDeadline, type CallOptions } from './deadline.js';
export { retryAfterMs, type Endpoint } from './request-loop.js';

/**
 * The Genesys API as lookups see it: one method per endpoint, every body parsed into our own
 * types. Everything between a method and the wire is the request loop (request-loop.ts), with the
 * token lifecycle (token.ts), the circuit breaker (circuit.ts) and the shared rate gate under it.
 */

export interface GenesysClientOptions {
  readonly transport: GenesysTransport;
  readonly requestsPerMinute: number;
  readonly retryMaxAttempts: number;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock?: Clock;
  /** Jitter source for retry backoff; backoff()'s default unless a test pins it. */
  readonly random?: () => number;
  /** First retry backoff; doubles per attempt with full jitter. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Consecutive failed attempts that open the circuit; default: one call's worth of retries. */
  readonly circuitThreshold?: number;
}

/**
 * Emails per users search. Genesys publishes no cap on the values of one criterion; 50 is what the
 * simulator accepts (src/sim/genesys/users-search.ts) and keeps a request body small.
 */
export const USERS_SEARCH_MAX_VALUES = 50;
const USERS_SEARCH_PAGE_SIZE = 100;

export interface RetentionPage {
  readonly entries: readonly { readonly conversationId: string; readonly recordingId: string }[];
  readonly nextCursor: string | undefined;
}

export class GenesysClient {
  readonly gate: RateGate;
  /** For callers that send their own requests through request() (audits.ts). */
  readonly transport: GenesysTransport;
  readonly clock: Clock;
  private readonly o: GenesysClientOptions;
  private readonly loop: RequestLoop;

  constructor(options: GenesysClientOptions) {
    this.o = options;
    const clock = options.clock ?? systemClock;
    this.transport = options.transport;
    this.clock = clock;
    this.gate = new RateGate(options.requestsPerMinute, { clock });
    this.loop = new RequestLoop({
      transport: options.transport,
      gate: this.gate,
      clock,
      ...(options.random !== undefined ? { random: options.random } : {}),
      retryMaxAttempts: options.retryMaxAttempts,
      requestTimeoutMs: options.requestTimeoutMs,
      retry: { base: options.retryBaseMs ?? 250, cap: options.retryMaxMs ?? 10_000, jitter: 'full' },
      circuitThreshold: options.circuitThreshold ?? options.retryMaxAttempts,
      logger: options.logger,
      metrics: options.metrics,
    });
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

  /**
   * Users by email (case-insensitive), keyed by the lowercased email: one EXACT search per
   * USERS_SEARCH_MAX_VALUES emails, paged. An email absent from the map has no (undeleted) user.
   */
  async usersByEmail(emails: readonly string[], opts: CallOptions): Promise<Map<string, GenesysUser>> {
    const out = new Map<string, GenesysUser>();
    const wanted = [...new Set(emails.map((e) => e.toLowerCase()))];
    for (let i = 0; i < wanted.length; i += USERS_SEARCH_MAX_VALUES) {
      const chunk = wanted.slice(i, i + USERS_SEARCH_MAX_VALUES);
      const asked = new Set(chunk);
      for (let page = 1; ; page++) {
        const res = await this.request('users_search', () => this.o.transport.usersSearch(chunk, USERS_SEARCH_PAGE_SIZE, page), opts);
        if (res.status === 404) break;
        const body = parse(UsersSearchResponseSchema, res, 'users_search');
        const results = body.results ?? [];
        for (const u of results) {
          const email = u.email?.toLowerCase();
          // Only exact answers to what was asked: a search that matched more loosely names someone else.
          if (email !== undefined && asked.has(email) && !out.has(email)) out.set(email, u);
        }
        if ((body.pageCount ?? 1) <= page || results.length === 0) break;
      }
    }
    return out;
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
      throw new AuditError('GENESYS_BAD_RESPONSE', 'retention listing page not found (cursor expired?)', {
        retryable: true,
        details: { endpoint: 'retention_query' },
      });
    }
    const body = parse(RetentionListingSchema, res, 'retention_query');
    const entries = (body.entities ?? []).flatMap((e) =>
      e.conversationId !== undefined && e.recordingId !== undefined
        ? [{ conversationId: e.conversationId.toLowerCase(), recordingId: e.recordingId.toLowerCase() }]
        : [],
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
  request(endpoint: Endpoint, send: () => Promise<RawResponse>, opts: CallOptions): Promise<RawResponse> {
    return this.loop.request(endpoint, send, opts);
  }

  close(): void {
    this.loop.close();
    this.gate.close();
  }
}

function parse<S extends z.ZodType>(schema: S, res: RawResponse, endpoint: Endpoint): z.infer<S> {
  const parsed = schema.safeParse(res.body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new AuditError(
    'GENESYS_BAD_RESPONSE',
    `Genesys ${endpoint} body does not match its model: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    {
      retryable: true,
      details: { endpoint },
    },
  );
}

function cursorOf(nextUri: string | undefined): string | undefined {
  if (nextUri === undefined || nextUri === '') return undefined;
  try {
    return new URL(nextUri, 'http://localhost').searchParams.get('cursor') ?? undefined;
  } catch {
    return undefined;
  }
}
