import { describeIdCutover } from '../event/document-id.js';
import { loadConfigOrThrow } from '../config/load.js';
import { RETENTION_FLOOR_DAYS } from '../config/schema.js';
import { describeError, isAuditError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { createOpenSearchClient } from '../sinks/opensearch/client.js';
import { MONTH_MARGIN_DAYS } from '../sinks/opensearch/ism.js';
import { ensureIndexSetup, verifyIndexSetup } from '../sinks/opensearch/setup.js';
import { ensureDetectSetup } from '../detect/mapping.js';
import { parseCommandArgs } from './args.js';

const HELP = `Usage: recording-audit setup [--allow-short-retention] [--take-alias-from OLD_PREFIX] [--config FILE]

Installs in OpenSearch, with an admin identity (the security role config/opensearch/roles/
recording-audit-setup.json), what the worker only verifies at start and refuses to run without:

  - the index template INDEX_PREFIX for INDEX_PREFIX-* (mappings of this release, INDEX_SHARDS,
    INDEX_REPLICAS, the read alias); a changed mapping also goes onto the existing monthly
    indices, and when it cannot (a new mapping revision), nothing is changed: rebuild into a
    new INDEX_PREFIX (docs/operations/setup.md); a template of a later revision is left in place;
  - the read alias INDEX_ALIAS (default INDEX_PREFIX) on monthly indices created before the template;
  - with the Index State Management plugin, the policy INDEX_PREFIX-retention that deletes a
    monthly index RETENTION_DAYS + ${MONTH_MARGIN_DAYS} days after its creation;
  - the templates of INDEX_PREFIX-alerts and INDEX_PREFIX-detect-state (strict mappings of
    'recording-audit detect'; no read alias, so alerts never mix with the access events).

Idempotent: a second run with the same settings changes nothing. Run it before the first worker
starts and after every upgrade or settings change; workers started before refuse with exit 78.

Options:
  --allow-short-retention  Accept RETENTION_DAYS below ${RETENTION_FLOOR_DAYS} (six years, HIPAA).
                           Without it a shorter retention is refused before anything is written.
  --take-alias-from OLD_PREFIX
                           The end of a rebuild: in one atomic request the read alias leaves
                           every OLD_PREFIX-* index and joins every INDEX_PREFIX-* index. The old
                           indices keep their documents.
  --config FILE            JSON settings file (environment variables win over it).

Exit codes: 0 done, 1 OpenSearch refused a change, 64 usage, 78 bad configuration.
`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { 'allow-short-retention': { type: 'boolean' }, 'take-alias-from': { type: 'string' }, config: { type: 'string' } },
    HELP,
  );
  if (!args.ok) return args.exit;
  const allowShortRetention = args.values['allow-short-retention'] === true;
  const cfg = loadConfigOrThrow({
    ...(args.values.config !== undefined ? { file: args.values.config } : {}),
    required: ['OPENSEARCH_URL'],
    retentionFloor: !allowShortRetention,
  });
  const logger = createLogger(cfg.LOG_LEVEL);
  const client = createOpenSearchClient(cfg);
  try {
    if (allowShortRetention && cfg.RETENTION_DAYS < RETENTION_FLOOR_DAYS) {
      logger.warn(
        { retentionDays: cfg.RETENTION_DAYS, floorDays: RETENTION_FLOOR_DAYS },
        'Installing a retention below the six-year floor (--allow-short-retention).',
      );
    }
    const takeAliasFrom = args.values['take-alias-from'];
    const report = await ensureIndexSetup(client, cfg, logger, undefined, { allowShortRetention, ...(takeAliasFrom !== undefined ? { takeAliasFrom } : {}) });
    const detect = await ensureDetectSetup(client, cfg.INDEX_PREFIX, logger);
    // What the worker will check at its start, checked here too: a setup that does not verify
    // (an index squatting the alias name, a policy rewritten in between) is not done.
    // Its warnings (no ISM, a newer template) were just logged by the install itself.
    const verified = await verifyIndexSetup(client, cfg, createLogger('error'));
    logger.info(
      { ...report, verified: verified.ok, problems: verified.problems },
      verified.ok ? 'OpenSearch setup done.' : 'OpenSearch setup done, but it does not verify.',
    );
    const ism =
      report.ism === 'absent' ? 'absent (no Index State Management plugin: enforce RETENTION_DAYS another way)' : `${report.ismPolicyId} ${report.ism}`;
    process.stdout.write(
      [
        `index template ${report.template}: ${report.templateResult} (version ${report.templateVersion})`,
        `new monthly indices: ${report.indexSort === undefined ? 'not sorted (the cluster is before OpenSearch 3.2, or its version is unknown)' : `sorted by ${report.indexSort.join(', ')}`}`,
        `document ids: ${describeIdCutover(report.idCutover)}`,
        ...report.familyTemplates.map((t) => `index template ${t.name}: ${t.result} (version ${t.version}, ${t.dataset} events)`),
        `read alias ${report.alias}: ${report.aliasAddedTo.length > 0 ? `added to ${report.aliasAddedTo.join(', ')}` : 'joined by every monthly index through the template'}`,
        ...(report.aliasRemovedFrom.length > 0
          ? [`read alias ${report.alias}: taken from ${report.aliasRemovedFrom.join(', ')} (kept, out of the alias)`]
          : []),
        `ISM policy: ${ism}`,
        ...detect.map((t) => `index template ${t.name}: ${t.result}`),
        verified.ok
          ? 'setup verified: workers with these settings will start'
          : `setup does NOT verify:\n${verified.problems.map((p) => `  - ${p}`).join('\n')}`,
        '',
      ].join('\n'),
    );
    return verified.ok ? 0 : 1;
  } catch (err) {
    if (isAuditError(err, 'CONFIG_INVALID')) throw err;
    const { code, message } = describeError(err);
    logger.error({ err: { code, message } }, 'OpenSearch setup failed.');
    process.stderr.write(`recording-audit setup failed: ${code}: ${message}\n`);
    return 1;
  } finally {
    await client.close();
  }
}
