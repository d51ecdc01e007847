// The throughput model (issue 14): for an assignment of ops to devices, what each device does per
// sample and what it holds. Pure, on the shared OpGraph.
//
// Load per sample of a device = the compute time of its ops + its communication. A tensor whose
// consumers sit on other devices costs its transfer time t (comm.ts) on both ends:
//   - `--comm file` (the paper's rule, "Efficient Algorithms for Device Placement of DNN Graph
//     Operators", NeurIPS 2020): the producer's device pays t once (the tensor goes out once), and
//     every other device that consumes it pays t once;
//   - an interconnect: latency + bytes / bandwidth per tensor per (sender, receiving device), so the
//     producer's device pays t once per receiving device and each receiving device pays t once.
// Time per sample = the largest load (every device works at once in steady state).
//
// Memory of a device = the persistent bytes of its ops + the largest temporary (workspace) of one
// of them + for training the activations stashed for in-flight microbatches: a stage's activation
// bytes per microbatch × the microbatches in flight (1F1B: stage s of S holds min(S − s, M); GPipe:
// all M). Activation bytes of a stage = the bytes of the tensors its forward ops produce that a
// backward op consumes (they live until that backward has run): for graphs the training model made
// (training.ts) every forward output, as its v → v/grad edge carries it; for dnn-partitioning 0,
// as a node's `size` already is all the memory it takes (the paper's model is persistent only).
// Memory limits are hard.
//
// Ops of one colocation group stay together: the model works on units (a group, or a lone op).
import type { OpGraph } from '../graph';
import { GraphIndex, indexGraph } from '../graph';
import { backwardClosure } from './schedule';
import { colocationGroups } from '../placement/problem';
import { buildTensorTable } from '../placement/model';
import { Link, parseComm, tensorTransferUs } from './comm';
import type { PipelineScheduleName } from './types';

export interface ThroughputModelOptions {
  comm: string;
  grouping?: 'none' | 'colocation';
}

export interface ThroughputModel {
  graph: OpGraph;
  index: GraphIndex;
  link: Link;
  /** Sender pays once per tensor (`file`) rather than once per receiving device (a link). */
  senderOnce: boolean;
  /** The graph has backward ops (a training step). */
  training: boolean;
  /** Per node: part of the backward pass (schedule.ts backwardClosure). */
  backward: Uint8Array;
  /** Units: colocation groups (or lone ops) that always share a device. */
  unitOf: Int32Array;
  units: number[][];
  /** Group name of a unit for messages (the group id, or the op id of a lone op). */
  unitName: string[];
  unitCompute: Float64Array;
  unitForward: Float64Array;
  unitPersistent: Float64Array;
  unitTemporary: Float64Array;
  unitActivation: Float64Array;
  /** Tensors that cross units: producer unit, distinct consumer units, transfer time. */
  tProducer: Int32Array;
  tConsumers: number[][];
  tUs: Float64Array;
  /** Crossing tensors produced / consumed by each unit. */
  unitOut: number[][];
  unitIn: number[][];
}

type TensorTable = ReturnType<typeof buildTensorTable>;

/** Units (a colocation group, or a lone op) in order of their first member in the stable topological order. */
function unitsInTopoOrder(n: number, index: GraphIndex, roots: ArrayLike<number>): Pick<ThroughputModel, 'unitOf' | 'units'> {
  const unitOf = new Int32Array(n).fill(-1);
  const units: number[][] = [];
  const unitOfRoot = new Map<number, number>();
  for (const v of index.topo) {
    const r = roots[v] >= 0 ? roots[v] : -1 - v;
    let u = unitOfRoot.get(r);
    if (u === undefined) {
      u = units.length;
      unitOfRoot.set(r, u);
      units.push([]);
    }
    unitOf[v] = u;
    units[u].push(v);
  }
  return { unitOf, units };
}

/** Per unit: compute (all, forward only), persistent bytes and the largest temporary of one op. */
function unitTotals(graph: OpGraph, unitOf: Int32Array, backward: Uint8Array, U: number) {
  const unitCompute = new Float64Array(U);
  const unitForward = new Float64Array(U);
  const unitPersistent = new Float64Array(U);
  const unitTemporary = new Float64Array(U);
  graph.nodes.forEach((node, v) => {
    const u = unitOf[v];
    unitCompute[u] += node.computeUs;
    if (!backward[v]) unitForward[u] += node.computeUs;
    unitPersistent[u] += node.persistentBytes;
    unitTemporary[u] = Math.max(unitTemporary[u], node.temporaryBytes);
  });
  return { unitCompute, unitForward, unitPersistent, unitTemporary };
}

