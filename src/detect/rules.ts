import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AuditError } from '../core/errors.js';

/**
 * The rules file: which detections run and with what thresholds, lists and zones. Every rule is
 * on with its defaults unless the file turns it off; an unknown rule id, a zone that is not IANA,
 * a negative threshold all fail validation together, so one edit fixes every problem.
 */

export const RULE_IDS = [
  'bulk-access',
  'off-hours',
  'new-source-ip',
  'new-principal',
  'deletion',
  'denied-burst',
  'presigned-new-ip',
  'not-a-participant',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ACTOR_KINDS = ['human', 'service', 'anonymous', 'unknown'] as const;
export type DetectActorKind = (typeof ACTOR_KINDS)[number];

const severity = z.enum(SEVERITIES);
const positiveInt = z.number().int().min(1);
const windowSecs = z
  .number()
  .int()
  .min(60)
  .max(7 * 86_400);
const actorKinds = z.array(z.enum(ACTOR_KINDS)).min(1);
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:MM (00:00 to 24:00)');

function isIanaZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const common = { enabled: z.boolean().default(true) };

const RulesFileSchema = z
  .object({
    /** Requesters (exact ARNs as S3 logs them) no rule alerts on: a known batch job, a reviewer's role. */
    exemptRequesters: z.array(z.string().min(1)).default([]),
    /** Most evidence event ids kept on one alert (the count is always exact). */
    evidenceMax: z.number().int().min(1).max(100).default(20),
    rules: z
      .object({
        'bulk-access': z
          .object({
            ...common,
            severity: severity.default('high'),
            threshold: positiveInt.default(50),
            windowSecs: windowSecs.default(3600),
            actorKinds: actorKinds.default(['human', 'unknown']),
            /**
             * Optional per-actor baseline: an actor over `threshold` alerts only when the window
             * also exceeds `multiplier` × the most distinct recordings they read in any window of
             * the `days` before it. For people whose work is reading many recordings.
             */
            baseline: z
              .object({ days: z.number().int().min(1).max(90), multiplier: z.number().min(1).max(100) })
              .strict()
              .optional(),
          })
          .strict()
          .default({ enabled: true, severity: 'high', threshold: 50, windowSecs: 3600, actorKinds: ['human', 'unknown'] }),
        'off-hours': z
          .object({
            ...common,
            severity: severity.default('medium'),
            timeZone: z.string().refine(isIanaZone, 'is not an IANA time zone (e.g. America/New_York)').default('UTC'),
            businessDays: z.array(z.number().int().min(1).max(7)).default([1, 2, 3, 4, 5]),
            businessHours: z.object({ start: clock, end: clock }).strict().default({ start: '08:00', end: '18:00' }),
            minReads: positiveInt.default(1),
            actorKinds: actorKinds.default(['human', 'unknown']),
          })
          .strict()
          .refine((r) => r.businessHours.start < r.businessHours.end, {
            error: 'businessHours.start must be before businessHours.end',
            path: ['businessHours'],
          })
          .default({
            enabled: true,
            severity: 'medium',
            timeZone: 'UTC',
            businessDays: [1, 2, 3, 4, 5],
            businessHours: { start: '08:00', end: '18:00' },
            minReads: 1,
            actorKinds: ['human', 'unknown'],
          }),
        'new-source-ip': z
          .object({
            ...common,
            severity: severity.default('medium'),
            lookbackDays: positiveInt.max(400).default(30),
            actorKinds: actorKinds.default(['human', 'unknown']),
          })
          .strict()
          .default({ enabled: true, severity: 'medium', lookbackDays: 30, actorKinds: ['human', 'unknown'] }),
        'new-principal': z
          .object({ ...common, severity: severity.default('medium') })
          .strict()
          .default({ enabled: true, severity: 'medium' }),
        deletion: z
          .object({
            ...common,
            severity: severity.default('critical'),
            actions: z
              .array(z.string().regex(/^[A-Z0-9_.]+$/, 'must be an S3 operation such as REST.DELETE.OBJECT'))
              .min(1)
              .default(['REST.DELETE.OBJECT', 'BATCH.DELETE.OBJECT', 'S3.EXPIRE.OBJECT', 'S3.CREATE.DELETEMARKER']),
          })
          .strict()
          .default({
            enabled: true,
            severity: 'critical',
            actions: ['REST.DELETE.OBJECT', 'BATCH.DELETE.OBJECT', 'S3.EXPIRE.OBJECT', 'S3.CREATE.DELETEMARKER'],
          }),
        'denied-burst': z
          .object({ ...common, severity: severity.default('high'), threshold: positiveInt.default(10), windowSecs: windowSecs.default(600) })
          .strict()
          .default({ enabled: true, severity: 'high', threshold: 10, windowSecs: 600 }),
        'presigned-new-ip': z
          .object({ ...common, severity: severity.default('high'), lookbackDays: positiveInt.max(400).default(30) })
          .strict()
          .default({ enabled: true, severity: 'high', lookbackDays: 30 }),
        'not-a-participant': z
          .object({
            ...common,
            severity: severity.default('medium'),
            /**
             * People whose role is to read other people's calls (QA, compliance): Genesys user
             * ids, emails (actor.email) or Requester ARNs, matched case-insensitively.
             */
            reviewers: z.array(z.string().min(1)).default([]),
          })
          .strict()
          .default({ enabled: true, severity: 'medium', reviewers: [] }),
      })
      .strict()
      .default({} as never),
  })
  .strict();

export type RulesConfig = z.output<typeof RulesFileSchema>;
export type RuleSettings<R extends RuleId> = RulesConfig['rules'][R];

/** Every rule on, with its defaults. */
export function defaultRules(): RulesConfig {
  return RulesFileSchema.parse({ rules: {} });
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const full = path === '' ? key : `${path}.${key}`;
      if (path === 'rules') return `rules.${key}: unknown rule (known: ${RULE_IDS.join(', ')})`;
      return `${full}: unknown setting`;
    });
  }
  return [`${path === '' ? '(file)' : path}: ${issue.message}`];
}

/** Validates a parsed rules file; every problem at once, as `path: problem` lines. */
export function parseRules(input: unknown): { ok: true; rules: RulesConfig } | { ok: false; problems: string[] } {
  const parsed = RulesFileSchema.safeParse(input);
  if (parsed.success) return { ok: true, rules: parsed.data };
  return { ok: false, problems: parsed.error.issues.flatMap(describeIssue) };
}

/** Reads and validates a rules file; CONFIG_INVALID (exit 78) naming every problem. */
export function loadRulesFile(path: string | undefined): RulesConfig {
  if (path === undefined) return defaultRules();
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new AuditError('CONFIG_INVALID', `rules file ${path} is not readable JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const result = parseRules(input);
  if (!result.ok) {
    throw new AuditError('CONFIG_INVALID', `rules file ${path} is invalid:\n${result.problems.map((p) => `  - ${p}`).join('\n')}`, {
      details: { problems: result.problems },
    });
  }
  return result.rules;
}
