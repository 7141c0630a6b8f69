import type { AlertDraft } from './alert.js';
import type { RuleContext } from './rule-kit.js';
import type { RuleId } from './rules.js';
import { deletion, notAParticipant } from './rules-events.js';
import { newPrincipal, newSourceIp, presignedNewIp } from './rules-novelty.js';
import { bulkAccess, deniedBurst, offHours } from './rules-volume.js';

export type { RuleContext } from './rule-kit.js';

/** Every built-in rule by id: each reads the detection window and adds its alert drafts. */
export const RULES: Readonly<Record<RuleId, (ctx: RuleContext, out: AlertDraft[]) => Promise<void>>> = {
  'bulk-access': bulkAccess,
  'off-hours': offHours,
  'new-source-ip': newSourceIp,
  'new-principal': newPrincipal,
  deletion,
  'denied-burst': deniedBurst,
  'presigned-new-ip': presignedNewIp,
  'not-a-participant': notAParticipant,
};
