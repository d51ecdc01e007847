// Drawing the DAG with d3: one <g class="item node device-K [critical]" data-node-id> per visible op,
// one <g class="item group" data-group-id> per collapsed box (stacked device-mix bar, op count,
// memory), dashed frames for expanded groups, edges as three combined paths (same device, cross
// device, critical) so thousands of edges stay cheap to pan and zoom. Re-placing only recolours.
// The parts live in webview/dag/: geometry (sizes, edge paths, camera maths), scaffold (layers,
// events), items (building and moving items), colour (plan classes, marks, edges), zoom (pan/zoom).
import type { PlanView } from './model';
import { drawEdges, edgeCategories, recolourItems, restyle } from './dag/colour';
import { centreOnBoxCamera, clampCamera, fitCamera, fitWholeCamera, panToCamera, sceneEdgePaths, wholeScale, type Camera, type Size } from './dag/geometry';
import { createItemPlacer, drawFrames, drawItems, type ItemPlacer } from './dag/items';
import { createLayers, listenToItems, type DagLayers } from './dag/scaffold';
import type { DagCallbacks, DagScene, DagState } from './dag/types';
import { createPanZoom, type PanZoom } from './dag/zoom';

export { GROUP_SIZE, MIN_FIT_SCALE, NODE_SIZE } from './dag/geometry';
export type { DagCallbacks, DagScene } from './dag/types';

export interface DagView {
  render(scene: DagScene, pv: PlanView, devices: number): void;
  recolour(pv: PlanView, devices: number): void;
  setShowCritical(on: boolean): void;
  setHover(itemId: string | null): void;
  setSelected(itemId: string | null): void;
  /** Marks the search matches; `current` (the one shown) is marked apart. */
  setMatches(itemIds: Set<string>, current?: string | null): void;
  fit(): void;
  /** The whole drawn graph in the pane, however small (the Fit button, after collapsing). */
  fitWhole(): void;
  /** The scale at which the whole drawn graph fits the pane. */
  wholeScale(): number;
  /** Drawn item boxes (scene coordinates) and the scene's size, for the overview. */
  sceneBoxes(): { boxes: Map<string, { x: number; y: number; width: number; height: number }>; width: number; height: number } | null;
  /** The pane's size in CSS pixels. */
  viewportSize(): { width: number; height: number };
  /** Pans so that the scene point (x, y) is in the middle of the pane (zoom unchanged). */
  panTo(x: number, y: number): void;
  /** True once the user panned or zoomed (then a late layout does not re-fit under them). */
  userMoved(): boolean;
  centerOn(itemId: string): void;
  /** For benchmarks: apply a zoom transform programmatically. */
  zoomBy(k: number, dx: number, dy: number): void;
  itemElement(itemId: string): SVGGElement | null;
  /** The current zoom/pan transform. */
  transform(): { k: number; x: number; y: number };
  /** Restores a saved transform (counts as the user's: a late layout does not re-fit over it). */
  setTransform(t: { k: number; x: number; y: number }): void;
}

/** What the view's parts share: its state, its DOM, its camera. */
interface DagParts {
  hostEl: HTMLElement;
  state: DagState;
  layers: DagLayers;
  placer: ItemPlacer;
  panZoom: PanZoom;
}

/**
 * `host` is a plain <div>: the scene is an <svg> inside it moved with a CSS transform on its own
 * compositor layer. Pan/zoom then never re-lays out or repaints thousands of SVG elements (a
 * `transform` attribute on an SVG <g> forces SVG layout of the subtree every frame).
 *
 * Inside the scene nothing has a `transform`: items and frames carry absolute x/y on their
 * rects and texts. Each transformed <g> is a paint property node of its own, so one per item made
 * ~2k paint chunks, and Chromium re-layerizes every chunk on every frame whose scale changes and
 * on every repaint (trace: PaintArtifactCompositor::Update 70 ms a frame at 2k nodes, zoom frames
 * 67 ms median; without the per-item transforms: 17 ms).
 */
