import { fileURLToPath } from 'node:url';
import type { Client } from '@opensearch-project/opensearch';
import type { Logger } from '../core/log.js';
import { ensureDetectSetup } from '../detect/mapping.js';
import { loadRulesFile, RULE_IDS, type RulesConfig } from '../detect/rules.js';
import { runDetect, type DetectResult } from '../detect/run.js';

/** The demo's rules file, next to the documented example. */
export const DEMO_RULES_FILE = 'config/detect-rules.demo.json';

/**
 * config/detect-rules.demo.json: the default rules, with two thresholds scaled to one simulated
 * day of a small team (a production team tunes them to its own baseline): the night bulk download
 * of 40 recordings crosses 30 per hour, and the contractor's five refusals cross five per day.
 * The compliance reviewer is a `not-a-participant` reviewer; the QA team is not, so their reads of
 * calls they were not on are flagged.
 */
export function demoRules(): RulesConfig {
  return loadRulesFile(fileURLToPath(new URL(`../../${DEMO_RULES_FILE}`, import.meta.url)));
}

/**
 * `recording-audit detect` over the demo's days, as `--from/--to` runs it: the alerts templates
 * (what `setup` installs), then every hourly window of [from, to) with no lag, since the logs are
 * all in. A second run finds the same alerts and adds none.
 */
export async function detectDemo(client: Client, indexPrefix: string, from: Date, to: Date, logger: Logger): Promise<DetectResult> {
  await ensureDetectSetup(client, indexPrefix, logger);
  await client.indices.refresh({ index: `${indexPrefix}-*` } as never);
  return runDetect({
    client,
    indexPrefix,
    rules: demoRules(),
    windowSecs: 3600,
    lagSecs: 0,
    firstLookbackSecs: 86_400,
    logger,
    mode: { kind: 'range', from: from.getTime(), to: to.getTime() },
  });
}

/** Alerts per rule, every rule listed (0 where none fired), then one line per rule's first alert. */
export function describeDetections(result: DetectResult): string[] {
  const byRule = new Map<string, DetectResult['alerts']>();
  for (const a of result.alerts) byRule.set(a.rule.id, [...(byRule.get(a.rule.id) ?? []), a]);
  const lines = [`Detections over ${result.windows.length} hourly windows: ${result.alerts.length} alert(s), ${result.created} new.`];
  for (const id of RULE_IDS) {
    const alerts = byRule.get(id) ?? [];
    const first = alerts[0];
    lines.push(`  ${id.padEnd(17)} ${String(alerts.length).padStart(3)}  ${first === undefined ? '-' : `${first.rule.severity}: ${first.message}`}`);
  }
  return lines;
}
