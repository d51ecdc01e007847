// One error type for everything the user can cause (bad files, impossible limits). The CLI prints
// `message` alone (no stack) and exits with `exitCode`; the extension shows the same text.

export interface ErrorContext {
  file?: string;
  node?: string;
  /** Process exit code the CLI should use: 2 bad input (default), 3 infeasible placement. */
  exitCode?: number;
}

export class OpplaceError extends Error {
  readonly file?: string;
  readonly node?: string;
  readonly exitCode: number;
  /** The message without the file/node prefix. */
  readonly detail: string;

  constructor(detail: string, ctx: ErrorContext = {}) {
    const parts: string[] = [];
    if (ctx.file) parts.push(ctx.file);
    if (ctx.node) parts.push(`node "${ctx.node}"`);
    super(parts.length ? `${parts.join(': ')}: ${detail}` : detail);
    this.name = 'OpplaceError';
    this.file = ctx.file;
    this.node = ctx.node;
    this.detail = detail;
    this.exitCode = ctx.exitCode ?? 2;
  }
}

export function isOpplaceError(e: unknown): e is OpplaceError {
  return e instanceof OpplaceError || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'OpplaceError');
}
