import { describe, expect, it } from 'vitest';
import { createDirectory } from '../../../src/enrich/actor-directory.js';
import { personFields, personTarget, withPerson } from '../../../src/enrich/person.js';
import type { AccessEvent, ActorKind } from '../../../src/event/types.js';
import { accessEventForKey } from '../../../src/sim/genesys/events.js';

const UID = '6f1c2a9e-3b4d-4c5e-8f70-a1b2c3d4e5f6';

function event(requester: string, kind: ActorKind, email?: string): AccessEvent {
  const e = accessEventForKey('x/y.opus', { requester });
  e.actor = { kind, ...(email !== undefined ? { email } : {}) };
  return e;
}

describe('personTarget: whom to look for', () => {
  const dir = createDirectory([
    { principal: 'E10442', email: 'sofia@x.example' },
    { principal: 'arn:aws:iam::123456789012:user/*', userId: UID },
  ]);

  it('a human with an email-named session: the email, lowercased', () => {
    expect(personTarget(event('arn:aws:sts::1:assumed-role/r/Ana@X.example', 'human', 'Ana@X.example'), undefined)).toEqual({ email: 'ana@x.example' });
  });

  it('a human without an email and no directory: nobody', () => {
    expect(personTarget(event('arn:aws:iam::123456789012:user/bob', 'human'), undefined)).toBeUndefined();
  });

  it('services, self and anonymous are never people, even with an email-like session or a directory entry', () => {
    for (const kind of ['service', 'self', 'anonymous'] as const) {
      const e = event('arn:aws:sts::1:assumed-role/r/E10442', kind, 'a@x.example');
      expect(personTarget(e, dir)).toBeUndefined();
      expect(e.actor?.kind).toBe(kind);
    }
  });

  it('the directory wins over the session email, and makes an unknown principal a person', () => {
    const e = event('arn:aws:sts::1:assumed-role/r/E10442', 'unknown');
    expect(personTarget(e, dir)).toEqual({ email: 'sofia@x.example' });
    expect(e.actor?.kind).toBe('human');
    expect(personTarget(event('arn:aws:iam::123456789012:user/bob', 'unknown'), dir)).toEqual({ userId: UID });
  });
});

describe('withPerson: the person combined with the recording status', () => {
  it('found: the status is the recording one', () => {
    expect(withPerson('resolved', undefined, { fields: { genesys_user_id: UID } })).toEqual({ status: 'resolved', reason: undefined });
    expect(withPerson('not_a_recording', undefined, {})).toEqual({ status: 'not_a_recording', reason: undefined });
  });

  it('not in Genesys: final; a resolved event is partial, other statuses keep theirs', () => {
    const missing = { reason: 'actor_not_in_genesys' };
    expect(withPerson('resolved', undefined, missing)).toEqual({ status: 'partial', reason: 'actor_not_in_genesys' });
    expect(withPerson('partial', 'user_not_found', missing)).toEqual({ status: 'partial', reason: 'user_not_found,actor_not_in_genesys' });
    expect(withPerson('skipped', 'client_error', missing)).toEqual({ status: 'skipped', reason: 'client_error,actor_not_in_genesys' });
    expect(withPerson('not_a_recording', undefined, missing)).toEqual({ status: 'not_a_recording', reason: 'actor_not_in_genesys' });
    expect(withPerson('pending', 'wait_budget', missing)).toEqual({ status: 'pending', reason: 'wait_budget,actor_not_in_genesys' });
  });

  it('not settled: pending with actor_lookup, whatever the recording came to', () => {
    for (const status of ['resolved', 'partial', 'not_found', 'not_a_recording', 'skipped'] as const) {
      expect(withPerson(status, undefined, undefined)).toEqual({ status: 'pending', reason: 'actor_lookup' });
    }
    expect(withPerson('pending', 'rate_limited', undefined)).toEqual({ status: 'pending', reason: 'rate_limited,actor_lookup' });
    expect(withPerson('pending', 'actor_lookup', undefined)).toEqual({ status: 'pending', reason: 'actor_lookup' });
  });
});

describe('personFields', () => {
  it('lowercases ids, folds the name and keeps division and department', () => {
    expect(
      personFields({ id: UID.toUpperCase(), name: 'José  López', email: 'j@x.example', division: { id: 'DIV-1', name: 'Home' }, department: 'Billing' }),
    ).toEqual({ genesys_user_id: UID, name: 'José  López', name_folded: 'jose lopez', division: { id: 'div-1', name: 'Home' }, department: 'Billing' });
    expect(personFields({ id: UID, name: '', department: '' })).toEqual({ genesys_user_id: UID });
  });
});
