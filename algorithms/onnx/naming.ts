// Node ids and namespace paths from ONNX node names.
import { pushAll } from '../arrays';

/**
 * Stable unique ids: the node name, or `OpType_index` (index in the ONNX node list) when it has
 * none. A clash gets `_2`, `_3`… in node order, so the same file always gives the same ids.
 */
export function uniqueNodeIds(nodes: { name?: string; op_type?: string }[], keep: (i: number) => boolean): (string | undefined)[] {
  // Names given in the file win over generated ids and over `_k` suffixes: reserve them first.
  const reserved = new Set<string>();
  for (let i = 0; i < nodes.length; i++) if (keep(i) && nodes[i].name) reserved.add(nodes[i].name!);
  const taken = new Set<string>();
  const ids: (string | undefined)[] = new Array(nodes.length).fill(undefined);
  for (let i = 0; i < nodes.length; i++) {
    if (!keep(i)) continue;
    const name = nodes[i].name;
    const base = name || `${nodes[i].op_type || 'Op'}_${i}`;
    let id = base;
    for (let k = 2; taken.has(id) || (id !== name && reserved.has(id)); k++) id = `${base}_${k}`;
    taken.add(id);
    ids[i] = id;
  }
  return ids;
}

/**
 * Namespace path of a node from its name. PyTorch ≥ 2 names nodes like
 * `/layer1/layer1.0/conv1/Conv`: '/'-separated scopes whose segments repeat the dotted module path,
 * so a segment that extends the path so far only adds its new parts → ['layer1', '0', 'conv1'].
 * Caffe2-style names (`gpu_0/res2_0_branch2a_1`) give their '/' scopes; dotted names split on '.'.
 * The last segment is the op itself and is not part of the namespace.
 */
export function namespaceOf(name: string): string[] {
  if (!name) return [];
  const slashParts = name.split('/').filter((s) => s !== '');
  if (slashParts.length === 0) return [];
  if (slashParts.length === 1) {
    const dotted = slashParts[0].split('.').filter((s) => s !== '');
    return dotted.slice(0, -1);
  }
  const scopes = slashParts.slice(0, -1);
  const out: string[] = [];
  for (const seg of scopes) {
    const parts = seg.split('.').filter((s) => s !== '');
    let k = Math.min(parts.length - 1, out.length);
    for (; k > 0; k--) {
      let match = true;
      for (let j = 0; j < k; j++) if (out[out.length - k + j] !== parts[j]) match = false;
      if (match) break;
    }
    pushAll(out, parts.slice(k));
  }
  return out;
}

/** PyTorch module path (FQN) when the name has PyTorch's '/'-scoped form, e.g. 'layer1.0.conv1'. */
export function modulePathOf(name: string): string | undefined {
  if (!name.startsWith('/')) return undefined;
  const ns = namespaceOf(name);
  return ns.length ? ns.join('.') : undefined;
}
