// Hugging Face Accelerate `device_map` from a plan: `{"module.path": gpu_index}`, collapsed to the
// shortest module prefixes whose weights all sit on one device (Accelerate matches a key against
// every parameter and buffer name by prefix, so a collapsed key also covers weights the graph never
// touched, e.g. buffers of a module in that subtree).
import { OpplaceError } from '../errors';
import { OpGraph, OpNode } from '../graph';
import { AnyPlan, deviceByNode } from './planCheck';
import { setOwn } from '../records';

export type DeviceMap = Record<string, number>;

/** A node holds weights when it has parameter bytes, parameters, or shares weights with others. */
export function holdsWeights(node: OpNode): boolean {
  return node.persistentBytes > 0 || (node.parameterCount ?? 0) > 0 || node.colocationGroup !== undefined;
}

interface TrieNode {
  /** Full dotted prefix ('' for the root). */
  path: string;
  children: Map<string, TrieNode>;
  /** Device of weighted module nodes whose path is exactly this prefix, with the node for messages. */
  own?: { device: number; node: string };
  /** Devices of weighted nodes in this subtree (own included), in first-seen order. */
  devices: number[];
}

function newTrie(path: string): TrieNode {
  return { path, children: new Map(), devices: [] };
}

/**
 * Module path → device for every weight-holding node with a module path. One module placed on
 * two devices (a module called twice whose calls were split) cannot be expressed: error.
 */
export function moduleDevices(graph: OpGraph, plan: AnyPlan, planFile?: string): { path: string; device: number; node: string }[] {
  const byNode = deviceByNode(graph, plan, planFile);
  const file = graph.source?.file ?? graph.name;
  if (!graph.nodes.some((n) => n.modulePath)) {
    throw new OpplaceError(
      'the graph carries no module paths, so there is no Accelerate device_map to write — profile the PyTorch model with tools/opplace_profile.py and place that graph',
      { file },
    );
  }
  const seen = new Map<string, { device: number; node: string }>();
  const out: { path: string; device: number; node: string }[] = [];
  for (const n of graph.nodes) {
    if (!n.modulePath || !holdsWeights(n)) continue;
    const device = byNode.get(n.id)!;
    const prev = seen.get(n.modulePath);
    if (prev) {
      if (prev.device !== device) {
        throw new OpplaceError(
          `module "${n.modulePath}" is used by nodes "${prev.node}" (device ${prev.device}) and "${n.id}" (device ${device}); a device_map gives each module one device — place with colocation grouping`,
          { file, node: n.id },
        );
      }
      continue;
    }
    seen.set(n.modulePath, { device, node: n.id });
    out.push({ path: n.modulePath, device, node: n.id });
  }
  if (out.length === 0) {
    throw new OpplaceError('no node with a module path holds parameters, so there is nothing to map', { file });
  }
  return out;
}

/** Builds the collapsed device_map. Keys appear in the graph's module order; '' means the whole model. */
export function exportAccelerate(graph: OpGraph, plan: AnyPlan, planFile?: string): DeviceMap {
  const entries = moduleDevices(graph, plan, planFile);
  const root = newTrie('');
  for (const e of entries) {
    let t = root;
    const addDevice = (node: TrieNode) => {
      if (!node.devices.includes(e.device)) node.devices.push(e.device);
    };
    addDevice(t);
    for (const part of e.path.split('.')) {
      let child = t.children.get(part);
      if (!child) {
        child = newTrie(t.path === '' ? part : `${t.path}.${part}`);
        t.children.set(part, child);
      }
      t = child;
      addDevice(t);
    }
    t.own = { device: e.device, node: e.node };
  }
  const map: DeviceMap = {};
  const file = graph.source?.file ?? graph.name;
  const collapse = (t: TrieNode) => {
    if (t.devices.length === 0) return;
    if (t.devices.length === 1) {
      setOwn(map, t.path, t.devices[0]);
      return;
    }
    if (t.own) {
      // a key covers everything below it, so a module with weights cannot have descendants elsewhere
      throw new OpplaceError(
        `module "${t.path}" is on device ${t.own.device} but weights below it are on other devices; a device_map key covers the whole subtree`,
        { file, node: t.own.node },
      );
    }
    for (const c of t.children.values()) collapse(c);
  };
  collapse(root);
  return map;
}

/** The device a device_map gives a parameter/module name ('' key = whole model), or undefined. */
export function deviceFor(map: DeviceMap, name: string): number | undefined {
  let best: string | undefined;
  for (const k of Object.keys(map)) {
    if (k === '' || name === k || name.startsWith(k + '.')) {
      if (best === undefined || k.length > best.length) best = k;
    }
  }
  return best === undefined ? undefined : map[best];
}
