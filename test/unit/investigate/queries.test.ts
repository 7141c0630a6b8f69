import { describe, expect, it } from 'vitest';
import {
  buildQuery,
  exclusionCountQueries,
  parseIpOrCidr,
  parsePrincipal,
  parseTarget,
  searchBody,
  SORT,
  type Scope,
  type Target,
} from '../../../src/investigate/queries.js';

const DEFAULTS: Scope = { includeSelf: false, includeService: false };

function target(form: string, arg?: string): Target {
  const t = parseTarget(form, arg);
  if (!t.ok) throw new Error(t.problem);
  return t.value;
}

const filtersOf = (q: Record<string, unknown>): unknown[] => (q as { bool: { filter: unknown[] } }).bool.filter;
const mustNotOf = (q: Record<string, unknown>): unknown[] | undefined => (q as { bool: { must_not?: unknown[] } }).bool.must_not;

describe('parseTarget', () => {
  it('takes each form with or without its argument as the form needs', () => {
    expect(parseTarget('conversation', 'c-1')).toEqual({ ok: true, value: { form: 'conversation', id: 'c-1' } });
    expect(parseTarget('recording', ' r-1 ')).toEqual({ ok: true, value: { form: 'recording', id: 'r-1' } });
    expect(parseTarget('denied', undefined)).toEqual({ ok: true, value: { form: 'denied' } });
    expect(parseTarget('deletions', undefined)).toEqual({ ok: true, value: { form: 'deletions' } });
    expect(parseTarget('presigned', undefined)).toEqual({ ok: true, value: { form: 'presigned' } });
  });

  it('refuses an unknown form, a missing argument and a surplus one', () => {
    const unknown = parseTarget('who', 'x');
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.problem).toContain('unknown query "who"');
    expect(parseTarget('conversation', undefined)).toMatchObject({ ok: false, problem: '"conversation" needs <conversation id>' });
    expect(parseTarget('agent', '  ')).toMatchObject({ ok: false });
    expect(parseTarget('denied', 'x')).toMatchObject({ ok: false, problem: '"denied" takes no argument (got "x")' });
  });

  it('an agent is a user id when it is a UUID (lowercased), else a name', () => {
    expect(parseTarget('agent', 'AAAAAAAA-0000-4000-8000-000000000001')).toEqual({
      ok: true,
      value: { form: 'agent', agent: { by: 'user_id', userId: 'aaaaaaaa-0000-4000-8000-000000000001' } },
    });
    expect(parseTarget('agent', 'José López')).toEqual({ ok: true, value: { form: 'agent', agent: { by: 'name', name: 'José López' } } });
  });
});

describe('parsePrincipal', () => {
  it('reads the argument by its shape', () => {
    expect(parsePrincipal('arn:aws:sts::123456789012:assumed-role/Reviewer/ana@example.org')).toEqual({
      ok: true,
      value: { by: 'requester', requester: 'arn:aws:sts::123456789012:assumed-role/Reviewer/ana@example.org' },
    });
    expect(parsePrincipal('arn:aws:iam::123456789012:role/path/Reviewer')).toEqual({
      ok: true,
      value: { by: 'role', accountId: '123456789012', roleName: 'Reviewer' },
    });
    expect(parsePrincipal('Reviewer/ana@example.org')).toEqual({ ok: true, value: { by: 'role', roleName: 'Reviewer', sessionName: 'ana@example.org' } });
    expect(parsePrincipal('Reviewer/*')).toEqual({ ok: true, value: { by: 'role', roleName: 'Reviewer' } });
    expect(parsePrincipal('Ana.Silva@Example.org')).toEqual({ ok: true, value: { by: 'email', email: 'Ana.Silva@Example.org' } });
    expect(parsePrincipal('AmazonS3')).toEqual({ ok: true, value: { by: 'requester', requester: 'AmazonS3' } });
    expect(parsePrincipal('a/b/c')).toMatchObject({ ok: false });
    expect(parsePrincipal('/b')).toMatchObject({ ok: false });
  });
});

