// What the DAG layout is asked for and what it draws, from the state: the layout scopes of the
// visible graph (each expanded group or body with its children and edges), the scene handed to the
// DAG view, and how far Fit collapses. Pure: state in → layout input / scene out.
import { GROUP_SIZE, MIN_FIT_SCALE, NODE_SIZE, type DagScene } from './dag';
import { absoluteLayout, type LayoutScope, type ScopeResult } from './layoutCore';
import { bodyId, bodyLayoutScope, drawnEdges, scopeLayoutEdges, type VisibleGraph } from './model';
import type { ViewModel } from './viewReducer';

type LayoutState = Pick<ViewModel, 'graph' | 'tree' | 'idx'>;

/** One scope per expanded group or body of `v`: its child boxes (an expanded child is a nested scope) and its edges. */
export function layoutScopesFor(s: LayoutState, v: VisibleGraph): LayoutScope[] {
  const { graph, tree } = s;
  const edgesByScope = scopeLayoutEdges(graph, tree, v, s.idx);
  const scopeSet = new Set(v.scopes);
  const opChild = (i: number) => {
    const expandedBody = bodyId(graph.nodes[i].id);
    return scopeSet.has(expandedBody) ? { id: expandedBody, isScope: true } : { id: graph.nodes[i].id, width: NODE_SIZE.width, height: NODE_SIZE.height };
  };
  const groupChild = (cid: string) => (scopeSet.has(cid) ? { id: cid, isScope: true } : { id: cid, width: GROUP_SIZE.width, height: GROUP_SIZE.height });
  return v.scopes.map((scope) => {
    const body = v.bodyScopes.get(scope);
    if (body) return bodyLayoutScope(graph, body, NODE_SIZE);
    const g = tree.groups.get(scope)!;
    return { scope, children: [...g.groups.map(groupChild), ...g.nodes.map(opChild)], edges: edgesByScope.get(scope) ?? [] };
  });
}

/** The DAG view's scene: the scopes' results placed absolutely, and the edges drawn between the visible items. */
export function sceneOf(s: LayoutState, vis: VisibleGraph, scopes: LayoutScope[], results: Record<string, ScopeResult>): DagScene {
  const layout = absoluteLayout(s.tree.root, scopes, results);
  return { graph: s.graph, tree: s.tree, vis, layout, scopes, results, edges: drawnEdges(s.graph, vis, s.idx) };
}

/**
 * Fit's next collapse: the visible items that would be readable (MIN_FIT_SCALE) in the pane where
 * `items` fit at scale `whole`, or null when the graph already reads (or no collapse would help).
 */
export function fitBudget(items: number, whole: number): number | null {
  if (whole >= MIN_FIT_SCALE) return null;
  // Items that fit at a readable scale grow with the area: (whole / readable)².
  const budget = Math.floor(items * (whole / MIN_FIT_SCALE) ** 2);
  return budget < 1 || budget >= items ? null : budget;
}
