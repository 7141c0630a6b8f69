import { foldName } from '../event/names.js';
import { isIP } from 'node:net';

/**
 * The OpenSearch queries behind `recording-audit query` and `report`: pure functions from what the
 * analyst asked to a search body. Only fields that exist in event schema v1 and v2 are queried
 * (docs/event-schema.md); `genesys.participants` only through `nested` queries.
 */

export const QUERY_FORMS = ['conversation', 'recording', 'principal', 'person', 'agent', 'ip', 'denied', 'deletions', 'presigned'] as const;
export type QueryForm = (typeof QUERY_FORMS)[number];

/** Who a `principal` query names, by the shape of its argument. */
export type PrincipalSpec =
  { by: 'requester'; requester: string } | { by: 'role'; roleName: string; accountId?: string; sessionName?: string } | { by: 'email'; email: string };

/** A Genesys user by id (a UUID), or by name as a person types it (case and accents ignored). */
export type AgentSpec = { by: 'user_id'; userId: string } | { by: 'name'; name: string };

/** The person who acted: by email, Genesys user id or name. */
export type PersonSpec = { by: 'email'; email: string } | AgentSpec;

export type Target =
  | { form: 'conversation'; id: string }
  | { form: 'recording'; id: string }
  | { form: 'principal'; principal: PrincipalSpec }
  | { form: 'person'; person: PersonSpec }
  | { form: 'agent'; agent: AgentSpec }
  | { form: 'ip'; ip: string }
  | { form: 'denied' }
  | { form: 'deletions' }
  | { form: 'presigned' };

