import { parseArgs, type ParseArgsConfig } from 'node:util';

import { EXIT_USAGE } from './exit-codes.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs with the behaviour every subcommand shares: `--help` prints the help and exits 0, an
 * unknown or malformed option prints the problem and the help to stderr and exits 64.
 */
export function parseCommandArgs<const O extends Options>(
  argv: string[],
  options: O,
  help: string,
  config: { allowPositionals?: boolean } = {},
):
  | { ok: true; values: ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: boolean }>>['values']; positionals: string[] }
  | { ok: false; exit: number } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: config.allowPositionals ?? false,
    });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${help}`);
    return { ok: false, exit: EXIT_USAGE };
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(help);
    return { ok: false, exit: 0 };
  }
  return { ok: true, values: parsed.values as never, positionals: parsed.positionals };
}
