// Reading JSON model files (dnn-partitioning, opgraph) with messages fit for a terminal: binary
// garbage is called binary, and parser messages never echo raw control characters.
import { OpplaceError } from '../errors';

/** True when the text looks like binary data decoded as UTF-8 (NUL bytes or invalid sequences). */
export function looksBinary(text: string): boolean {
  const head = text.slice(0, 4096);
  return head.includes('\u0000') || head.includes('\uFFFD');
}

/** Printable, single-line, bounded version of a parser message. */
export function printable(message: string, max = 160): string {
  const clean = message.replace(/[\u0000-\u001f\u007f-\u009f\uFFFD]/g, '?').replace(/\s+/g, ' ');
  return clean.length > max ? clean.slice(0, max) + '…' : clean;
}

export function parseJsonBytes(bytes: Uint8Array, file: string): unknown {
  const text = new TextDecoder('utf-8').decode(bytes);
  if (text.trim() === '') throw new OpplaceError('the file is empty', { file });
  if (looksBinary(text)) throw new OpplaceError('not valid JSON (the file contains binary data)', { file });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OpplaceError(`not valid JSON (${printable((e as Error).message)})`, { file });
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
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
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
