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
  | 'SETUP_MISMATCH'
  | 'INTEGRITY_MISMATCH'
  | 'QUARANTINE_WRITE_FAILED'
  | 'HEARTBEAT_FAILED'
  | 'GENESYS_AUTH_FAILED'
  | 'GENESYS_RATE_LIMITED'
  | 'GENESYS_UNAVAILABLE'
  | 'GENESYS_BAD_RESPONSE'
  | 'CHECKPOINT_FAILED'
  | 'SHUTDOWN'
  | 'INTERNAL';

export class AuditError extends Error {
  readonly code: ErrorCode;
  /** Whether trying the same operation again later may succeed. */
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean; details?: Record<string, unknown> } = {},
  ) {
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

/** A short, secret-free description of any thrown value, for logs. */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof AuditError) return { code: err.code, message: err.message };
  if (err instanceof Error) {
    const named = err as Error & { code?: unknown; name: string };
    return { code: typeof named.code === 'string' ? named.code : named.name, message: err.message };
  }
  return { code: 'INTERNAL', message: String(err) };
}
