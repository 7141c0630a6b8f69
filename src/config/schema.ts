import { bool, int, list, oneOf, str, url, type Setting } from './settings.js';

const bucketName = (v: string): string | undefined => (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) ? undefined : 'is not a valid S3 bucket name');

const roleArn = (v: string): string | undefined =>
  /^arn:aws[a-z-]*:(iam::\d{12}:role\/[\w+=,.@/-]+|sts::\d{12}:assumed-role\/[\w+=,.@-]+\/?)$/.test(v)
    ? undefined
    : 'is not an IAM role ARN (arn:aws:iam::123456789012:role/name) or an assumed-role ARN';

const principalPattern = (v: string): string | undefined =>
  /^\S{1,2048}$/.test(v) ? undefined : 'is not a principal pattern (a Requester ARN with * wildcards, no spaces)';

/**
 * Every setting recording-audit reads. Names are environment variable names; the optional
 * `--config` file is a JSON object with the same keys. Units are part of the names.
 *
 * The AWS SDK's own variables (AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL_SQS, AWS_PROFILE, the credential chain) are read by the SDK itself, unchanged.
 */
export const SCHEMA = {
  // core
  LOG_LEVEL: oneOf('core', 'Minimum level of the JSON log lines written to stdout.', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const, {
    default: 'info',
  }),
  LOG_BUCKETS: list('core', 'Allow-list of S3 server access log buckets. A notification for any other bucket is refused and counted.', { item: bucketName }),
  SHUTDOWN_GRACE_SECS: int(
    'core',
    'After the first SIGTERM/SIGINT: how long in-flight objects may take to finish before the worker exits and leaves them to reappear. Keep below the ECS stopTimeout.',
    { default: 90, min: 1, max: 3600 },
  ),
  STARTUP_RETRY_BASE_MS: int(
    'core',
    'At start, the worker waits for OpenSearch (its setup verified) and SQS instead of exiting: first delay between attempts at a dependency that does not answer; doubles each attempt, equal jitter. /livez answers meanwhile and /readyz names what it waits for.',
    { default: 500, min: 1, max: 60_000 },
  ),
  STARTUP_RETRY_MAX_MS: int('core', 'Cap of one delay between start attempts (STARTUP_RETRY_BASE_MS).', { default: 30_000, min: 1, max: 600_000 }),
  SELF_USER_AGENT_SUFFIX: str(
    'core',
    "Appended to the User-Agent of the worker's own S3 requests, so the accesses it causes are recognised (event.self) in later access logs.",
    { default: 'recording-audit' },
  ),
  SELF_ROLE_ARNS: list(
    'core',
    'IAM roles the worker runs as (its ECS task role). With them, event.self needs both the User-Agent suffix and a requester that is one of these roles, so a client cannot hide its reads by copying the suffix. Empty: the User-Agent alone decides, and the worker warns at start.',
    { item: roleArn },
  ),
  SERVICE_PRINCIPALS: list(
    'core',
    "Requesters that are services (actor.kind `service`): ARN patterns matched against the Requester as S3 logs it (`arn:aws:sts::<account>:assumed-role/<role>/<session>` for a role), `*` matching any characters, case-insensitively; tried before HUMAN_PRINCIPALS. The default names any role whose name contains `genesys`: Genesys Cloud's recording export assumes a role you create for it (usually named after it, e.g. `genesys-recording-export`, session `GenesysCloud`), and that role only writes recordings. Name your own applications' roles here (a QA player's presigning session, an ETL job). AWS's own principals (lifecycle `AmazonS3`, `svc:…` deliveries, CloudFront) are services without a pattern.",
    { item: principalPattern, default: ['arn:aws*:sts::*:assumed-role/*genesys*/*'] },
  ),
  HUMAN_PRINCIPALS: list(
    'core',
    "Requesters that are people (actor.kind `human`), as SERVICE_PRINCIPALS. The defaults: IAM Identity Center sessions (roles `AWSReservedSSO_*`, always a signed-in person), and assumed-role or federated sessions whose name is an email address (SSO and SAML federation name the session after the person; actor.email gets the address). IAM users are not in the defaults: long-lived keys serve people and scripts alike, so list yours (`arn:aws:iam::123456789012:user/*`). A requester neither list names, and that is not an AWS service, is `unknown`; recording-audit's own requests are `self`, unauthenticated ones `anonymous`.",
    {
      item: principalPattern,
      default: ['arn:aws*:sts::*:assumed-role/AWSReservedSSO_*/*', 'arn:aws*:sts::*:assumed-role/*/*@*.*', 'arn:aws*:sts::*:federated-user/*@*.*'],
    },
  ),
  ACTOR_DIRECTORY_FILE: str(
    'core',
    'Optional CSV or JSON file (by its extension) naming the people behind principals whose sessions are not email addresses: each entry maps a `principal` (a Requester pattern starting with `arn:`, in the HUMAN_PRINCIPALS syntax, or a session/IAM user name matched exactly, case-insensitively) to an `email` (looked up in Genesys like an email-named session) and/or a `genesys_user_id` (fetched by id, no search; without Genesys credentials it is written as it is). A principal it names is a person (actor.kind `human`) unless it is recording-audit itself, a service or anonymous. Read at start; every problem is reported with its line, and the process exits 78. Format: docs/operations/actor-directory.md.',
  ),

  // sqs
  SQS_QUEUE_URL: url('sqs', "The queue that receives the log bucket's ObjectCreated notifications (direct, SNS-wrapped or EventBridge)."),
  SQS_WAIT_TIME_SECS: int('sqs', 'Long-poll wait of each ReceiveMessage call.', { default: 20, min: 0, max: 20 }),
  SQS_MAX_MESSAGES: int('sqs', 'Messages asked for per ReceiveMessage call.', { default: 10, min: 1, max: 10 }),
  SQS_MAX_IN_FLIGHT_MESSAGES: int('sqs', 'Most messages held at once. At the bound the worker stops receiving (backpressure), it never buffers more.', {
    default: 20,
    min: 1,
    max: 1000,
  }),
  SQS_VISIBILITY_TIMEOUT_SECS: int('sqs', 'Visibility timeout the worker sets and keeps extending while a message is in flight.', {
    default: 300,
    min: 2,
    max: 43200,
  }),
  SQS_HEARTBEAT_INTERVAL_SECS: int('sqs', 'How often the visibility of an in-flight message is extended. At most half of SQS_VISIBILITY_TIMEOUT_SECS.', {
    default: 60,
    min: 1,
    max: 21600,
  }),
  MISSING_OBJECT_POLICY: oneOf(
    'sqs',
    'What a notification for a log object that no longer exists (404) does: `retry` leaves the message for redelivery and the dead-letter queue, where a person sees it; `skip` logs a warning and deletes the message, and the records are lost to the index. Both count recording_audit_missing_log_objects_total{policy}.',
    ['skip', 'retry'] as const,
    { default: 'retry' },
  ),

  // opensearch
  OPENSEARCH_URL: url('opensearch', 'OpenSearch endpoint, for example https://search-x.eu-west-1.es.amazonaws.com.'),
  OPENSEARCH_AUTH: oneOf(
    'opensearch',
    '`basic` uses OPENSEARCH_USERNAME/PASSWORD; `sigv4` signs with the AWS credential chain (Amazon OpenSearch Service); `none` for a local node.',
    ['none', 'basic', 'sigv4'] as const,
    { default: 'none' },
  ),
  OPENSEARCH_USERNAME: str('opensearch', 'Basic-auth user.'),
  OPENSEARCH_PASSWORD: str('opensearch', 'Basic-auth password.', { secret: true }),
  OPENSEARCH_SIGV4_SERVICE: oneOf('opensearch', 'SigV4 service name: `es` for managed domains, `aoss` for Serverless.', ['es', 'aoss'] as const, {
    default: 'es',
  }),
  OPENSEARCH_REQUEST_TIMEOUT_MS: int('opensearch', 'Timeout of one request to OpenSearch.', { default: 30_000, min: 100, max: 600_000 }),
  INDEX_PREFIX: str('opensearch', 'Monthly indices are `<prefix>-YYYY.MM` by event time; the read alias is INDEX_ALIAS.', {
    default: 'recording-access',
    pattern: /^[a-z0-9][a-z0-9_-]{0,100}$/,
    patternDoc: 'lowercase letters, digits, - and _',
  }),
  INDEX_ALIAS: str(
    'opensearch',
    'The read alias every monthly index joins, and what analysts and the investigation commands query. Unset: INDEX_PREFIX. A rebuild into a new INDEX_PREFIX keeps the alias analysts know (docs/operations/setup.md).',
    { pattern: /^[a-z0-9][a-z0-9_-]{0,100}$/, patternDoc: 'lowercase letters, digits, - and _' },
  ),
  INDEX_SHARDS: int('opensearch', 'Primary shards of each monthly index.', { default: 1, min: 1, max: 64 }),
  INDEX_REPLICAS: int('opensearch', 'Replicas of each monthly index.', { default: 1, min: 0, max: 5 }),
  RETENTION_DAYS: int(
    'opensearch',
    'ISM policy (installed by `setup`, verified by the worker): delete monthly indices this long after creation. HIPAA asks for six years: the floor is 2192, and `setup` refuses less unless given `--allow-short-retention`; `check` fails it.',
    { default: 2192, min: 1 },
  ),
  BULK_MAX_BYTES: int('opensearch', 'Flush a bulk request at this many body bytes (before gzip).', {
    default: 5 * 1024 * 1024,
    min: 1024,
    max: 100 * 1024 * 1024,
  }),
  BULK_MAX_DOCS: int('opensearch', 'Flush a bulk request at this many documents.', { default: 2000, min: 1, max: 100_000 }),
  BULK_FLUSH_INTERVAL_MS: int('opensearch', 'Flush a partly filled bulk request after this long.', { default: 1000, min: 10, max: 60_000 }),
  BULK_CONCURRENCY: int('opensearch', 'Bulk requests in flight at once.', { default: 2, min: 1, max: 32 }),
  BULK_GZIP: bool('opensearch', 'Gzip bulk request bodies.', { default: true }),
  BULK_RETRY_BASE_MS: int('opensearch', 'First backoff of a retried bulk item (429, 5xx, connection error); doubles each time, full jitter.', {
    default: 200,
    min: 1,
  }),
  BULK_RETRY_MAX_MS: int('opensearch', 'Cap of one backoff.', { default: 30_000, min: 1 }),
  BULK_RETRY_MAX_ATTEMPTS: int('opensearch', 'Attempts per item before the object fails and its message is left for redelivery (nothing is dropped).', {
    default: 8,
    min: 1,
    max: 100,
  }),

  // pipeline
  OBJECT_CONCURRENCY: int('pipeline', 'Log objects processed at once.', { default: 4, min: 1, max: 256 }),
  OBJECT_READ_TIMEOUT_MS: int('pipeline', 'Idle timeout while streaming a log object from S3.', { default: 60_000, min: 100 }),
  RECORD_TIME_SKEW_DAYS: int(
    'pipeline',
    "A record whose time is further than this from its log object's LastModified (set by S3, not by the writer) is quarantined as record_time_skew: a forged object cannot spread records over centuries of monthly indices. Raise it to backfill copied log objects.",
    { default: 2, min: 1, max: 36500 },
  ),
  CLOUDTRAIL_BUCKETS: list(
    'pipeline',
    'Buckets a CloudTrail trail delivers to. A notification for an object of one of them under `AWSLogs/…/CloudTrail/` is read as a CloudTrail log file (gzip JSON `Records`) through the same queue, heartbeat and accounting as access logs; its S3 data events on AUDITED_BUCKETS (default RECORDINGS_BUCKET) are indexed as `aws.cloudtrail` events in `<INDEX_PREFIX>.cloudtrail-YYYY.MM`, every other record is counted as skipped. Digest and Insights files are skipped by key.',
    { item: bucketName },
  ),
  LINK_INTERVAL_SECS: int(
    'pipeline',
    'With CLOUDTRAIL_BUCKETS set, how often the worker links CloudTrail events to their access-log twins (same request id and bucket): only `link.*` is written on both, guarded by seq_no (`recording-audit link` does one pass by hand). Off (0) by default because it needs the update action, which the worker role deliberately lacks: map the recording-audit-reenrich role to the worker, or run `recording-audit link` on a schedule as that identity. `reconcile` and `query` do not need the links.',
    { default: 0, min: 0, max: 86_400 },
  ),
  LINK_LOOKBACK_SECS: int(
    'pipeline',
    'How far back in CloudTrail event time each link pass looks for unlinked events. A CloudTrail event whose access-log record arrives later than this is not linked by the worker (run `recording-audit link --from --to`); one whose record never arrives stays unlinked, and `reconcile` lists it.',
    { default: 2 * 86_400, min: 3600, max: 400 * 86_400 },
  ),
  RECONCILE_GRACE_SECS: int(
    'pipeline',
    '`reconcile`: an hour is compared only this long after it ended; before that it is shown as `pending` and its one-sided requests are not counted as gaps. S3 delivers access logs best effort, most within a few hours (CloudTrail within about 15 minutes), so a shorter grace reports requests whose record is merely late.',
    { default: 6 * 3600, min: 0, max: 30 * 86_400 },
  ),
  CLOUDTRAIL_MAX_RECORD_BYTES: int(
    'pipeline',
    'A CloudTrail record larger than this is dropped while it is read and quarantined as ct_record_too_large; the file goes on. Bounds the memory one record can take; a single JSON token longer than 4 times this ends the file as ct_token_too_large.',
    { default: 1_048_576, min: 4096, max: 67_108_864 },
  ),

  // quarantine
  QUARANTINE_URL: str('quarantine', 'Where rejected lines and documents go, with their reason: `s3://bucket/prefix` or a local directory `file:///path`.', {
    default: 'file:///tmp/recording-audit/quarantine',
    pattern: /^(s3:\/\/[a-z0-9][a-z0-9.-]+[a-z0-9](\/.*)?|file:\/\/\/.+)$/,
    patternDoc: 's3://bucket/prefix or file:///path',
  }),
  QUARANTINE_WRITE_TIMEOUT_MS: int('quarantine', 'Timeout of one quarantine object write to S3; a write that hangs fails and the object is retried.', {
    default: 30_000,
    min: 100,
    max: 600_000,
  }),

  // genesys
  GENESYS_CLIENT_ID: str('genesys', 'OAuth client-credentials client id. Without it the worker resolves from keys only.'),
  GENESYS_CLIENT_SECRET: str('genesys', 'OAuth client secret.', { secret: true }),
  GENESYS_ENVIRONMENT: str('genesys', 'Genesys Cloud region domain, for example mypurecloud.com, usw2.pure.cloud.', { default: 'mypurecloud.com' }),
  GENESYS_API_URL: url(
    'genesys',
    'Send login and API calls to this gateway or simulator instead of https://api.<environment>. https is required (the client secret and tokens travel on it) except on loopback hosts (127.0.0.0/8, ::1, localhost).',
    { httpsExceptLoopback: true },
  ),
  GENESYS_REQUESTS_PER_MINUTE: int('genesys', 'Client-side rate limit of all Genesys API calls.', { default: 300, min: 1, max: 100_000 }),
  GENESYS_REQUEST_TIMEOUT_MS: int('genesys', 'Timeout of one Genesys API call.', { default: 10_000, min: 100 }),
  GENESYS_RETRY_MAX_ATTEMPTS: int('genesys', 'Attempts of one call on 5xx or network errors.', { default: 4, min: 1, max: 20 }),
  GENESYS_WAIT_BUDGET_MS: int('genesys', 'Longest an event waits for Genesys (rate limits included) before it is written with enrichment.status pending.', {
    default: 30_000,
    min: 0,
  }),
  GENESYS_BATCH_WINDOW_MS: int('genesys', 'How long lookups are gathered into one batched call.', { default: 50, min: 0, max: 10_000 }),
  GENESYS_BATCH_MAX_IDS: int('genesys', 'Most ids in one batched call.', { default: 100, min: 1, max: 100 }),
  GENESYS_CACHE_MAX_ENTRIES: int('genesys', 'Bound of each lookup cache.', { default: 100_000, min: 10 }),
  GENESYS_CACHE_TTL_SECS: int('genesys', 'Lifetime of a cached lookup.', { default: 3600, min: 1 }),
  GENESYS_NEGATIVE_CACHE_TTL_SECS: int('genesys', 'Lifetime of a cached "not found".', { default: 300, min: 1 }),
  GENESYS_RECORDING_METADATA: oneOf(
    'genesys',
    'When GET /api/v2/conversations/{id}/recordingmetadata is called (one call per conversation, the costliest lookup): `never`; `lazy` only when the sidecar, analytics and the key extension leave the media type open; `always` also for recording start, end and file state.',
    ['never', 'lazy', 'always'] as const,
    { default: 'lazy' },
  ),
  GENESYS_LOOKUPS_PER_REQUESTER_PER_MIN: int(
    'genesys',
    'Recordings per requester (S3 principal) per minute whose enrichment may call Genesys or read a sidecar; answers from the caches are free. Beyond it events are written with enrichment.status pending (reason requester_lookup_cap) for reenrich, so one principal cannot spend the shared GENESYS_REQUESTS_PER_MINUTE. Anonymous and 4xx events are never looked up (enrichment.status skipped). 0 turns the cap off.',
    { default: 600, min: 0 },
  ),
  REENRICH_INTERVAL_SECS: int('genesys', 'In the worker, how often pending events are re-enriched; 0 turns the periodic task off.', { default: 0, min: 0 }),

  GENESYS_AUDIT_INTERVAL_SECS: int(
    'genesys',
    'In the worker, how often the Genesys audit trail of recordings (playbacks, downloads, exports, deletions and retention changes inside Genesys) is read into the index; 0 turns the source off. Needs Genesys credentials with audits:interactionDetails:view (quality) or audits:audit:view (audits).',
    { default: 300, min: 0 },
  ),
  GENESYS_AUDIT_APIS: list(
    'genesys',
    'Which audit queries the source runs: `quality` (the interaction audit trail, POST /api/v2/quality/conversations/audits/query) and/or `audits` (the general audits, service Quality, entity Recording). Both at once can show one action twice, under two message ids.',
    { default: ['quality'], item: (v) => (v === 'quality' || v === 'audits' ? undefined : 'must be quality or audits') },
  ),
  GENESYS_AUDIT_OVERLAP_SECS: int(
    'genesys',
    'Each run reads again this far behind its watermark: Genesys makes an audit message queryable some time after the action, and one that appears late inside an already-read window is found by the next run (duplicates are recognised by message id).',
    { default: 3600, min: 0, max: 14 * 86_400 },
  ),
  GENESYS_AUDIT_FIRST_LOOKBACK_SECS: int('genesys', 'Without a stored watermark (the first run), how far back the audit source starts.', {
    default: 86_400,
    min: 0,
    max: 400 * 86_400,
  }),
  GENESYS_AUDIT_WINDOW_SECS: int(
    'genesys',
    'Longest interval of one audit query; longer spans (a backfill, a worker catching up) are read as consecutive windows, each one watermark step. Every query costs a submit, state polls and its last page whatever it holds, so long windows are cheap (docs/genesys-audit-api.md); a kill repeats at most one window.',
    {
      default: 7 * 86_400,
      min: 60,
      max: 31 * 86_400,
    },
  ),

  EVIDENCE_BUCKET: str(
    'genesys',
    "When set, the Genesys audit source writes every results page here (genesys-audit/<api>/<date>/<query>/page-N.ndjson, one message per line) before indexing its events, which then name their page and line so `verify` can prove them. Meant to be an Object Lock bucket (the storage stack's EvidenceBucketName).",
    { pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, patternDoc: 'an S3 bucket name' },
  ),

  // recordings
  RECORDINGS_BUCKET: str('recordings', 'The audited recordings bucket; when set, `_metadata.json` sidecars are read from it.', {
    pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    patternDoc: 'an S3 bucket name',
  }),
  AUDITED_BUCKETS: list(
    'recordings',
    'Buckets whose access records are accepted; a record for any other bucket is quarantined as foreign_bucket. Default: RECORDINGS_BUCKET. With neither set every bucket is accepted, and the worker warns at start.',
    { item: bucketName },
  ),
  RECORDINGS_KMS_KEY_ARN: str('recordings', '`check`: the KMS key the recordings bucket must use by default.'),
  RECORDINGS_RETENTION_DAYS: int('recordings', '`check`: no lifecycle rule may expire recordings earlier than this.', { default: 2192, min: 1 }),
  LOG_RETENTION_DAYS: int(
    'recordings',
    '`check`: each log bucket, or the bucket it replicates every log object to, must keep log objects under Object Lock in compliance mode at least this long.',
    { default: 2192, min: 1 },
  ),
  RECORDING_KEY_PATTERNS: list(
    'recordings',
    'Extra key patterns (JavaScript regular expressions with named groups org, cid, rid, ext, year, month, day, hour), tried before the built-in ones. Separated by newlines or `;;`.',
    { separator: ';;' },
  ),

  // replay
  REPLAY_CHECKPOINT_URL: str('replay', 'Where replay keeps its checkpoint: `file:///path/checkpoint.json` or `s3://bucket/key`.', {
    default: 'file:///tmp/recording-audit/replay-checkpoint.json',
  }),
  REPLAY_MARGIN_SECS: int('replay', 'Objects delivered up to this long after --to are listed too, because records arrive late.', { default: 3 * 3600, min: 0 }),
  REPLAY_MAX_LINES_PER_SEC: int('replay', 'Throttle of a replay; 0 is unlimited.', { default: 0, min: 0 }),

  // detect
  DETECT_INTERVAL_SECS: int(
    'detect',
    'In the worker, how often the detection rules run over the closed windows since the last completed one (the same code as `recording-audit detect`); 0 turns the periodic task off.',
    { default: 0, min: 0 },
  ),
  DETECT_RULES_FILE: str(
    'detect',
    'JSON rules file (thresholds, lists, zones; see config/detect-rules.example.json). Unset: the built-in defaults of every rule.',
  ),
  DETECT_WINDOW_SECS: int(
    'detect',
    'Length of one detection window, aligned to the epoch (UTC). The watermark advances one closed window at a time; a rule with a shorter window of its own evaluates every one of its windows that ends inside.',
    { default: 3600, min: 60, max: 86_400 },
  ),
  DETECT_LAG_SECS: int(
    'detect',
    'A window is closed, and evaluated, only this long after its end: S3 delivers access logs late (usually within hours), and a record indexed after its window was evaluated is not looked at again.',
    { default: 7200, min: 0, max: 7 * 86_400 },
  ),
  DETECT_FIRST_LOOKBACK_SECS: int('detect', 'Without a stored watermark (the first run), how far back before the last closed window the first run starts.', {
    default: 86_400,
    min: 0,
    max: 400 * 86_400,
  }),
  ALERT_SNS_TOPIC_ARN: str(
    'detect',
    'Publish every new alert to this SNS topic, at least once: an alert stays `notified: false` in the alerts index until the publish succeeds, and each run retries the ones left.',
    { pattern: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/, patternDoc: 'an SNS topic ARN' },
  ),

  // ops
  HEALTH_PORT: int('ops', 'Port of /livez, /readyz and /metrics; 0 turns the server off.', { default: 8080, min: 0, max: 65535 }),
  HEALTH_HOST: str(
    'ops',
    'Address the health server binds to. Loopback by default: the container health check runs inside the container; set 0.0.0.0 only when something outside must reach it (a load balancer, a published Docker port).',
    { default: '127.0.0.1' },
  ),
} as const satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof SCHEMA;

type ValueOf<S> = S extends Setting<infer T> ? T : never;
type HasDefault<S> = S extends { default: unknown } ? true : false;

/** The validated configuration: settings with a default are always present. */
export type Config = {
  readonly [K in SettingName]: HasDefault<(typeof SCHEMA)[K]> extends true ? ValueOf<(typeof SCHEMA)[K]> : ValueOf<(typeof SCHEMA)[K]> | undefined;
};

/**
 * Six years in days, the HIPAA retention. The floor guards where retention is written (the ISM
 * policy `setup` installs): below it only `setup --allow-short-retention` goes, and `check` fails.
 */
export const RETENTION_FLOOR_DAYS = 2192;

/** The read alias: INDEX_ALIAS, or INDEX_PREFIX when it is unset. */
export function readAliasOf(cfg: { readonly INDEX_PREFIX: string; readonly INDEX_ALIAS?: string | undefined }): string {
  return cfg.INDEX_ALIAS ?? cfg.INDEX_PREFIX;
}
