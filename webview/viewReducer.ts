// The viewer's state and the one function that changes it: `reduceView(state, event) → state`.
// Pure, no DOM (runs in Node tests): what the user did or the host sent goes in as an event, the
// new state comes out, and `app.ts` draws the difference. A field that did not change keeps its
// identity (the same Set, the same PlanView), so the wiring compares with `!==` to know what to redraw.
import type { OpGraph } from '../algorithms/graph';
import type { Plan, PlacementOptions } from '../algorithms/plan';
import {
  ancestorsOf,
  autoExpand,
  BODY_PREFIX,
  bodyOfScope,
  buildGroupTree,
  DEFAULT_TREE_OPTIONS,
  hasBodyOps,
  planView,
  searchNodes,
  type GroupBy,
  type GroupTree,
  type PlanView,
} from './model';
import { restoreExpanded, type PersistedViewerState } from './viewState';
import type { PipelinePlan } from '../algorithms/pipeline/types';
import { pipelineView } from './pipelineModel';
import type { ObjectiveChoice } from './placementHost';
import { DEFAULT_PIPELINE_CONTROLS, type InitMessage, type Objective, type WirePlan } from './protocol';
import { decodePlan, isWirePlanForm } from './planWire';
import { pushAll } from '../algorithms/arrays';

/** Items visible at first paint: small graphs open fully, big ones as an overview of boxes. */
export const INITIAL_VISIBLE_BUDGET = 400;
export const INITIAL_VISIBLE_BUDGET_BIG = 250;

export interface ViewModel {
  graph: OpGraph;
  /** Op id → index into graph.nodes. */
  idx: Map<string, number>;
  groupBy: GroupBy;
  tree: GroupTree;
  /** Expanded group ids (the root included). Replaced, never mutated, when it changes. */
  expanded: ReadonlySet<string>;
  plan: Plan | null;
  /** The options `plan` was made with. */
  options: PlacementOptions;
  /** The options and batch size the user chose last (persisted even before their plan arrives). */
  chosenOptions: PlacementOptions;
  chosenBatch: number | undefined;
  /** The symbolic dims the user set (NAME=VALUE), persisted so a restored view re-loads with them. */
  chosenDims: string[] | undefined;
  /** What is drawn: a placement (latency) or a pipeline (throughput, issue 14). */
  objective: Objective;
  /** The pipeline plan throughput mode draws (null: none yet). */
  pipeline: PipelinePlan | null;
  /** The objective and pipeline knobs the user chose last (the controls' state; persisted). */
  chosenChoice: ObjectiveChoice;
  /** The colouring drawn: planView of `plan`, or pipelineView of `pipeline` in throughput mode. */
  pv: PlanView;
  showCritical: boolean;
  selected: number | null;
  query: string;
  /** Node indices matching `query`, topological order; `matchCursor` is the one shown. */
  matches: number[];
  matchCursor: number;
  /** Device whose memory is drawn in the memory panel. */
  memDevice: number;
  /** The user's timeline height (dragged), or undefined for one lane pair per device. */
  timelineHeight: number | undefined;
  error: string | null;
}

export type ViewEvent =
  | { type: 'toggleGroup'; id: string }
  | { type: 'expand'; id: string }
  | { type: 'expandAll'; maxVisible: number }
  | { type: 'collapseAll' }
  | { type: 'groupBy'; groupBy: GroupBy }
  | { type: 'select'; node: number | null }
  /** Expand the groups that hide this node. */
  | { type: 'reveal'; node: number }
  | { type: 'search'; query: string }
  | { type: 'nextMatch' }
  | { type: 'choose'; options: PlacementOptions; batchSize?: number; choice?: ObjectiveChoice; dims?: string[] }
  /** A wire plan (the VS Code host's message) is decoded over the event's graph, else the held one. */
  | { type: 'plan'; plan: Plan | WirePlan; options: PlacementOptions; graph?: OpGraph }
  | { type: 'pipeline'; pipeline: PipelinePlan; options: PlacementOptions; pipelineControls: ObjectiveChoice['pipelineControls']; graph?: OpGraph }
  | { type: 'error'; message: string }
  | { type: 'memDevice'; device: number }
  | { type: 'showCritical'; on: boolean }
  | { type: 'timelineHeight'; px: number | undefined };

export interface InitialView {
  graph: OpGraph;
  plan: Plan | null;
  options: PlacementOptions;
  chosenOptions?: PlacementOptions;
  chosenBatch?: number;
  chosenDims?: string[];
  groupBy?: GroupBy;
  /** Saved expanded groups; ids that no longer exist are dropped, none left → the default. */
  expanded?: string[];
  showCritical?: boolean;
  selectedId?: string | null;
  timelineHeight?: number;
  /** Throughput mode: the drawn objective (default: throughput when a pipeline plan is given). */
  objective?: Objective;
  pipeline?: PipelinePlan | null;
  /** The knobs of `pipeline` (or the host's defaults) and the user's saved choice, if any. */
  choice?: ObjectiveChoice;
  chosenChoice?: ObjectiveChoice;
}

