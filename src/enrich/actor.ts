import type { AccessEvent, ActorKind } from '../event/types.js';

/**
 * actor.kind by configuration: is the principal a person, a service or recording-audit itself?
 * In order: no requester → `anonymous`; event.self (SELF_USER_AGENT_SUFFIX and SELF_ROLE_ARNS) →
 * `self`; a SERVICE_PRINCIPALS pattern → `service`; a HUMAN_PRINCIPALS pattern → `human`; an AWS
 * service principal (lifecycle, log delivery, CloudFront) → `service`; else `unknown`. Service
 * patterns come first: they name specific roles, while the human defaults are broad (any session
 * named like an email address).
 */
export interface ActorClassifier {
  kindOf(event: AccessEvent): ActorKind;
}

/**
 * A pattern over the Requester as logged: `*` matches any run of characters (`/` and `:` too),
 * everything else literally, case-insensitively (IAM names are unique regardless of case).
 */
export function patternRegExp(patterns: readonly string[]): RegExp | undefined {
  if (patterns.length === 0) return undefined;
  const alts = patterns.map((p) =>
    p
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*'),
  );
  return new RegExp(`^(?:${alts.join('|')})$`, 'is');
}

/** Requesters whose kind is remembered. */
const REQUESTER_MEMO = 4096;

export function actorClassifier(servicePatterns: readonly string[], humanPatterns: readonly string[]): ActorClassifier {
  const service = patternRegExp(servicePatterns);
  const human = patternRegExp(humanPatterns);
  // Requesters are few (roles, sessions) and recur on every line: the patterns (runs of `.*` that
  // backtrack) run once per requester, not once per event. Bounded: a flood of distinct requesters
  // empties it rather than growing it.
  const known = new Map<string, ActorKind>();
  return {
    kindOf(event: AccessEvent): ActorKind {
      const requester = event.aws.s3access.requester;
      if (requester === undefined || requester === '-') return 'anonymous';
      if (event.event.self === true) return 'self';
      const seen = known.get(requester);
      if (seen !== undefined) return seen;
      let kind: ActorKind;
      if (service?.test(requester) === true) kind = 'service';
      else if (human?.test(requester) === true) kind = 'human';
      else kind = event.aws.principal?.type === 'AWSService' ? 'service' : 'unknown';
      if (known.size >= REQUESTER_MEMO) known.clear();
      known.set(requester, kind);
      return kind;
    },
  };
}
