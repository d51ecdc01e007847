// Plain-text tables of the CLI (`place`, `compare`): columns as wide as their widest cell, numbers
// right-aligned, the columns named in `leftAligned` (labels) left-aligned, two spaces between.
import { maxOf } from '../algorithms/arrays';

/** One indented line per row. */
export function alignTable(rows: string[][], leftAligned: readonly number[] = [0]): string[] {
  const widths = rows[0].map((_, c) => maxOf(rows.map((r) => r[c].length)));
  return rows.map((r) => '  ' + r.map((cell, c) => (leftAligned.includes(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
}