/** Per unit: the bytes stashed for the backward pass, a forward op's tensors that a backward op reads. */
function unitActivations(tensors: TensorTable, unitOf: Int32Array, backward: Uint8Array, U: number): Float64Array {
  const unitActivation = new Float64Array(U);
  for (let t = 0; t < tensors.producer.length; t++) {
    const p = tensors.producer[t];
    if (!backward[p] && tensors.consumers[t].some((c) => backward[c])) unitActivation[unitOf[p]] += tensors.bytes[t];
  }
  return unitActivation;
}

/** The tensors that cross units: producer unit, distinct consumer units, transfer time; and each unit's in / out lists. */
function crossingTensors(tensors: TensorTable, unitOf: Int32Array, link: Link, U: number) {
  const tProducer: number[] = [];
  const tConsumers: number[][] = [];
  const tUs: number[] = [];
  const unitOut: number[][] = Array.from({ length: U }, () => []);
  const unitIn: number[][] = Array.from({ length: U }, () => []);
  for (let t = 0; t < tensors.producer.length; t++) {
    const pu = unitOf[tensors.producer[t]];
    const cs: number[] = [];
    for (const c of tensors.consumers[t]) if (unitOf[c] !== pu && !cs.includes(unitOf[c])) cs.push(unitOf[c]);
    if (cs.length === 0) continue;
    const k = tProducer.length;
    tProducer.push(pu);
    tConsumers.push(cs);
    tUs.push(tensorTransferUs(link, tensors.transferBytes[t], tensors.costUs[t], 0, 1));
    unitOut[pu].push(k);
    for (const c of cs) unitIn[c].push(k);
  }
  return { tProducer: Int32Array.from(tProducer), tConsumers, tUs: Float64Array.from(tUs), unitOut, unitIn };
}

/** Builds the model's unit and tensor tables; throws one OpplaceError on a bad comm spec. */
export function buildThroughputModel(graph: OpGraph, options: ThroughputModelOptions, file?: string, index: GraphIndex = indexGraph(graph)): ThroughputModel {
  const link = parseComm(options.comm, graph, file);
  // the schedule's split: an op's own flag, or fed by a backward op
  const backward = backwardClosure(graph, index);
  const roots = colocationGroups(graph, index, options.grouping ?? 'colocation');
  const { unitOf, units } = unitsInTopoOrder(graph.nodes.length, index, roots);
  const U = units.length;
  const tensors = buildTensorTable(graph, index.indexOf, index);
  return {
    graph,
    index,
    link,
    senderOnce: link.fromFile === true,
    training: backward.some((b) => b === 1),
    backward,
    unitOf,
    units,
    unitName: units.map((m) => graph.nodes[m[0]].colocationGroup ?? graph.nodes[m[0]].id),
    ...unitTotals(graph, unitOf, backward, U),
    unitActivation: unitActivations(tensors, unitOf, backward, U),
    ...crossingTensors(tensors, unitOf, link, U),
  };
}

/** Microbatches whose activations stage `position` of `stages` holds at once. */
export function inFlightMicrobatches(schedule: PipelineScheduleName, position: number, stages: number, microbatches: number): number {
  return schedule === 'gpipe' ? microbatches : Math.max(1, Math.min(stages - position, microbatches));
}

/** Per-device compute and communication per sample for a unit → device assignment. */
export function deviceLoads(model: ThroughputModel, deviceOfUnit: ArrayLike<number>, devices: number): { computeUs: Float64Array; commUs: Float64Array } {
  const computeUs = new Float64Array(devices);
  const commUs = new Float64Array(devices);
  for (let u = 0; u < model.units.length; u++) computeUs[deviceOfUnit[u]] += model.unitCompute[u];
  const seen = new Int32Array(devices).fill(-1);
  for (let k = 0; k < model.tProducer.length; k++) {
    const src = deviceOfUnit[model.tProducer[k]];
    let receivers = 0;
    for (const c of model.tConsumers[k]) {
      const d = deviceOfUnit[c];
      if (d === src || seen[d] === k) continue;
      seen[d] = k;
      receivers++;
      commUs[d] += model.tUs[k];
    }
    if (receivers > 0) commUs[src] += model.tUs[k] * (model.senderOnce ? 1 : receivers);
  }
  return { computeUs, commUs };
}

/** Largest load (compute + comm) over the devices: the time per sample. */
export function timePerSampleUs(model: ThroughputModel, deviceOfUnit: ArrayLike<number>, devices: number): number {
  const { computeUs, commUs } = deviceLoads(model, deviceOfUnit, devices);
  let worst = 0;
  for (let d = 0; d < devices; d++) worst = Math.max(worst, computeUs[d] + commUs[d]);
  return worst;
}

