import { randomBytes } from 'node:crypto';
import type { ApiResult, Caller } from './api-types.js';
import {
  generateAuditMessages,
  qualityServiceOf,
  renderMessage,
  SERVICE_MAPPING,
  type AuditGenerationOptions,
  type SimAuditApi,
  type SimAuditMessage,
} from './audit-messages.js';
import type { Dataset } from './dataset.js';

/**
 * The Genesys audit APIs, as the SDK v262 models them (index.d.ts QMAuditQueryRequest,
 * QualityAuditLogMessage, AuditQueryRequest, AuditLogMessage, *ExecutionStatusResponse,
 * *ExecutionResultsResponse, AuditQueryServiceMapping) and genesys-api.md §5 describes them:
 * an async query (POST, then poll its state), results paged by an opaque cursor, and the
 * service mapping. The audit trail is generated from the dataset (audit-messages.ts: supervisors playing, exporting,
 * deleting its recordings) and tests add their own messages.
 *
 * Choices where the real API is not documented, so that tests and the source know what to expect:
 * - the longest query interval is `auditMaxIntervalMs` (default 31 days);
 * - an expired or unknown cursor answers 400 `bad.request` (the transaction still exists; the
 *   parameter is what is wrong); an unknown transaction answers 404;
 * - every message is served by both APIs with the same id;
 * - a query sees the messages visible when it succeeds; a message is visible from
 *   max(eventDate, time added) + `auditVisibilityLagMs`, like an audit backend that is behind.
 */

/** Settings of the audit backend that tests change at run time (SimulatorFaults carries them). */
export interface AuditFaults {
  /** Time in Queued, then again in Running, before a query succeeds (or fails). Default 0. */
  readonly auditQueryDelayMs?: number;
  /** Share of queries that end Failed. */
  readonly auditFailRate?: number;
  /** A cursor is refused this long after it was issued. Default 10 minutes. */
  readonly auditCursorTtlMs?: number;
  /** A message becomes visible to queries this long after its eventDate (or after it was added, if later). */
  readonly auditVisibilityLagMs?: number;
  /** Longest `interval` a query may ask for. Default 31 days. */
  readonly auditMaxIntervalMs?: number;
}

export const AUDIT_PERMISSIONS = { quality: 'audits:interactionDetails:view', audits: 'audits:audit:view' } as const;

const DEFAULT_MAX_INTERVAL_MS = 31 * 86_400_000;
const DEFAULT_CURSOR_TTL_MS = 10 * 60_000;
const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 25;
/** Queries and cursors kept; the oldest are forgotten beyond this (their ids then answer 404 / 400). */
const MAX_KEPT = 10_000;
/** Actions no service mapping lists, for the bad-input option. */

interface Stored {
  readonly message: SimAuditMessage;
  readonly visibleFrom: number;
  readonly eventMs: number;
  readonly seq: number;
}

interface Query {
  readonly api: SimAuditApi;
  readonly id: string;
  readonly submittedAt: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly interval: string;
  readonly serviceName: string | undefined;
  readonly filters: readonly { readonly property: string; readonly value: string }[];
  readonly sort: readonly { readonly name: string; readonly sortOrder: string }[];
  readonly fails: boolean;
  /** Taken when the query is first seen Succeeded: later messages are not in it. */
  results?: Stored[];
}

interface Cursor {
  readonly queryId: string;
  readonly offset: number;
  readonly issuedAt: number;
  readonly generation: number;
}

const QUALITY_FILTERS = new Set([
  'UserId',
  'TrusteeOrganizationId',
  'TrusteeOnlyAudits',
  'ClientId',
  'Action',
  'EntityType',
  'EntityId',
  'ConversationId',
  'ServiceName',
]);
const AUDIT_FILTERS = new Set(['UserId', 'TrusteeOrganizationId', 'ClientId', 'Action', 'EntityType', 'EntityId']);

export interface AuditBackendOptions {
  readonly dataset: Dataset;
  /** false: start with an empty audit trail. */
  readonly generate?: AuditGenerationOptions | false;
  readonly faults: () => AuditFaults;
  /** For the fail rate. */
  readonly random: () => number;
  readonly now?: () => number;
}

/** The audit trail and its query executions, behind handle(). */
export class AuditBackend {
  private readonly o: AuditBackendOptions;
  private readonly now: () => number;
  private readonly stored: Stored[] = [];
  private readonly queries = new Map<string, Query>();
  private readonly cursors = new Map<string, Cursor>();
  private cursorGeneration = 0;
  private failNext = 0;
  private seq = 0;

  constructor(options: AuditBackendOptions) {
    this.o = options;
    this.now = options.now ?? Date.now;
    if (options.generate !== false) this.add(generateAuditMessages(options.dataset, options.generate ?? {}), 0);
  }

