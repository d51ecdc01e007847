// The viewer's data model: a group tree over the op graph (namespace path, colocation/fused group,
// or topological chunks for flat graphs), which groups are expanded, and what is visible.
// Pure functions, no DOM: data in → data out. Layout depends only on this (never on the plan),
// so re-placing recolours without re-running layout.

import { topologicalOrder, type OpBody, type OpGraph } from '../algorithms/graph';
import type { Plan } from '../algorithms/plan';
import { pushAll } from '../algorithms/arrays';
import type { LayoutScope } from './layoutCore';

/** A box of the group tree. Leaves of the tree are op nodes (indices into graph.nodes). */
export interface ViewGroup {
  /** `group:` + path, stable across sessions for the same graph. */
  id: string;
  label: string;
  parent: string | null;
  depth: number;
  /** Child groups in first-member topological order. */
  groups: string[];
  /** Op nodes directly inside (not in a child group), topological order. */
  nodes: number[];
  /** All op nodes below, topological order. */
  members: number[];
}

export interface GroupTree {
  root: string;
  groups: Map<string, ViewGroup>;
  /** For each node index, the innermost group holding it. */
  groupOf: string[];
}

export type GroupBy = 'namespace' | 'colocation';

export interface TreeOptions {
  groupBy: GroupBy;
  /** A box with more direct children than this is split into topological chunks. */
  maxChildren: number;
}

export const DEFAULT_TREE_OPTIONS: TreeOptions = { groupBy: 'namespace', maxChildren: 250 };

/** The grouping path of a node: its namespace, or its colocation group as one level. */
function pathOf(graph: OpGraph, i: number, by: GroupBy): string[] {
  const node = graph.nodes[i];
  if (by === 'colocation') return node.colocationGroup ? [`colocation ${node.colocationGroup}`] : [];
  return node.namespace ?? [];
}

/**
 * Builds the group tree. Chains of single-child groups are merged ("a/b/c" as one box) so that
 * expanding always reveals something; boxes with more than `maxChildren` direct children are split
 * into consecutive topological chunks so every ELK call stays small (fast, no stack overflow).
 */
export function buildGroupTree(graph: OpGraph, opts: TreeOptions = DEFAULT_TREE_OPTIONS): GroupTree {
  const order = topologicalOrder(graph);
  const groups = new Map<string, ViewGroup>();
  const root: ViewGroup = { id: 'group:', label: graph.name || 'graph', parent: null, depth: 0, groups: [], nodes: [], members: [] };
  groups.set(root.id, root);
  // Raw tree by path prefix.
  for (const i of order) {
    const path = pathOf(graph, i, opts.groupBy);
    let g = root;
    g.members.push(i);
    for (let d = 0; d < path.length; d++) {
      const id =
        'group:' +
        path
          .slice(0, d + 1)
          .map(encodeSegment)
          .join('/');
      let child = groups.get(id);
      if (!child) {
        child = { id, label: path[d], parent: g.id, depth: d + 1, groups: [], nodes: [], members: [] };
        groups.set(id, child);
        g.groups.push(id);
      }
      child.members.push(i);
      g = child;
    }
    g.nodes.push(i);
  }
  compressChains(groups, root.id);
  splitWideGroups(groups, root.id, opts.maxChildren, rankOf(order), graph);
  recomputeDepth(groups, root.id, 0);
  const groupOf: string[] = new Array(graph.nodes.length);
  for (const g of groups.values()) for (const i of g.nodes) groupOf[i] = g.id;
  return { root: root.id, groups, groupOf };
}