export function indexOf(graph: OpGraph): Map<string, number> {
  const idx = new Map<string, number>();
  graph.nodes.forEach((n, i) => idx.set(n.id, i));
  return idx;
}

export function treeOf(graph: OpGraph, groupBy: GroupBy): GroupTree {
  return buildGroupTree(graph, { ...DEFAULT_TREE_OPTIONS, groupBy });
}

export function defaultExpansion(tree: GroupTree, nodeCount: number): Set<string> {
  // Big graphs open with fewer items: ELK's time grows faster than linearly in a scope's size.
  return autoExpand(tree, nodeCount > 5000 ? INITIAL_VISIBLE_BUDGET_BIG : INITIAL_VISIBLE_BUDGET);
}

/**
 * Saved expanded ids that still apply: groups (their ancestors too), else the default expansion;
 * plus the If/Loop/Scan bodies whose ops still have one (they are not groups of the tree).
 */
function restoredExpansion(saved: string[] | undefined, graph: OpGraph, idx: Map<string, number>, tree: GroupTree): Set<string> {
  const expanded = restoreExpanded(saved, tree.groups, tree.root) ?? defaultExpansion(tree, graph.nodes.length);
  for (const id of saved ?? []) {
    if (!id.startsWith(BODY_PREFIX)) continue;
    const i = idx.get(id.slice(BODY_PREFIX.length));
    if (i !== undefined && hasBodyOps(graph.nodes[i].body)) expanded.add(id);
  }
  return expanded;
}

/**
 * The first state's input: the host's init message, where what the view looked like before the
 * webview was reloaded (window reload, hidden tab shown again, new graph) — the user's options,
 * batch, dims, objective, expanded groups… — wins over the defaults.
 */
export function initialViewFrom(init: InitMessage, saved: PersistedViewerState | null): InitialView {
  const view = saved?.view ?? {};
  return {
    graph: init.graph,
    plan: init.plan,
    options: init.options,
    chosenOptions: saved?.options,
    chosenBatch: saved?.batchSize ?? init.batchSize,
    chosenDims: saved?.dims,
    groupBy: view.groupBy,
    expanded: view.expanded,
    showCritical: view.showCritical,
    selectedId: view.selected,
    timelineHeight: view.timelineHeight,
    objective: init.objective,
    pipeline: init.pipelinePlan ?? null,
    ...(init.pipelineControls
      ? { choice: { objective: init.objective ?? (init.pipelinePlan ? 'throughput' : 'latency'), pipelineControls: init.pipelineControls } }
      : {}),
    ...(saved?.objective && saved.pipelineControls ? { chosenChoice: { objective: saved.objective, pipelineControls: saved.pipelineControls } } : {}),
  };
}

export function initialView(init: InitialView): ViewModel {
  const { graph } = init;
  const idx = indexOf(graph);
  const groupBy = init.groupBy ?? 'namespace';
  const tree = treeOf(graph, groupBy);
  const pipeline = init.pipeline ?? null;
  const objective: Objective = init.objective ?? (pipeline ? 'throughput' : 'latency');
  const choice: ObjectiveChoice = init.choice ?? {
    objective,
    pipelineControls: pipeline ? { split: pipeline.split, microbatches: pipeline.microbatches, schedule: pipeline.schedule } : { ...DEFAULT_PIPELINE_CONTROLS },
  };
  return {
    graph,
    idx,
    groupBy,
    tree,
    expanded: restoredExpansion(init.expanded, graph, idx, tree),
    plan: init.plan,
    options: init.options,
    chosenOptions: init.chosenOptions ?? init.options,
    chosenBatch: init.chosenBatch,
    chosenDims: init.chosenDims,
    objective,
    pipeline,
    chosenChoice: init.chosenChoice ?? { ...choice, objective },
    pv: objective === 'throughput' ? pipelineView(graph, pipeline, idx) : planView(graph, init.plan, idx),
    showCritical: init.showCritical ?? true,
    selected: init.selectedId ? (idx.get(init.selectedId) ?? null) : null,
    query: '',
    matches: [],
    matchCursor: 0,
    memDevice: 0,
    timelineHeight: init.timelineHeight,
    error: null,
  };
}

