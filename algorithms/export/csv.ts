// The plan as a table: one row per node in schedule time order (RFC 4180: CRLF line ends, fields
// with a comma, quote or line break quoted, quotes doubled).
import { OpGraph, outputBytes } from '../graph';
import { Plan } from '../plan';
import { scheduleByNode } from './planCheck';
import { displayText } from '../text';

export const CSV_HEADER = ['node', 'op', 'device', 'start_us', 'end_us', 'memory_bytes'];

/** A field; names are escaped for display (no terminal control reaches stdout), then quoted as needed. */
export function csvField(value: string | number): string {
  const s = displayText(String(value));
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Round to a nanosecond so floating noise never reaches the file (deterministic text). */
function us(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}

/**
 * memory_bytes = what the node adds to its device: its parameters (persistent), its workspace
 * (temporary) and its outputs.
 */
export function exportCsv(graph: OpGraph, plan: Plan, planFile?: string): string {
  const byNode = scheduleByNode(graph, plan, planFile);
  const order = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const rows = graph.nodes.map((n) => ({ n, op: byNode.get(n.id)! }));
  rows.sort((a, b) => a.op.startUs - b.op.startUs || a.op.device - b.op.device || order.get(a.n.id)! - order.get(b.n.id)!);
  const lines = [CSV_HEADER.join(',')];
  for (const { n, op } of rows) {
    const memory = n.persistentBytes + n.temporaryBytes + outputBytes(n);
    lines.push([n.id, n.opType, op.device, us(op.startUs), us(op.endUs), memory].map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
