// Placeholder until the issue that owns this command lands; it fails loudly, never pretends.
export function run(_argv: string[]): Promise<number> {
  process.stderr.write('recording-audit replay: not built yet\n');
  return Promise.resolve(2);
}
