/**
 * `npm run bench -- <name> [args]`: imports test/bench/<name>.ts and calls its exported
 * `bench(args)`. Each benchmark prints its own numbers and a ratio against a baseline measured in
 * the same run. Without a name (or with an unknown one) it lists the benchmarks there are.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Bench = (args: string[]) => Promise<void>;

const dir = fileURLToPath(new URL('.', import.meta.url));

function available(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'main.ts')
    .map((f) => f.slice(0, -3))
    .sort();
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const names = available();
  if (name === undefined || name === '--help' || !names.includes(name)) {
    if (name !== undefined && name !== '--help') process.stderr.write(`Unknown benchmark "${name}".\n`);
    process.stderr.write(`Usage: npm run bench -- <name> [args]\n\nBenchmarks: ${names.join(', ')}\n`);
    return name === '--help' ? 0 : 64;
  }
  const mod = (await import(`./${name}.ts`)) as { bench?: unknown };
  if (typeof mod.bench !== 'function') {
    // Helper modules (corpora, shared code) live here too; only files exporting bench() run.
    process.stderr.write(`test/bench/${name}.ts exports no bench(args) function.\n`);
    return 64;
  }
  await (mod.bench as Bench)(args);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