  /** Adds messages to the trail; each is visible after the configured lag from max(eventDate, now). */
  add(messages: readonly SimAuditMessage[], addedAt = this.now()): void {
    for (const message of messages) {
      const eventMs = Date.parse(message.eventDate);
      if (Number.isNaN(eventMs)) throw new Error(`audit message ${message.id ?? '(no id)'}: eventDate ${message.eventDate} is not a date`);
      this.stored.push({ message, eventMs, visibleFrom: Math.max(eventMs, addedAt), seq: this.seq++ });
    }
  }

  /** Every message of the trail, in the order added. */
  messages(): readonly SimAuditMessage[] {
    return this.stored.map((s) => s.message);
  }

  /** Every cursor issued so far is refused from now on. */
  expireCursors(): void {
    this.cursorGeneration++;
  }

  /** The next `n` queries end Failed whatever the fail rate. */
  failNextQueries(n: number): void {
    this.failNext += n;
  }

  /** The answer for an audit path, or undefined for any other path. */
  handle(method: string, url: URL, caller: Caller, body: unknown): ApiResult | undefined {
    const path = url.pathname;
    if (method === 'GET' && path === '/api/v2/audits/query/servicemapping') {
      return this.denied('audits', caller) ?? { status: 200, body: SERVICE_MAPPING };
    }
    const m = /^\/api\/v2\/(quality\/conversations\/audits|audits)\/query(?:\/([^/]+)(\/results)?)?$/.exec(path);
    if (m === null) return undefined;
    const api: SimAuditApi = m[1] === 'audits' ? 'audits' : 'quality';
    const denied = this.denied(api, caller);
    if (denied) return denied;
    if (m[2] === undefined) return method === 'POST' ? this.submit(api, body) : notFound(method, path);
    if (method !== 'GET') return notFound(method, path);
    const query = this.queries.get(decodeURIComponent(m[2]));
    if (query === undefined || query.api !== api) return { status: 404, code: 'not.found', message: `Transaction ${m[2]} not found` };
    return m[3] === undefined ? { status: 200, body: this.statusBody(query) } : this.results(query, url);
  }

  private denied(api: SimAuditApi, caller: Caller): ApiResult | undefined {
    const p = AUDIT_PERMISSIONS[api];
    if (caller.permissions.includes(p)) return undefined;
    return { status: 403, code: 'missing.any.permissions', message: `You are missing the following permission(s): ${p}` };
  }

  private submit(api: SimAuditApi, body: unknown): ApiResult {
    if (!isObject(body)) return bad('A request body is required');
    const interval = body.interval;
    if (typeof interval !== 'string') return bad('interval is required');
    const [from, to, extra] = interval.split('/');
    const fromMs = from !== undefined ? Date.parse(from) : NaN;
    const toMs = to !== undefined ? Date.parse(to) : NaN;
    if (extra !== undefined || Number.isNaN(fromMs) || Number.isNaN(toMs) || toMs <= fromMs) return bad(`interval ${interval} is not start/end`);
    // The real cap is not documented; 31 days is this simulator's default.
    const cap = this.o.faults().auditMaxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS;
    if (toMs - fromMs > cap) return bad(`interval longer than ${cap} ms`);
    const allowed = api === 'quality' ? QUALITY_FILTERS : AUDIT_FILTERS;
    if (api === 'quality' && !Array.isArray(body.filters)) return bad('filters is required');
    const filters: { property: string; value: string }[] = [];
    for (const f of Array.isArray(body.filters) ? (body.filters as unknown[]) : []) {
      if (!isObject(f) || typeof f.property !== 'string' || typeof f.value !== 'string') return bad('a filter needs property and value');
      if (!allowed.has(f.property)) return bad(`unknown filter property ${f.property}`);
      filters.push({ property: f.property, value: f.value });
    }
    const sort: { name: string; sortOrder: string }[] = [];
    for (const s of Array.isArray(body.sort) ? (body.sort as unknown[]) : []) {
      if (!isObject(s) || s.name !== 'Timestamp' || (s.sortOrder !== 'ascending' && s.sortOrder !== 'descending'))
        return bad('sort is {name: Timestamp, sortOrder}');
      sort.push({ name: s.name, sortOrder: s.sortOrder });
    }
    const serviceName = api === 'audits' && typeof body.serviceName === 'string' ? body.serviceName : undefined;
    let fails = false;
    if (this.failNext > 0) {
      this.failNext--;
      fails = true;
    } else {
      const rate = this.o.faults().auditFailRate ?? 0;
      fails = rate > 0 && this.o.random() < rate;
    }
    const query: Query = { api, id: randomUuidFromBytes(), submittedAt: this.now(), fromMs, toMs, interval, serviceName, filters, sort, fails };
    keep(this.queries, query.id, query);
    // A new execution is always Queued, however fast it then runs: the client polls at least once.
    return { status: 200, body: { ...this.statusBody(query), state: 'Queued' } };
  }

