import { AuditError } from '../../core/errors.js';
import { backoff } from '../../core/time.js';
import type { GenesysClient } from './client.js';
import type { CallOptions } from './deadline.js';
import { AuditExecutionStatusSchema, AuditLogMessageSchema, AuditResultsSchema, AuditServiceMappingSchema } from './models.js';
import type { Endpoint } from './request-loop.js';
import type { AuditQueryBody, RawResponse } from './sdk.js';

/**
 * The Genesys audit trail (genesys-api.md §5): the Quality conversation audits
 * (`/api/v2/quality/conversations/audits/query`) and the general audits (`/api/v2/audits/query`).
 * Both are asynchronous: submit a query, poll its state until Succeeded, then read the results
 * page by page with a cursor. Every request goes through the client's request loop (rate gate,
 * 429 Retry-After, token renewal, retries), so the metrics count each by endpoint.
 */

export type AuditApi = 'quality' | 'audits';

/** One audit message, parsed. */
export interface AuditMessage {
  readonly api: AuditApi;
  readonly id: string;
  /** ISO-8601 UTC, as given (validated as a date). */
  readonly eventDate: string;
  readonly serviceName?: string;
  readonly entityType?: string;
  readonly action?: string;
  readonly level?: string;
  readonly status?: string;
  readonly user?: { readonly id: string; readonly name?: string };
  readonly clientId?: string;
  /** remoteIps (quality) / remoteIp (general). */
  readonly remoteIps: readonly string[];
  readonly entity?: { readonly id: string; readonly name?: string };
  readonly context: Readonly<Record<string, string>>;
  readonly application?: string;
  readonly propertyChanges: readonly { readonly property?: string; readonly oldValues: readonly string[]; readonly newValues: readonly string[] }[];
  /** The message exactly as received (JSON object), kept as evidence. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A message that could not be parsed (no id, no/invalid eventDate, wrong types): counted and quarantined, never dropped. */
export interface RejectedAuditMessage {
  readonly reason: string;
  readonly raw: unknown;
}

export interface AuditPage {
  readonly transactionId: string;
  readonly messages: readonly AuditMessage[];
  readonly rejected: readonly RejectedAuditMessage[];
  /** 1 for the first page of the query. */
  readonly pageNumber: number;
}

export interface AuditQuerySpec {
  readonly api: AuditApi;
  /** ISO, [from, to). */
  readonly from: string;
  readonly to: string;
  /** General API only. */
  readonly serviceName?: string;
  readonly filters: readonly { readonly property: string; readonly value: string }[];
}

export interface AuditFetchOptions {
  readonly signal: AbortSignal;
  /** First wait between state polls; it grows 1.5× per poll up to 8× this. Default 500 ms. */
  readonly pollIntervalMs?: number;
  /** Longest wait for the query to succeed, from its submission. Default 5 minutes. */
  readonly maxWaitMs?: number;
  /** Results per page, 1 to 500. Default 500 (the API's maximum). */
  readonly pageSize?: number;
}

/**
 * The largest interval the API accepts in one query; the source splits longer windows. Not
 * documented by Genesys (genesys-api.md §9); 31 days is the simulator's cap too.
 */
export const AUDIT_MAX_INTERVAL_MS = 31 * 86_400_000;

export const AUDIT_MAX_PAGE_SIZE = 500;
const DEFAULT_POLL_MS = 500;
const DEFAULT_MAX_WAIT_MS = 5 * 60_000;
/**
 * How long one request may wait (rate gate, Retry-After, retries) before it gives up. A backfill
 * has time; a page is worth waiting for rather than restarting the query.
 */
const REQUEST_BUDGET_MS = 2 * 60_000;

const ENDPOINTS: Record<AuditApi, { query: Endpoint; status: Endpoint; results: Endpoint }> = {
  quality: { query: 'quality_audits_query', status: 'quality_audits_status', results: 'quality_audits_results' },
  audits: { query: 'audits_query', status: 'audits_status', results: 'audits_results' },
};

/**
 * Runs one async query to the end: submit, poll until Succeeded (Failed/Cancelled → AuditError,
 * retryable), then every results page (pageSize 500 by default, expand=user). Yields page by page;
 * the consumer awaits its write before asking for the next page. An expired cursor throws
 * AuditError with details.reason 'cursor_expired'.
 */
export async function* fetchAudits(client: GenesysClient, spec: AuditQuerySpec, opts: AuditFetchOptions): AsyncGenerator<AuditPage> {
  const fromMs = Date.parse(spec.from);
  const toMs = Date.parse(spec.to);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs) || toMs <= fromMs || toMs - fromMs > AUDIT_MAX_INTERVAL_MS) {
    throw new AuditError(
      'GENESYS_AUDIT_QUERY_FAILED',
      `audit query interval ${spec.from}/${spec.to} is empty, malformed or longer than ${AUDIT_MAX_INTERVAL_MS} ms`,
      {
        details: { reason: 'bad_interval', api: spec.api },
      },
    );
  }
  const pageSize = opts.pageSize ?? AUDIT_MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > AUDIT_MAX_PAGE_SIZE) {
    throw new AuditError('INTERNAL', `audit page size ${pageSize} is not 1 to ${AUDIT_MAX_PAGE_SIZE}`);
  }
  const t = client.transport;
  const ep = ENDPOINTS[spec.api];
  const body: AuditQueryBody = {
    interval: `${new Date(fromMs).toISOString()}/${new Date(toMs).toISOString()}`,
    ...(spec.api === 'audits' && spec.serviceName !== undefined ? { serviceName: spec.serviceName } : {}),
    filters: spec.filters,
    sort: [{ name: 'Timestamp', sortOrder: 'ascending' }],
  };

  const submitted = await client.request(
    ep.query,
    () => (spec.api === 'quality' ? t.postQualityConversationsAuditsQuery(body) : t.postAuditsQuery(body)),
    callOpts(client, opts),
  );
  if (submitted.status === 404) throw failed(spec.api, undefined, 'not_found', 'the audit query endpoint answered 404');
  let status = parseStatus(submitted, ep.query);
  const transactionId = status.id;
  const startedAt = client.clock.now();
  const pollMs = Math.max(1, opts.pollIntervalMs ?? DEFAULT_POLL_MS);
  const maxWaitMs = opts.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  for (let polls = 1; status.state !== 'Succeeded'; polls++) {
    if (status.state === 'Failed' || status.state === 'Cancelled') {
      throw failed(spec.api, transactionId, status.state.toLowerCase(), `audit query ${transactionId} ended ${status.state}`);
    }
    const wait = Math.round(backoff(polls, { base: pollMs, cap: pollMs * 8, factor: 1.5, jitter: 'none' }));
    if (client.clock.now() + wait - startedAt > maxWaitMs) {
      throw failed(spec.api, transactionId, 'timeout', `audit query ${transactionId} still ${status.state} after ${maxWaitMs} ms`);
    }
    await client.clock.sleep(wait, opts.signal);
    checkAborted(opts.signal);
    const res = await client.request(
      ep.status,
      () => (spec.api === 'quality' ? t.getQualityConversationsAuditsQueryTransactionId(transactionId) : t.getAuditsQueryTransactionId(transactionId)),
      callOpts(client, opts),
    );
    if (res.status === 404) throw failed(spec.api, transactionId, 'not_found', `audit query ${transactionId} is gone (404)`);
    status = parseStatus(res, ep.status);
  }

  let cursor: string | undefined;
  for (let pageNumber = 1; ; pageNumber++) {
    checkAborted(opts.signal);
    const params = { pageSize, expand: ['user'], ...(cursor !== undefined ? { cursor } : {}) };
    let res: RawResponse;
    try {
      res = await client.request(
        ep.results,
        () =>
          spec.api === 'quality'
            ? t.getQualityConversationsAuditsQueryTransactionIdResults(transactionId, params)
            : t.getAuditsQueryTransactionIdResults(transactionId, params),
        callOpts(client, opts),
      );
    } catch (err) {
      // Which status the real API gives an expired cursor is not documented; a 400 on a page
      // after the first can only be the cursor (the rest of the request is the same as before).
      if (cursor !== undefined && err instanceof AuditError && err.code === 'GENESYS_BAD_RESPONSE' && err.details.status === 400) {
        throw failed(spec.api, transactionId, 'cursor_expired', `audit results cursor of ${transactionId} refused (400): expired`, pageNumber, err);
      }
      throw err;
    }
    if (res.status === 404) {
      throw cursor !== undefined
        ? failed(spec.api, transactionId, 'cursor_expired', `audit results of ${transactionId} gone (404) at page ${pageNumber}`, pageNumber)
        : failed(spec.api, transactionId, 'not_found', `audit results of ${transactionId} not found (404)`);
    }
    const parsed = AuditResultsSchema.safeParse(res.body);
    if (!parsed.success) {
      throw new AuditError('GENESYS_BAD_RESPONSE', `Genesys ${ep.results} body does not match its model: ${parsed.error.issues[0]?.message ?? ''}`, {
        retryable: true,
        details: { endpoint: ep.results },
      });
    }
    const messages: AuditMessage[] = [];
    const rejected: RejectedAuditMessage[] = [];
    for (const raw of parsed.data.entities ?? []) {
      const one = parseAuditMessage(spec.api, raw);
      if ('reason' in one) rejected.push(one);
      else messages.push(one);
    }
    const next = parsed.data.cursor !== undefined && parsed.data.cursor !== '' ? parsed.data.cursor : undefined;
    // The same cursor again would read the same page forever.
    if (next !== undefined && next === cursor) {
      throw new AuditError('GENESYS_BAD_RESPONSE', `Genesys ${ep.results} returned the cursor it was given`, {
        retryable: true,
        details: { endpoint: ep.results },
      });
    }
    cursor = next;
    yield { transactionId, messages, rejected, pageNumber };
    if (cursor === undefined) return;
  }
}

