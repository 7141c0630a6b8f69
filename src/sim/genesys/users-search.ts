import { z } from 'zod';
import type { Dataset, SimUser } from './dataset.js';
import type { ApiResult, Caller } from './api-types.js';

/**
 * `POST /api/v2/users/search` (UsersApi.postUsersSearch; body UserSearchRequest, answer
 * UsersSearchResponse, purecloud-platform-client-v2 v262 index.d.ts). The simulator knows the
 * criteria the worker sends: `EXACT` (and `CONTAINS`) over `email`, `name`, `username` or `id`,
 * all criteria ANDed, values of one criterion ORed; emails match case-insensitively.
 *
 * Caps (this simulator's, documented here because Genesys does not publish its own): at most
 * SEARCH_MAX_VALUES values in one criterion, pageSize at most 100 (default 25). Above the value cap
 * the answer is 400, as Genesys answers a request it will not run. `expand` may name `division`
 * (the division is always present; the expand is accepted) and other expansions are ignored.
 */
export const SEARCH_MAX_VALUES = 50;
const MAX_PAGE_SIZE = 100;

const CriterionSchema = z.object({
  type: z.string(),
  fields: z.array(z.string()).optional(),
  values: z.array(z.string()).optional(),
  value: z.string().optional(),
});

const RequestSchema = z.object({
  query: z.array(CriterionSchema).optional(),
  pageSize: z.number().int().optional(),
  pageNumber: z.number().int().optional(),
  expand: z.array(z.string()).optional(),
});

const SEARCHABLE = new Set(['email', 'name', 'username', 'id']);

function userField(u: SimUser, field: string): string {
  if (field === 'email') return u.email;
  if (field === 'username') return u.username;
  if (field === 'name') return u.name;
  return u.id;
}

export function usersSearch(dataset: Dataset, body: unknown, _caller: Caller): ApiResult {
  const parsed = RequestSchema.safeParse(body);
  if (!parsed.success) return { status: 400, code: 'bad.request', message: `Invalid search request: ${parsed.error.issues[0]?.message ?? ''}` };
  const req = parsed.data;
  const pageSize = req.pageSize ?? 25;
  const pageNumber = req.pageNumber ?? 1;
  if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) return { status: 400, code: 'bad.request', message: `pageSize must be between 1 and ${MAX_PAGE_SIZE}` };
  if (pageNumber < 1) return { status: 400, code: 'bad.request', message: 'pageNumber must be at least 1' };
  const criteria = req.query ?? [];
  if (criteria.length === 0) return { status: 400, code: 'bad.request', message: 'At least one query criterion is required' };
  const tests: ((u: SimUser) => boolean)[] = [];
  for (const c of criteria) {
    const type = c.type.toUpperCase();
    if (type !== 'EXACT' && type !== 'CONTAINS') return { status: 400, code: 'bad.request', message: `Unsupported criterion type ${c.type}` };
    const fields = c.fields ?? [];
    if (fields.length === 0 || fields.some((f) => !SEARCHABLE.has(f))) {
      return { status: 400, code: 'bad.request', message: `Fields must be among ${[...SEARCHABLE].join(', ')}` };
    }
    const values = [...(c.values ?? []), ...(c.value !== undefined ? [c.value] : [])].map((v) => v.toLowerCase());
    if (values.length === 0) return { status: 400, code: 'bad.request', message: 'A criterion needs value or values' };
    if (values.length > SEARCH_MAX_VALUES) return { status: 400, code: 'bad.request', message: `At most ${SEARCH_MAX_VALUES} values per criterion` };
    const set = new Set(values);
    tests.push((u) =>
      fields.some((f) => {
        const v = userField(u, f).toLowerCase();
        return type === 'EXACT' ? set.has(v) : values.some((x) => v.includes(x));
      }),
    );
  }
  // Search sees active and inactive users; deleted users are not found, as in Genesys.
  const matching = dataset.users.filter((u) => u.state !== 'deleted' && tests.every((t) => t(u)));
  const pageCount = Math.max(1, Math.ceil(matching.length / pageSize));
  const results = matching.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map((u) => ({
    id: u.id,
    name: u.name,
    division: { id: u.division.id, name: u.division.name, selfUri: `/api/v2/authorization/divisions/${u.division.id}` },
    ...(u.department !== undefined ? { department: u.department } : {}),
    email: u.email,
    username: u.username,
    state: u.state,
    version: 1,
    selfUri: `/api/v2/users/${u.id}`,
  }));
  return {
    status: 200,
    body: {
      total: matching.length,
      pageCount,
      pageSize,
      pageNumber,
      ...(pageNumber < pageCount ? { nextPage: `/api/v2/users/search?pageNumber=${pageNumber + 1}` } : {}),
      types: ['users'],
      results,
    },
  };
}