/** Same ops and edges in the same order: only costs changed, so the layout stays valid. */
export function sameStructure(a: OpGraph, b: OpGraph): boolean {
  if (a.nodes.length !== b.nodes.length || a.edges.length !== b.edges.length) return false;
  for (let i = 0; i < a.nodes.length; i++) if (a.nodes[i].id !== b.nodes[i].id) return false;
  for (let k = 0; k < a.edges.length; k++) if (a.edges[k].from !== b.edges[k].from || a.edges[k].to !== b.edges[k].to) return false;
  return true;
}

/** `expanded` plus every group hiding node i (the same set when none hides it). */
function withAncestors(s: ViewModel, i: number | undefined): ReadonlySet<string> {
  if (i === undefined) return s.expanded;
  const missing = ancestorsOf(s.tree, i).filter((g) => !s.expanded.has(g));
  return missing.length ? new Set([...s.expanded, ...missing]) : s.expanded;
}

/** A group and every group inside it. */
function subtree(tree: GroupTree, gid: string): string[] {
  const out: string[] = [];
  const stack = [gid];
  while (stack.length) {
    const g = stack.pop()!;
    out.push(g);
    pushAll(stack, tree.groups.get(g)?.groups ?? []);
  }
  return out;
}

/**
 * A new graph (the file changed on disk, another batch size or dtype changed the ops): new groups,
 * same view where it still applies — the expanded groups and the selection whose ids still exist.
 */
function adoptGraph(s: ViewModel, next: OpGraph): ViewModel {
  const idx = indexOf(next);
  const tree = treeOf(next, s.groupBy);
  const selectedId = s.selected === null ? null : s.graph.nodes[s.selected].id;
  return {
    ...s,
    graph: next,
    idx,
    tree,
    expanded: restoredExpansion([...s.expanded], next, idx, tree),
    selected: selectedId === null ? null : (idx.get(selectedId) ?? null),
    matches: [],
    matchCursor: 0,
  };
}

/** A pipeline plan arrived: throughput mode draws it, stages in place of devices. */
function withPipeline(s: ViewModel, pipeline: PipelinePlan, options: PlacementOptions, pipelineControls: ObjectiveChoice['pipelineControls']): ViewModel {
  return {
    ...s,
    objective: 'throughput',
    pipeline,
    options,
    chosenOptions: options,
    chosenChoice: { objective: 'throughput', pipelineControls },
    error: null,
    pv: pipelineView(s.graph, pipeline, s.idx),
    memDevice: s.memDevice >= pipeline.stages.length ? 0 : s.memDevice,
  };
}

/** The graph the event brings, adopted (same structure: only costs changed, the layout and group tree stay). */
function withGraph(s: ViewModel, graph: OpGraph | undefined): ViewModel {
  if (!graph || graph === s.graph) return s;
  return sameStructure(s.graph, graph) ? { ...s, graph } : adoptGraph(s, graph);
}

function withPlan(s: ViewModel, plan: Plan, options: PlacementOptions): ViewModel {
  return {
    ...s,
    objective: 'latency',
    chosenChoice: { ...s.chosenChoice, objective: 'latency' },
    plan,
    options,
    chosenOptions: options,
    error: null,
    pv: planView(s.graph, plan, s.idx),
    memDevice: s.memDevice >= plan.devices.length ? 0 : s.memDevice,
  };
}

/** Expands or collapses an If/Loop/Scan op's body (`body:<op id>`, or one of its If branches: the whole body). */
function toggleBody(s: ViewModel, id: string): ViewModel {
  const body = bodyOfScope(id);
  const i = s.idx.get(body.slice(BODY_PREFIX.length));
  if (i === undefined || !hasBodyOps(s.graph.nodes[i].body)) return s;
  const expanded = new Set(s.expanded);
  if (!expanded.delete(body)) expanded.add(body);
  return { ...s, expanded };
}

