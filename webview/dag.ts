// Drawing the DAG with d3: one <g class="item node device-K [critical]" data-node-id> per visible op,
// one <g class="item group" data-group-id> per collapsed box (stacked device-mix bar, op count,
// memory), dashed frames for expanded groups, edges as three combined paths (same device, cross
// device, critical) so thousands of edges stay cheap to pan and zoom. Re-placing only recolours.
import { select, type Selection } from 'd3-selection';
import { zoom, zoomIdentity, zoomTransform, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import type { OpGraph } from '../algorithms/graph';
import { formatBytes } from '../algorithms/units';
import type { AbsoluteLayout, Box, LayoutScope, ScopeResult } from './layoutCore';
import type { DrawnEdge, GroupTree, PlanView, VisibleGraph } from './model';
import { bodyId, bodyItemOf, deviceMix, groupMemoryBytes, hasBodyOps } from './model';
import { displayText } from '../algorithms/text';

export const NODE_SIZE = { width: 150, height: 32 };
export const GROUP_SIZE = { width: 176, height: 56 };
/** Below this scale labels are hidden; fit never zooms further out than this unless the graph fits. */
export const MIN_FIT_SCALE = 0.3;
/** How far the DAG zooms out and in (also the clamp for a restored transform). */
const SCALE_EXTENT: [number, number] = [0.02, 4];

export interface DagCallbacks {
  onHover(itemId: string | null, ev: MouseEvent | null): void;
  onClickNode(nodeIndex: number): void;
  onToggleGroup(groupId: string): void;
  onBackground(): void;
  /** The zoom/pan transform changed (user gesture, fit, centre…); the viewer persists it. */
  onTransform?(t: { k: number; x: number; y: number }): void;
}

export interface DagScene {
  graph: OpGraph;
  tree: GroupTree;
  vis: VisibleGraph;
  layout: AbsoluteLayout;
  scopes: LayoutScope[];
  results: Record<string, ScopeResult>;
  edges: DrawnEdge[];
}

type Pt = [number, number];

/** Middle-ellipsis so both the start and the distinctive end of long names stay visible. */
export function truncate(text: string, max: number): string {
  const s = displayText(text); // an op name with a bidi override must not reorder the label
  if (s.length <= max) return s;
  const head = Math.ceil((max - 1) / 2);
  return s.slice(0, head) + '…' + s.slice(s.length - (max - 1 - head));
}

/** Polyline through points, or a vertical cubic from the source's bottom to the target's top. */
function edgePath(points: Pt[]): string {
  if (points.length === 2) {
    const [[x1, y1], [x2, y2]] = points;
    const my = (y1 + y2) / 2;
    return `M${x1.toFixed(1)},${y1.toFixed(1)}C${x1.toFixed(1)},${my.toFixed(1)} ${x2.toFixed(1)},${my.toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}`;
  }
  return 'M' + points.map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join('L');
}

const HEAVY_OPS = /^(conv|convtranspose|matmul|gemm|lstm|gru|rnn|attention|multiheadattention|einsum|linear|dense)/i;
const MOVE_OPS = /^(concat|split|reshape|transpose|flatten|squeeze|unsqueeze|gather|slice|pad|expand|identity|shape|cast|tile)/i;

/** Shape by op kind: square = compute-heavy (conv/matmul), pill = data movement, rounded = the rest. */
export function cornerRadius(opType: string): number {
  if (HEAVY_OPS.test(opType)) return 0;
  if (MOVE_OPS.test(opType)) return NODE_SIZE.height / 2;
  return 4;
}

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
  const host = select(hostEl);
  const sceneSvg = host.append('svg').attr('class', 'scene').attr('width', 1).attr('height', 1);
  const sceneEl = sceneSvg.node()!;
  const viewport = sceneSvg.append('g').attr('class', 'viewport');
  const framesLayer = viewport.append('g').attr('class', 'frames');
  const edgeLayer = viewport.append('g').attr('class', 'edge-layer');
  const pathSame = edgeLayer.append('path').attr('class', 'edges same');
  const pathCross = edgeLayer.append('path').attr('class', 'edges cross');
  const pathCrit = edgeLayer.append('path').attr('class', 'edges critical');
  const itemLayer = viewport.append('g').attr('class', 'items');

  let scene: DagScene | null = null;
  let edgePoints: string[] = [];
  let showCritical = true;
  let lastPv: PlanView | null = null;
  let lastDevices = 1;
  let hoverId: string | null = null;
  let selectedId: string | null = null;
  let matchIds = new Set<string>();
  let currentMatch: string | null = null;
  const elements = new Map<string, SVGGElement>();
  /** Where each drawn item's box is (its children's coordinates are relative to it). */
  const itemOrigin = new WeakMap<SVGGElement, { x: number; y: number }>();
  /** Each child's position inside its item's box, so a moved box moves its children. */
  const localPos = new WeakMap<Element, readonly [number, number]>();

  const zoomer: ZoomBehavior<HTMLElement, unknown> = zoom<HTMLElement, unknown>()
    .scaleExtent(SCALE_EXTENT)
    .on('zoom', (ev: { transform: ZoomTransform; sourceEvent: unknown }) => {
      if (ev.sourceEvent) moved = true; // a user gesture, not fit()/centerOn()
      pendingTransform = ev.transform;
      cb.onTransform?.({ k: ev.transform.k, x: ev.transform.x, y: ev.transform.y });
      if (!zoomFrame) zoomFrame = requestAnimationFrame(applyTransform);
      // The compositor scales the layer's old raster while moving (fast, but blurry after a zoom);
      // once the motion stops, recreate the layer so it is rasterised sharp at the new scale.
      clearTimeout(sharpenTimer);
      sharpenTimer = setTimeout(() => {
        sceneEl.style.willChange = 'auto';
        requestAnimationFrame(() => requestAnimationFrame(() => (sceneEl.style.willChange = '')));
      }, 250);
    });
  let pendingTransform: ZoomTransform | null = null;
  let zoomFrame = 0;
  let moved = false;
  let sharpenTimer: ReturnType<typeof setTimeout> | undefined;
  // One DOM write per frame however many wheel/drag events arrive.
  function applyTransform(): void {
    zoomFrame = 0;
    if (!pendingTransform) return;
    const t = pendingTransform;
    sceneEl.style.transform = `translate(${t.x}px,${t.y}px) scale(${t.k})`;
    // Level of detail: labels are unreadable (and costly) when far out.
    const low = t.k < 0.45;
    if (hostEl.classList.contains('lod-low') !== low) hostEl.classList.toggle('lod-low', low);
    pendingTransform = null;
  }
  host.call(zoomer).on('dblclick.zoom', null);

  // Event delegation: one listener per kind for any number of items.
  const itemOf = (t: EventTarget | null): SVGGElement | null => (t instanceof Element ? t.closest<SVGGElement>('g.item') : null);
  hostEl.addEventListener('mouseover', (ev) => {
    const g = itemOf(ev.target);
    cb.onHover(g ? idOf(g) : null, ev);
  });
  hostEl.addEventListener('mousemove', (ev) => {
    const g = itemOf(ev.target);
    if (g) cb.onHover(idOf(g), ev);
  });
  hostEl.addEventListener('mouseleave', () => cb.onHover(null, null));
  hostEl.addEventListener('click', (ev) => {
    const t = ev.target as Element;
    // "▸ body" on an If/Loop/Scan op: expand it in place (the op's own click selects it).
    const bodyToggle = t.closest?.('text.body-toggle');
    if (bodyToggle) {
      cb.onToggleGroup(bodyId(itemOf(bodyToggle)!.getAttribute('data-node-id')!));
      return;
    }
    const frameTitle = t.closest?.('.scope-frame text');
    if (frameTitle) {
      cb.onToggleGroup((frameTitle.parentNode as Element).getAttribute('data-scope-id')!);
      return;
    }
    const g = itemOf(ev.target);
    if (!g) return cb.onBackground();
    const gid = g.getAttribute('data-group-id');
    if (gid) cb.onToggleGroup(gid);
    else cb.onClickNode(Number(g.getAttribute('data-index')));
  });

  function idOf(g: Element): string {
    return g.getAttribute('data-node-id') ?? g.getAttribute('data-group-id') ?? g.getAttribute('data-body-op')!;
  }

  function boxOf(id: string): Box | undefined {
    return scene?.layout.boxes.get(id);
  }

  /** Points of each drawn edge: the ELK route when both ends are siblings of one scope, else a curve. */
  function computeEdgePoints(s: DagScene): string[] {
    const scopeOfItem = new Map<string, string>();
    for (const sc of s.scopes) for (const c of sc.children) scopeOfItem.set(c.id, sc.scope);
    return s.edges.map((e) => {
      const a = boxOf(e.source);
      const b = boxOf(e.target);
      if (!a || !b) return '';
      const sa = scopeOfItem.get(e.source);
      if (sa && sa === scopeOfItem.get(e.target)) {
        const route = s.results[sa]?.routes[e.source + '\u0000' + e.target];
        const o = s.layout.origins.get(sa);
        if (route && o) return edgePath(route.map((p) => [p[0] + o.x, p[1] + o.y] as Pt));
      }
      return edgePath([
        [a.x + a.width / 2, a.y + a.height],
        [b.x + b.width / 2, b.y],
      ]);
    });
  }

  function render(s: DagScene, pv: PlanView, devices: number): void {
    scene = s;
    elements.clear();
    // Frames of expanded (non-root) groups, with a clickable title that collapses them.
    const frames = s.vis.scopes.filter((id) => id !== s.tree.root && s.layout.boxes.has(id));
    framesLayer
      .selectAll<SVGGElement, string>('g.scope-frame')
      .data(frames, (d) => d)
      .join((enter) => {
        const g = enter.append('g');
        g.append('rect').attr('rx', 4);
        g.append('text');
        return g;
      })
      .attr('class', (d) => (s.vis.bodyScopes.has(d) ? 'scope-frame body-frame' : 'scope-frame'))
      .attr('data-scope-id', (d) => d)
      .call((g) => {
        g.select('rect')
          .attr('x', (d) => boxOf(d)!.x)
          .attr('y', (d) => boxOf(d)!.y)
          .attr('width', (d) => boxOf(d)!.width)
          .attr('height', (d) => boxOf(d)!.height);
        g.select('text')
          .attr('x', (d) => boxOf(d)!.x + 6)
          .attr('y', (d) => boxOf(d)!.y + 15)
          .text((d) => `▾ ${truncate(s.tree.groups.get(d)?.label ?? s.vis.bodyScopes.get(d)?.label ?? d, Math.floor(boxOf(d)!.width / 6.5))}`);
      });

    const items = s.vis.items.filter((it) => s.layout.boxes.has(it.id));
    itemLayer
      .selectAll<SVGGElement, (typeof items)[number]>('g.item')
      .data(items, (d) => d.id)
      .join((enter) => enter.append('g'))
      .each(function (d) {
        const g = select(this);
        elements.set(d.id, this);
        // Content only depends on the item, not the layout: a moved item keeps it and moves it.
        if (g.attr('data-built') !== d.kind) {
          g.selectAll('*').remove();
          g.attr('data-built', d.kind);
          itemOrigin.set(this, { x: 0, y: 0 });
          if (d.kind === 'node') buildNode(g, s.graph, d.node!, d.id);
          else if (d.kind === 'body') buildBodyOp(g, s, d.id);
          else buildGroup(g, s, d.id);
        }
        placeItem(this, boxOf(d.id)!);
      });
    edgePoints = computeEdgePoints(s);
    sceneSvg.attr('width', Math.ceil(s.layout.width + 20)).attr('height', Math.ceil(s.layout.height + 20));
    recolour(pv, devices);
  }

  /** Puts a child at (lx, ly) inside its item's box. */
  function putAt<E extends Element>(el: E, item: SVGGElement, lx: number, ly: number): E {
    const o = itemOrigin.get(item) ?? { x: 0, y: 0 };
    localPos.set(el, [lx, ly]);
    el.setAttribute('x', String(o.x + lx));
    el.setAttribute('y', String(o.y + ly));
    return el;
  }

  /** Moves an item's drawn content to its box (absolute coordinates, no transform: see above). */
  function placeItem(g: SVGGElement, b: Box): void {
    const o = itemOrigin.get(g);
    if (o && o.x === b.x && o.y === b.y) return;
    itemOrigin.set(g, { x: b.x, y: b.y });
    for (const el of g.querySelectorAll('rect, text')) {
      const p = localPos.get(el);
      if (!p) continue;
      el.setAttribute('x', String(b.x + p[0]));
      el.setAttribute('y', String(b.y + p[1]));
    }
  }

  function buildNode(g: Selection<SVGGElement, unknown, null, undefined>, graph: OpGraph, i: number, id: string): void {
    const n = graph.nodes[i];
    g.attr('data-node-id', id).attr('data-index', i).attr('data-group-id', null);
    const rx = cornerRadius(n.opType);
    const x = rx > 8 ? 12 : 6; // keep labels inside a pill's rounded ends
    const el = g.node()!;
    putAt(g.append('rect').attr('width', NODE_SIZE.width).attr('height', NODE_SIZE.height).attr('rx', rx).node()!, el, 0, 0);
    putAt(g.append('text').attr('class', 'op').text(truncate(n.opType, 22)).node()!, el, x, 13);
    putAt(
      g
        .append('text')
        .attr('class', 'name')
        .text(truncate(n.name, 24 - (x > 6 ? 1 : 0)))
        .node()!,
      el,
      x,
      26,
    );
    // An If/Loop/Scan op: its body can be shown in place (a frame of its ops; still one placed op).
    if (hasBodyOps(n.body)) {
      const ops = n.body.branches.reduce((sum, b) => sum + b.ops.length, 0);
      putAt(g.append('text').attr('class', 'body-toggle').attr('text-anchor', 'end').text(`▸ body (${ops})`).node()!, el, NODE_SIZE.width - 6, 13);
    }
  }

  /** An op inside an expanded body: drawn like an op, in its control-flow op's colour; a click selects that op. */
  function buildBodyOp(g: Selection<SVGGElement, unknown, null, undefined>, s: DagScene, id: string): void {
    const { scope, op: k } = bodyItemOf(s.vis, id)!;
    const op = s.graph.nodes[scope.owner].body!.branches[scope.branch!].ops[k];
    g.attr('data-body-op', id).attr('data-index', scope.owner).attr('data-node-id', null).attr('data-group-id', null);
    const rx = cornerRadius(op.opType);
    const x = rx > 8 ? 12 : 6;
    const el = g.node()!;
    putAt(g.append('rect').attr('width', NODE_SIZE.width).attr('height', NODE_SIZE.height).attr('rx', rx).node()!, el, 0, 0);
    putAt(g.append('text').attr('class', 'op').text(truncate(op.opType, 22)).node()!, el, x, 13);
    putAt(g.append('text').attr('class', 'name').text(truncate(op.name, 23)).node()!, el, x, 26);
  }

  function buildGroup(g: Selection<SVGGElement, unknown, null, undefined>, s: DagScene, gid: string): void {
    const grp = s.tree.groups.get(gid)!;
    g.attr('data-group-id', gid).attr('data-node-id', null).attr('data-members', grp.members.length);
    const el = g.node()!;
    putAt(g.append('rect').attr('class', 'box').attr('width', GROUP_SIZE.width).attr('height', GROUP_SIZE.height).attr('rx', 5).node()!, el, 0, 0);
    // "first … last": both ends stay readable (truncating the whole would drop the last op).
    const [a, b] = grp.label.split(' … ');
    const label = b === undefined ? truncate(grp.label, 25) : `${truncate(a, 11)} … ${truncate(b, 11)}`;
    putAt(g.append('text').text(`▸ ${label}`).node()!, el, 8, 15);
    g.append('title').text(grp.label);
    putAt(
      g
        .append('text')
        .attr('class', 'sub')
        .text(`${grp.members.length} ops · ${formatBytes(groupMemoryBytes(s.graph, grp.members))}`)
        .node()!,
      el,
      8,
      30,
    );
    g.append('g').attr('class', 'mix'); // its bar segments are placed by drawMix
  }

  function recolour(pv: PlanView, devices: number): void {
    lastPv = pv;
    lastDevices = devices;
    if (!scene) return;
    const s = scene;
    for (const it of s.vis.items) {
      const el = elements.get(it.id);
      if (!el) continue;
      if (it.kind === 'body') {
        // Read-only: the body runs where its op runs.
        const d = pv.deviceOf[it.node!];
        el.setAttribute('class', `item node body-op ${d >= 0 ? `${pv.colourBy ?? 'device'}-${d}` : 'unplaced'}` + stateClasses(it.id));
      } else if (it.kind === 'node') {
        const d = pv.deviceOf[it.node!];
        let cls = `item node ${d >= 0 ? `${pv.colourBy ?? 'device'}-${d}` : 'unplaced'}`;
        if (pv.critical[it.node!]) cls += ' critical';
        if (pv.failed[it.node!]) cls += ' failed';
        setClass(el, cls + stateClasses(it.id));
      } else {
        const grp = s.tree.groups.get(it.id)!;
        let crit = false;
        let failed = false;
        for (const m of grp.members) {
          if (pv.critical[m]) crit = true;
          if (pv.failed[m]) failed = true;
        }
        setClass(el, `item group${crit && showCritical ? ' critical' : ''}${failed ? ' failed' : ''}` + stateClasses(it.id));
        drawMix(el, deviceMix(grp.members, pv.deviceOf, devices), grp.members.length, pv.colourBy ?? 'device');
      }
    }
    // Edge categories: critical wins over cross-device, cross over same-device.
    const same: string[] = [];
    const cross: string[] = [];
    const crit: string[] = [];
    s.edges.forEach((e, k) => {
      const p = edgePoints[k];
      if (!p) return;
      let isCross = false;
      let isCrit = false;
      for (const ge of e.edges) {
        if (pv.crossEdge[ge]) isCross = true;
        if (pv.criticalEdge[ge]) isCrit = true;
      }
      if (isCrit && showCritical) crit.push(p);
      else if (isCross) cross.push(p);
      else same.push(p);
    });
    setPath(pathSame.node()!, same.join(''));
    setPath(pathCross.node()!, cross.join(''));
    setPath(pathCrit.node()!, crit.join(''));
  }

  // A re-place often leaves most items as they were: writing only what changed keeps the
  // browser's style recalc to those (bench/README.md, "Re-place in the extension").
  function setClass(el: Element, cls: string): void {
    if (el.getAttribute('class') !== cls) el.setAttribute('class', cls);
  }

  function setPath(el: SVGPathElement, d: string): void {
    if (el.getAttribute('d') !== d) el.setAttribute('d', d);
  }

  function stateClasses(id: string): string {
    return (
      (id === hoverId ? ' hover' : '') +
      (id === selectedId ? ' selected' : '') +
      (matchIds.has(id) ? ' match' : '') +
      (id === currentMatch ? ' match-current' : '')
    );
  }

  function drawMix(el: SVGGElement, mix: number[], total: number, colourBy: 'device' | 'stage'): void {
    const width = GROUP_SIZE.width - 16;
    const bar = select(el).select<SVGGElement>('g.mix');
    // The bar's data, kept on it: a rebuilt item has a new, unmarked bar.
    const key = `${colourBy} ${mix.join(' ')}`;
    if (bar.attr('data-mix') === key) return;
    bar.attr('data-mix', key);
    const segs: { d: number; x: number; w: number }[] = [];
    let x = 0;
    mix.forEach((c, d) => {
      if (!c) return;
      const w = (c / Math.max(1, total)) * width;
      segs.push({ d: d === mix.length - 1 ? -1 : d, x, w });
      x += w;
    });
    bar
      .selectAll<SVGRectElement, (typeof segs)[number]>('rect')
      .data(segs)
      .join('rect')
      .attr('class', (s) => (s.d >= 0 ? `${colourBy}-${s.d}` : 'unplaced'))
      .each(function (s) {
        putAt(this, el, 8 + s.x, GROUP_SIZE.height - 16);
      })
      .attr('width', (s) => Math.max(0.5, s.w))
      .attr('height', 8)
      .style('fill', (s) => (s.d >= 0 ? 'var(--dev-fill)' : 'var(--vscode-disabledForeground, #888)'));
  }

  /** Re-applies the hover/selected/match classes of one item over its device classes. */
  function restyle(id: string, el: SVGGElement): void {
    const base = (el.getAttribute('class') ?? '').replace(/ (hover|selected|match-current|match)\b/g, '');
    el.setAttribute('class', base + stateClasses(id));
  }

  /** Hover and selection changes touch a handful of elements, not the whole scene. */
  function restyleItems(ids: (string | null)[]): void {
    for (const id of ids) {
      const el = id ? elements.get(id) : undefined;
      if (el) restyle(id!, el);
    }
  }

  function fit(): void {
    if (!scene) return;
    const { width, height } = scene.layout;
    const vw = hostEl.clientWidth || 800;
    const vh = hostEl.clientHeight || 600;
    // Whole graph when it is readable that way; otherwise fit the width (at least MIN_FIT_SCALE)
    // and start at the top: a 200-op chain shrunk to a hairline helps nobody.
    const whole = Math.min((vw - 20) / Math.max(1, width), (vh - 20) / Math.max(1, height));
    const k = Math.min(1.5, whole >= MIN_FIT_SCALE ? whole : Math.max(MIN_FIT_SCALE, Math.min(1, (vw - 20) / Math.max(1, width))));
    // Centred when it fits; otherwise start at the top-left (where the graph's inputs are).
    const tx = width * k <= vw - 20 ? (vw - width * k) / 2 : 10;
    // The tools and the legend sit above and below the DAG pane (not over it): a small margin only.
    const ty = 10 + Math.max(0, (vh - 20 - height * k) / 2);
    const t = zoomIdentity.translate(tx, ty).scale(k);
    host.call(zoomer.transform, t);
  }

  function wholeScale(): number {
    if (!scene) return 1;
    const { width, height } = scene.layout;
    const vw = hostEl.clientWidth || 800;
    const vh = hostEl.clientHeight || 600;
    return Math.min((vw - 20) / Math.max(1, width), (vh - 20) / Math.max(1, height));
  }

  function fitWhole(): void {
    if (!scene) return;
    const { width, height } = scene.layout;
    const vw = hostEl.clientWidth || 800;
    const vh = hostEl.clientHeight || 600;
    const k = Math.max(SCALE_EXTENT[0], Math.min(1.5, wholeScale()));
    host.call(zoomer.transform, zoomIdentity.translate((vw - width * k) / 2, (vh - height * k) / 2).scale(k));
  }

  return {
    render,
    recolour,
    fitWhole,
    wholeScale,
    sceneBoxes: () => (scene ? { boxes: scene.layout.boxes, width: scene.layout.width, height: scene.layout.height } : null),
    viewportSize: () => ({ width: hostEl.clientWidth || 800, height: hostEl.clientHeight || 600 }),
    panTo(x, y) {
      const t = zoomTransform(hostEl);
      const vw = hostEl.clientWidth || 800;
      const vh = hostEl.clientHeight || 600;
      host.call(zoomer.transform, zoomIdentity.translate(vw / 2 - x * t.k, vh / 2 - y * t.k).scale(t.k));
    },
    setShowCritical(on) {
      showCritical = on;
      hostEl.classList.toggle('show-critical', on);
      if (lastPv) recolour(lastPv, lastDevices);
    },
    setHover(id) {
      const prev = hoverId;
      hoverId = id;
      restyleItems([prev, id]);
    },
    setSelected(id) {
      const prev = selectedId;
      selectedId = id;
      restyleItems([prev, id]);
    },
    setMatches(ids, current = null) {
      matchIds = ids;
      currentMatch = current;
      // Matches come and go by the hundred: restyle every drawn item.
      for (const [id, el] of elements) restyle(id, el);
    },
    fit,
    userMoved: () => moved,
    centerOn(id) {
      const b = boxOf(id);
      if (!b) return;
      const vw = hostEl.clientWidth || 800;
      const vh = hostEl.clientHeight || 600;
      // At scale 1: the item and its neighbours readable, whatever the zoom was.
      host.call(zoomer.transform, zoomIdentity.translate(vw / 2 - (b.x + b.width / 2), vh / 2 - (b.y + b.height / 2)));
    },
    zoomBy(k, dx, dy) {
      host.call(zoomer.scaleBy, k);
      host.call(zoomer.translateBy, dx, dy);
    },
    itemElement: (id) => elements.get(id) ?? null,
    transform() {
      const t = zoomTransform(hostEl);
      return { k: t.k, x: t.x, y: t.y };
    },
    setTransform(t) {
      moved = true;
      host.call(zoomer.transform, zoomIdentity.translate(t.x, t.y).scale(Math.min(SCALE_EXTENT[1], Math.max(SCALE_EXTENT[0], t.k))));
    },
  };
}
