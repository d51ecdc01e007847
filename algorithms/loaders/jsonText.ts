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