// '#' is encoded too: it separates a box from its chunks (`group:a#1`), so a namespace called "a#1"
// must not get the id of chunk 1 of namespace "a".
function encodeSegment(s: string): string {
  return s.replace(/%/g, '%25').replace(/\//g, '%2F').replace(/#/g, '%23');
}

/** A group whose only content is one child group is replaced by that child (labels joined). */
function compressChains(groups: Map<string, ViewGroup>, id: string): void {
  const g = groups.get(id)!;
  g.groups = g.groups.map((cid) => {
    let c = groups.get(cid)!;
    while (c.nodes.length === 0 && c.groups.length === 1) {
      const only = groups.get(c.groups[0])!;
      groups.delete(c.id);
      only.label = `${c.label}/${only.label}`;
      only.parent = g.id;
      c = only;
    }
    // A group holding exactly one op is pointless as a box: hoist the op.
    return c.id;
  });
  const keep: string[] = [];
  for (const cid of g.groups) {
    const c = groups.get(cid)!;
    if (c.members.length === 1) {
      g.nodes.push(c.members[0]);
      deleteSubtree(groups, cid);
    } else keep.push(cid);
  }
  g.groups = keep;
  for (const cid of keep) compressChains(groups, cid);
}

function deleteSubtree(groups: Map<string, ViewGroup>, id: string): void {
  const g = groups.get(id);
  if (!g) return;
  for (const c of g.groups) deleteSubtree(groups, c);
  groups.delete(id);
}

function recomputeDepth(groups: Map<string, ViewGroup>, id: string, depth: number): void {
  const g = groups.get(id)!;
  g.depth = depth;
  for (const c of g.groups) recomputeDepth(groups, c, depth + 1);
}

/** Topological position of every node (from the order), for ordering children and chunks. */
function rankOf(order: number[]): Int32Array {
  const rank = new Int32Array(order.length);
  order.forEach((v, r) => (rank[v] = r));
  return rank;
}

/**
 * Where to cut a topologically ordered list of children into `chunks` parts along the graph's
 * structure: at the narrowest points — the fewest edges running from before the cut to after it
 * (a chain has one, the join between two stages few) — within a third of a part's length of the
 * even split. Returns the start index of every part after the first.
 */
export function narrowCuts(width: ArrayLike<number>, count: number, chunks: number): number[] {
  const per = count / chunks;
  const cuts: number[] = [];
  let prev = 0;
  for (let c = 1; c < chunks; c++) {
    const ideal = Math.round(c * per);
    const lo = Math.max(prev + 1, Math.round(ideal - per / 3));
    const hi = Math.min(count - (chunks - c), Math.round(ideal + per / 3));
    let best = Math.min(Math.max(ideal, lo), hi);
    for (let i = lo; i <= hi; i++) {
      // width[i - 1]: edges crossing between child i-1 and child i
      if (width[i - 1] < width[best - 1] || (width[i - 1] === width[best - 1] && Math.abs(i - ideal) < Math.abs(best - ideal))) best = i;
    }
    cuts.push(best);
    prev = best;
  }
  return cuts;
}

/** Most ops a box without sub-boxes holds before it is cut into stages. */
export const FLAT_STAGE_OPS = 64;

/** A box named after its first and last op in topological order: "conv1 … pool5". */
function spanLabel(graph: OpGraph, members: number[]): string {
  const name = (i: number) => graph.nodes[i].name || graph.nodes[i].id;
  return members.length === 1 ? name(members[0]) : `${name(members[0])} … ${name(members[members.length - 1])}`;
}

/** One child of a box being cut: a sub-box (kind 'g', its id) or an op ('n', its index), with the rank of its first op. */
interface Kid {
  kind: 'g' | 'n';
  x: string | number;
  r: number;
}

/** What cutting the tree's wide boxes reads: the tree, the topological ranks, the graph. */
interface SplitContext {
  groups: Map<string, ViewGroup>;
  maxChildren: number;
  rank: Int32Array;
  graph: OpGraph;
  /** Node index by id (built once, not per box). */
  indexOf: Map<string, number>;
}

function splitWideGroups(groups: Map<string, ViewGroup>, rootId: string, maxChildren: number, rank: Int32Array, graph: OpGraph): void {
  const ctx: SplitContext = { groups, maxChildren, rank, graph, indexOf: new Map(graph.nodes.map((n, i) => [n.id, i])) };
  splitWide(ctx, rootId);
}

/** Cuts box `id` (its sub-boxes first) into chunks of consecutive children while it has too many. */
function splitWide(ctx: SplitContext, id: string): void {
  const g = ctx.groups.get(id)!;
  for (const c of [...g.groups]) splitWide(ctx, c);
  sortByRank(ctx, g);
  const count = g.groups.length + g.nodes.length;
  // Ops without a namespace below them are cut into stages sooner: a flat box of hundreds of ops
  // leaves Collapse and Fit nothing to fold.
  const limit = g.groups.length === 0 ? Math.min(ctx.maxChildren, FLAT_STAGE_OPS) : ctx.maxChildren;
  if (count <= limit) return;
  // Children in topological order, cut into chunks at narrow points; each chunk becomes a child group.
  const kids = kidsInOrder(ctx, g);
  const chunks = Math.ceil(kids.length / limit);
  const starts = [0, ...narrowCuts(crossingWidths(ctx, kids), kids.length, chunks), kids.length];
  const prefix = chunkPrefix(ctx, g);
  g.groups = [];
  g.nodes = [];
  for (let c = 0; c < chunks; c++) {
    const chunk = chunkOf(ctx, g, kids.slice(starts[c], starts[c + 1]), prefix, c);
    ctx.groups.set(chunk.id, chunk);
    g.groups.push(chunk.id);
  }
  // Chunks still too wide (a flat stage of hundreds of ops) are cut again inside.
  for (const cid of g.groups) splitWide(ctx, cid);
  // More chunks than fit in one box: split again one level up (recursion on the new box).
  if (g.groups.length > ctx.maxChildren) splitWide(ctx, id);
}

/** The topological rank of a box's first op. */
const groupRank = (ctx: SplitContext, id: string): number => ctx.rank[ctx.groups.get(id)!.members[0]];

function sortByRank(ctx: SplitContext, g: ViewGroup): void {
  const { rank } = ctx;
  g.nodes.sort((a, b) => rank[a] - rank[b]);
  g.members.sort((a, b) => rank[a] - rank[b]);
  g.groups.sort((a, b) => groupRank(ctx, a) - groupRank(ctx, b));
}

function kidsInOrder(ctx: SplitContext, g: ViewGroup): Kid[] {
  return [...g.groups.map((x) => ({ kind: 'g' as const, x, r: groupRank(ctx, x) })), ...g.nodes.map((x) => ({ kind: 'n' as const, x, r: ctx.rank[x] }))].sort(
    (a, b) => a.r - b.r,
  );
}

/** width[i]: the edges crossing between children i and i + 1 (by the child each endpoint belongs to). */
function crossingWidths(ctx: SplitContext, kids: Kid[]): Int32Array {
  const kidOf = new Map<number, number>();
  kids.forEach((k, pos) => {
    if (k.kind === 'n') kidOf.set(k.x as number, pos);
    else for (const m of ctx.groups.get(k.x as string)!.members) kidOf.set(m, pos);
  });
  const diff = new Int32Array(kids.length + 1);
  for (const e of ctx.graph.edges) {
    const a = kidOf.get(ctx.indexOf.get(e.from) ?? -1);
    const b = kidOf.get(ctx.indexOf.get(e.to) ?? -1);
    if (a === undefined || b === undefined || a === b) continue;
    diff[Math.min(a, b)]++;
    diff[Math.max(a, b)]--;
  }
  const width = new Int32Array(kids.length);
  for (let i = 0, run = 0; i < kids.length; i++) width[i] = run += diff[i];
  return width;
}

/**
 * Ids of the chunks box g is cut into: `g#1`, `g#2`… A box cut again one level up (more chunks than fit)
 * already holds `g#1`…, which become children of the new chunks: those get `g##1`… (reusing `g#1`
 * made a chunk its own child, and the tree a cycle: a stack overflow at 64 × maxChildren flat ops).
 */
function chunkPrefix(ctx: SplitContext, g: ViewGroup): string {
  let prefix = `${g.id}#`;
  while (ctx.groups.has(`${prefix}1`)) prefix += '#';
  return prefix;
}

/** Chunk c of box g: a new child group `<prefix>c+1` holding `part`, named after its first and last op. */
function chunkOf(ctx: SplitContext, g: ViewGroup, part: Kid[], prefix: string, c: number): ViewGroup {
  const cid = `${prefix}${c + 1}`;
  const chunk: ViewGroup = { id: cid, label: '', parent: g.id, depth: g.depth + 1, groups: [], nodes: [], members: [] };
  for (const k of part) {
    if (k.kind === 'n') {
      chunk.nodes.push(k.x as number);
      chunk.members.push(k.x as number);
    } else {
      const child = ctx.groups.get(k.x as string)!;
      child.parent = cid;
      chunk.groups.push(child.id);
      pushAll(chunk.members, child.members);
    }
  }
  chunk.members.sort((a, b) => ctx.rank[a] - ctx.rank[b]);
  // A chunk of a namespace box keeps the namespace in front; a chunk of a chunk does not repeat it.
  chunk.label = `${g.parent === null || g.id.includes('#') ? '' : `${g.label}: `}${spanLabel(ctx.graph, chunk.members)}`;
  return chunk;
}

// ───────────────────────────── visibility ─────────────────────────────

/** A thing drawn in the DAG: an op node, a collapsed group box, or an op inside an expanded If/Loop/Scan body. */
export interface VisibleItem {
  id: string;
  kind: 'node' | 'group' | 'body';
  /** Node index for kind 'node'; for 'body', the control-flow op it runs in (placed as that op). */
  node?: number;
  /** The expanded group that contains this item (its layout scope). */
  scope: string;
}

export interface VisibleGraph {
  items: VisibleItem[];
  /** Expanded groups (layout scopes), parents before children. */
  scopes: string[];
  /** For each node index, the id of the visible item that stands for it (an expanded body: its scope). */
  repOf: string[];
  /** The expanded If/Loop/Scan bodies and their If branches drawn as scopes, by scope id. */
  bodyScopes: Map<string, BodyScope>;
}

/** The visible items given which groups are expanded (the root always is). */
export function visibleGraph(graph: OpGraph, tree: GroupTree, expanded: ReadonlySet<string>): VisibleGraph {
  const items: VisibleItem[] = [];
  const scopes: string[] = [];
  const repOf: string[] = new Array(graph.nodes.length);
  const bodyScopes = new Map<string, BodyScope>();
  const visit = (gid: string): void => {
    const g = tree.groups.get(gid)!;
    scopes.push(gid);
    for (const cid of g.groups) {
      if (expanded.has(cid)) visit(cid);
      else {
        items.push({ id: cid, kind: 'group', scope: gid });
        for (const m of tree.groups.get(cid)!.members) repOf[m] = cid;
      }
    }
    for (const i of g.nodes) {
      const id = graph.nodes[i].id;
      const body = bodyId(id);
      if (expanded.has(body) && hasBodyOps(graph.nodes[i].body)) {
        for (const b of bodyScopesOf(graph, i)) {
          scopes.push(b.id);
          bodyScopes.set(b.id, b);
          b.ops.forEach((k) => items.push({ id: bodyOpId(b.id, k), kind: 'body', node: i, scope: b.id }));
        }
        repOf[i] = body;
        continue;
      }
      items.push({ id, kind: 'node', node: i, scope: gid });
      repOf[i] = id;
    }
  };
  visit(tree.root);
  return { items, scopes, repOf, bodyScopes };
}

// ───────────────────────────── If/Loop/Scan bodies ─────────────────────────────
// An op with a body (OpNode.body, issue 11 §3) expands in place into a frame holding the ops of its
// body (an If: one frame per branch inside it). Read-only: the op is placed as one node, so its body
// ops take its device colour and clicking one selects the op. The expanded bodies are ids in the
// same `expanded` set as the groups: `body:<op id>`.

/** An expanded body (`branch` undefined: the op's frame) or one If branch inside it. */
export interface BodyScope {
  id: string;
  /** The control-flow op (node index). */
  owner: number;
  /** Index into body.branches; undefined for the op's own frame. */
  branch?: number;
  label: string;
  /** Indices into the branch's ops drawn directly in this scope (none for an If's frame: its branches are). */
  ops: number[];
  /** Child scopes (an If's branches). */
  scopes: string[];
}

export const BODY_PREFIX = 'body:';
export const bodyId = (nodeId: string): string => BODY_PREFIX + nodeId;
const bodyOpId = (scope: string, k: number): string => `${scope}/${k}`;

export function hasBodyOps(body: OpBody | undefined): body is OpBody {
  return !!body && body.branches.some((b) => b.ops.length > 0);
}

/** A drawn body op (`<scope id>/<k>`): its scope and its index in the scope's branch, or null. */
export function bodyItemOf(vis: VisibleGraph, id: string): { scope: BodyScope; op: number } | null {
  if (!id.startsWith(BODY_PREFIX)) return null;
  const cut = id.lastIndexOf('/');
  const scope = vis.bodyScopes.get(id.slice(0, cut));
  const op = Number(id.slice(cut + 1));
  return scope && scope.branch !== undefined && Number.isInteger(op) ? { scope, op } : null;
}

/** The body id a scope id belongs to (an If branch's frame collapses the whole body). */
export function bodyOfScope(id: string): string {
  return id.replace(/#\d+$/, '');
}

function tripsText(body: OpBody): string {
  if (body.trips === undefined) return '';
  return body.trips === null ? ' · trips unknown (counted once)' : ` · × ${body.trips} trips`;
}

/** The frames of node i's expanded body, parents first: the op's frame, then each non-empty branch. */
export function bodyScopesOf(graph: OpGraph, i: number): BodyScope[] {
  const n = graph.nodes[i];
  const body = n.body!;
  const root = bodyId(n.id);
  const branches = body.branches.map((b, k) => ({ b, k })).filter(({ b }) => b.ops.length > 0);
  const branchScope = ({ b, k }: (typeof branches)[number]): BodyScope => ({
    id: `${root}#${k}`,
    owner: i,
    branch: k,
    label: `${b.name}${body.countedBranch === k ? ' (counted)' : ''}${b.omittedOps ? ` · ${b.omittedOps} more ops not shown` : ''}`,
    ops: b.ops.map((_, j) => j),
    scopes: [],
  });
  const label = `${n.opType} ${n.name}${tripsText(body)}`;
  // A Loop or Scan has one body: its ops go straight into the op's frame.
  if (body.opType !== 'If' && branches.length === 1) return [{ ...branchScope(branches[0]), id: root, label }];
  const parts = branches.map(branchScope);
  return [{ id: root, owner: i, label, ops: [], scopes: parts.map((p) => p.id) }, ...parts];
}

/**
 * Expands groups breadth-first (largest first) while the number of visible items stays within
 * `budget`, so small graphs open fully expanded and big ones open as a readable overview.
 */
export function autoExpand(tree: GroupTree, budget: number): Set<string> {
  const expanded = new Set<string>([tree.root]);
  const root = tree.groups.get(tree.root)!;
  let visible = root.groups.length + root.nodes.length;
  let frontier = [...root.groups];
  while (frontier.length) {
    frontier.sort((a, b) => tree.groups.get(b)!.members.length - tree.groups.get(a)!.members.length);
    const next: string[] = [];
    for (const gid of frontier) {
      const g = tree.groups.get(gid)!;
      const grow = g.groups.length + g.nodes.length - 1;
      if (visible + grow > budget) continue;
      expanded.add(gid);
      visible += grow;
      pushAll(next, g.groups);
    }
    frontier = next;
  }
  return expanded;
}

/** The groups to expand so that `nodeIndex` becomes visible (for search and timeline clicks). */
export function ancestorsOf(tree: GroupTree, nodeIndex: number): string[] {
  const out: string[] = [];
  let gid: string | null = tree.groupOf[nodeIndex];
  while (gid) {
    out.push(gid);
    gid = tree.groups.get(gid)?.parent ?? null;
  }
  return out.reverse();
}

/** The layout input of an expanded body: its ops at `size`, joined where one reads another; an If's frame holds its branches. */
export function bodyLayoutScope(graph: OpGraph, b: BodyScope, size: { width: number; height: number }): LayoutScope {
  if (b.branch === undefined) return { scope: b.id, children: b.scopes.map((id) => ({ id, isScope: true })), edges: [] };
  const ops = graph.nodes[b.owner].body!.branches[b.branch].ops;
  const edges = ops.flatMap((op, k) => op.inputs.map((j) => ({ id: `e${k}-${j}`, source: bodyOpId(b.id, j), target: bodyOpId(b.id, k) })));
  return { scope: b.id, children: b.ops.map((k) => ({ id: bodyOpId(b.id, k), ...size })), edges };
}

// ───────────────────────────── scoped layout input ─────────────────────────────

/**
 * Edges for every layout scope in one pass: a graph edge u→v belongs to the lowest expanded group
 * holding both ends, between the two children of that group that contain u and v. Deduplicated.
 */
export function scopeLayoutEdges(
  graph: OpGraph,
  tree: GroupTree,
  vis: VisibleGraph,
  idx: Map<string, number>,
): Map<string, { id: string; source: string; target: string }[]> {
  const out = new Map<string, { id: string; source: string; target: string }[]>();
  for (const s of vis.scopes) out.set(s, []);
  const seen = new Set<string>();
  // Chain from a node's visible item up to the root: [item, scope, parent scope, …].
  const chainOf = (i: number): string[] => {
    const rep = vis.repOf[i];
    const chain = [rep];
    let p: string | null = rep.startsWith('group:') ? tree.groups.get(rep)!.parent : tree.groupOf[i];
    while (p !== null) {
      chain.push(p);
      p = tree.groups.get(p)!.parent;
    }
    return chain;
  };
  const chains = new Map<number, string[]>();
  const chain = (i: number) => {
    let c = chains.get(i);
    if (!c) chains.set(i, (c = chainOf(i)));
    return c;
  };
  for (const e of graph.edges) {
    const a = idx.get(e.from);
    const b = idx.get(e.to);
    if (a === undefined || b === undefined) continue;
    const ca = chain(a);
    const cb = chain(b);
    if (ca[0] === cb[0]) continue;
    // Walk both chains from the root end while they agree; the last shared entry is the scope.
    let i = ca.length - 1;
    let j = cb.length - 1;
    while (i > 0 && j > 0 && ca[i - 1] === cb[j - 1]) {
      i--;
      j--;
    }
    const scope = ca[i];
    const source = ca[i - 1];
    const target = cb[j - 1];
    if (source === undefined || target === undefined || source === target) continue;
    const key = source + '\u0000' + target;
    if (seen.has(key)) continue;
    seen.add(key);
    const list = out.get(scope);
    if (list) list.push({ id: `e${seen.size}`, source, target });
  }
  return out;
}

/** An edge as drawn: between two visible items, aggregating the graph edges it stands for. */
export interface DrawnEdge {
  source: string;
  target: string;
  edges: number[];
}

export function drawnEdges(graph: OpGraph, vis: VisibleGraph, idx: Map<string, number>): DrawnEdge[] {
  const byKey = new Map<string, DrawnEdge>();
  graph.edges.forEach((e, k) => {
    const a = idx.get(e.from);
    const b = idx.get(e.to);
    if (a === undefined || b === undefined) return;
    const s = vis.repOf[a];
    const t = vis.repOf[b];
    if (s === t) return;
    const key = s + '\u0000' + t;
    let d = byKey.get(key);
    if (!d) byKey.set(key, (d = { source: s, target: t, edges: [] }));
    d.edges.push(k);
  });
  return [...byKey.values()];
}

// ───────────────────────────── plan-derived colouring ─────────────────────────────

export interface PlanView {
  deviceOf: Int32Array; // -1 when not scheduled
  startUs: Float64Array;
  endUs: Float64Array;
  critical: Uint8Array;
  /** Graph edge index → true when source and target run on different devices. */
  crossEdge: Uint8Array;
  /** Graph edge index → on the critical path (consecutive critical ops joined by the edge). */
  criticalEdge: Uint8Array;
  /** What `deviceOf` holds: devices (classes `device-K`, the default) or pipeline stages (`stage-K`). */
  colourBy?: 'device' | 'stage';
  /** Throughput mode: stage index → the device it runs on. */
  stageDevice?: number[];
  /** Infeasible plan: 1 for the ops of the node that did not fit. */
  failed: Uint8Array;
  /** Infeasible plan: the placer's message (which op or group, where, how much memory). */
  failureReason: string | null;
}

export function planView(graph: OpGraph, plan: Plan | null, idx: Map<string, number>): PlanView {
  const n = graph.nodes.length;
  const deviceOf = new Int32Array(n).fill(-1);
  const startUs = new Float64Array(n).fill(NaN);
  const endUs = new Float64Array(n).fill(NaN);
  const critical = new Uint8Array(n);
  const crossEdge = new Uint8Array(graph.edges.length);
  const criticalEdge = new Uint8Array(graph.edges.length);
  const failed = new Uint8Array(n);
  if (!plan) return { deviceOf, startUs, endUs, critical, crossEdge, criticalEdge, failed, failureReason: null };
  for (const s of plan.schedule) {
    const i = idx.get(s.node);
    if (i === undefined) continue;
    deviceOf[i] = s.device;
    startUs[i] = s.startUs;
    endUs[i] = s.endUs;
  }
  // An infeasible plan: where the ops placed before the failure went (no times: nothing ran).
  for (const p of plan.placedBeforeFailure ?? []) {
    const i = idx.get(p.node);
    if (i !== undefined) deviceOf[i] = p.device;
  }
  for (const id of plan.failedNodes ?? []) {
    const i = idx.get(id);
    if (i !== undefined) failed[i] = 1;
  }
  const critPos = new Map<number, number>();
  plan.criticalPath.forEach((id, k) => {
    const i = idx.get(id);
    if (i !== undefined) {
      critical[i] = 1;
      critPos.set(i, k);
    }
  });
  graph.edges.forEach((e, k) => {
    const a = idx.get(e.from)!;
    const b = idx.get(e.to)!;
    if (deviceOf[a] >= 0 && deviceOf[b] >= 0 && deviceOf[a] !== deviceOf[b]) crossEdge[k] = 1;
    const pa = critPos.get(a);
    const pb = critPos.get(b);
    if (pa !== undefined && pb !== undefined && pb === pa + 1) criticalEdge[k] = 1;
  });
  return { deviceOf, startUs, endUs, critical, crossEdge, criticalEdge, failed, failureReason: plan.feasible ? null : (plan.reason ?? null) };
}

/** Members per device for a group box (index = device; last slot = unplaced). */
export function deviceMix(members: number[], deviceOf: Int32Array, devices: number): number[] {
  const mix = new Array(devices + 1).fill(0);
  for (const m of members) {
    const d = deviceOf[m];
    mix[d >= 0 && d < devices ? d : devices]++;
  }
  return mix;
}

/** Memory a group holds: persistent + temporary + output bytes of its members. */
export function groupMemoryBytes(graph: OpGraph, members: number[]): number {
  let s = 0;
  for (const m of members) {
    const n = graph.nodes[m];
    s += n.persistentBytes + n.temporaryBytes;
    for (const t of n.outputs) s += t.bytes;
  }
  return s;
}

/**
 * Case-insensitive match on node name, id or op type, or on the name of a node folded into it
 * (ONNX shape plumbing, `foldedNodes`) or of an op in its If/Loop/Scan body: such a match finds
 * the op that stands for it, since neither is placed (nor drawn) on its own.
 */
export function searchNodes(graph: OpGraph, query: string, limit = 200): number[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const hit = (s: string) => s.toLowerCase().includes(q);
  const out: number[] = [];
  for (let i = 0; i < graph.nodes.length && out.length < limit; i++) {
    const n = graph.nodes[i];
    if (hit(n.name) || hit(n.id) || hit(n.opType) || n.foldedNodes?.some(hit) || n.body?.branches.some((b) => b.ops.some((o) => hit(o.name)))) out.push(i);
  }
  return out;
}

/** Resizes a limits array to `devices`, new devices taking the last known limit. */
export function resizeLimits(limits: number[], devices: number, fallback: number): number[] {
  const out = limits.slice(0, devices);
  while (out.length < devices) out.push(out.length ? out[out.length - 1] : fallback);
  return out;
}
