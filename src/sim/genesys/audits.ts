import { createHash, randomBytes } from 'node:crypto';
import type { ApiResult, Caller } from './api-types.js';
import { createRandom, randomUuid, type Dataset, type SimUser } from './dataset.js';

/**
 * The Genesys audit APIs, as the SDK v262 models them (index.d.ts QMAuditQueryRequest,
 * QualityAuditLogMessage, AuditQueryRequest, AuditLogMessage, *ExecutionStatusResponse,
 * *ExecutionResultsResponse, AuditQueryServiceMapping) and genesys-api.md §5 describes them:
 * an async query (POST, then poll its state), results paged by an opaque cursor, and the
 * service mapping. The audit trail is generated from the dataset (supervisors playing, exporting,
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

export type SimAuditApi = 'quality' | 'audits';

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

/** How the dataset's audit trail is generated. Shares are of the dataset's recordings. */
export interface AuditGenerationOptions {
  /** Default: the dataset's seed. */
  readonly seed?: number;
  /** Recordings played in Genesys (1–3 `Read`s each by supervisors). Default 0.5. */
  readonly readShare?: number;
  readonly exportShare?: number;
  readonly deleteShare?: number;
  readonly retentionShare?: number;
  /** Messages made by an OAuth client with no user. Default 0.05. */
  readonly clientShare?: number;
  /** Messages with status Failure. Default 0.03. */
  readonly failureShare?: number;
  /** Bad input: messages without context, or with an action the service mapping does not list. Default 0. */
  readonly badShare?: number;
}