describe('parseIpOrCidr', () => {
  it('accepts addresses and CIDR blocks of both families, and nothing else', () => {
    expect(parseIpOrCidr('192.0.2.7')).toEqual({ ok: true, value: '192.0.2.7' });
    expect(parseIpOrCidr('192.0.2.0/24')).toEqual({ ok: true, value: '192.0.2.0/24' });
    expect(parseIpOrCidr('2001:db8::/32')).toEqual({ ok: true, value: '2001:db8::/32' });
    expect(parseIpOrCidr('10.0.0.0/08')).toEqual({ ok: true, value: '10.0.0.0/8' });
    expect(parseIpOrCidr('10.0.0.0/33')).toMatchObject({ ok: false });
    expect(parseIpOrCidr('2001:db8::/129')).toMatchObject({ ok: false });
    expect(parseIpOrCidr('10.0.0.0/x')).toMatchObject({ ok: false });
    expect(parseIpOrCidr('example.org')).toMatchObject({ ok: false });
  });
});

describe('buildQuery', () => {
  it('every form filters accesses (event.kind: event) and by default leaves out self and routine service writes', () => {
    for (const t of [
      target('conversation', 'c'),
      target('recording', 'r'),
      target('principal', 'R/s'),
      target('agent', 'Ana'),
      target('ip', '10.0.0.1'),
      target('denied'),
      target('deletions'),
      target('presigned'),
    ]) {
      const q = buildQuery(t, DEFAULTS);
      expect(filtersOf(q)[0]).toEqual({ term: { 'event.kind': 'event' } });
      const mustNot = mustNotOf(q)!;
      expect(mustNot[0]).toEqual({ term: { 'event.self': true } });
      expect(JSON.stringify(mustNot[1])).toContain('"actor.kind":"service"');
      expect(JSON.stringify(mustNot[1])).toContain('"must_not":[{"term":{"event.outcome":"failure"}}]');
    }
  });

  it('the include flags drop the exclusions', () => {
    expect(mustNotOf(buildQuery(target('denied'), { includeSelf: true, includeService: true }))).toBeUndefined();
    expect(mustNotOf(buildQuery(target('denied'), { includeSelf: true, includeService: false }))).toHaveLength(1);
  });

  it('the time range is inclusive from, exclusive to, on @timestamp', () => {
    const q = buildQuery(target('denied'), { ...DEFAULTS, from: '2024-05-01T00:00:00.000Z', to: '2024-06-01T00:00:00.000Z' });
    expect(filtersOf(q)).toContainEqual({ range: { '@timestamp': { gte: '2024-05-01T00:00:00.000Z', lt: '2024-06-01T00:00:00.000Z' } } });
  });

  it('each form filters on the v1/v2 fields it is documented to', () => {
    const last = (t: Target): unknown => filtersOf(buildQuery(t, DEFAULTS)).slice(1);
    expect(last(target('conversation', 'c'))).toEqual([{ term: { 'genesys.conversation.id': 'c' } }]);
    expect(last(target('recording', 'r'))).toEqual([{ term: { 'genesys.recording.id': 'r' } }]);
    expect(last(target('ip', '10.0.0.0/8'))).toEqual([{ term: { 'source.ip': '10.0.0.0/8' } }]);
    expect(last(target('presigned'))).toEqual([{ term: { 'aws.s3access.authentication_type': 'QueryString' } }]);
    expect(JSON.stringify(last(target('deletions')))).toContain('REST.DELETE.OBJECT');
    expect(JSON.stringify(last(target('denied')))).toContain('"aws.s3access.http_status":[401,403]');
    expect(last(target('principal', 'ana@example.org'))).toEqual([{ term: { 'actor.email': { value: 'ana@example.org', case_insensitive: true } } }]);
    expect(last(target('principal', 'arn:aws:iam::123456789012:role/Reviewer'))).toEqual([
      { term: { 'aws.principal.role_name': 'Reviewer' } },
      { term: { 'aws.principal.account_id': '123456789012' } },
    ]);
    expect(last(target('principal', 'Reviewer/ana'))).toEqual([
      { term: { 'aws.principal.role_name': 'Reviewer' } },
      { term: { 'aws.principal.session_name': 'ana' } },
    ]);
    expect(last(target('principal', 'arn:aws:iam::123456789012:user/bob'))).toEqual([
      { term: { 'aws.s3access.requester': 'arn:aws:iam::123456789012:user/bob' } },
    ]);
  });

  it('participants are queried only through nested queries', () => {
    const byName = JSON.stringify(buildQuery(target('agent', '  José   López '), DEFAULTS));
    expect(byName).toContain(
      '"nested":{"path":"genesys.participants","query":{"term":{"genesys.participants.name_folded":"jose lopez"}},"ignore_unmapped":true}',
    );
    const byId = buildQuery(target('agent', 'aaaaaaaa-0000-4000-8000-000000000001'), DEFAULTS);
    const json = JSON.stringify(byId);
    expect(json).toContain('"genesys.agent.user_ids":"aaaaaaaa-0000-4000-8000-000000000001"');
    expect(json).toContain(
      '"nested":{"path":"genesys.participants","query":{"term":{"genesys.participants.user_id":"aaaaaaaa-0000-4000-8000-000000000001"}},"ignore_unmapped":true}',
    );
    // No participant field outside a nested query.
    expect(json.replace(/"nested":\{"path":"genesys.participants","query":\{[^}]*\}\},"ignore_unmapped":true\}/g, '')).not.toContain('genesys.participants.');
  });

  it('never names a field that v2 drops or aliases', () => {
    const all = JSON.stringify(
      [
        'conversation c',
        'recording r',
        'principal a@b.co',
        'principal R/s',
        'principal arn:aws:iam::1:user/x',
        'agent Ana',
        'ip 1.2.3.4',
        'denied',
        'deletions',
        'presigned',
      ].map((s) => {
        const [f, a] = s.split(' ');
        return buildQuery(target(f!, a), { from: '2024-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z', includeSelf: false, includeService: false });
      }),
    );
    for (const banned of ['"user.name"', '"user.id"', '"url.path"', '"url.query"', '"source.address"', '"related.', '"aws.s3.bucket.'])
      expect(all).not.toContain(banned);
  });
});

