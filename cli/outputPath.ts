// The files the CLI writes (--out, --report): checked before any work is done so a typo in an
// output path fails at once, in one line, and written so that a model file is never changed.
// Every command that writes a file goes through `checkOutputPath` and then `writeOutputFile`:
//  - an output is "the same file" as an input when both name one inode (device + inode), which
//    catches hard links, symlinks, `./`, `../` and /proc/self/cwd alike;
//  - the data goes to a temporary file in the output's folder and is renamed over the output, so a
//    failed write leaves the old file whole, and an output that is a link to some other file
//    replaces the link, never the linked file's content.
import { closeSync, fsyncSync, openSync, realpathSync, renameSync, Stats, statSync, unlinkSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { OpplaceError } from '../algorithms/errors';
import { ownValue } from '../algorithms/records';

/** The same file on disk: the same device and inode when both exist, else the same resolved path. */
export function samePath(a: string, b: string): boolean {
  const sa = statOrNull(a);
  const sb = statOrNull(b);
  if (sa && sb) return sa.dev === sb.dev && sa.ino === sb.ino;
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

export interface OutputCheck {
  /** Refuse an existing file (e.g. `diffusion graph --out`, which may name anything) unless `force`. */
  refuseExisting?: boolean;
  force?: boolean;
}

/**
 * Throws one clear OpplaceError when `out` (given as `--flag out`) cannot or must not be written:
 * it is one of the inputs, it is a directory, its folder does not exist, or (with
 * `refuseExisting`) it exists and --force was not given.
 */
export function checkOutputPath(out: string, inputs: readonly string[], flag: string, check: OutputCheck = {}): void {
  if (out.trim() === '') throw new OpplaceError(`--${flag} needs a file name`);
  for (const input of inputs) {
    if (samePath(out, input))
      throw new OpplaceError(`--${flag} ${out} is an input file; opplace never overwrites its inputs — choose another name`, { file: input });
  }
  const stat = statOrNull(out);
  if (stat?.isDirectory()) throw new OpplaceError(`--${flag} ${out} is a directory; give a file name`, { file: out });
  // the folder as the kernel resolves it: `..` after a symlink (/proc/self/cwd/..) is not lexical
  const dir = path.dirname(out);
  const dirStat = statOrNull(dir);
  if (!dirStat || !dirStat.isDirectory()) throw new OpplaceError(`--${flag}: the folder ${path.resolve(dir)} does not exist`, { file: out });
  if (stat && check.refuseExisting && !check.force) {
    throw new OpplaceError(`--${flag} ${out} already exists; pass --force to replace it`, { file: out });
  }
}

let tempCounter = 0;

/**
 * Writes `data` to `out` through a temporary file in the same folder and a rename (atomic on one
 * file system). `what` names the content for the error message ("the plan", "the report").
 */
export function writeOutputFile(out: string, data: string | Uint8Array, what: string): void {
  const dir = path.dirname(out);
  const temp = path.join(dir, `.${path.basename(out)}.opplace-${process.pid}-${++tempCounter}.tmp`);
  let fd: number | undefined;
  try {
    // 'wx': never follow or reuse something already at the temporary name
    fd = openSync(temp, 'wx', 0o644);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, out);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already renamed
    }
    throw new OpplaceError(`cannot write ${what} (${writeErrorText(e)})`, { file: out });
  }
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
  const meaning: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOSPC: 'no space left on the device',
    EROFS: 'read-only file system',
    ENOENT: 'the folder does not exist',
    EISDIR: 'it is a directory',
  };
  const said = code === undefined ? undefined : ownValue(meaning, code);
  return code ? `${code}${said ? `: ${said}` : ''}` : String((e as Error)?.message ?? e);
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
  writeOutputFile(out, JSON.stringify(plans.length === 1 ? plans[0] : plans, null, 1) + '\n', 'the plan');
}
