// A tiny, strict argument parser shared by the subcommands (node:util parseArgs with our errors).
import { parseArgs } from 'node:util';
import { OpplaceError } from '../algorithms/errors';
import { quoteInput } from '../algorithms/text';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }>;

export function parseCommandArgs<T extends OptionSpec>(argv: string[], spec: T, command: string) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, spec), options: spec, allowPositionals: true, strict: true });
  } catch (e) {
    throw new OpplaceError(`${(e as Error).message} (see \`opplace ${command} --help\`)`);
  }
}

/** Parses an integer option in min…max or throws a clear error (before anything is sized by it). */
export function intOption(value: string | undefined, name: string, dflt: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new OpplaceError(`--${name} must be an integer ≥ ${min}, got "${quoteInput(value)}"`);
  if (n > max) throw new OpplaceError(`--${name} must be at most ${max}, got "${quoteInput(value)}"`);
  return n;
}

/**
 * `--memory -1` → `--memory=-1`. parseArgs refuses a value that starts with a dash (a three-line
 * "ambiguous" message); a negative number after a value-taking option is meant as its value, and
 * the option's own check then says in one line what is wrong with it.
 */
export function joinNegativeValues(argv: string[], spec: OptionSpec): string[] {
  const takesValue = (token: string): boolean => {
    if (token.startsWith('--')) return !token.includes('=') && spec[token.slice(2)]?.type === 'string';
    if (/^-[^-]$/.test(token)) return Object.values(spec).some((o) => o.short === token[1] && o.type === 'string');
    return false;
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (next !== undefined && /^-[\d.]/.test(next) && takesValue(token)) {
      out.push(token.startsWith('--') ? `${token}=${next}` : `${token}${next}`);
      i++;
    } else out.push(token);
  }
  return out;
}