/**
 * The assignment's state with loads kept up to date move by move (the planners' local search):
 * per (tensor, device) the number of consumer units there, so moving one unit touches only its own
 * tensors and the tensors it reads.
 */
export class LoadState {
  readonly D: number;
  readonly device: Int32Array;
  readonly load: Float64Array;
  readonly persistent: Float64Array;
  readonly activation: Float64Array;
  /** consumers[k * D + d]: consumer units of tensor k on device d. */
  private readonly consumers: Int32Array;
  private readonly delta: Float64Array;
  private readonly touched: number[] = [];
  private readonly mark: Int32Array;
  private stamp = 0;

  constructor(
    readonly model: ThroughputModel,
    deviceOfUnit: ArrayLike<number>,
    devices: number,
  ) {
    this.D = devices;
    const U = model.units.length;
    this.device = Int32Array.from({ length: U }, (_, u) => deviceOfUnit[u]);
    this.consumers = new Int32Array(model.tProducer.length * devices);
    for (let k = 0; k < model.tProducer.length; k++) for (const c of model.tConsumers[k]) this.consumers[k * devices + this.device[c]]++;
    const { computeUs, commUs } = deviceLoads(model, this.device, devices);
    this.load = computeUs.map((c, d) => c + commUs[d]);
    this.persistent = new Float64Array(devices);
    this.activation = new Float64Array(devices);
    for (let u = 0; u < U; u++) {
      this.persistent[this.device[u]] += model.unitPersistent[u];
      this.activation[this.device[u]] += model.unitActivation[u];
    }
    this.delta = new Float64Array(devices);
    this.mark = new Int32Array(devices);
  }

  /** Communication tensor k costs each device now, added × sign into `delta`. */
  private tensorCost(k: number, sign: number): void {
    const { model, D, consumers } = this;
    const src = this.device[model.tProducer[k]];
    const us = model.tUs[k] * sign;
    let receivers = 0;
    for (let d = 0; d < D; d++) {
      if (d === src || consumers[k * D + d] === 0) continue;
      receivers++;
      this.bump(d, us);
    }
    if (receivers > 0) this.bump(src, us * (model.senderOnce ? 1 : receivers));
  }

  private bump(d: number, us: number): void {
    if (this.mark[d] !== this.stamp) {
      this.mark[d] = this.stamp;
      this.delta[d] = 0;
      this.touched.push(d);
    }
    this.delta[d] += us;
  }

  /** Moves unit u to device `to` (or back), updating consumer counts; loads only via the delta. */
  private relocate(u: number, to: number): void {
    const { model, D } = this;
    const from = this.device[u];
    for (const k of model.unitIn[u]) {
      this.consumers[k * D + from]--;
      this.consumers[k * D + to]++;
    }
    this.device[u] = to;
  }

  /**
   * Load change per touched device if unit u moved to `to`: fills `touched` / `delta` and leaves the
   * state as it was. Returns the touched devices (valid until the next call).
   */
  moveDelta(u: number, to: number): readonly number[] {
    const { model } = this;
    const from = this.device[u];
    this.stamp++;
    this.touched.length = 0;
    for (const k of model.unitOut[u]) this.tensorCost(k, -1);
    for (const k of model.unitIn[u]) this.tensorCost(k, -1);
    this.relocate(u, to);
    for (const k of model.unitOut[u]) this.tensorCost(k, 1);
    for (const k of model.unitIn[u]) this.tensorCost(k, 1);
    this.relocate(u, from);
    this.bump(from, -model.unitCompute[u]);
    this.bump(to, model.unitCompute[u]);
    return this.touched;
  }

  /** Load of device d after the move last passed to moveDelta. */
  loadAfter(d: number): number {
    return this.load[d] + (this.mark[d] === this.stamp ? this.delta[d] : 0);
  }

  /** Applies a move (recomputing its delta). */
  move(u: number, to: number): void {
    const from = this.device[u];
    if (from === to) return;
    const touched = this.moveDelta(u, to);
    for (const d of touched) this.load[d] += this.delta[d];
    this.relocate(u, to);
    this.persistent[from] -= this.model.unitPersistent[u];
    this.persistent[to] += this.model.unitPersistent[u];
    this.activation[from] -= this.model.unitActivation[u];
    this.activation[to] += this.model.unitActivation[u];
  }

  maxLoad(): number {
    let m = 0;
    for (let d = 0; d < this.D; d++) m = Math.max(m, this.load[d]);
    return m;
  }
}
