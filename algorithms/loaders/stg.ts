// Standard Task Graph (STG, Kasahara lab) loader.
// Format: first non-comment line = n (the number of real tasks); then n + 2 task lines
// `id time n_pred pred_1 … pred_k`, tasks 0 and n+1 being the dummy entry and exit (time 0).
// `#` lines (at the end in the published set) are comments. Times are taken as µs; STG has no
// memory and no communication, so every node has zero bytes and every edge carries a 0-byte tensor.
import { OpplaceError } from '../errors';
import { baseName, quoteInput } from '../text';
import { OpEdge, OpGraph, OpNode } from '../graph';
import type { LoadOptions } from './types';

/** The name of the (empty) tensor task `id` sends to its successors. */
export const stgTensorName = (id: string) => `t${id}`;

interface TaskLine {
  lineNo: number;
  id: number;
  time: number;
  preds: number[];
}

function graphNameOf(fileName: string): string {
  return baseName(fileName).replace(/\.stg$/i, '');
}

/** Parses one whitespace-separated integer field, with an error naming the line and task. */
function intField(text: string, what: string, file: string, lineNo: number, task?: string): number {
  if (!/^[+]?\d+$/.test(text)) {
    const where = task === undefined ? '' : ` (task ${task})`;
    throw new OpplaceError(`line ${lineNo}${where}: ${what} must be a non-negative integer, got "${quoteInput(text)}"`, { file });
  }
  return Number(text);
}

function parseTaskLine(fields: string[], file: string, lineNo: number): TaskLine {
  const id = intField(fields[0], 'task id', file, lineNo);
  const task = String(id);
  if (fields.length < 3) {
    throw new OpplaceError(`line ${lineNo} (task ${task}): expected "id time n_predecessors pred…", got ${fields.length} field(s)`, { file, node: task });
  }
  const time = intOrFloat(fields[1], 'processing time', file, lineNo, task);
  const count = intField(fields[2], 'number of predecessors', file, lineNo, task);
  const predFields = fields.slice(3);
  if (predFields.length !== count) {
    throw new OpplaceError(`line ${lineNo} (task ${task}): declares ${count} predecessor(s) but lists ${predFields.length}`, { file, node: task });
  }
  const preds = predFields.map((p) => intField(p, 'predecessor id', file, lineNo, task));
  return { lineNo, id, time, preds };
}

/** STG times are integers in the published set; accept decimals too (other generators use them). */
function intOrFloat(text: string, what: string, file: string, lineNo: number, task: string): number {
  const v = Number(text);
  if (!/^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) || !Number.isFinite(v)) {
    throw new OpplaceError(`line ${lineNo} (task ${task}): ${what} must be a number ≥ 0, got "${quoteInput(text)}"`, { file, node: task });
  }
  return v;
}

/** The declared task count (the first line that is not a comment) and the task lines after it. */
function readLines(text: string, file: string): { declared: number; declaredLine: number; tasks: TaskLine[] } {
  const lines = text.split(/\r?\n/);
  let declared: number | undefined;
  let declaredLine = 0;
  const tasks: TaskLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    if (declared === undefined) {
      if (fields.length !== 1) {
        throw new OpplaceError(`line ${i + 1}: the first line must be the number of tasks, got "${quoteInput(line, 60)}"`, { file });
      }
      declared = intField(fields[0], 'number of tasks', file, i + 1);
      declaredLine = i + 1;
      continue;
    }
    tasks.push(parseTaskLine(fields, file, i + 1));
  }
  if (declared === undefined) throw new OpplaceError('no task count found (the file has only comments or blank lines)', { file });
  return { declared, declaredLine, tasks };
}

/** The line of each task id; an id on two lines is an error naming both. */
function taskLines(tasks: TaskLine[], file: string): Map<number, number> {
  const lineOf = new Map<number, number>();
  for (const t of tasks) {
    if (lineOf.has(t.id)) {
      throw new OpplaceError(`line ${t.lineNo} (task ${t.id}): duplicate task id (first on line ${lineOf.get(t.id)})`, { file, node: String(t.id) });
    }
    lineOf.set(t.id, t.lineNo);
  }
  return lineOf;
}

/** One 0-byte edge per predecessor listed, checked to be another task of the graph. */
function predecessorEdges(tasks: TaskLine[], lineOf: Map<number, number>, file: string): OpEdge[] {
  const edges: OpEdge[] = [];
  for (const t of tasks) {
    for (const p of t.preds) {
      if (!lineOf.has(p)) {
        throw new OpplaceError(`line ${t.lineNo} (task ${t.id}): predecessor ${p} is not a task of this graph`, { file, node: String(t.id) });
      }
      if (p === t.id) throw new OpplaceError(`line ${t.lineNo} (task ${t.id}): the task lists itself as a predecessor`, { file, node: String(t.id) });
      edges.push({ from: String(p), to: String(t.id), tensor: stgTensorName(String(p)), bytes: 0 });
    }
  }
  return edges;
}

/** The graph nodes; the first and last tasks are the dummy entry and exit when their time is 0. */
function taskNodes(tasks: TaskLine[], edges: OpEdge[]): OpNode[] {
  const hasSucc = new Set(edges.map((e) => e.from));
  const entryId = tasks[0].id;
  const exitId = tasks[tasks.length - 1].id;
  return tasks.map((t) => {
    const id = String(t.id);
    const dummy = (t.id === entryId || t.id === exitId) && t.time === 0;
    return {
      id,
      name: dummy ? (t.id === entryId ? 'entry' : 'exit') : `task ${id}`,
      opType: dummy ? (t.id === entryId ? 'Entry' : 'Exit') : 'Task',
      namespace: [],
      computeUs: t.time,
      persistentBytes: 0,
      temporaryBytes: 0,
      outputs: hasSucc.has(id) ? [{ name: stgTensorName(id), bytes: 0, shape: null }] : [],
    };
  });
}

export function parseStg(bytes: Uint8Array, fileName: string, _options: LoadOptions = {}): OpGraph {
  const file = fileName;
  const text = new TextDecoder('utf-8').decode(bytes);
  if (text.includes('\u0000')) throw new OpplaceError('not an STG text file (contains binary data)', { file });
  const { declared, declaredLine, tasks } = readLines(text, file);
  const expected = declared + 2;
  if (tasks.length !== expected) {
    throw new OpplaceError(
      `line ${declaredLine} declares ${declared} tasks, so ${expected} task lines (with dummy entry 0 and exit ${declared + 1}) were expected, found ${tasks.length}`,
      { file },
    );
  }
  const edges = predecessorEdges(tasks, taskLines(tasks, file), file);
  return { name: graphNameOf(fileName), nodes: taskNodes(tasks, edges), edges, warnings: [], source: { file, format: 'stg' } };
}
