// Checks for the files the CLI writes (--out, --report), made before any work is done so a typo in
// an output path fails at once, in one line, and a model file is never overwritten.
import { realpathSync, Stats, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { OpplaceError } from '../algorithms/errors';

/** The same file on disk (symlinks resolved; a file that does not exist yet by its absolute path). */
export function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

/**
 * Throws one clear OpplaceError when `out` (given as `--flag out`) cannot or must not be written:
 * it is one of the inputs, it is a directory, or its folder does not exist.
 */
export function checkOutputPath(out: string, inputs: readonly string[], flag: string): void {
  if (out.trim() === '') throw new OpplaceError(`--${flag} needs a file name`);
  for (const input of inputs) {
    if (samePath(out, input)) throw new OpplaceError(`--${flag} ${out} is an input file; opplace never overwrites its inputs — choose another name`, { file: input });
  }
  const stat = statOrNull(out);
  if (stat?.isDirectory()) throw new OpplaceError(`--${flag} ${out} is a directory; give a file name`, { file: out });
  const dir = path.dirname(path.resolve(out));
  const dirStat = statOrNull(dir);
  if (!dirStat || !dirStat.isDirectory()) throw new OpplaceError(`--${flag}: the folder ${dir} does not exist`, { file: out });
}

/** stat, or null when the path does not exist or cannot be reached (ENOENT, ENOTDIR, EACCES, …). */
function statOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

/** Error text of a failed write: the errno code with a human reading. */
export function writeErrorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const meaning: Record<string, string> = { EACCES: 'permission denied', EPERM: 'permission denied', ENOSPC: 'no space left on the device', EROFS: 'read-only file system', ENOENT: 'the folder does not exist', EISDIR: 'it is a directory' };
  return code ? `${code}${meaning[code] ? `: ${meaning[code]}` : ''}` : String((e as Error)?.message ?? e);
}

/**
 * The --out / --report checks of a command that writes a plan and a report (`place`, `pipeline`):
 * made before any work, so a bad path fails at once and never names a model file.
 */
export function checkPlanOutputs(values: { out?: string; report?: string }, inputs: readonly string[]): void {
  if (values.report !== undefined && inputs.length !== 1) throw new OpplaceError('--report takes exactly one model file');
  if (values.out !== undefined) checkOutputPath(values.out, inputs, 'out');
  if (values.report !== undefined) checkOutputPath(values.report, inputs, 'report');
  if (values.out !== undefined && values.report !== undefined && samePath(values.out, values.report)) {
    throw new OpplaceError('--out and --report name the same file; give each its own');
  }
}

/** Writes the plans of a run to --out: the plan itself for one file, a JSON array for several. */
export function writePlansFile(out: string, plans: readonly unknown[]): void {
  const text = JSON.stringify(plans.length === 1 ? plans[0] : plans, null, 1) + '\n';
  try {
    writeFileSync(out, text);
  } catch (e) {
    throw new OpplaceError(`cannot write the plan (${writeErrorText(e)})`, { file: out });
  }
}
