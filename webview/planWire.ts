// A Plan as it crosses the webview channel (the `plan` message): column by column in typed arrays,
// nodes as indices into the graph the webview already holds, and no memory timelines (the webview
// recomputes them with the engine's own `memoryTimelines`). VS Code sends typed arrays as binary
// buffers beside the JSON (extHostWebviewMessaging: serializeWebviewMessage), so a 2,012-op plan
// crosses as ~80 KB of buffers and a few KB of JSON instead of 283 KB of JSON objects (bench/README.md,
// "Re-place in the extension"). The extension's placement worker encodes (extension/engine.ts) and
// transfers the buffers to the host, which forwards them. `decodePlan(encodePlan(plan, graph), graph).plan`
// is the same plan (an infeasible one's memory timelines travel in the summary: not recomputable).
import type { OpGraph } from '../algorithms/graph';
import type { DevicePlan, Plan, ScheduledOp, Transfer } from '../algorithms/plan';
import { memoryTimelines } from '../algorithms/placement/simulate';
import type { WirePlan, WirePlanSummary } from './protocol';

/** A plan message's plan (the wire form) or a Plan (the standalone report's engine places in the page). */
export function isWirePlanForm(plan: Plan | WirePlan): plan is WirePlan {
  return 'kind' in plan && plan.kind === 'columns';
}

/** Node id → index into graph.nodes (the viewer keeps one: ViewModel.idx). */
export type NodeIndex = Map<string, number>;

function nodeIndex(idx: NodeIndex, id: string): number {
  const i = idx.get(id);
  if (i === undefined) throw new Error(`the plan names node ${JSON.stringify(id)}, which the graph does not have`);
  return i;
}

function scheduleColumns(schedule: ScheduledOp[], idx: NodeIndex): WirePlan['schedule'] {
  const n = schedule.length;
  const cols = { node: new Int32Array(n), device: new Int32Array(n), startUs: new Float64Array(n), endUs: new Float64Array(n) };
  schedule.forEach((s, k) => {
    cols.node[k] = nodeIndex(idx, s.node);
    cols.device[k] = s.device;
    cols.startUs[k] = s.startUs;
    cols.endUs[k] = s.endUs;
  });
  return cols;
}

function transferColumns(transfers: Transfer[], idx: NodeIndex): WirePlan['transfers'] {
  const n = transfers.length;
  const cols = {
    from: new Int32Array(n),
    to: new Int32Array(n),
    tensor: new Array<string | null>(n),
    bytes: new Float64Array(n),
    srcDevice: new Int32Array(n),
    dstDevice: new Int32Array(n),
    startUs: new Float64Array(n),
    endUs: new Float64Array(n),
    // NaN: no send start (the transfer's own startUs, see Transfer.sendStartUs).
    sendStartUs: new Float64Array(n),
  };
  transfers.forEach((t, k) => {
    cols.from[k] = nodeIndex(idx, t.from);
    cols.to[k] = nodeIndex(idx, t.to);
    cols.tensor[k] = t.tensor ?? null;
    cols.bytes[k] = t.bytes;
    cols.srcDevice[k] = t.srcDevice;
    cols.dstDevice[k] = t.dstDevice;
    cols.startUs[k] = t.startUs;
    cols.endUs[k] = t.endUs;
    cols.sendStartUs[k] = t.sendStartUs ?? NaN;
  });
  return cols;
}

/** Node id → index for a graph; built once per graph, not per plan message. */
export function nodeIndexOf(graph: OpGraph): NodeIndex {
  return new Map(graph.nodes.map((n, i) => [n.id, i]));
}

/** The sender's side: the plan in columns over the graph it was made for (idx: that graph's nodeIndexOf). */
export function encodePlan(plan: Plan, graph: OpGraph, idx: NodeIndex = nodeIndexOf(graph)): WirePlan {
  const { schedule, transfers, criticalPath, criticalTransfers, devices, ...rest } = plan;
  // A feasible plan's timelines are recomputed from its schedule; an infeasible one's are what was
  // placed before the failure, which its empty schedule cannot give back, so they travel as they are.
  const summary: WirePlanSummary = { ...rest, devices: plan.feasible ? devices.map(({ memoryTimeline: _dropped, ...d }) => d) : devices };
  return {
    kind: 'columns',
    summary,
    timelines: plan.feasible && devices.some((d) => d.memoryTimeline !== undefined),
    schedule: scheduleColumns(schedule, idx),
    transfers: transferColumns(transfers, idx),
    criticalPath: Int32Array.from(criticalPath, (id) => nodeIndex(idx, id)),
    criticalTransfers: criticalTransfers ? Int32Array.from(criticalTransfers) : null,
  };
}