export async function fetchServiceMapping(
  client: GenesysClient,
  opts: { signal: AbortSignal },
): Promise<{ services: { name: string; entities: { name: string; actions: string[] }[] }[] }> {
  const res = await client.request('audits_servicemapping', () => client.transport.getAuditsQueryServicemapping(), callOpts(client, opts));
  if (res.status === 404) return { services: [] };
  const parsed = AuditServiceMappingSchema.safeParse(res.body);
  if (!parsed.success) {
    throw new AuditError('GENESYS_BAD_RESPONSE', `Genesys audits_servicemapping body does not match its model: ${parsed.error.issues[0]?.message ?? ''}`, {
      retryable: true,
      details: { endpoint: 'audits_servicemapping' },
    });
  }
  return {
    services: (parsed.data.services ?? []).flatMap((s) =>
      s.name === undefined
        ? []
        : [{ name: s.name, entities: (s.entities ?? []).flatMap((e) => (e.name === undefined ? [] : [{ name: e.name, actions: e.actions ?? [] }])) }],
    ),
  };
}

/** One results entity: an AuditMessage, or the reason it is not one. */
export function parseAuditMessage(api: AuditApi, raw: unknown): AuditMessage | RejectedAuditMessage {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { reason: 'not_an_object', raw };
  const obj = raw as Record<string, unknown>;
  if (typeof obj.id !== 'string' || obj.id === '') return { reason: 'missing_id', raw };
  if (typeof obj.eventDate !== 'string' || obj.eventDate === '') return { reason: 'missing_event_date', raw };
  // ISO-8601 with a zone: a zone-less date would be read in the worker's local time.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(obj.eventDate) || Number.isNaN(Date.parse(obj.eventDate))) {
    return { reason: 'invalid_event_date', raw };
  }
  const parsed = AuditLogMessageSchema.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { reason: `invalid_field:${issue?.path.join('.') ?? ''}`, raw };
  }
  const m = parsed.data;
  const optional = <K extends string>(key: K, v: string | undefined): Partial<Record<K, string>> =>
    v !== undefined && v !== '' ? ({ [key]: v } as Record<K, string>) : {};
  return {
    api,
    id: m.id,
    eventDate: m.eventDate,
    ...optional('serviceName', m.serviceName),
    ...optional('entityType', m.entityType),
    ...optional('action', m.action),
    ...optional('level', m.level),
    ...optional('status', m.status),
    ...(m.user?.id !== undefined && m.user.id !== '' ? { user: { id: m.user.id, ...optional('name', m.user.name) } } : {}),
    ...optional('clientId', m.client?.id),
    remoteIps: [...(m.remoteIps ?? []), ...(m.remoteIp ?? [])],
    ...(m.entity?.id !== undefined && m.entity.id !== '' ? { entity: { id: m.entity.id, ...optional('name', m.entity.name) } } : {}),
    context: { ...(m.context ?? {}) },
    ...optional('application', m.application),
    propertyChanges: (m.propertyChanges ?? []).map((p) => ({
      ...(p.property !== undefined ? { property: p.property } : {}),
      oldValues: p.oldValues ?? [],
      newValues: p.newValues ?? [],
    })),
    raw: obj,
  };
}

function callOpts(client: GenesysClient, opts: { signal: AbortSignal }): CallOptions {
  return { deadline: client.clock.now() + REQUEST_BUDGET_MS, signal: opts.signal };
}

function parseStatus(res: RawResponse, endpoint: Endpoint): { id: string; state: string } {
  const parsed = AuditExecutionStatusSchema.safeParse(res.body);
  if (parsed.success) return parsed.data;
  throw new AuditError('GENESYS_BAD_RESPONSE', `Genesys ${endpoint} body does not match its model: ${parsed.error.issues[0]?.message ?? ''}`, {
    retryable: true,
    details: { endpoint },
  });
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new AuditError('GENESYS_UNAVAILABLE', 'Genesys audit query abandoned', { retryable: true, details: { reason: 'aborted' } });
}

function failed(api: AuditApi, transactionId: string | undefined, reason: string, message: string, pageNumber?: number, cause?: unknown): AuditError {
  return new AuditError('GENESYS_AUDIT_QUERY_FAILED', message, {
    retryable: true,
    ...(cause !== undefined ? { cause } : {}),
    details: { reason, api, ...(transactionId !== undefined ? { transactionId } : {}), ...(pageNumber !== undefined ? { pageNumber } : {}) },
  });
}
