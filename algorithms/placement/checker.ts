// An independent schedule checker (tests run it on every plan): it re-derives everything from the
// graph and the plan alone, without the scheduler's data structures. Returns the problems found,
// empty when the plan is valid.
//   - every original node exactly once, on a valid device, for exactly its compute time;
//   - no two ops overlap on a device; no two transfers overlap on a device's channel (Baechi's
//     model: the source channel is busy from the send start, the destination channel from the
//     receive start, each for the transfer time; the receive never starts before the send);
//   - every edge across devices is served by a transfer of its tensor to the consumer's device
//     that starts after the producer ends, ends before the consumer starts and lasts the link's
//     transfer time (with a topology: the link between its two devices); a tensor is sent at most
//     once per destination; same-device edges in order;
//   - memory (persistent + outputs until their last use + temporaries + received copies) never
//     above the device's limit (only for feasible plans: `single` may report an overflow);
//   - makespan = last end.
// Independent in what it checks, not in how it reads options: the devices, limits and links come
// from algorithms/options.ts's one parse, as the placers' do.
import type { OpGraph } from '../graph';
import type { Plan } from '../plan';
import { PlacementOrResolved, resolvedPlacementOf } from '../options';
import { transferTimeUs } from '../cost/interconnect';
import { linkBetween } from '../cost/topology';

const tol = (t: number) => 1e-6 * Math.max(1, Math.abs(t));

type OpTimes = Map<string, { device: number; start: number; end: number }>;
type Interval = { start: number; end: number };

/** One check's inputs and the problems found so far (the first 50). */
interface Check {
  graph: OpGraph;
  plan: Plan;
  D: number;
  problems: string[];
  report: (msg: string) => void;
}

function newCheck(graph: OpGraph, plan: Plan, D: number): Check {
  const problems: string[] = [];
  const report = (msg: string) => {
    if (problems.length < 50) problems.push(msg);
  };
  return { graph, plan, D, problems, report };
}

/** Each scheduled op once, on a valid device, from time ≥ 0, for its compute time. */
function scheduledOps({ graph, plan, D, report }: Check): OpTimes {
  const nodeById = new Map(graph.nodes.map((n) => [n.id, n]));
  const op: OpTimes = new Map();
  for (const s of plan.schedule) {
    const node = nodeById.get(s.node);
    if (!node) {
      report(`schedule has unknown node "${s.node}"`);
      continue;
    }
    if (op.has(s.node)) {
      report(`node "${s.node}" is scheduled twice`);
      continue;
    }
    if (!Number.isInteger(s.device) || s.device < 0 || s.device >= D) report(`node "${s.node}" on invalid device ${s.device}`);
    if (!(s.startUs >= -tol(0))) report(`node "${s.node}" starts before 0 (${s.startUs})`);
    if (Math.abs(s.endUs - s.startUs - node.computeUs) > tol(s.endUs)) report(`node "${s.node}" runs ${s.endUs - s.startUs} µs, expected ${node.computeUs}`);
    op.set(s.node, { device: s.device, start: s.startUs, end: s.endUs });
  }
  return op;
}

/** No two ops overlap on a device. */
function checkDeviceOverlaps({ D, report }: Check, op: OpTimes): void {
  const perDevice: (Interval & { id: string })[][] = Array.from({ length: D }, () => []);
  for (const [id, o] of op) perDevice[o.device].push({ start: o.start, end: o.end, id });
  perDevice.forEach((list, d) => {
    // starts equal up to rounding are ordered by end: a 0 µs op at the instant the next op starts
    // (member times of a fused node are sums, 1e-10 µs apart) is not an overlap
    list.sort((a, b) => (Math.abs(a.start - b.start) > tol(a.start) ? a.start - b.start : a.end - b.end));
    for (let k = 1; k < list.length; k++) {
      if (list[k].start < list[k - 1].end - tol(list[k].start))
        report(`device ${d}: "${list[k].id}" starts at ${list[k].start} before "${list[k - 1].id}" ends at ${list[k - 1].end}`);
    }
  });
}

/** Bytes and file transfer cost of every tensor ("from\0tensor"), the largest over its edges. */
function tensorSizes(graph: OpGraph): { bytes: Map<string, number>; costUs: Map<string, number> } {
  const bytes = new Map<string, number>();
  const costUs = new Map<string, number>();
  for (const e of graph.edges) {
    const key = e.from + '\u0000' + e.tensor;
    bytes.set(key, Math.max(bytes.get(key) ?? 0, e.bytes));
    costUs.set(key, Math.max(costUs.get(key) ?? 0, e.costUs ?? 0));
  }
  return { bytes, costUs };
}

