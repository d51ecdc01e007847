// One error type for everything the user can cause (bad files, impossible limits). The CLI prints
// `message` alone (no stack) and exits with `exitCode`; the extension shows the same text.
// Messages quote input (file and node names, field values), so the text is escaped for display
// (algorithms/text.ts) and bounded here, whatever the caller quoted.
import { displayText, quoteInput } from './text';

/** Longest message detail: several quoted values (each ≤ QUOTE_MAX) and the words around them. */
export const DETAIL_MAX = 1000;

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
    if (ctx.file) parts.push(quoteInput(ctx.file));
    if (ctx.node) parts.push(`node "${quoteInput(ctx.node)}"`);
    detail = displayText(detail.length > DETAIL_MAX ? `${detail.slice(0, DETAIL_MAX)}…` : detail);
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