/** One audit message, API-neutral; rendered as QualityAuditLogMessage or AuditLogMessage. */
export interface SimAuditMessage {
  /** Absent: served without an id (bad input). */
  readonly id?: string;
  readonly eventDate: string;
  readonly action: string;
  readonly entityType: string;
  /** serviceName in the quality API: RecordingPlaybackService for Read/Download, else RecordingService. */
  readonly qualityService?: string;
  /** serviceName in the general API. Default `Quality`. */
  readonly auditService?: string;
  readonly orgId?: string;
  readonly userId?: string;
  readonly clientId?: string;
  readonly remoteIps: readonly string[];
  readonly status: 'Success' | 'Failure' | 'Warning';
  readonly entityId?: string;
  readonly conversationId?: string;
  readonly propertyChanges?: readonly { readonly property: string; readonly oldValues: readonly string[]; readonly newValues: readonly string[] }[];
  /** Fields set (or, with undefined, removed) in the served JSON after rendering: malformed input for tests. */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

export const RECORDING_ACTIONS = [
  'Read',
  'Download',
  'Export',
  'Delete',
  'UpdateRetention',
  'Archive',
  'RestoreRequest',
  'ApplyProtection',
  'RevokeProtection',
  'Update',
  'Create',
] as const;

/** GET /api/v2/audits/query/servicemapping (AuditQueryServiceMapping). */
export const SERVICE_MAPPING = {
  services: [
    {
      name: 'Quality',
      entities: [
        { name: 'Recording', actions: [...RECORDING_ACTIONS] },
        { name: 'ScreenRecording', actions: ['Read', 'Delete', 'Export'] },
        { name: 'RecordingAnnotation', actions: ['Create', 'Update', 'Delete'] },
        { name: 'Evaluation', actions: ['Create', 'Update', 'Delete', 'Read'] },
      ],
    },
    { name: 'Directory', entities: [{ name: 'User', actions: ['Create', 'Update', 'Delete'] }] },
    { name: 'PeoplePermissions', entities: [{ name: 'Role', actions: ['Create', 'Update', 'Delete', 'Assign', 'Unassign'] }] },
  ],
};

export const AUDIT_PERMISSIONS = { quality: 'audits:interactionDetails:view', audits: 'audits:audit:view' } as const;

const DEFAULT_MAX_INTERVAL_MS = 31 * 86_400_000;
const DEFAULT_CURSOR_TTL_MS = 10 * 60_000;
const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 25;
/** Queries and cursors kept; the oldest are forgotten beyond this (their ids then answer 404 / 400). */
const MAX_KEPT = 10_000;
/** Actions no service mapping lists, for the bad-input option. */
const UNKNOWN_ACTIONS = ['Transcode', 'Reprocess'];
const OAUTH_CLIENTS = ['7d2c0a61-9f0e-4c7a-9a57-0c1b7a5e0b01', '7d2c0a61-9f0e-4c7a-9a57-0c1b7a5e0b02'];

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

/** A message as the API serves it: QualityAuditLogMessage or AuditLogMessage. */
export function renderMessage(api: SimAuditApi, m: SimAuditMessage, dataset: Dataset, expandUser: boolean): Record<string, unknown> {
  const user = m.userId !== undefined ? dataset.userById.get(m.userId) : undefined;
  const out: Record<string, unknown> = {
    ...(m.id !== undefined ? { id: m.id } : {}),
    ...(m.orgId !== undefined ? { userHomeOrgId: m.orgId } : {}),
    ...(m.userId !== undefined
      ? { user: { id: m.userId, ...(expandUser && user !== undefined ? { name: user.name } : {}), selfUri: `/api/v2/users/${m.userId}` } }
      : {}),
    ...(m.clientId !== undefined ? { client: { id: m.clientId, selfUri: `/api/v2/oauth/clients/${m.clientId}` } } : {}),
    ...(api === 'quality' ? { remoteIps: [...m.remoteIps] } : { remoteIp: [...m.remoteIps] }),
    serviceName: api === 'quality' ? qualityServiceOf(m) : (m.auditService ?? 'Quality'),
    level: api === 'quality' ? 'User' : 'USER',
    status: api === 'quality' ? m.status : m.status.toUpperCase(),
    eventDate: m.eventDate,
    action: m.action,
    ...(m.entityId !== undefined ? { entity: { id: m.entityId } } : {}),
    entityType: m.entityType,
    ...(api === 'audits' ? { application: m.clientId !== undefined && m.userId === undefined ? 'API' : 'Genesys Cloud' } : {}),
    ...(m.propertyChanges !== undefined ? { propertyChanges: m.propertyChanges.map((p) => ({ ...p })) } : {}),
    // A message without context has no `context` at all, as the model allows.
    ...(m.conversationId !== undefined ? { context: { conversationId: m.conversationId } } : {}),
  };
  for (const [k, v] of Object.entries(m.overrides ?? {})) {
    if (v === undefined) Reflect.deleteProperty(out, k);
    else out[k] = v;
  }
  return out;
}

function qualityServiceOf(m: SimAuditMessage): string {
  return m.qualityService ?? (m.action === 'Read' || m.action === 'Download' ? 'RecordingPlaybackService' : 'RecordingService');
}

/**
 * The in-Genesys recording actions over the dataset, the same for the same dataset and options:
 * supervisors (a fifth of each organization's users) playing recordings after their call ended,
 * a few exports, deletions and retention changes, some by an OAuth client with no user.
 */
export function generateAuditMessages(dataset: Dataset, options: AuditGenerationOptions = {}): SimAuditMessage[] {
  const rand = createRandom((options.seed ?? dataset.seed) ^ 0xa0d17);
  const share = (v: number | undefined, d: number): number => v ?? d;
  const readShare = share(options.readShare, 0.5);
  const exportShare = share(options.exportShare, 0.05);
  const deleteShare = share(options.deleteShare, 0.02);
  const retentionShare = share(options.retentionShare, 0.03);
  const clientShare = share(options.clientShare, 0.05);
  const failureShare = share(options.failureShare, 0.03);
  const badShare = share(options.badShare, 0);
  const supervisors = new Map<string, SimUser[]>();
  for (const org of dataset.orgs) {
    const active = dataset.users.filter((u) => u.orgId === org.id && u.state === 'active');
    const chosen = active.filter((_, i) => i % 5 === 0);
    supervisors.set(org.id, chosen.length > 0 ? chosen : active);
  }
  const ipOf = (userId: string): string => {
    const h = createHash('sha256').update(userId).digest();
    return `10.${h[0]!}.${h[1]!}.${(h[2]! % 254) + 1}`;
  };
  const out: SimAuditMessage[] = [];
  for (const rec of dataset.recordings) {
    const conv = dataset.conversationById.get(rec.conversationId)!;
    const endMs = Date.parse(conv.conversationEnd);
    const pool = supervisors.get(rec.orgId) ?? [];
    const actions: string[] = [];
    if (rand() < readShare) for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) actions.push('Read');
    if (rand() < exportShare) actions.push('Export');
    if (rand() < retentionShare) actions.push('UpdateRetention');
    if (rand() < deleteShare) actions.push('Delete');
    let t = endMs;
    for (const action of actions) {
      // Minutes to days after the call, in order: a deletion comes last.
      t += 60_000 + Math.floor(rand() * 2 * 86_400_000);
      const byClient = rand() < clientShare;
      const user = byClient || pool.length === 0 ? undefined : pool[Math.floor(rand() * pool.length)];
      const clientId = byClient || user === undefined ? OAUTH_CLIENTS[Math.floor(rand() * OAUTH_CLIENTS.length)] : undefined;
      const bad = rand() < badShare ? (rand() < 0.5 ? 'no_context' : 'unknown_action') : undefined;
      const failed = rand() < failureShare;
      const id = randomUuid(rand);
      out.push({
        id,
        eventDate: new Date(t).toISOString(),
        action: bad === 'unknown_action' ? UNKNOWN_ACTIONS[Math.floor(rand() * UNKNOWN_ACTIONS.length)]! : action,
        entityType: 'Recording',
        orgId: rec.orgId,
        ...(user !== undefined ? { userId: user.id } : {}),
        ...(clientId !== undefined ? { clientId } : {}),
        remoteIps: user !== undefined ? [ipOf(user.id)] : ['203.0.113.40'],
        status: failed ? 'Failure' : 'Success',
        entityId: rec.id,
        ...(bad === 'no_context' ? {} : { conversationId: rec.conversationId }),
        ...(action === 'UpdateRetention'
          ? {
              propertyChanges: [
                {
                  property: 'deleteDate',
                  oldValues: [new Date(endMs + 2192 * 86_400_000).toISOString()],
                  newValues: [new Date(endMs + 3653 * 86_400_000).toISOString()],
                },
              ],
            }
          : {}),
      });
    }
  }
  return out.sort((a, b) => Date.parse(a.eventDate) - Date.parse(b.eventDate));
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
