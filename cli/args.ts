// A tiny, strict argument parser shared by the subcommands (node:util parseArgs with our errors).
import { parseArgs } from 'node:util';
import { OpplaceError } from '../algorithms/errors';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }>;

export function parseCommandArgs<T extends OptionSpec>(argv: string[], spec: T, command: string) {
  try {
    return parseArgs({ args: argv, options: spec, allowPositionals: true, strict: true });
  } catch (e) {
    throw new OpplaceError(`${(e as Error).message} (see \`opplace ${command} --help\`)`);
  }
}

/** Parses a positive integer option or throws a clear error. */
export function intOption(value: string | undefined, name: string, dflt: number, min = 1): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new OpplaceError(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}
