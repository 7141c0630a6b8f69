import { participantName } from '../event/names.js';
import type { AccessEvent, ActorPersonFields, EnrichmentStatus } from '../event/types.js';
import type { ActorDirectory } from './actor-directory.js';
import type { CallOptions } from './genesys/client.js';
import type { GenesysUser } from './genesys/models.js';
import type { GenesysLookups } from './lookups.js';

/**
 * Actor to person: which Genesys user an S3 principal is. A person is looked for when the actor is
 * `human` (or the directory names the principal: a directory entry is a statement that the
 * principal is a person), by the directory's user id (fetched by id for the name), else by the
 * directory's email or actor.email (the users search). Keys-only (no Genesys client), only a
 * directory user id gives a result, without a name.
 */

/** Who to look for: a Genesys user id (directory) or an email (directory or session name). */
export interface PersonTarget {
  readonly userId?: string;
  readonly email?: string;
}

/**
 * What the lookup found. `fields` go to actor.*; `reason` is added to enrichment.reason
 * (`actor_not_in_genesys`: the person is not a Genesys user, or not any more: final, not pending).
 */
export interface PersonResult {
  readonly fields?: ActorPersonFields;
  readonly reason?: string;
}

/** The fields enrichment writes under actor (the parser writes kind and email). */
export const ACTOR_PERSON_KEYS = ['genesys_user_id', 'name', 'name_folded', 'division', 'department'] as const;

/** What to look for for this event's actor, or undefined; may set actor.kind `human` (directory). */
export function personTarget(event: AccessEvent, directory: ActorDirectory | undefined): PersonTarget | undefined {
  const actor = event.actor;
  if (actor === undefined) return undefined;
  const requester = event.aws.s3access.requester;
  const entry =
    requester !== undefined && directory !== undefined && (actor.kind === 'human' || actor.kind === 'unknown') ? directory.lookup(requester) : undefined;
  if (entry !== undefined) {
    actor.kind = 'human';
    return { ...(entry.userId !== undefined ? { userId: entry.userId } : {}), ...(entry.email !== undefined ? { email: entry.email } : {}) };
  }
  if (actor.kind !== 'human' || actor.email === undefined) return undefined;
  return { email: actor.email.toLowerCase() };
}

/** A stable key of a target, for sharing one lookup between events. */
export function targetKey(t: PersonTarget): string {
  return t.userId !== undefined ? `id:${t.userId}` : `email:${t.email ?? ''}`;
}

/** Throws (a GENESYS_* error, the requester cap) when the answer must wait: the event is then pending. */
export async function resolvePerson(target: PersonTarget, lookups: GenesysLookups | undefined, opts: CallOptions): Promise<PersonResult> {
  if (target.userId !== undefined) {
    if (lookups === undefined) return { fields: { genesys_user_id: target.userId } };
    const u = await lookups.users.load(target.userId, opts);
    // The directory's word stands even when Genesys does not know the id; the reason says so.
    return u.found ? { fields: personFields(u.value) } : { fields: { genesys_user_id: target.userId }, reason: 'actor_not_in_genesys' };
  }
  if (target.email === undefined || lookups === undefined) return {};
  const u = await lookups.people.load(target.email, opts);
  return u.found ? { fields: personFields(u.value) } : { reason: 'actor_not_in_genesys' };
}

export function personFields(u: GenesysUser): ActorPersonFields {
  const division = u.division !== undefined && (u.division.id !== undefined || u.division.name !== undefined) ? u.division : undefined;
  return {
    genesys_user_id: u.id.toLowerCase(),
    ...(u.name !== undefined && u.name !== '' ? participantName(u.name) : {}),
    ...(division !== undefined
      ? {
          division: {
            ...(division.id !== undefined ? { id: division.id.toLowerCase() } : {}),
            ...(division.name !== undefined ? { name: division.name } : {}),
          },
        }
      : {}),
    ...(u.department !== undefined && u.department !== '' ? { department: u.department } : {}),
  };
}

/**
 * The event's status and reason with the person's part: `undefined` is a lookup that did not
 * settle (pending, `actor_lookup`, whatever the recording came to); a person Genesys does not
 * know adds its final reason and makes a resolved event partial; the other statuses stay.
 */
export function withPerson(
  status: EnrichmentStatus,
  reason: string | undefined,
  person: PersonResult | undefined,
): { status: EnrichmentStatus; reason: string | undefined } {
  const add = person === undefined ? 'actor_lookup' : person.reason;
  if (add === undefined) return { status, reason };
  const reasons = [...new Set([...(reason ?? '').split(',').filter((x) => x !== ''), add])].join(',');
  if (person === undefined || status === 'pending') return { status: 'pending', reason: reasons };
  return { status: status === 'resolved' ? 'partial' : status, reason: reasons };
}