export function reduceView(s: ViewModel, ev: ViewEvent): ViewModel {
  switch (ev.type) {
    case 'toggleGroup': {
      if (ev.id.startsWith(BODY_PREFIX)) return toggleBody(s, ev.id);
      if (!s.tree.groups.has(ev.id)) return s;
      const expanded = new Set(s.expanded);
      // Collapsing a group collapses everything inside it.
      if (expanded.has(ev.id)) for (const g of subtree(s.tree, ev.id)) expanded.delete(g);
      else expanded.add(ev.id);
      return { ...s, expanded };
    }
    case 'expand':
      return s.expanded.has(ev.id) || !s.tree.groups.has(ev.id) ? s : { ...s, expanded: new Set([...s.expanded, ev.id]) };
    case 'expandAll':
      return { ...s, expanded: autoExpand(s.tree, ev.maxVisible) };
    case 'collapseAll':
      return { ...s, expanded: new Set([s.tree.root]) };
    case 'groupBy': {
      if (ev.groupBy === s.groupBy) return s;
      const tree = treeOf(s.graph, ev.groupBy);
      return { ...s, groupBy: ev.groupBy, tree, expanded: defaultExpansion(tree, s.graph.nodes.length) };
    }
    case 'select':
      return ev.node === s.selected ? s : { ...s, selected: ev.node };
    case 'reveal':
      return { ...s, expanded: withAncestors(s, ev.node) };
    case 'search': {
      const matches = searchNodes(s.graph, ev.query);
      return { ...s, query: ev.query, matches, matchCursor: 0, expanded: withAncestors(s, matches[0]) };
    }
    case 'nextMatch': {
      if (!s.matches.length) return s;
      const matchCursor = (s.matchCursor + 1) % s.matches.length;
      return { ...s, matchCursor, expanded: withAncestors(s, s.matches[matchCursor]) };
    }
    case 'choose':
      return {
        ...s,
        chosenOptions: ev.options,
        chosenBatch: ev.batchSize ?? s.chosenBatch,
        chosenDims: ev.dims ?? s.chosenDims,
        chosenChoice: ev.choice ?? s.chosenChoice,
      };
    case 'plan': {
      const g = withGraph(s, ev.graph);
      if (!isWirePlanForm(ev.plan)) return withPlan(g, ev.plan, ev.options);
      const decoded = decodePlan(ev.plan, g.graph, g.idx);
      return 'problem' in decoded ? { ...s, error: `cannot show the new plan: ${decoded.problem}` } : withPlan(g, decoded.plan, ev.options);
    }
    case 'pipeline':
      return withPipeline(withGraph(s, ev.graph), ev.pipeline, ev.options, ev.pipelineControls);
    case 'error':
      return { ...s, error: ev.message };
    case 'memDevice':
      return ev.device === s.memDevice ? s : { ...s, memDevice: ev.device };
    case 'showCritical':
      return ev.on === s.showCritical ? s : { ...s, showCritical: ev.on };
    case 'timelineHeight':
      return { ...s, timelineHeight: ev.px };
  }
}

/** Devices the drawing colours: the plan's, or in throughput mode the pipeline's stages (the options' count until one arrives). */
export function drawnDevices(s: ViewModel): number {
  return s.objective === 'throughput' ? s.pipeline?.stages.length || s.options.devices : (s.plan?.devices.length ?? s.options.devices);
}

/** Events after which the new layout is fitted to the pane (a new overview, not a local change). */
const FITTING_EVENTS = new Set<ViewEvent['type']>(['collapseAll', 'groupBy', 'expandAll']);

/** What an event changed, as the views need to know it: each flag is one redraw (or the layout). */
export interface ViewChanges {
  /** The group tree or the expanded groups changed: a new layout. */
  relayout: boolean;
  /** Fit that new layout to the pane (collapse all, group by, expand all). */
  fit: boolean;
  graph: boolean;
  /** A new plan, pipeline or objective: the panels and the colours. */
  plan: boolean;
  /** The DAG recolours in place; with a new tree the next layout draws the colours. */
  recolourDag: boolean;
  showCritical: boolean;
  memDevice: boolean;
  timelineHeight: boolean;
  /** The selected op (or the graph it indexes) changed: the DAG mark and the details pane. */
  selection: boolean;
  /** The "N found" text (the matches or the one shown changed). */
  matchCount: boolean;
  /** The matches were dropped (a new graph): unmark them now, no layout will. */
  matchesCleared: boolean;
  /** Search or next match: centre the match once the layout that reveals it is drawn. */
  showMatch: boolean;
}

/** The difference `reduceView` made (fields keep their identity when unchanged, so `!==` says it). */
export function viewChanges(prev: ViewModel, next: ViewModel, ev: ViewEvent): ViewChanges {
  const relayout = next.tree !== prev.tree || next.expanded !== prev.expanded;
  const graph = next.graph !== prev.graph;
  const matches = next.matches !== prev.matches;
  return {
    relayout,
    fit: relayout && FITTING_EVENTS.has(ev.type),
    graph,
    plan: next.plan !== prev.plan || next.pipeline !== prev.pipeline || next.objective !== prev.objective,
    recolourDag: next.tree === prev.tree,
    showCritical: next.showCritical !== prev.showCritical,
    memDevice: next.memDevice !== prev.memDevice,
    timelineHeight: next.timelineHeight !== prev.timelineHeight,
    selection: next.selected !== prev.selected || graph,
    matchCount: matches || next.matchCursor !== prev.matchCursor,
    matchesCleared: matches && !next.matches.length,
    showMatch: ev.type === 'search' || ev.type === 'nextMatch',
  };
}
