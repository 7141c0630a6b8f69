import type { Client } from '@opensearch-project/opensearch';
import { createHash } from 'node:crypto';
import { AuditError, describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { alertsIndex, stateIndex } from './alert.js';

const keyword = { type: 'keyword' } as const;
const date = { type: 'date' } as const;
const long = { type: 'long' } as const;

/** Strict: a document with a field not listed here is refused, as the events' template does. */
export const ALERT_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    '@timestamp': date,
    rule: { properties: { id: keyword, severity: keyword } },
    window: { properties: { start: date, end: date } },
    actor: { properties: { requester: keyword, kind: keyword, email: keyword } },
    subject: { properties: { kind: keyword, value: keyword } },
    evidence: { properties: { event_ids: keyword, event_count: long } },
    measure: { properties: { value: long, threshold: long } },
    message: { type: 'text' },
    detected_at: date,
    notified: { type: 'boolean' },
    notified_at: date,
  },
} as const;

export const STATE_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    watermark: date,
    window_secs: long,
    updated_at: date,
  },
} as const;

/**
 * Higher than the events' template (200): both match `<prefix>-*`, and of composable templates
 * only the highest priority applies, so these indices get neither the events' mapping nor the
 * read alias.
 */
const PRIORITY = 300;

interface DetectTemplate {
  readonly name: string;
  readonly body: Record<string, unknown>;
  readonly version: string;
}

export function detectTemplates(prefix: string): DetectTemplate[] {
  return [
    { index: alertsIndex(prefix), mappings: ALERT_MAPPINGS },
    { index: stateIndex(prefix), mappings: STATE_MAPPINGS },
  ].map(({ index, mappings }) => {
    const content = { index_patterns: [index], priority: PRIORITY, template: { settings: { index: { number_of_shards: 1 } }, mappings, aliases: {} } };
    const version = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16);
    return { name: index, version, body: { ...content, _meta: { managed_by: 'recording-audit', version } } };
  });
}

async function installedVersion(client: Client, name: string): Promise<string | undefined | null> {
  const res = await client.transport.request({ method: 'GET', path: `/_index_template/${encodeURIComponent(name)}` }, { ignore: [404] });
  if (res.statusCode === 404) return undefined;
  const body = res.body as { index_templates?: { name?: string; index_template?: { _meta?: { version?: unknown } } }[] };
  const v = body.index_templates?.find((t) => t.name === name)?.index_template?._meta?.version;
  return typeof v === 'string' ? v : null;
}

/** `setup`: installs the templates of the alerts and state indices (idempotent). */
export async function ensureDetectSetup(
  client: Client,
  prefix: string,
  logger: Logger,
): Promise<{ name: string; result: 'created' | 'updated' | 'unchanged' }[]> {
  const out: { name: string; result: 'created' | 'updated' | 'unchanged' }[] = [];
  for (const t of detectTemplates(prefix)) {
    const found = await installedVersion(client, t.name);
    if (found === t.version) {
      out.push({ name: t.name, result: 'unchanged' });
      continue;
    }
    try {
      await client.transport.request({ method: 'PUT', path: `/_index_template/${encodeURIComponent(t.name)}`, body: t.body });
    } catch (cause) {
      logger.error({ err: describeError(cause), template: t.name }, 'Could not install the detection index template.');
      throw new AuditError('SINK_REJECTED', `index template ${t.name} could not be installed`, { cause });
    }
    out.push({ name: t.name, result: found === undefined ? 'created' : 'updated' });
  }
  return out;
}

/** `detect` and the worker's detection task: refuse (SETUP_MISMATCH, exit 78) unless `setup` installed this release's templates. */
export async function assertDetectSetup(client: Client, prefix: string): Promise<void> {
  const problems: string[] = [];
  for (const t of detectTemplates(prefix)) {
    const found = await installedVersion(client, t.name);
    if (found === undefined) problems.push(`index template ${t.name} is missing`);
    else if (found !== t.version) problems.push(`index template ${t.name} is version ${found ?? '(none)'}, not ${t.version}`);
  }
  if (problems.length > 0) {
    throw new AuditError(
      'SETUP_MISMATCH',
      `Detection indices are not set up (INDEX_PREFIX=${prefix}):\n${problems.map((p) => `  - ${p}`).join('\n')}\nRun \`recording-audit setup\` with an admin identity.`,
      { details: { problems } },
    );
  }
}
