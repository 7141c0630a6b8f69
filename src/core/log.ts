import { pino, type Logger, type LoggerOptions } from 'pino';
import { redactSecretsInText } from './redact-text.js';

export type { Logger } from 'pino';

/** Field paths that may carry credentials anywhere in a log record. */
const REDACT_PATHS = [
  'password',
  'secret',
  'clientSecret',
  'accessToken',
  'authorization',
  'token',
  '*.password',
  '*.secret',
  '*.clientSecret',
  '*.accessToken',
  '*.authorization',
  '*.token',
  'config.OPENSEARCH_PASSWORD',
  'config.GENESYS_CLIENT_SECRET',
  'headers.authorization',
  'req.headers.authorization',
];

/**
 * A field whose name says it holds a credential: its whole value goes, whatever it looks like.
 * Names are compared lower-cased without `-`/`_`, on their ending (`clientSecret`,
 * `X-Amz-Security-Token`, `Set-Cookie`, `GENESYS_CLIENT_SECRET`).
 */
const SECRET_KEY = /(authorization|cookie|password|passwd|secret|token|apikey|credentials?|signature)$/;

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_]/g, ''));
}

/** Deeper than any record the worker logs; beyond it a value is dropped rather than walked. */
const MAX_DEPTH = 10;

/**
 * A copy of a log record's fields with credentials removed: values under credential-named keys
 * replaced, and every string anywhere (nested objects, arrays, error fields) through
 * redactSecretsInText. The path list of pino's own `redact` only reaches fields named in advance;
 * a URL with a signature can arrive in any field.
 */
export function redactLogFields(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactSecretsInText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactLogFields(v, depth + 1, seen));
    // Errors keep their message and stack, which are not enumerable.
    const source: Record<string, unknown> =
      value instanceof Error ? { ...(pino.stdSerializers.err(value) as unknown as Record<string, unknown>) } : (value as Record<string, unknown>);
    if (!(value instanceof Error) && !isPlainRecord(value)) {
      // Dates, Buffers, Maps and the like: their JSON form, redacted as text.
      let json: unknown;
      try {
        json = JSON.parse(JSON.stringify(value) ?? 'null');
      } catch {
        return '[unserializable]';
      }
      return redactLogFields(json, depth + 1, seen);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(source)) {
      out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED_VALUE : redactLogFields(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

const REDACTED_VALUE = '[redacted]';

function isPlainRecord(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * JSON logs to stdout. Messages and every field (nested ones too) pass through redactLogFields,
 * so a presigned URL or a signature pasted into an error message, or a header logged whole,
 * never reaches the log.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'recording-audit' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => redactLogFields(bindings) as Record<string, unknown>,
      log: (fields) => redactLogFields(fields) as Record<string, unknown>,
    },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        const cleaned = args.map((arg: unknown) => (typeof arg === 'string' ? redactSecretsInText(arg) : arg));
        method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
    serializers: {
      // formatters.log has redacted an Error already; a plain object under `err` passes as is.
      err: (err: unknown) => (err instanceof Error ? redactLogFields(err) : err),
    },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // pino applies formatters.bindings to the root's bindings only, never to a child's: redact those
  // on the way in. Children inherit this method (they are created from their parent's prototype).
  const proto = Object.getPrototypeOf(logger) as { child: (this: unknown, bindings: Record<string, unknown>, opts?: unknown) => unknown };
  const redactingChild = function (this: unknown, bindings: Record<string, unknown>, opts?: unknown): unknown {
    return proto.child.call(this, redactLogFields(bindings) as Record<string, unknown>, opts);
  };
  logger.child = redactingChild as unknown as Logger['child'];
  return logger;
}
