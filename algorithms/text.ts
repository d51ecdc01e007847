// Text from a model file (node names, op types, a file's own warnings) printed where a person reads
// it: a terminal, VS Code's output channel, the HTML report. A name may hold ANSI escapes (clear the
// screen), "\r\n" (forge a line such as "opplace place: all good") or bidi overrides (show
// "exe.png" as "gnp.exe"), so every such name goes through `displayText` — the one escaping
// function — and quoted input is capped so a 200,000-dim shape cannot become a 600 KB message.

/**
 * C0 and C1 controls, DEL, the bidi embeddings/overrides/isolates and marks, the line/paragraph
 * separators, and the BOM / zero-width no-break space: characters that move the cursor, change
 * colours, reorder text or hide in it, and never belong in a printed name.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  if (Object.hasOwn(SHORT_ESCAPES, c)) return SHORT_ESCAPES[c];
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The text with every unsafe character shown as an escape (`\x1b`, `\r`, `\u202e`), else unchanged. */
export function displayText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** True when `displayText` would change the text. */
export function hasUnsafeText(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}

/** How much of a piece of input a message quotes. */
export const QUOTE_MAX = 200;

/** At most `max` characters of the input (cut with "…"), escaped for display. */
export function quoteInput(text: string, max = QUOTE_MAX): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return displayText(cut);
}

/**
 * UNSAFE without C0: inside strings JSON.stringify has escaped those already, and outside them the
 * only C0 characters are the newlines of indented JSON (`JSON.stringify(x, null, 2)`, the exports),
 * which must stay newlines for the text to be JSON at all.
 */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * Escapes for JSON text printed on a terminal: JSON.stringify already writes C0 controls as \u00XX,
 * but leaves DEL, C1 controls and the bidi/separator characters raw. The same value, safe to print.
 */
export function jsonDisplay(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The last part of a path, `/` or `\\` separated (a plan made on Windows names its model with
 * backslashes): what a header or a title shows of a model file; the full path goes in a tooltip.
 */
export function baseName(file: string): string {
  return file.split(/[\\/]/).pop() || file;
}