  private state(query: Query): string {
    const delay = this.o.faults().auditQueryDelayMs ?? 0;
    const elapsed = this.now() - query.submittedAt;
    if (elapsed < delay) return 'Queued';
    if (elapsed < 2 * delay) return 'Running';
    if (query.fails) return 'Failed';
    query.results ??= this.run(query);
    return 'Succeeded';
  }

  private statusBody(query: Query): Record<string, unknown> {
    const base = { id: query.id, state: this.state(query), interval: query.interval, filters: query.filters, sort: query.sort };
    const started = new Date(query.submittedAt).toISOString();
    return query.api === 'quality'
      ? { ...base, dateStart: started }
      : { ...base, startDate: started, ...(query.serviceName !== undefined ? { serviceName: query.serviceName } : {}) };
  }

  private run(query: Query): Stored[] {
    const lag = this.o.faults().auditVisibilityLagMs ?? 0;
    const now = this.now();
    const hits = this.stored.filter((s) => s.eventMs >= query.fromMs && s.eventMs < query.toMs && s.visibleFrom + lag <= now && this.matches(query, s.message));
    const desc = query.sort[0]?.sortOrder === 'descending' ? -1 : 1;
    return hits.sort((a, b) => desc * (a.eventMs - b.eventMs || a.seq - b.seq));
  }

  private matches(query: Query, m: SimAuditMessage): boolean {
    if (query.serviceName !== undefined && query.serviceName !== (m.auditService ?? 'Quality')) return false;
    return query.filters.every((f) => {
      switch (f.property) {
        case 'UserId':
          return m.userId === f.value;
        case 'ClientId':
          return m.clientId === f.value;
        case 'Action':
          return m.action === f.value;
        case 'EntityType':
          return m.entityType === f.value;
        case 'EntityId':
          return m.entityId === f.value;
        case 'ConversationId':
          return m.conversationId === f.value;
        case 'ServiceName':
          return qualityServiceOf(m) === f.value;
        case 'TrusteeOrganizationId':
          return false;
        default:
          // TrusteeOnlyAudits: the simulator has no trustee organizations.
          return f.value !== 'true';
      }
    });
  }

  private results(query: Query, url: URL): ApiResult {
    const state = this.state(query);
    if (state !== 'Succeeded') return bad(`Query ${query.id} is ${state}; results are available once it has Succeeded`);
    const pageSizeParam = url.searchParams.get('pageSize');
    const pageSize = pageSizeParam === null ? DEFAULT_PAGE_SIZE : Number(pageSizeParam);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) return bad(`pageSize must be 1 to ${MAX_PAGE_SIZE}`);
    let offset = 0;
    const cursorParam = url.searchParams.get('cursor');
    if (cursorParam !== null && cursorParam !== '') {
      const c = this.cursors.get(cursorParam);
      const ttl = this.o.faults().auditCursorTtlMs ?? DEFAULT_CURSOR_TTL_MS;
      if (c === undefined || c.queryId !== query.id || c.generation !== this.cursorGeneration || this.now() - c.issuedAt > ttl) {
        return bad('The cursor is invalid or has expired');
      }
      offset = c.offset;
    }
    const expand = url.searchParams
      .getAll('expand')
      .concat(url.searchParams.getAll('expand[]'))
      .flatMap((v) => v.split(','));
    const all = query.results ?? [];
    const entities = all.slice(offset, offset + pageSize).map((s) => renderMessage(query.api, s.message, this.o.dataset, expand.includes('user')));
    let cursor: string | undefined;
    if (offset + pageSize < all.length) {
      cursor = randomBytes(18).toString('base64url');
      keep(this.cursors, cursor, { queryId: query.id, offset: offset + pageSize, issuedAt: this.now(), generation: this.cursorGeneration });
    }
    return { status: 200, body: { id: query.id, pageSize, entities, ...(cursor !== undefined ? { cursor } : {}) } };
  }
}

function keep<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_KEPT) {
    const first = map.keys().next();
    if (first.done !== true) map.delete(first.value);
  }
  map.set(key, value);
}

function randomUuidFromBytes(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function bad(message: string): ApiResult {
  return { status: 400, code: 'bad.request', message };
}

function notFound(method: string, path: string): ApiResult {
  return { status: 404, code: 'not.found', message: `No route for ${method} ${path}` };
}