export function createDagView(hostEl: HTMLElement, cb: DagCallbacks): DagView {
  // The host <div> carries the view's classes (lod-low, show-critical) and the event listeners.
  const layers = createLayers(hostEl);
  const panZoom = createPanZoom(hostEl, layers.sceneSvg.node()!, cb.onTransform);
  listenToItems(hostEl, cb);
  const state: DagState = {
    scene: null,
    edgePaths: [],
    showCritical: true,
    colouring: null,
    marks: { hover: null, selected: null, matches: new Set(), current: null },
    elements: new Map(),
  };
  const parts: DagParts = { hostEl, state, layers, placer: createItemPlacer(), panZoom };
  return { ...drawing(parts), ...marking(parts), ...camera(parts) };
}

/** Drawing a scene and colouring it by a plan. */
function drawing(p: DagParts): Pick<DagView, 'render' | 'recolour' | 'setShowCritical' | 'sceneBoxes' | 'itemElement'> {
  const { state, layers } = p;
  function recolour(pv: PlanView, devices: number): void {
    state.colouring = { pv, devices };
    const s = state.scene;
    if (!s) return;
    recolourItems(state, s, pv, devices, p.placer);
    drawEdges(layers.edges, edgeCategories(s.edges, state.edgePaths, pv, state.showCritical));
  }
  return {
    render(s, pv, devices) {
      state.scene = s;
      state.elements.clear();
      drawFrames(layers.frames, s);
      drawItems(layers.items, s, state.elements, p.placer);
      state.edgePaths = sceneEdgePaths(s);
      layers.sceneSvg.attr('width', Math.ceil(s.layout.width + 20)).attr('height', Math.ceil(s.layout.height + 20));
      recolour(pv, devices);
    },
    recolour,
    setShowCritical(on) {
      state.showCritical = on;
      p.hostEl.classList.toggle('show-critical', on);
      if (state.colouring) recolour(state.colouring.pv, state.colouring.devices);
    },
    sceneBoxes: () => (state.scene ? { boxes: state.scene.layout.boxes, width: state.scene.layout.width, height: state.scene.layout.height } : null),
    itemElement: (id) => state.elements.get(id) ?? null,
  };
}

/** Hover, selection and search marks: hover and selection touch a handful of elements, not the scene. */
function marking(p: DagParts): Pick<DagView, 'setHover' | 'setSelected' | 'setMatches'> {
  const { marks, elements } = p.state;
  const restyleItems = (ids: (string | null)[]): void => {
    for (const id of ids) {
      const el = id ? elements.get(id) : undefined;
      if (el) restyle(marks, id!, el);
    }
  };
  return {
    setHover(id) {
      const prev = marks.hover;
      marks.hover = id;
      restyleItems([prev, id]);
    },
    setSelected(id) {
      const prev = marks.selected;
      marks.selected = id;
      restyleItems([prev, id]);
    },
    setMatches(ids, current = null) {
      marks.matches = ids;
      marks.current = current;
      // Matches come and go by the hundred: restyle every drawn item.
      for (const [id, el] of elements) restyle(marks, id, el);
    },
  };
}

/** Fit, centre, pan and the transform, on the pane's size (800 × 600 before it has one). */
function camera(
  p: DagParts,
): Pick<DagView, 'fit' | 'fitWhole' | 'wholeScale' | 'viewportSize' | 'panTo' | 'userMoved' | 'centerOn' | 'zoomBy' | 'transform' | 'setTransform'> {
  const { panZoom, state } = p;
  const pane = (): Size => ({ width: p.hostEl.clientWidth || 800, height: p.hostEl.clientHeight || 600 });
  const moveFor = (to: (layout: Size, pane: Size) => Camera) => () => {
    if (state.scene) panZoom.moveTo(to(state.scene.layout, pane()));
  };
  return {
    fit: moveFor(fitCamera),
    fitWhole: moveFor(fitWholeCamera),
    wholeScale: () => (state.scene ? wholeScale(state.scene.layout, pane()) : 1),
    viewportSize: pane,
    panTo: (x, y) => panZoom.moveTo(panToCamera(x, y, panZoom.camera().k, pane())),
    userMoved: () => panZoom.userMoved(),
    centerOn(id) {
      const b = state.scene?.layout.boxes.get(id);
      if (b) panZoom.moveTo(centreOnBoxCamera(b, pane()));
    },
    zoomBy(k, dx, dy) {
      panZoom.scaleBy(k);
      panZoom.translateBy(dx, dy);
    },
    transform: () => panZoom.camera(),
    setTransform: (t) => panZoom.moveTo(clampCamera(t), true),
  };
}
