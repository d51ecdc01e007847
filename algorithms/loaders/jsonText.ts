// Reading JSON model files (dnn-partitioning, opgraph) with messages fit for a terminal: binary
// garbage is called binary, and parser messages never echo raw control characters.
import { OpplaceError } from '../errors';
import { quoteInput } from '../text';

/** True when the text looks like binary data decoded as UTF-8 (NUL bytes or invalid sequences). */
export function looksBinary(text: string): boolean {
  const head = text.slice(0, 4096);
  return head.includes('\u0000') || head.includes('\uFFFD');
}

export function parseJsonBytes(bytes: Uint8Array, file: string): unknown {
  const text = new TextDecoder('utf-8').decode(bytes);
  if (text.trim() === '') throw new OpplaceError('the file is empty', { file });
  if (looksBinary(text)) throw new OpplaceError('not valid JSON (the file contains binary data)', { file });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OpplaceError(`not valid JSON (${quoteInput((e as Error).message, 160)})`, { file });
  }
}

// ---- field checks shared by the JSON loaders (opgraph, dnn-partitioning) ----

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON value for messages: `null`, `an array`, `the string "…"`, `number -1`. */
export function describeJson(v: unknown): string {
  // a missing field arrives as undefined: say so instead of "undefined undefined"
  if (v === undefined) return 'nothing (the field is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string "${quoteInput(v, 40)}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** Where a field lives, for messages: `node #3 ("conv1")`, `edge #0 (a → b)`. */
export interface JsonPlace {
  file: string;
  where: string;
  node?: string;
}

export function fieldError(p: JsonPlace, field: string, expected: string, got: unknown): never {
  throw new OpplaceError(`${p.where}: field "${field}" must be ${expected}, got ${describeJson(got)}`, { file: p.file, node: p.node });
}

export function missingField(p: JsonPlace, field: string): never {
  throw new OpplaceError(`${p.where}: missing field "${field}"`, { file: p.file, node: p.node });
}

/**
 * Deepest nesting a free-form JSON value (`meta`) may have. JSON.stringify and structured cloning
 * recurse, so a 5,000-deep `meta` overflowed the stack when the report or a plan was written.
 */
export const MAX_JSON_DEPTH = 64;

/** Nesting depth of a JSON value (a scalar is 0, `{}` is 1), counted without recursion; stops past `limit`. */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > deepest) deepest = d + 1;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
}