describe('searchBody and exclusion counts', () => {
  it('sorts oldest first with a total order and pages with search_after', () => {
    const q = buildQuery(target('denied'), DEFAULTS);
    expect(searchBody(q, 50)).toEqual({ query: q, sort: SORT, size: 50, track_total_hits: true });
    expect(searchBody(q, 50, [1, 'h'])).toMatchObject({ search_after: [1, 'h'] });
    expect(SORT[0]).toEqual({ '@timestamp': 'asc' });
  });

  it('counts what each default exclusion left out, and nothing when both are included', () => {
    const counts = exclusionCountQueries(target('denied'), DEFAULTS);
    expect(counts.map((c) => c.reason)).toEqual(['self', 'service']);
    expect(JSON.stringify(counts[1]!.query)).toContain('"must_not":[{"term":{"event.self":true}}]');
    expect(exclusionCountQueries(target('denied'), { includeSelf: true, includeService: true })).toEqual([]);
  });
});

describe('person and both sources', () => {
  it('reads a person by Genesys user id, email or name, and matches the actor fields both sources carry', () => {
    expect(parseTarget('person', 'AAAAAAAA-0000-4000-8000-000000000001')).toEqual({
      ok: true,
      value: { form: 'person', person: { by: 'user_id', userId: 'aaaaaaaa-0000-4000-8000-000000000001' } },
    });
    expect(parseTarget('person', 'Sofia.Moreno@example-health.org')).toEqual({
      ok: true,
      value: { form: 'person', person: { by: 'email', email: 'Sofia.Moreno@example-health.org' } },
    });
    const byName = buildQuery({ form: 'person', person: { by: 'name', name: 'José  López' } }, { includeSelf: false, includeService: false });
    expect(JSON.stringify(byName)).toContain('{"term":{"actor.name_folded":"jose lopez"}}');
    const byEmail = buildQuery({ form: 'person', person: { by: 'email', email: 'A@B.org' } }, { includeSelf: false, includeService: false });
    expect(JSON.stringify(byEmail)).toContain('{"term":{"actor.email":{"value":"A@B.org","case_insensitive":true}}}');
  });

  it('counts deletions and refusals inside Genesys beside the S3 ones', () => {
    const deletions = JSON.stringify(buildQuery({ form: 'deletions' }, { includeSelf: true, includeService: true }));
    expect(deletions).toContain('{"term":{"event.dataset":"genesys.audit"}},{"term":{"event.type":"deletion"}}');
    expect(deletions).toContain('REST.DELETE.OBJECT');
    const denied = JSON.stringify(buildQuery({ form: 'denied' }, { includeSelf: true, includeService: true }));
    expect(denied).toContain('{"term":{"event.dataset":"genesys.audit"}},{"term":{"event.outcome":"failure"}}');
  });
});