/**
 * Every transfer valid (its tensor, from its producer's device, after it ends, for the link's time),
 * once per (tensor, destination), no two on one device's channel at once. Returns when each
 * (from\0tensor\0dst) arrived.
 */
function checkTransfers(
  check: Check,
  op: OpTimes,
  { link, topology }: Pick<ReturnType<typeof resolvedPlacementOf>, 'link' | 'topology'>,
): Map<string, Interval> {
  const { graph, plan, D, report } = check;
  const tensors = tensorSizes(graph);
  const sent = new Map<string, Interval>();
  const channel: (Interval & { what: string })[][] = Array.from({ length: D }, () => []);
  for (const tr of plan.transfers) {
    const what = `transfer ${tr.from}:${tr.tensor ?? ''} ${tr.srcDevice}→${tr.dstDevice}`;
    const prod = op.get(tr.from);
    const key = tr.from + '\u0000' + (tr.tensor ?? '');
    const bytes = tensors.bytes.get(key);
    if (!prod || bytes === undefined) {
      report(`${what}: no such tensor`);
      continue;
    }
    if (tr.srcDevice !== prod.device) report(`${what}: producer runs on device ${prod.device}`);
    if (tr.srcDevice === tr.dstDevice) report(`${what}: source and destination are the same device`);
    const sendStart = tr.sendStartUs ?? tr.startUs;
    if (sendStart < prod.end - tol(prod.end)) report(`${what}: starts at ${sendStart} before its producer ends at ${prod.end}`);
    if (tr.startUs < sendStart - tol(sendStart)) report(`${what}: is received from ${tr.startUs}, before it is sent at ${sendStart}`);
    const validPair = tr.srcDevice !== tr.dstDevice && [tr.srcDevice, tr.dstDevice].every((d) => Number.isInteger(d) && d >= 0 && d < D);
    const expect = transferTimeUs(bytes, topology && validPair ? linkBetween(topology, tr.srcDevice, tr.dstDevice) : link, tensors.costUs.get(key));
    if (Math.abs(tr.endUs - tr.startUs - expect) > tol(tr.endUs)) report(`${what}: lasts ${tr.endUs - tr.startUs} µs, the link needs ${expect}`);
    const sk = key + '\u0000' + tr.dstDevice;
    if (sent.has(sk)) report(`${what}: tensor sent twice to device ${tr.dstDevice}`);
    sent.set(sk, { start: tr.startUs, end: tr.endUs });
    if (tr.srcDevice >= 0 && tr.srcDevice < D) channel[tr.srcDevice].push({ start: sendStart, end: sendStart + (tr.endUs - tr.startUs), what });
    if (tr.dstDevice >= 0 && tr.dstDevice < D) channel[tr.dstDevice].push({ start: tr.startUs, end: tr.endUs, what });
  }
  channel.forEach((list, d) => {
    list.sort((a, b) => a.start - b.start || a.end - b.end);
    for (let k = 1; k < list.length; k++) {
      if (list[k].start < list[k - 1].end - tol(list[k].start)) report(`channel of device ${d}: ${list[k].what} overlaps ${list[k - 1].what}`);
    }
  });
  return sent;
}

/** Every edge in order: on one device after its producer, across devices after its tensor's transfer. */
function checkPrecedence({ graph, report }: Check, op: OpTimes, sent: Map<string, Interval>): void {
  for (const e of graph.edges) {
    const a = op.get(e.from)!;
    const b = op.get(e.to)!;
    if (a.device === b.device) {
      if (b.start < a.end - tol(a.end)) report(`edge ${e.from} → ${e.to}: consumer starts at ${b.start} before producer ends at ${a.end}`);
    } else {
      const tr = sent.get(e.from + '\u0000' + e.tensor + '\u0000' + b.device);
      if (!tr) report(`edge ${e.from} → ${e.to}: tensor "${e.tensor}" never sent to device ${b.device}`);
      else if (b.start < tr.end - tol(tr.end)) report(`edge ${e.from} → ${e.to}: consumer starts at ${b.start} before the transfer ends at ${tr.end}`);
    }
  }
}

/** makespan = the last end of an op or transfer. */
function checkMakespan({ plan, report }: Check, op: OpTimes): void {
  let last = 0;
  for (const o of op.values()) last = Math.max(last, o.end);
  for (const tr of plan.transfers) last = Math.max(last, tr.endUs);
  if (Math.abs(plan.makespanUs - last) > tol(last)) report(`makespan ${plan.makespanUs} but the last end is ${last}`);
}

