import { describe, expect, it } from 'vitest';
import { generateDataset } from '../../../src/sim/genesys/dataset.js';
import { SEARCH_MAX_VALUES, usersSearch } from '../../../src/sim/genesys/users-search.js';

const caller = { clientId: 'c', permissions: [] };
const staff = [
  { name: 'Sofia Moreno', email: 'Sofia.Moreno@example-health.org', department: 'Quality Assurance' },
  { name: 'Dan Okafor', email: 'dan.okafor@example-health.org' },
];
const ds = generateDataset({ seed: 3, users: 10, conversations: 40, recordings: 40, staff, staffParticipationRatio: 0.5 });
const exact = (values: string[], extra: Record<string, unknown> = {}): unknown => ({ query: [{ type: 'EXACT', fields: ['email'], values }], ...extra });

interface Page {
  total: number;
  pageCount: number;
  pageNumber: number;
  results: { id: string; email: string; department?: string; division: { id: string; name: string } }[];
}

describe('simulated POST /api/v2/users/search', () => {
  it('finds users by email, case-insensitively, with division and department', () => {
    const r = usersSearch(ds, exact(['SOFIA.MORENO@EXAMPLE-HEALTH.ORG', 'nobody@example.test']), caller);
    expect(r.status).toBe(200);
    const page = r.body as Page;
    expect(page.total).toBe(1);
    expect(page.results[0]).toMatchObject({ email: 'sofia.moreno@example-health.org', department: 'Quality Assurance', division: ds.users[0]!.division });
  });

  it('pages, and answers 400 above its caps or without criteria', () => {
    const all = ds.users.filter((u) => u.state !== 'deleted').map((u) => u.email);
    const first = usersSearch(ds, exact(all, { pageSize: 5 }), caller).body as Page;
    expect(first).toMatchObject({ total: all.length, pageCount: Math.ceil(all.length / 5), pageNumber: 1 });
    const last = usersSearch(ds, exact(all, { pageSize: 5, pageNumber: first.pageCount }), caller).body as Page;
    expect(last.results.length).toBe(all.length - 5 * (first.pageCount - 1));
    const tooMany = Array.from({ length: SEARCH_MAX_VALUES + 1 }, (_, i) => `u${i}@x.example`);
    expect(usersSearch(ds, exact(tooMany), caller).status).toBe(400);
    expect(usersSearch(ds, exact(tooMany.slice(1)), caller).status).toBe(200);
    expect(usersSearch(ds, exact(['a@b.example'], { pageSize: 101 }), caller).status).toBe(400);
    expect(usersSearch(ds, { query: [] }, caller).status).toBe(400);
    expect(usersSearch(ds, undefined, caller).status).toBe(400);
    expect(usersSearch(ds, { query: [{ type: 'EXACT', fields: ['title'], values: ['x'] }] }, caller).status).toBe(400);
  });

  it('does not find deleted users', () => {
    const deleted = ds.users.find((u) => u.state === 'deleted');
    if (deleted === undefined) return;
    expect((usersSearch(ds, exact([deleted.email]), caller).body as Page).total).toBe(0);
  });
});

describe('dataset staff', () => {
  it('adds named staff as users and as agents of some conversations, leaving the rest of the dataset as it was', () => {
    const plain = generateDataset({ seed: 3, users: 10, conversations: 40, recordings: 40 });
    expect(ds.users.slice(0, plain.users.length).map((u) => u.id)).toEqual(plain.users.map((u) => u.id));
    expect(ds.conversations.map((c) => c.conversationId)).toEqual(plain.conversations.map((c) => c.conversationId));
    const sofia = ds.users.find((u) => u.email === 'sofia.moreno@example-health.org')!;
    const on = ds.conversations.filter((c) => c.participants.some((p) => p.userId === sofia.id));
    expect(on.length).toBeGreaterThan(0);
    expect(on.length).toBeLessThan(ds.conversations.length);
    for (const c of on) {
      expect(c.participants.find((p) => p.userId === sofia.id)?.purpose).toBe('agent');
      for (const r of ds.recordingsByConversation.get(c.conversationId)!) expect(r.userIds).toContain(sofia.id);
    }
    expect(plain.users.every((u) => u.department !== undefined)).toBe(true);
  });
});
