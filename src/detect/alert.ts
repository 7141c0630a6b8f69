import { createHash } from 'node:crypto';
import type { RuleId, Severity } from './rules.js';

/** What an alert is about: the recording, conversation, IP or principal the rule counted. */
export type SubjectKind = 'recording' | 'conversation' | 'ip' | 'principal';

export interface AlertWindow {
  /** ISO, inclusive. */
  readonly start: string;
  /** ISO, exclusive. */
  readonly end: string;
}

export interface AlertActor {
  /** The Requester as S3 logs it (an ARN); absent for anonymous requests. */
  readonly requester?: string;
  readonly kind?: string;
  readonly email?: string;
}

/** One alert document of `<prefix>-alerts` (the strict mapping in ./mapping.ts). */
export interface Alert {
  /** Time of the first evidence event: alerts sort with the accesses they are about. */
  readonly '@timestamp': string;
  readonly rule: { readonly id: RuleId; readonly severity: Severity };
  readonly window: AlertWindow;
  readonly actor: AlertActor;
  readonly subject: { readonly kind: SubjectKind; readonly value: string };
  readonly evidence: { readonly event_ids: readonly string[]; readonly event_count: number };
  /** What the rule counted and the threshold it compared with, when it has one. */
  readonly measure?: { readonly value: number; readonly threshold?: number };
  /** One sentence an analyst reads first. */
  readonly message: string;
  readonly detected_at: string;
  /** With ALERT_SNS_TOPIC_ARN: false until the alert has been published, then true. */
  readonly notified?: boolean;
  readonly notified_at?: string;
}

export type AlertDraft = Omit<Alert, 'detected_at' | 'notified' | 'notified_at'>;

/**
 * The document id: the rule, who, what and which window. Running a window again, or two runs of
 * it at once, produces the same ids, and `create` keeps the first.
 */
export function alertId(a: Pick<Alert, 'rule' | 'actor' | 'subject' | 'window'>): string {
  return createHash('sha256')
    .update(JSON.stringify([a.rule.id, a.actor.requester ?? '', a.subject.kind, a.subject.value, a.window.start, a.window.end]))
    .digest('hex');
}

/** `<prefix>-alerts`: not a monthly index, so it never joins the read alias of the events. */
export function alertsIndex(prefix: string): string {
  return `${prefix}-alerts`;
}

export { stateIndex } from '../sinks/opensearch/state.js';
