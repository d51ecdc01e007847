// What the DAG view is given to draw and the state it keeps between calls, in one place so the
// drawing, colouring and camera modules of webview/dag/ share one vocabulary.
import type { OpGraph } from '../../algorithms/graph';
import type { AbsoluteLayout, LayoutScope, ScopeResult } from '../layoutCore';
import type { DrawnEdge, GroupTree, PlanView, VisibleGraph } from '../model';

export interface DagScene {
  graph: OpGraph;
  tree: GroupTree;
  vis: VisibleGraph;
  layout: AbsoluteLayout;
  scopes: LayoutScope[];
  results: Record<string, ScopeResult>;
  edges: DrawnEdge[];
}

/** The marks an item carries over its plan colours (classes hover, selected, match, match-current). */
export interface ItemMarks {
  hover: string | null;
  selected: string | null;
  matches: Set<string>;
  /** The search match shown (marked apart from the other matches). */
  current: string | null;
}

/** Everything the DAG view changes after it is created (the pan/zoom state is the camera's). */
export interface DagState {
  scene: DagScene | null;
  /** Path data of each drawn edge, in scene.edges order (sceneEdgePaths), made once per layout. */
  edgePaths: string[];
  showCritical: boolean;
  /** The last plan colouring, re-applied when the critical-path toggle changes. */
  colouring: { pv: PlanView; devices: number } | null;
  marks: ItemMarks;
  /** The drawn <g class="item"> of each item id. */
  elements: Map<string, SVGGElement>;
}

export interface DagCallbacks {
  onHover(itemId: string | null, ev: MouseEvent | null): void;
  onClickNode(nodeIndex: number): void;
  onToggleGroup(groupId: string): void;
  onBackground(): void;
  /** The zoom/pan transform changed (user gesture, fit, centre…); the viewer persists it. */
  onTransform?(t: { k: number; x: number; y: number }): void;
}
