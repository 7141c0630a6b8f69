import type { ApiResult, Caller } from './api-types.js';
import type { AuditBackend } from './audits.js';
import type { Dataset, SimConversation, SimRecording, SimUser } from './dataset.js';
import { usersSearch } from './users-search.js';

export type { ApiResult, Caller } from './api-types.js';

/**
 * The simulator's API answers, shaped like the SDK models (purecloud-platform-client-v2 v262
 * index.d.ts): AnalyticsConversationWithoutAttributesMultiGetResponse, UserEntityListing,
 * RecordingMetadata, RecordingRetentionCursorEntityListing, TokenInfo, Organization.
 */

export interface ApiContext {
  readonly dataset: Dataset;
  readonly maxIds: number;
  /** The audit APIs (audits.ts); absent: those paths are unknown (404). */
  readonly audits?: AuditBackend;
}

const RECORDING_VIEW = ['recording:recording:view', 'recording:recordingSegment:view', 'recording:snippetRecording:view', 'recording:screenRecording:view'];
const ANALYTICS_VIEW = ['analytics:conversationDetail:view', 'analytics:agentConversationDetail:view'];

function missing(anyOf: readonly string[], caller: Caller): ApiResult | undefined {
  if (anyOf.some((p) => caller.permissions.includes(p))) return undefined;
  return { status: 403, code: 'missing.any.permissions', message: `You are missing the following permission(s): ${anyOf.join(', ')}` };
}