/**
 * The ArrayBuffers under a wire plan's columns, for a postMessage transfer list (the placement
 * worker hands them to the host this way). encodePlan gives every column a buffer of its own.
 */
export function wirePlanBuffers(wire: WirePlan): ArrayBuffer[] {
  const { tensor: _strings, ...numeric } = wire.transfers;
  const columns: ArrayBufferView[] = [...Object.values(wire.schedule), ...Object.values(numeric), wire.criticalPath];
  if (wire.criticalTransfers) columns.push(wire.criticalTransfers);
  // A buffer named twice in a transfer list is a DataCloneError: each goes in once.
  return [...new Set(columns.map((c) => c.buffer as ArrayBuffer))];
}

function scheduleOf(cols: WirePlan['schedule'], graph: OpGraph): ScheduledOp[] {
  return Array.from(cols.node, (i, k) => ({ node: graph.nodes[i].id, device: cols.device[k], startUs: cols.startUs[k], endUs: cols.endUs[k] }));
}

function transfersOf(cols: WirePlan['transfers'], graph: OpGraph): Transfer[] {
  return Array.from(cols.from, (from, k) => {
    const tensor = cols.tensor[k];
    const sendStartUs = cols.sendStartUs[k];
    return {
      from: graph.nodes[from].id,
      to: graph.nodes[cols.to[k]].id,
      ...(tensor !== null ? { tensor } : {}),
      bytes: cols.bytes[k],
      srcDevice: cols.srcDevice[k],
      dstDevice: cols.dstDevice[k],
      startUs: cols.startUs[k],
      endUs: cols.endUs[k],
      ...(Number.isNaN(sendStartUs) ? {} : { sendStartUs }),
    };
  });
}

/** Why a wire plan cannot be for this graph (a node index out of range), or null. */
function wirePlanProblem(wire: WirePlan, graph: OpGraph): string | null {
  const n = graph.nodes.length;
  for (const [name, col] of [
    ['schedule', wire.schedule.node],
    ['transfer source', wire.transfers.from],
    ['transfer destination', wire.transfers.to],
    ['critical path', wire.criticalPath],
  ] as const) {
    for (const i of col) if (!(i >= 0 && i < n)) return `the plan's ${name} names node #${i}, but the graph has ${n} nodes`;
  }
  return null;
}

/** A decoded wire plan, or why it cannot be for the graph (the viewer then keeps its plan and shows why). */
export type DecodedPlan = { plan: Plan } | { problem: string };

/**
 * The webview's side: the host's plan again, over the graph the webview holds (checked first: a plan
 * for another graph names nodes it does not have). The memory timelines come from the same engine
 * function the placer used, on the same schedule and transfers, so they are the host's
 * (test/browser/planWire.test.ts compares them).
 */
export function decodePlan(wire: WirePlan, graph: OpGraph, idx: NodeIndex): DecodedPlan {
  const problem = wirePlanProblem(wire, graph);
  if (problem) return { problem };
  const schedule = scheduleOf(wire.schedule, graph);
  const transfers = transfersOf(wire.transfers, graph);
  const { devices: summaries, ...rest } = wire.summary;
  const timelines = wire.timelines ? memoryTimelines(graph, { indexOf: idx }, schedule, transfers, summaries.length) : null;
  const devices: DevicePlan[] = summaries.map((d, k) => (timelines ? { ...d, memoryTimeline: timelines[k].timeline } : { ...d }));
  return {
    plan: {
      ...rest,
      devices,
      schedule,
      transfers,
      criticalPath: Array.from(wire.criticalPath, (i) => graph.nodes[i].id),
      ...(wire.criticalTransfers ? { criticalTransfers: Array.from(wire.criticalTransfers) } : {}),
    },
  };
}
