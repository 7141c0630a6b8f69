/**
 * One error base for the whole worker. Every failure that crosses a module boundary carries a
 * stable `code` that logs, metrics and quarantine records use; messages may change, codes may not.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'OBJECT_MISSING'
  | 'OBJECT_READ_FAILED'
  | 'OBJECT_TRUNCATED'
  | 'OBJECT_CHANGED'
  | 'SINK_UNAVAILABLE'
  | 'SINK_REJECTED'
  | 'INDEX_MISSING'
  | 'SETUP_MISMATCH'
  | 'INTEGRITY_MISMATCH'
  | 'QUARANTINE_WRITE_FAILED'
  | 'EVIDENCE_WRITE_FAILED'
  | 'HEARTBEAT_FAILED'
  | 'GENESYS_AUTH_FAILED'
  | 'GENESYS_RATE_LIMITED'
  | 'GENESYS_UNAVAILABLE'
  | 'GENESYS_BAD_RESPONSE'
  | 'GENESYS_AUDIT_QUERY_FAILED'
  | 'CHECKPOINT_FAILED'
  | 'SHUTDOWN'
  | 'INTERNAL';

/**
 * What each code means and what an operator does about it, declared beside the codes so the type
 * system asks for an entry with every new code. docs/operations.md is generated from it.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: {
    meaning: 'A setting is missing, malformed or out of range; every problem is listed with its setting.',
    action: 'Fix the named settings; the process exits 78 until then.',
  },
  OBJECT_MISSING: {
    meaning: 'The notified log object is gone (404) or not readable (403).',
    action: 'Alert on missing_log_objects_total; grant s3:ListBucket and s3:GetObject on the log bucket; find who deleted the object.',
  },
  OBJECT_READ_FAILED: {
    meaning: 'Reading a log object or a sidecar failed or stalled (network, 5xx, read timeout). Retried.',
    action: 'None if it passes; if messages reach the DLQ, check S3 reachability and OBJECT_READ_TIMEOUT_MS.',
  },
  OBJECT_TRUNCATED: {
    meaning: 'A gzip log object is truncated or corrupt; it is never counted short.',
    action: 'The message goes to the DLQ; inspect the object in the log bucket.',
  },
  OBJECT_CHANGED: {
    meaning: 'The log object was overwritten after its notification (the ETag differs); access logs are written once.',
    action: 'Treat as a possible tampering: compare the versions, then redrive or replay.',
  },
  SINK_UNAVAILABLE: {
    meaning: 'OpenSearch did not answer (connection error) or a scan was incomplete. Retried; the message is kept.',
    action: 'Check the OpenSearch domain and network; /readyz names the probe.',
  },
  SINK_REJECTED: {
    meaning: 'OpenSearch refused a request or item that retrying did not fix (a blocked index, permissions, a template it would not install).',
    action: 'Read the error in the log; fix the cluster or role; the messages are redelivered.',
  },
  INDEX_MISSING: {
    meaning: 'A query or report names an index or read alias that does not exist (`query`, `report`).',
    action: 'Check INDEX_PREFIX (or --index) against the cluster; the alias exists once `setup` ran and the worker indexed an event.',
  },
  SETUP_MISMATCH: {
    meaning: 'The index template, alias or ISM policy differs from what `setup` installs for these settings.',
    action: 'Run `recording-audit setup` with an admin identity and the same INDEX_*/RETENTION_DAYS.',
  },
  INTEGRITY_MISMATCH: {
    meaning: "A replayed object's books do not balance (lines ≠ indexed + duplicates + quarantined).",
    action: "Do not trust that object's result; keep the report and open an issue.",
  },
  QUARANTINE_WRITE_FAILED: {
    meaning: 'A quarantine record could not be written durably. The line is not accounted for, so the message is kept.',
    action: 'Check QUARANTINE_URL: bucket policy, KMS key, disk space.',
  },
  EVIDENCE_WRITE_FAILED: {
    meaning:
      'A Genesys audit results page could not be written to EVIDENCE_BUCKET. Its events are not indexed and the audit watermark does not move; the next run reads the window again.',
    action: 'Check EVIDENCE_BUCKET: the task role may s3:PutObject under genesys-audit/, and the bucket exists.',
  },
  HEARTBEAT_FAILED: {
    meaning: 'The visibility timeout of an in-flight message could not be extended; the message is abandoned, never deleted with a stale handle.',
    action: 'Check SQS reachability and sqs:ChangeMessageVisibility; the message reappears.',
  },
  GENESYS_AUTH_FAILED: {
    meaning: 'Genesys refused the login or a call (401 after a fresh token, 403).',
    action: 'Check the OAuth client and its permissions with `recording-audit check --only genesys`.',
  },
  GENESYS_RATE_LIMITED: {
    meaning: 'A lookup would wait beyond GENESYS_WAIT_BUDGET_MS (429, client limit, requester cap). The event is written pending.',
    action: "None; `reenrich` completes it. If constant, raise GENESYS_REQUESTS_PER_MINUTE with Genesys' agreement.",
  },
  GENESYS_UNAVAILABLE: {
    meaning: 'Genesys is failing (5xx, network) or calls are paused by the circuit breaker. The event is written pending.',
    action: 'None; `reenrich` completes it. Check the Genesys status page if it lasts.',
  },
  GENESYS_BAD_RESPONSE: {
    meaning: 'A Genesys answer did not match its model or had an unexpected status.',
    action: 'Report it with the logged endpoint; the event is written pending.',
  },
  GENESYS_AUDIT_QUERY_FAILED: {
    meaning:
      'A Genesys audit query did not deliver: it ended Failed or Cancelled, did not finish in time, its transaction vanished, or a results cursor expired (details.reason).',
    action: 'None if it passes: the audit source retries the window from its watermark. If constant, check the Genesys status page.',
  },
  CHECKPOINT_FAILED: {
    meaning: 'A replay checkpoint is unreadable, not a checkpoint, or belongs to another run.',
    action: 'Point REPLAY_CHECKPOINT_URL at the right file, or remove it to start over.',
  },
  SHUTDOWN: { meaning: 'Work stopped by SIGTERM/SIGINT or a closed component; unfinished messages reappear.', action: 'None.' },
  INTERNAL: {
    meaning: 'A broken invariant, such as an object whose books do not balance; the message is kept.',
    action: 'Open an issue with the log line; the message goes to the DLQ after its retries.',
  },
} as const satisfies Record<ErrorCode, { meaning: string; action: string }>;

export class AuditError extends Error {
  readonly code: ErrorCode;
  /** Whether trying the same operation again later may succeed. */
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AuditError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

export function isAuditError(err: unknown, code?: ErrorCode): err is AuditError {
  return err instanceof AuditError && (code === undefined || err.code === code);
}

/**
 * Fixed by changing settings or running `setup`, not by waiting: the process exits 78, so an
 * orchestrator's restart loop does not look like a crash. Everything else at start is waited out.
 */
export function isConfigurationError(err: unknown): err is AuditError {
  return isAuditError(err, 'CONFIG_INVALID') || isAuditError(err, 'SETUP_MISMATCH');
}

/** A short, secret-free description of any thrown value, for logs. */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof AuditError) return { code: err.code, message: err.message };
  if (err instanceof Error) {
    const named = err as Error & { code?: unknown; name: string };
    return { code: typeof named.code === 'string' ? named.code : named.name, message: err.message };
  }
  return { code: 'INTERNAL', message: String(err) };
}
