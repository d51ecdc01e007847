// An annotated copy of an ONNX model: each node gets `metadata_props` entry `opplace.device` = the
// plan's device index (NodeProto.metadata_props, field 9 of newer ONNX; older readers keep it as an
// unknown field), and the model gets `opplace.placement` = JSON {node id: device} so readers of any
// ONNX version can see the placement. Works on bytes: the input file is never touched, the caller
// writes the returned bytes elsewhere.
import { OpplaceError } from '../errors';
import { OpGraph } from '../graph';
import { uniqueNodeIds } from '../onnx/naming';
import { decodeOnnxModel, encodeOnnxModel, OnnxGraph, OnnxNode, OnnxStringEntry, OnnxTensor } from '../onnx/proto';
import { AnyPlan, deviceByNode, isPipelinePlan } from './planCheck';
import { setOwn } from '../records';

export const DEVICE_KEY = 'opplace.device';
export const PLACEMENT_KEY = 'opplace.placement';

/**
 * The ids the ONNX loader gave the nodes it kept (it folds some, e.g. constants, and suffixes
 * clashes among the kept ones only): first with every node kept, then again keeping only the
 * nodes the plan knows, so `_2` suffixes come out as the loader made them. undefined = folded.
 */
export function planNodeIds(nodes: OnnxNode[], inPlan: (id: string) => boolean): (string | undefined)[] {
  const all = uniqueNodeIds(nodes, () => true);
  const kept = all.map((id) => id !== undefined && inPlan(id));
  const ids = uniqueNodeIds(nodes, (i) => kept[i]);
  return ids.map((id) => (id !== undefined && inPlan(id) ? id : undefined));
}

function setEntry(list: OnnxStringEntry[] | undefined, key: string, value: string): OnnxStringEntry[] {
  const kept = (list ?? []).filter((e) => e.key !== key);
  kept.push({ key, value });
  return kept;
}

/**
 * The `location` an external-data reference of the input model (relative to the model's folder)
 * must have in the written copy, relative to the copy's folder; throws (naming the file) when the
 * copy cannot point at the data. Node-side: the caller knows both paths and the file system.
 */
export type RelocateExternalData = (location: string, tensor: string) => string;

/** Every TensorProto of a graph: initializers and node attribute tensors, subgraphs included. */
function forEachTensor(g: OnnxGraph | undefined, visit: (t: OnnxTensor) => void): void {
  if (!g) return;
  for (const t of g.initializer ?? []) visit(t);
  for (const n of g.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.t) visit(a.t);
      for (const t of a.tensors ?? []) visit(t);
      forEachTensor(a.g, visit);
      for (const sg of a.graphs ?? []) forEachTensor(sg, visit);
    }
  }
}

/** Rewrites external-data locations; returns the distinct rewrites (old → new) that changed a path. */
function relocateExternalData(graph: OnnxGraph | undefined, relocate: RelocateExternalData): Map<string, string> {
  const moved = new Map<string, string>();
  const seen = new Map<string, string>();
  forEachTensor(graph, (t) => {
    for (const e of t.external_data ?? []) {
      if (e.key !== 'location' || e.value === undefined) continue;
      const old = e.value;
      if (!seen.has(old)) seen.set(old, relocate(old, t.name ?? ''));
      e.value = seen.get(old)!;
      if (e.value !== old) moved.set(old, e.value);
    }
  });
  return moved;
}

export interface OnnxExport {
  bytes: Uint8Array;
  /** Nodes annotated with the plan's device; nodes the loader folded away (constants) take the device of their first placed consumer. */
  annotated: number;
  inherited: number;
  /** Nodes left without a device (no placed node consumes them). */
  unannotated: string[];
  /** External-data locations rewritten for the copy's folder (old → new). */
  relocated: Map<string, string>;
}

export function exportOnnx(
  modelBytes: Uint8Array,
  modelFile: string,
  graph: OpGraph,
  plan: AnyPlan,
  planFile?: string,
  relocate?: RelocateExternalData,
): OnnxExport {
  const byNode = deviceByNode(graph, plan, planFile);
  const model = decodeOnnxModel(modelBytes, modelFile);
  const relocated = relocate ? relocateExternalData(model.graph, relocate) : new Map<string, string>();
  const nodes = model.graph?.node ?? [];
  if (nodes.length === 0) throw new OpplaceError('the ONNX model has no nodes', { file: modelFile });
  const planIds = planNodeIds(nodes, (id) => byNode.has(id));
  const allIds = uniqueNodeIds(nodes, () => true) as string[];
  // folded nodes are named in the model-level placement by their id as if every node were kept
  const ids = planIds.map((id, i) => id ?? allIds[i]);
  const device: (number | undefined)[] = planIds.map((id) => (id === undefined ? undefined : byNode.get(id)!));
  const matched = device.filter((d) => d !== undefined).length;
  if (matched === 0) {
    throw new OpplaceError(
      `no node of the ONNX model is in the plan (plan node "${[...byNode.keys()][0]}" is not an ONNX node) — was the plan made for another model?`,
      { file: modelFile },
    );
  }
  // folded nodes (e.g. ConstantOfShape producing weights) run where their first placed consumer runs
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) =>
    (n.input ?? []).forEach((t) => {
      if (!consumers.has(t)) consumers.set(t, []);
      consumers.get(t)!.push(i);
    }),
  );
  let inherited = 0;
  for (let pass = 0; pass < nodes.length && device.includes(undefined); pass++) {
    let changed = false;
    for (let i = nodes.length - 1; i >= 0; i--) {
      if (device[i] !== undefined) continue;
      for (const t of nodes[i].output ?? []) {
        const c = (consumers.get(t) ?? []).find((j) => device[j] !== undefined);
        if (c !== undefined) {
          device[i] = device[c];
          inherited++;
          changed = true;
          break;
        }
      }
    }
    if (!changed) break;
  }
  const placement: Record<string, number> = {};
  const unannotated: string[] = [];
  nodes.forEach((n, i) => {
    const d = device[i];
    if (d === undefined) {
      unannotated.push(ids[i]);
      return;
    }
    n.metadata_props = setEntry(n.metadata_props, DEVICE_KEY, String(d));
    setOwn(placement, ids[i], d);
  });
  model.metadata_props = setEntry(model.metadata_props, PLACEMENT_KEY, JSON.stringify(placement));
  model.metadata_props = setEntry(model.metadata_props, 'opplace.algorithm', isPipelinePlan(plan) ? `pipeline ${plan.split}` : plan.algorithm);
  return { bytes: encodeOnnxModel(model), annotated: matched, inherited, unannotated, relocated };
}