/** What every form shares: the time range and which routine traffic stays out. */
export interface Scope {
  /** ISO time, inclusive. */
  readonly from?: string;
  /** ISO time, exclusive. */
  readonly to?: string;
  /** Keep recording-audit's own requests (event.self: true). */
  readonly includeSelf: boolean;
  /** Keep the routine writes of service principals that S3 did not refuse (actor.kind: service). */
  readonly includeService: boolean;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** The argument each form takes, for help and usage errors. */
export const FORM_ARGUMENT: Readonly<Record<QueryForm, string | undefined>> = {
  conversation: '<conversation id>',
  recording: '<recording id>',
  principal: '<ARN | role/session | email>',
  person: '<email | Genesys user id | name>',
  agent: '<Genesys user id | name>',
  ip: '<address | CIDR>',
  denied: undefined,
  deletions: undefined,
  presigned: undefined,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;
const EMAIL = /^[^\s@/:]+@[^\s@/:]+\.[^\s@/:]+$/;

/** A form and its argument from the command line, checked. */
export function parseTarget(form: string, arg: string | undefined): Parsed<Target> {
  if (!(QUERY_FORMS as readonly string[]).includes(form)) return { ok: false, problem: `unknown query "${form}"; one of: ${QUERY_FORMS.join(', ')}` };
  const f = form as QueryForm;
  const wanted = FORM_ARGUMENT[f];
  if (wanted === undefined) {
    return arg === undefined ? { ok: true, value: { form: f } as Target } : { ok: false, problem: `"${f}" takes no argument (got "${arg}")` };
  }
  const value = arg?.trim() ?? '';
  if (value === '') return { ok: false, problem: `"${f}" needs ${wanted}` };
  switch (f) {
    case 'conversation':
    case 'recording':
      return { ok: true, value: { form: f, id: value } };
    case 'principal': {
      const p = parsePrincipal(value);
      return p.ok ? { ok: true, value: { form: f, principal: p.value } } : p;
    }
    case 'agent':
      return { ok: true, value: { form: f, agent: UUID.test(value) ? { by: 'user_id', userId: value.toLowerCase() } : { by: 'name', name: value } } };
    case 'person':
      return {
        ok: true,
        value: {
          form: f,
          person: UUID.test(value)
            ? { by: 'user_id', userId: value.toLowerCase() }
            : EMAIL.test(value)
              ? { by: 'email', email: value }
              : { by: 'name', name: value },
        },
      };
    case 'ip': {
      const ip = parseIpOrCidr(value);
      return ip.ok ? { ok: true, value: { form: f, ip: ip.value } } : ip;
    }
    default:
      return { ok: false, problem: `"${f}" takes no argument` };
  }
}

/**
 * `arn:…:iam::<acct>:role/<name>`: every session of that role. Any other ARN, a canonical user id
 * or a service name (`AmazonS3`): that exact Requester. `<role>/<session>` (session `*` for all).
 * An email address: sessions named by it (actor.email), case-insensitively.
 */
export function parsePrincipal(value: string): Parsed<PrincipalSpec> {
  const role = ROLE_ARN.exec(value);
  if (role !== null) return { ok: true, value: { by: 'role', accountId: role[1]!, roleName: role[2]! } };
  if (value.startsWith('arn:')) return { ok: true, value: { by: 'requester', requester: value } };
  if (EMAIL.test(value)) return { ok: true, value: { by: 'email', email: value } };
  const slash = value.indexOf('/');
  if (slash >= 0) {
    const roleName = value.slice(0, slash);
    const session = value.slice(slash + 1);
    if (roleName === '' || session === '' || session.includes('/'))
      return { ok: false, problem: `principal "${value}": expected <role>/<session> (session * for any)` };
    return { ok: true, value: session === '*' ? { by: 'role', roleName } : { by: 'role', roleName, sessionName: session } };
  }
  return { ok: true, value: { by: 'requester', requester: value } };
}

/** An IPv4/IPv6 address or CIDR block, as the `ip` field type takes it in a term query. */
export function parseIpOrCidr(value: string): Parsed<string> {
  const slash = value.indexOf('/');
  const addr = slash < 0 ? value : value.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) return { ok: false, problem: `"${value}" is not an IP address or CIDR block` };
  if (slash < 0) return { ok: true, value };
  const bits = value.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return { ok: false, problem: `"${value}": the prefix length must be 0..${max}` };
  return { ok: true, value: `${addr}/${Number(bits)}` };
}

/** An OpenSearch query clause. */
export type Clause = Record<string, unknown>;

const term = (field: string, value: string | number | boolean, caseInsensitive = false): Clause =>
  caseInsensitive ? { term: { [field]: { value, case_insensitive: true } } } : { term: { [field]: value } };
const terms = (field: string, values: readonly (string | number)[]): Clause => ({ terms: { [field]: values } });

/** Error codes S3 answers when a request is refused for who made it or how it was signed. */
export const DENIED_ERROR_CODES = [
  'AccessDenied',
  'AllAccessDisabled',
  'ExpiredToken',
  'InvalidAccessKeyId',
  'InvalidToken',
  'SignatureDoesNotMatch',
  'AccountProblem',
] as const;

/** Operations that remove an object or a version: S3 API, batch delete, lifecycle expiry. */
export const DELETE_OPERATIONS = [
  'REST.DELETE.OBJECT',
  'BATCH.DELETE.OBJECT',
  'REST.POST.MULTI_OBJECT_DELETE',
  'S3.EXPIRE.OBJECT',
  'S3.CREATE.DELETEMARKER',
] as const;

/** A deletion of a recording inside Genesys (its audit trail's Delete or Abandon). */
const GENESYS_DELETION_CLAUSE: Clause = { bool: { filter: [term('event.dataset', 'genesys.audit'), term('event.type', 'deletion')] } };

/** An action inside Genesys that its audit trail records as failed (status Failure). */
const GENESYS_FAILURE_CLAUSE: Clause = { bool: { filter: [term('event.dataset', 'genesys.audit'), term('event.outcome', 'failure')] } };

/**
 * The writes a service principal makes as routine (Genesys's export uploading recordings, copies,
 * tagging); lifecycle operations (`S3.*`) are matched by prefix. Its reads and deletes through the
 * API are never routine: they stay in every answer.
 */
export const ROUTINE_WRITE_OPERATIONS = [
  'REST.PUT.OBJECT',
  'REST.POST.UPLOADS',
  'REST.PUT.PART',
  'REST.POST.UPLOAD',
  'REST.DELETE.UPLOAD',
  'REST.COPY.OBJECT',
  'REST.COPY.PART',
  'REST.PUT.OBJECT_TAGGING',
  'REST.PUT.ACL',
  'REST.POST.OBJECT',
] as const;

/** The filter of one form, without scope. */
export function targetClauses(target: Target): Clause[] {
  switch (target.form) {
    case 'conversation':
      return [term('genesys.conversation.id', target.id)];
    case 'recording':
      return [term('genesys.recording.id', target.id)];
    case 'ip':
      return [term('source.ip', target.ip)];
    case 'presigned':
      return [term('aws.s3access.authentication_type', 'QueryString')];
    case 'deletions':
      return [{ bool: { should: [terms('event.action', DELETE_OPERATIONS), GENESYS_DELETION_CLAUSE], minimum_should_match: 1 } }];
    case 'denied':
      return [
        {
          bool: {
            should: [terms('aws.s3access.http_status', [401, 403]), terms('aws.s3access.error_code', DENIED_ERROR_CODES), GENESYS_FAILURE_CLAUSE],
            minimum_should_match: 1,
          },
        },
      ];
    case 'principal':
      return principalClauses(target.principal);
    case 'person':
      return [personClause(target.person)];
    case 'agent':
      return [agentClause(target.agent)];
  }
}

/**
 * Everything one person did, in both sources: S3 requests whose actor was resolved to them
 * (actor.email from the session name, actor.genesys_user_id and actor.name from Genesys) and
 * their actions inside Genesys (audit events carry the same actor fields).
 */
export function personClause(person: PersonSpec): Clause {
  switch (person.by) {
    case 'email':
      return term('actor.email', person.email, true);
    case 'user_id':
      return term('actor.genesys_user_id', person.userId);
    case 'name':
      return term('actor.name_folded', foldName(person.name));
  }
}

function principalClauses(p: PrincipalSpec): Clause[] {
  switch (p.by) {
    case 'requester':
      return [term('aws.s3access.requester', p.requester)];
    case 'email':
      // Identity Center and SAML keep the address's case as typed at sign-in; people do not.
      return [term('actor.email', p.email, true)];
    case 'role': {
      const out = [term('aws.principal.role_name', p.roleName)];
      if (p.accountId !== undefined) out.push(term('aws.principal.account_id', p.accountId));
      if (p.sessionName !== undefined) out.push(term('aws.principal.session_name', p.sessionName));
      return out;
    }
  }
}

/**
 * A query on one participant. `ignore_unmapped`: indices behind the read alias without
 * participants (the Genesys audit events') match nothing instead of failing the shard.
 */
const participants = (query: Clause): Clause => ({ nested: { path: 'genesys.participants', query, ignore_unmapped: true } });

/** A conversation the user took part in: as a listed agent, or as any participant (id or name). */
export function agentClause(agent: AgentSpec): Clause {
  if (agent.by === 'user_id') {
    return {
      bool: {
        should: [term('genesys.agent.user_ids', agent.userId), participants(term('genesys.participants.user_id', agent.userId))],
        minimum_should_match: 1,
      },
    };
  }
  // name_folded is folded by the product when it writes the name; the input is folded the same way.
  return participants(term('genesys.participants.name_folded', foldName(agent.name)));
}

/** The time range and the default exclusions. */
export function scopeClauses(scope: Scope): { filter: Clause[]; mustNot: Clause[] } {
  const filter: Clause[] = [term('event.kind', 'event')];
  if (scope.from !== undefined || scope.to !== undefined) {
    const range: Record<string, string> = {};
    if (scope.from !== undefined) range.gte = scope.from;
    if (scope.to !== undefined) range.lt = scope.to;
    filter.push({ range: { '@timestamp': range } });
  }
  const mustNot: Clause[] = [];
  if (!scope.includeSelf) mustNot.push(SELF_CLAUSE);
  if (!scope.includeService) mustNot.push(ROUTINE_SERVICE_CLAUSE);
  return { filter, mustNot };
}

/** recording-audit's own requests. */
export const SELF_CLAUSE: Clause = term('event.self', true);

/**
 * A service principal's routine write that S3 did not refuse (a lifecycle action has no HTTP status:
 * its outcome is `unknown`). A refused one is not routine: it stays.
 */
export const ROUTINE_SERVICE_CLAUSE: Clause = {
  bool: {
    must_not: [term('event.outcome', 'failure')],
    filter: [
      term('actor.kind', 'service'),
      { bool: { should: [terms('event.action', ROUTINE_WRITE_OPERATIONS), { prefix: { 'event.action': 'S3.' } }], minimum_should_match: 1 } },
    ],
  },
};

/** The whole query of a target within a scope. */
export function buildQuery(target: Target, scope: Scope): Clause {
  const { filter, mustNot } = scopeClauses(scope);
  const bool: Record<string, Clause[]> = { filter: [...filter, ...targetClauses(target)] };
  if (mustNot.length > 0) bool.must_not = mustNot;
  return { bool };
}

/**
 * Oldest first. The log position (object and line, unique per document) breaks ties between
 * events of the same second. Not event.hash: it has no doc values (src/event/mapping.ts).
 */
export const SORT: readonly Clause[] = [{ '@timestamp': 'asc' }, { 'log.file.path': 'asc' }, { 'log.offset': 'asc' }];

/** The body of one page: the query, the stable sort, and where the previous page ended. */
export function searchBody(query: Clause, size: number, searchAfter?: readonly unknown[]): Clause {
  const body: Clause = { query, sort: SORT, size, track_total_hits: true };
  if (searchAfter !== undefined) body.search_after = searchAfter;
  return body;
}

/** How many of the target's events the default exclusions left out, by reason (one `_count` each). */
export function exclusionCountQueries(target: Target, scope: Scope): { reason: 'self' | 'service'; query: Clause }[] {
  const { filter } = scopeClauses(scope);
  const base = [...filter, ...targetClauses(target)];
  const out: { reason: 'self' | 'service'; query: Clause }[] = [];
  if (!scope.includeSelf) out.push({ reason: 'self', query: { bool: { filter: [...base, SELF_CLAUSE] } } });
  if (!scope.includeService) out.push({ reason: 'service', query: { bool: { filter: [...base, ROUTINE_SERVICE_CLAUSE], must_not: [SELF_CLAUSE] } } });
  return out;
}
