#!/usr/bin/env node
import { isConfigurationError } from '../core/errors.js';
import { EXIT_CONFIG, EXIT_USAGE } from './exit-codes.js';

/** A subcommand: takes its own arguments, returns the process exit code. */
export type Command = (argv: string[]) => Promise<number>;

/** `checkoutOnly`: left out of the Docker image (docker/runtime-exclude.txt), present in a checkout. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command>; checkoutOnly?: true }> = {
  worker: { summary: 'Consume SQS notifications and index every access-log record (long-running).', load: async () => (await import('./worker.js')).run },
  parse: { summary: 'Parse access-log files (or stdin) to NDJSON events; no network unless --enrich.', load: async () => (await import('./parse.js')).run },
  replay: { summary: 'Backfill historical log objects through the same pipeline.', load: async () => (await import('./replay.js')).run },
  'genesys-audit': {
    summary: "Read Genesys's own audit trail of recordings (in-Genesys playbacks, exports, deletions) for a span into the index.",
    load: async () => (await import('./genesys-audit.js')).run,
  },
  reenrich: { summary: 'Complete events whose Genesys enrichment is pending.', load: async () => (await import('./reenrich.js')).run },
  verify: {
    summary: "Chain of custody: re-read each event's log line from S3 and check the index says what S3 wrote.",
    load: async () => (await import('./verify.js')).run,
  },
  detect: {
    summary: 'Run the detection rules over closed windows and write alerts to INDEX_PREFIX-alerts (docs/detections.md).',
    load: async () => (await import('./detect.js')).run,
  },
  setup: {
    summary: 'Install the index template, read alias and ISM retention policy (admin identity); the worker only verifies them.',
    load: async () => (await import('./setup.js')).run,
  },
  query: {
    summary: 'Who saw, downloaded, changed or was refused recordings: by conversation, recording, principal, agent, IP; denied, deletions, presigned.',
    load: async () => (await import('./query.js')).run,
  },
  report: {
    summary: 'Accounting of disclosures for one conversation (45 CFR 164.528) as HTML, PDF or CSV.',
    load: async () => (await import('./report.js')).run,
  },
  reconcile: {
    summary: 'Completeness across CloudTrail and the access logs: per hour, the requests on recordings one source has and the other lacks.',
    load: async () => (await import('./reconcile.js')).run,
  },
  link: {
    summary: 'Link CloudTrail events to their access-log twins (link.* only, guarded by seq_no): one pass over a span.',
    load: async () => (await import('./link.js')).run,
  },
  check: { summary: 'Check a deployment and the recordings bucket; pass/fail table.', load: async () => (await import('./check.js')).run },
  'genesys-sim': {
    summary: 'Run the Genesys Cloud API simulator (tests, demo, benchmarks).',
    load: async () => (await import('./genesys-sim.js')).run,
    checkoutOnly: true,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: recording-audit <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'recording-audit <command> --help' for a command's options.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`Unknown command "${name}".\n\n${usage()}`);
    return EXIT_USAGE;
  }
  let run: Command;
  try {
    run = await command.load();
  } catch (err) {
    if (command.checkoutOnly === true && (err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write(`"${name}" is not part of this installation (the runtime image leaves it out); run it from a checkout.\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  try {
    return await run(rest);
  } catch (err) {
    if (isConfigurationError(err)) {
      process.stderr.write(`${err.message}\n`);
      return EXIT_CONFIG;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A command is done when it returns. A lingering keep-alive socket or timer in a dependency
    // must not keep a stopped worker alive past its grace period; the unref'd timer fires only if
    // something else still holds the event loop, and gives stdout time to drain first.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err: unknown) => {
    process.stderr.write(`recording-audit: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
