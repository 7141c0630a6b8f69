import type { Config } from '../config/schema.js';
import type { CloudTrailEvent } from '../event/cloudtrail.js';
import type { ActorKind } from '../event/types.js';
import { patternRegExp } from './actor.js';
import { createKeyResolver, type KeyResolver } from './keys.js';
import { requesterPrefixOf } from './self.js';

/**
 * The part of the access events' enrichment a CloudTrail event gets: actor.kind and event.self by
 * the same settings (SERVICE_PRINCIPALS, HUMAN_PRINCIPALS, SELF_ROLE_ARNS, SELF_USER_AGENT_SUFFIX),
 * matched against userIdentity.arn, which has the form S3 logs as the Requester
 * (`arn:aws:sts::<account>:assumed-role/<role>/<session>`); and the Genesys organization,
 * conversation and recording the object key names (RECORDING_KEY_PATTERNS and the built-in
 * layouts). No Genesys lookup: the access-log twin of the request carries the participants, and a
 * CloudTrail event is linked to it by event.id.
 */
export interface CloudTrailEnricher {
  enrich(events: readonly CloudTrailEvent[]): void;
}

export function createCloudTrailEnricher(
  cfg: Pick<Config, 'SERVICE_PRINCIPALS' | 'HUMAN_PRINCIPALS' | 'SELF_ROLE_ARNS' | 'SELF_USER_AGENT_SUFFIX' | 'RECORDING_KEY_PATTERNS'>,
  resolver: KeyResolver = createKeyResolver(cfg.RECORDING_KEY_PATTERNS ?? []),
): CloudTrailEnricher {
  const service = patternRegExp(cfg.SERVICE_PRINCIPALS);
  const human = patternRegExp(cfg.HUMAN_PRINCIPALS);
  const selfPrefixes = (cfg.SELF_ROLE_ARNS ?? []).map(requesterPrefixOf);
  const suffix = cfg.SELF_USER_AGENT_SUFFIX;

  const isSelf = (e: CloudTrailEvent): boolean => {
    if (suffix === '' || e.user_agent?.original.includes(suffix) !== true) return false;
    if (selfPrefixes.length === 0) return true;
    const arn = e.aws.cloudtrail.user_identity?.arn;
    return arn !== undefined && selfPrefixes.some((p) => arn.startsWith(p));
  };

  const kindOf = (e: CloudTrailEvent): ActorKind => {
    if (e.aws.principal?.type === 'Anonymous') return 'anonymous';
    if (e.event.self === true) return 'self';
    const arn = e.aws.cloudtrail.user_identity?.arn;
    if (arn !== undefined && service?.test(arn) === true) return 'service';
    if (arn !== undefined && human?.test(arn) === true) return 'human';
    return e.aws.principal?.type === 'AWSService' ? 'service' : 'unknown';
  };

  return {
    enrich(events) {
      const at = new Date().toISOString();
      for (const e of events) {
        e.event.self = isSelf(e);
        e.actor = { ...e.actor, kind: kindOf(e) };
        const key = e.aws.s3.object?.key;
        const match = key === undefined ? undefined : resolver.resolve(key);
        if (match === undefined) {
          e.enrichment = { status: 'not_a_recording', resolved_at: at };
          continue;
        }
        const conversation = {
          ...(match.conversationId !== undefined ? { id: match.conversationId } : {}),
          ...(match.conversationStart !== undefined ? { start: match.conversationStart } : {}),
        };
        e.genesys = {
          ...(match.orgId !== undefined ? { organization: { id: match.orgId } } : {}),
          ...(Object.keys(conversation).length > 0 ? { conversation } : {}),
          recording: { ...(match.recordingId !== undefined ? { id: match.recordingId } : {}), file: match.file },
        };
        // What the key says is all a CloudTrail event gets; its access-log twin has the rest.
        e.enrichment = { status: 'partial', resolved_at: at, reason: 'key_only' };
      }
    },
  };
}
