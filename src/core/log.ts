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
 * JSON logs to stdout. Messages and string fields pass through redactSecretsInText so a presigned
 * URL or a signature pasted into an error message never reaches the log.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'recording-audit' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        const cleaned = args.map((arg: unknown) => (typeof arg === 'string' ? redactSecretsInText(arg) : arg));
        method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (err: unknown) => {
        const base = pino.stdSerializers.err(err as Error);
        return { ...base, message: redactSecretsInText(base.message), stack: base.stack ? redactSecretsInText(base.stack) : undefined };
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
