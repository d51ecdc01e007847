// `opplace` command line. Each subcommand lives in cli/commands/<name>.ts and exports
// `run(argv: string[], io: CliIO): Promise<number>` (the exit code).
import { isOpplaceError } from '../algorithms/errors';
import { ownValue } from '../algorithms/records';
import { displayText, quoteInput } from '../algorithms/text';
import type { CliIO } from './io';
import { defaultIO } from './io';
import pkg from '../package.json';

type Command = { summary: string; load: () => Promise<{ run: (argv: string[], io: CliIO) => Promise<number> }> };

const COMMANDS: Record<string, Command> = {
  inspect: { summary: 'summarise model files (nodes, parameters, FLOPs, shapes)', load: () => import('./commands/inspect') },
  place: { summary: 'place a model on N memory-limited devices and print the plan', load: () => import('./commands/place') },
  compare: { summary: 'run every placer on a model and compare them in one table', load: () => import('./commands/compare') },
  pipeline: { summary: 'plan a model for throughput: pipeline stages × microbatches', load: () => import('./commands/pipeline') },
  fit: { summary: 'smallest uniform per-device memory for which a placer succeeds', load: () => import('./commands/fit') },
  export: { summary: 'export a plan (accelerate, torch-split, onnx, csv)', load: () => import('./commands/export') },
  diffusion: { summary: 'randomized-midpoint diffusion sampling: bench | graph', load: () => import('./commands/diffusion') },
};

/** The package version (esbuild inlines package.json into the bundle). */
export function version(): string {
  return pkg.version;
}

export function usage(): string {
  const lines = ['usage: opplace <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `opplace <command> --help` for the options of a command; `opplace --version` prints the version.');
  return lines.join('\n');
}

export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`opplace ${version()}\n`);
    return 0;
  }
  const cmd = ownValue(COMMANDS, name);
  if (!cmd) {
    io.err(`opplace: unknown command "${quoteInput(name)}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    const mod = await cmd.load();
    return await mod.run(rest, io);
  } catch (e) {
    if (isOpplaceError(e)) {
      io.err(`opplace ${name}: ${(e as Error).message}\n`);
      return (e as { exitCode?: number }).exitCode ?? 2;
    }
    io.err(
      `opplace ${name}: internal error: ${String((e as Error)?.stack ?? e)
        .split('\n')
        .map(displayText)
        .join('\n')}\n`,
    );
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