function idsOf(url: URL): string[] {
  return (url.searchParams.get('id') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

/** `body` is the parsed JSON request body (undefined when there is none). */
export function handleApi(ctx: ApiContext, method: string, url: URL, caller: Caller, body: unknown): ApiResult {
  const path = url.pathname;
  const audit = ctx.audits?.handle(method, url, caller, body);
  if (audit !== undefined) return audit;
  if (method === 'POST' && path === '/api/v2/users/search') return usersSearch(ctx.dataset, body, caller);
  if (method !== 'GET') return { status: 404, code: 'not.found', message: `No route for ${method} ${path}` };

  if (path === '/api/v2/analytics/conversations/details') {
    const denied = missing(ANALYTICS_VIEW, caller);
    if (denied) return denied;
    const ids = idsOf(url);
    if (ids.length > ctx.maxIds) return { status: 400, code: 'bad.request', message: `At most ${ctx.maxIds} ids per request` };
    const conversations = ids.flatMap((id) => {
      const c = ctx.dataset.conversationById.get(id);
      return c !== undefined ? [conversationBody(c)] : [];
    });
    return { status: 200, body: { conversations } };
  }

  if (path === '/api/v2/users') return users(ctx, url);

  if (path === '/api/v2/users/me') {
    return {
      status: 400,
      code: 'bad.request',
      message: 'This request requires a user context. Client credentials cannot be used for requests to this resource.',
    };
  }

  const meta = /^\/api\/v2\/conversations\/([^/]+)\/recordingmetadata(?:\/([^/]+))?$/.exec(path);
  if (meta !== null) {
    const denied = missing(RECORDING_VIEW, caller);
    if (denied) return denied;
    const cid = decodeURIComponent(meta[1]!).toLowerCase();
    const conv = ctx.dataset.conversationById.get(cid);
    if (conv === undefined) return { status: 404, code: 'not.found', message: `Conversation ${cid} not found` };
    const recs = ctx.dataset.recordingsByConversation.get(cid) ?? [];
    if (meta[2] === undefined) return { status: 200, body: recs.map(recordingMetadataBody) };
    const one = recs.find((r) => r.id === decodeURIComponent(meta[2]!).toLowerCase());
    return one !== undefined ? { status: 200, body: recordingMetadataBody(one) } : { status: 404, code: 'not.found', message: 'Recording not found' };
  }

  if (path === '/api/v2/recordings/retention/query') {
    const denied = missing(['recording:recording:view'], caller);
    if (denied) return denied;
    if (url.searchParams.get('retentionThresholdDays') === null) return { status: 400, code: 'bad.request', message: 'retentionThresholdDays is required' };
    const pageSize = clamp(Number(url.searchParams.get('pageSize') ?? 25), 1, 500);
    const cursor = url.searchParams.get('cursor');
    const offset = cursor !== null ? Number(Buffer.from(cursor, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(offset) || offset < 0) return { status: 400, code: 'bad.request', message: 'invalid cursor' };
    const all = ctx.dataset.recordings;
    const entities = all.slice(offset, offset + pageSize).map((r) => ({
      conversationId: r.conversationId,
      recordingId: r.id,
      archiveDate: r.endTime,
      deleteDate: new Date(Date.parse(r.endTime) + 2192 * 86_400_000).toISOString(),
      creationTime: r.startTime,
    }));
    const next = offset + pageSize < all.length ? Buffer.from(String(offset + pageSize)).toString('base64url') : undefined;
    const base = `/api/v2/recordings/retention/query?retentionThresholdDays=${url.searchParams.get('retentionThresholdDays') ?? '0'}&pageSize=${pageSize}`;
    return { status: 200, body: { entities, ...(next !== undefined ? { nextUri: `${base}&cursor=${next}` } : {}), selfUri: base } };
  }

  if (path === '/api/v2/tokens/me') {
    const org = ctx.dataset.orgs[0]!;
    return {
      status: 200,
      body: {
        organization: { id: org.id, name: org.name },
        homeOrganization: { id: org.id, name: org.name },
        OAuthClient: { id: caller.clientId, name: `Simulated client ${caller.clientId}` },
      },
    };
  }

  if (path === '/api/v2/organizations/me') {
    const org = ctx.dataset.orgs[0]!;
    return { status: 200, body: { id: org.id, name: org.name, state: 'active', version: 1 } };
  }

  return { status: 404, code: 'not.found', message: `No route for GET ${path}` };
}

/** GET /api/v2/users?id=a,b&state=any&pageSize=&pageNumber= — `state` defaults to active. */
function users(ctx: ApiContext, url: URL): ApiResult {
  const ids = idsOf(url);
  if (ids.length > ctx.maxIds) return { status: 400, code: 'bad.request', message: `At most ${ctx.maxIds} ids per request` };
  const state = url.searchParams.get('state') ?? 'active';
  const pageSize = clamp(Number(url.searchParams.get('pageSize') ?? 25), 1, 500);
  const pageNumber = Math.max(1, Number(url.searchParams.get('pageNumber') ?? 1) || 1);
  const pool: SimUser[] = ids.length > 0 ? ids.flatMap((id) => (ctx.dataset.userById.has(id) ? [ctx.dataset.userById.get(id)!] : [])) : [...ctx.dataset.users];
  const matching = pool.filter((u) => state === 'any' || u.state === state);
  const pageCount = Math.max(1, Math.ceil(matching.length / pageSize));
  const entities = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map((u) => ({
    id: u.id,
    name: u.name,
    division: u.division,
    ...(u.department !== undefined ? { department: u.department } : {}),
    email: u.email,
    username: u.username,
    state: u.state,
    version: 1,
    selfUri: `/api/v2/users/${u.id}`,
  }));
  const base = `/api/v2/users?pageSize=${pageSize}${ids.length > 0 ? `&id=${ids.join(',')}` : ''}&state=${state}`;
  return {
    status: 200,
    body: {
      entities,
      pageSize,
      pageNumber,
      total: matching.length,
      pageCount,
      firstUri: `${base}&pageNumber=1`,
      selfUri: `${base}&pageNumber=${pageNumber}`,
      lastUri: `${base}&pageNumber=${pageCount}`,
      ...(pageNumber < pageCount ? { nextUri: `${base}&pageNumber=${pageNumber + 1}` } : {}),
      ...(pageNumber > 1 ? { previousUri: `${base}&pageNumber=${pageNumber - 1}` } : {}),
    },
  };
}

function conversationBody(c: SimConversation): Record<string, unknown> {
  return {
    conversationId: c.conversationId,
    conversationStart: c.conversationStart,
    conversationEnd: c.conversationEnd,
    originatingDirection: c.originatingDirection,
    divisionIds: c.divisionIds,
    participants: c.participants,
  };
}

function recordingMetadataBody(r: SimRecording): Record<string, unknown> {
  return {
    id: r.id,
    conversationId: r.conversationId,
    startTime: r.startTime,
    endTime: r.endTime,
    media: r.media,
    mediaSubtype: r.media === 'screen' ? 'Screen' : 'Trunk',
    fileState: r.fileState,
    sessionId: r.sessionId,
    region: 'us-east-1',
    selfUri: `/api/v2/conversations/${r.conversationId}/recordingmetadata/${r.id}`,
  };
}

function clamp(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.floor(n))) : min;
}