/** The problems of `plan` against the options it claims to follow (a plan's `options`, or resolved ones). */
export function checkSchedule(graph: OpGraph, plan: Plan, placement: PlacementOrResolved): string[] {
  const resolved = resolvedPlacementOf(placement);
  const { options } = resolved;
  const D = options.devices;
  const check = newCheck(graph, plan, D);
  const { problems, report } = check;
  const op = scheduledOps(check);
  if (!plan.feasible && plan.schedule.length === 0) {
    // An infeasible plan carries no schedule; it must say why.
    if (!plan.reason) report('infeasible plan without a reason');
    if (plan.transfers.length) report('infeasible plan lists transfers');
    return problems;
  }
  for (const n of graph.nodes) if (!op.has(n.id)) report(`node "${n.id}" is not scheduled`);
  if (problems.length) return problems;
  checkDeviceOverlaps(check, op);
  const sent = checkTransfers(check, op, resolved);
  checkPrecedence(check, op, sent);
  checkMakespan(check, op);
  if (plan.feasible) {
    const peaks = memoryPeaks(graph, op, plan, D);
    for (let d = 0; d < D; d++) {
      const limit = options.memoryLimits[d];
      if (peaks[d] > limit + 0.5) report(`device ${d}: memory peaks at ${peaks[d]} bytes, above its limit ${limit}`);
    }
  }
  return problems;
}

/** Peak memory per device from first principles (see the model in the header). */
function memoryPeaks(graph: OpGraph, op: OpTimes, plan: Plan, D: number): number[] {
  const persistent = new Array(D).fill(0);
  const events: [number, number][][] = Array.from({ length: D }, () => []);
  const outBlock = new Map<string, number>();
  const lastUse = new Map<string, number>();
  const tensorSum = new Map<string, number>();
  const seenTensor = new Set<string>();
  const tensorConsumers = new Map<string, string[]>();
  const seenPair = new Set<string>();
  for (const e of graph.edges) {
    const key = e.from + '\u0000' + e.tensor;
    if (!seenTensor.has(key)) {
      seenTensor.add(key);
      tensorConsumers.set(key, []);
    }
    const pair = key + '\u0000' + e.to; // a Set, not includes(): 100k consumers of one tensor were quadratic
    if (!seenPair.has(pair)) {
      seenPair.add(pair);
      tensorConsumers.get(key)!.push(e.to);
    }
  }
  const tensorBytes = new Map<string, number>();
  for (const e of graph.edges) {
    const key = e.from + '\u0000' + e.tensor;
    tensorBytes.set(key, Math.max(tensorBytes.get(key) ?? 0, e.heldBytes ?? e.bytes));
  }
  for (const [key, b] of tensorBytes) {
    const from = key.split('\u0000')[0];
    tensorSum.set(from, (tensorSum.get(from) ?? 0) + b);
  }
  for (const n of graph.nodes) {
    let declared = 0;
    for (const o of n.outputs) declared += o.bytes;
    outBlock.set(n.id, Math.max(declared, tensorSum.get(n.id) ?? 0));
    lastUse.set(n.id, op.get(n.id)!.end);
  }
  for (const e of graph.edges) lastUse.set(e.from, Math.max(lastUse.get(e.from)!, op.get(e.to)!.end));
  for (const tr of plan.transfers) {
    lastUse.set(tr.from, Math.max(lastUse.get(tr.from)!, tr.endUs));
    const key = tr.from + '\u0000' + (tr.tensor ?? '');
    let free = tr.endUs;
    for (const c of tensorConsumers.get(key) ?? []) {
      const o = op.get(c)!;
      if (o.device === tr.dstDevice) free = Math.max(free, o.end);
    }
    const b = tensorBytes.get(key) ?? 0;
    events[tr.dstDevice].push([tr.startUs, b], [free, -b]);
  }
  for (const n of graph.nodes) {
    const o = op.get(n.id)!;
    persistent[o.device] += n.persistentBytes;
    const out = outBlock.get(n.id)!;
    events[o.device].push([o.start, out + n.temporaryBytes], [o.end, -n.temporaryBytes], [lastUse.get(n.id)!, -out]);
  }
  return events.map((list, d) => {
    // frees before allocations at the same instant
    list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let cur = persistent[d];
    let peak = cur;
    for (const [, delta] of list) {
      cur += delta;
      if (cur > peak) peak = cur;
    }
    return peak;
  });
}
