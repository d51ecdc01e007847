// The viewer's wiring: one state (`ViewModel`, changed only by `reduceView`), and the views that
// draw it — the DAG, the toolbar, the details pane and tooltip, the memory panel, the timeline, the
// summary and the placement controls. The same code runs in the VS Code webview and the standalone
// report; only the PlacementHost differs. Layout depends on the graph and the expanded groups only;
// a new plan recolours the existing elements. What changes as the viewer runs lives in one object
// (`ViewerRun`); what to redraw after an event is `viewChanges` (viewReducer.ts), what to lay out
// and draw is viewLayout.ts, the panes around the DAG are panels.ts.
import type { AlgorithmName, Plan, PlacementOptions } from '../algorithms/plan';
import { ALGORITHMS } from '../algorithms/options';
import { createControls, type ControlsConfig, type ControlsView } from './controls';
import { createDagView, type DagView } from './dag';
import { createMinimap, type MinimapView } from './minimap';
import { createTooltip, itemNode, itemTipHtml, nodeHtml, renderDetails, transferHtml, type ShowTip } from './detailsPane';
import type { LayoutClient } from './layoutClient';
import { quickLayoutScopes, type LayoutResponse, type LayoutScope, type ScopeResult } from './layoutCore';
import { visibleGraph, type VisibleGraph } from './model';
import type { PipelinePlan } from '../algorithms/pipeline/types';
import { $, drawMemory, drawPanels, installSplitter, panelElements, renderStatus, sizeTimeline, type Panels } from './panels';
import { createPipelineTimeline } from './pipelineTimeline';
import { isPipelineResult, SupersededError, type ObjectiveChoice, type PipelineResult, type PlacementHost, type PlaceResult } from './placementHost';
import type { InitMessage, Objective } from './protocol';
import { createTimeline } from './timeline';
import { createToolbar, type ToolbarView } from './toolbar';
import { deviceColour } from './styles';
import { drawnDevices, initialView, initialViewFrom, reduceView, viewChanges, type ViewChanges, type ViewEvent, type ViewModel } from './viewReducer';
import { fitBudget, layoutScopesFor, sceneOf } from './viewLayout';
import { debounce, parseViewerState, persistedStateOf, restoredPlacement, stateMatches, type PersistedViewerState, type ViewTransform } from './viewState';

export { INITIAL_VISIBLE_BUDGET, INITIAL_VISIBLE_BUDGET_BIG } from './viewReducer';
/** Persisting waits for a pause this long: a zoom gesture fires dozens of events per second. */
export const STATE_SAVE_DEBOUNCE_MS = 250;
/** searchNodes' cap: the count then reads "200+". */
const SEARCH_LIMIT = 200;

export interface ViewerHandle {
  /** Resolves when the current layout is drawn (tests and benchmarks wait on it). */
  ready: Promise<void>;
  state(): ViewerState;
  expand(groupId: string): Promise<void>;
  expandAll(maxVisible?: number): Promise<void>;
  setPlan(plan: Plan, options: PlacementOptions): void;
  replace(options: PlacementOptions, choice?: ObjectiveChoice): Promise<void>;
  /** What the viewer persists (setState) right now; tests compare it with the stored value. */
  persistedState(): PersistedViewerState;
  dag: DagView;
}

/** How long the last layout and plan took, and how many layouts were drawn (tests and benchmarks read them). */
export interface ViewerStats {
  lastLayoutMs: number;
  /** Time ELK itself spent in the last layout (the rest: messaging, edge routing, drawing). */
  lastElkMs: number;
  lastRecolourMs: number;
  /** The last plan's whole apply: reduceView (decoding a wire plan, planView) plus the redraw (lastRecolourMs). */
  lastApplyMs: number;
  lastPlaceMs: number;
  layouts: number;
}

export interface ViewerState extends ViewerStats {
  visibleItems: number;
  visibleNodes: number;
  layoutMode: string;
  plan: Plan | null;
  options: PlacementOptions;
  /** What is drawn: latency (plan) or throughput (pipeline, issue 14). */
  objective: Objective;
  pipeline: PipelinePlan | null;
  error: string | null;
}

/** Everything that changes while the viewer runs, in one object. */
interface ViewerRun {
  /** The view state; only `dispatch` replaces it (with `reduceView`'s answer). */
  s: ViewModel;
  /** What is drawn: the visible graph of the last layout (its items, which box stands for which op). */
  vis: VisibleGraph;
  /** A saved zoom/pan to re-apply once the first layout is drawn (instead of fitting). */
  restoreTransform: ViewTransform | null;
  /** The newest layout request; the answer to an older one is dropped. */
  layoutSeq: number;
  /**
   * The host's "placing…" text once it has been busy for BUSY_SHOW_MS (empty when idle or not yet
   * due): set by `setBusy`, shown again by `showSettledStatus`.
   */
  busyText: string;
  /** A busy text waiting to be shown (the host said busy less than BUSY_SHOW_MS ago). */
  busyTimer: ReturnType<typeof setTimeout> | undefined;
  /** The item under the pointer (in the DAG or the timeline): the views are told only when it changes. */
  hoverItem: string | null;
  stats: ViewerStats;
}

interface Views {
  dag: DagView;
  minimap: MinimapView;
  toolbar: ToolbarView;
  controls: ControlsView;
  panels: Panels;
  showTip: ShowTip;
}

interface Viewer {
  init: InitMessage;
  host: PlacementHost;
  layoutClient: LayoutClient;
  run: ViewerRun;
  views: Views;
  /** Saves the state (VS Code setState) once changes pause. */
  persist: (() => void) & { flush(): void };
}

/** The state a webview saved for this model (VS Code getState), or null (none, foreign, or another model's). */
function savedStateFor(init: InitMessage, host: PlacementHost): PersistedViewerState | null {
  let raw: unknown;
  try {
    raw = host.loadState?.();
  } catch {
    return null;
  }
  const saved = parseViewerState(raw);
  return saved && stateMatches(saved, { hostUri: init.hostUri, file: init.file }) ? saved : null;
}

export function startViewer(init: InitMessage, host: PlacementHost, layoutClient: LayoutClient): ViewerHandle {
  const saved = savedStateFor(init, host);
  const s = initialView(initialViewFrom(init, saved));
  performance.mark('opplace:tree-built');
  const run: ViewerRun = {
    s,
    vis: visibleGraph(s.graph, s.tree, s.expanded),
    restoreTransform: saved?.view?.transform ?? null,
    layoutSeq: 0,
    busyText: '',
    busyTimer: undefined,
    hoverItem: null,
    stats: { lastLayoutMs: 0, lastElkMs: 0, lastRecolourMs: 0, lastApplyMs: 0, lastPlaceMs: 0, layouts: 0 },
  };
  // The views' callbacks reach the viewer they belong to once it exists (none fires while they are created).
  const viewer: Viewer = {
    init,
    host,
    layoutClient,
    run,
    views: createViews(init, host, s, () => viewer),
    persist: debounce(() => saveState(viewer), STATE_SAVE_DEBOUNCE_MS),
  };
  listen(viewer);
  drawFirst(viewer);
  const ready = relayout(viewer, true);
  const restore = restoredPlacement(init, saved, viewer.run.s);
  if (restore) {
    viewer.views.controls.setOptions(restore.options, viewer.run.s.chosenChoice);
    void replace(viewer, restore.options, restore.batchSize);
  }
  return handleOf(viewer, ready);
}

// ── the one way the state changes ──

/** Applies an event and draws what changed; resolves when a layout it started is drawn. */
function dispatch(v: Viewer, ev: ViewEvent): Promise<void> {
  const t0 = performance.now();
  const prev = v.run.s;
  const s = reduceView(prev, ev);
  if (s === prev) return Promise.resolve();
  v.run.s = s;
  const c = viewChanges(prev, s, ev);
  if (c.graph) v.run.hoverItem = null;
  if (c.plan) {
    drawPlan(v, c.recolourDag);
    v.run.stats.lastApplyMs = performance.now() - t0;
  }
  if (ev.type === 'error') setStatus(v, ev.message, 'error');
  redrawChanged(v, c);
  v.persist();
  const layout = c.relayout ? relayout(v, c.fit) : Promise.resolve();
  if (c.matchesCleared) v.views.dag.setMatches(new Set());
  return c.showMatch ? layout.then(() => showMatch(v)) : layout;
}

/** The small redraws an event asks for (a new plan and a new layout are drawn apart). */
function redrawChanged(v: Viewer, c: ViewChanges): void {
  const { s } = v.run;
  const { dag, panels, controls, toolbar } = v.views;
  if (c.showCritical) dag.setShowCritical(s.showCritical);
  if (c.memDevice) drawMemory(panels, s);
  if (c.timelineHeight) sizeTimeline(panels, s);
  if (c.selection) drawSelection(v);
  if (c.graph) controls.setGraph(s.graph);
  if (c.matchCount) toolbar.setMatchCount(s.matches.length, s.query, SEARCH_LIMIT, s.matchCursor);
}

const resultEvent = (r: PlaceResult | PipelineResult): ViewEvent => (isPipelineResult(r) ? { type: 'pipeline', ...r } : { type: 'plan', ...r });

function setStatus(v: Viewer, text: string, kind: 'info' | 'error' = 'info', fraction?: number): void {
  renderStatus(v.views.panels.els.status, text, kind, fraction);
}

/**
 * How long the host must stay busy before its text is shown: a re-place of a 2k-op graph answers
 * in 20–50 ms (bench/README "Re-place in the extension"), and a status line that flashes
 * "placing…" for that long on every click reads as flicker, not as information.
 */
const BUSY_SHOW_MS = 150;

/**
 * The host started or stopped placing. Its text becomes the status line once the host has been
 * busy for BUSY_SHOW_MS; a layout's progress may replace it, and `showSettledStatus` brings it back
 * when that layout is drawn.
 */
function setBusy(v: Viewer, busy: boolean, message?: string): void {
  const { run } = v;
  clearTimeout(run.busyTimer);
  run.busyTimer = undefined;
  if (!busy) {
    run.busyText = '';
    setStatus(v, '');
    return;
  }
  const text = message ?? 'placing…';
  run.busyTimer = setTimeout(() => {
    run.busyTimer = undefined;
    run.busyText = text;
    setStatus(v, text);
  }, BUSY_SHOW_MS);
}

/** The status line once a layout is drawn: the last error, else the host's busy text (empty when idle). */
function showSettledStatus(v: Viewer): void {
  const { error } = v.run.s;
  setStatus(v, error ?? v.run.busyText, error ? 'error' : 'info');
}

// ── the host and the page ──

function listen(v: Viewer): void {
  const { host, views } = v;
  host.setEvents({
    onPlan: (r) => void dispatch(v, resultEvent(r)),
    onBusy: (b, m) => setBusy(v, b, m),
    onProgress: (m, f) => setStatus(v, m, 'info', f),
    onError: (m) => void dispatch(v, { type: 'error', message: m }),
    onTheme: () => views.panels.timeline.redraw(),
  });
  // VS Code switches themes by changing body classes and CSS variables; canvases must redraw.
  new MutationObserver(() => views.panels.timeline.redraw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  // A reload right after a change must not lose it.
  window.addEventListener('pagehide', () => v.persist.flush());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') v.persist.flush();
  });
  installSplitter(document.getElementById('split'), views.panels.els.timelineWrap, (px) => void dispatch(v, { type: 'timelineHeight', px }));
  window.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') selectNode(v, null);
  });
}

/** What the viewer persists (setState) right now. */
function currentState(v: Viewer): PersistedViewerState {
  // Until the first layout is drawn the saved transform is still the one that counts.
  return persistedStateOf(v.run.s, v.init, v.run.restoreTransform ?? v.views.dag.transform());
}

function saveState(v: Viewer): void {
  try {
    v.host.saveState?.(currentState(v));
  } catch (e) {
    v.host.log('warn', `could not save the viewer state: ${(e as Error).message}`);
  }
}

function handleOf(v: Viewer, ready: Promise<void>): ViewerHandle {
  return {
    ready,
    dag: v.views.dag,
    state: () => viewerState(v),
    expand: (gid) => dispatch(v, { type: 'expand', id: gid }),
    expandAll: (maxVisible = Infinity) => dispatch(v, { type: 'expandAll', maxVisible }),
    setPlan: (plan, options) => void dispatch(v, { type: 'plan', plan, options }),
    replace: (o, choice) => replace(v, o, undefined, choice),
    persistedState: () => currentState(v),
  };
}

function viewerState(v: Viewer): ViewerState {
  const { s, vis, stats } = v.run;
  return {
    visibleItems: vis.items.length,
    visibleNodes: vis.items.filter((i) => i.kind === 'node').length,
    layoutMode: v.layoutClient.mode,
    plan: s.plan,
    options: s.options,
    objective: s.objective,
    pipeline: s.pipeline,
    ...stats,
    error: s.error,
  };
}

// ── the views ──

/** The views, in the order their elements go into the page; `viewer` is called back only once they exist. */
function createViews(init: InitMessage, host: PlacementHost, s: ViewModel, viewer: () => Viewer): Views {
  const showTip = createTooltip($('tooltip'));
  const dag = createDag(viewer);
  const minimap = createMinimap($('dag'), dag, (id) => itemColour(viewer(), id));
  const els = panelElements();
  const timeline = createTimeline(els.timeline, {
    onHoverNode: (i, ev) => onTimelineHover(viewer(), i, ev),
    onHoverTransfer: (k, ev) => showTip(k === null || !viewer().run.s.plan ? null : transferHtml(viewer().run.s.plan!, k), ev),
    onClickNode: (i) => void dispatch(viewer(), { type: 'reveal', node: i }).then(() => selectNode(viewer(), i)),
  });
  // Throughput mode's timeline: the microbatch × stage schedule, in place of the op timeline.
  const pipelineTimeline = createPipelineTimeline(els.timelineWrap, { onHover: showTip });
  const toolbar = createToolbar(
    $('dag-tools'),
    { groupBy: s.groupBy, showCritical: s.showCritical },
    {
      onSearch: (query) => void dispatch(viewer(), { type: 'search', query }),
      onNextMatch: () => void dispatch(viewer(), { type: 'nextMatch' }),
      onFit: () => void fitAll(viewer()),
      onCollapseAll: () => void dispatch(viewer(), { type: 'collapseAll' }),
      onGroupBy: (groupBy) => void dispatch(viewer(), { type: 'groupBy', groupBy }),
      onShowCritical: (on) => void dispatch(viewer(), { type: 'showCritical', on }),
    },
  );
  const controls = createControls($('controls'), controlsConfig(init, host, s), s.options, {
    onChange: (o, b, c, d) => void replace(viewer(), o, b, c, d),
    onSaveLimits: host.saveLimits?.bind(host),
    onExport: host.exportAs?.bind(host),
    onOpenInBrowser: host.openInBrowser?.bind(host),
  });
  // The memory panel's callbacks, made once (not on every draw).
  const memory = { onSelectDevice: (d: number) => void dispatch(viewer(), { type: 'memDevice', device: d }), onHover: showTip };
  const title = init.file ?? s.graph.source?.file ?? s.graph.name;
  return { dag, minimap, toolbar, controls, showTip, panels: { els, title, timeline, pipelineTimeline, memory } };
}

function createDag(viewer: () => Viewer): DagView {
  return createDagView($('dag'), {
    onHover: (itemId, ev) => onDagHover(viewer(), itemId, ev),
    onClickNode: (i) => selectNode(viewer(), i),
    onToggleGroup: (gid) => void dispatch(viewer(), { type: 'toggleGroup', id: gid }),
    onBackground: () => selectNode(viewer(), null),
    onTransform() {
      const v = viewer();
      v.views.minimap.redraw();
      if (!v.run.restoreTransform) v.persist();
    },
  });
}

/** What the controls offer: the host's capabilities, the algorithms (the plan's own included), the user's choice. */
function controlsConfig(init: InitMessage, host: PlacementHost, s: ViewModel): ControlsConfig {
  const algorithms: AlgorithmName[] = [...ALGORITHMS];
  const can = init.capabilities;
  return {
    algorithms: algorithms.includes(s.options.algorithm) ? algorithms : [...algorithms, s.options.algorithm],
    presets: init.presets,
    batchSize: can?.batchSize ? s.chosenBatch : undefined,
    canSaveLimits: !!can?.saveLimits && !!host.saveLimits,
    exportFormats: host.exportAs ? (can?.export ?? []) : [],
    canOpenInBrowser: !!can?.openInBrowser && !!host.openInBrowser,
    choice: s.chosenChoice,
    ...(can?.modelDims ? { modelDims: s.graph } : {}),
  };
}

/**
 * Item colour for the overview: the op's device (or stage) fill, grey for a collapsed group or an
 * unplaced op, null for a frame. From the plan, not the computed style: reading styles right
 * after a recolour forced a style recalc of the whole DAG per re-place.
 */
function itemColour(v: Viewer, id: string): string | null {
  if (!v.views.dag.itemElement(id)) return null;
  const i = id.startsWith('group:') ? undefined : v.run.s.idx.get(id);
  const d = i === undefined ? -1 : v.run.s.pv.deviceOf[i];
  return d >= 0 ? deviceColour(d).fill : 'rgba(140,140,140,0.8)';
}

function onDagHover(v: Viewer, itemId: string | null, ev: MouseEvent | null): void {
  const { run, views } = v;
  if (itemId !== run.hoverItem) {
    run.hoverItem = itemId;
    views.dag.setHover(itemId);
    views.panels.timeline.setHover(itemNode(run.s.idx, itemId));
  }
  views.showTip(itemId ? itemTipHtml(run.s, run.vis, itemId) : null, itemId ? ev : null);
}

function onTimelineHover(v: Viewer, i: number | null, ev: MouseEvent | null): void {
  const { run, views } = v;
  const id = i === null ? null : run.vis.repOf[i];
  if (id !== run.hoverItem) {
    run.hoverItem = id;
    views.dag.setHover(id);
  }
  views.panels.timeline.setHover(i);
  views.showTip(i === null ? null : nodeHtml(run.s.graph, run.s.pv, i), ev);
}

function selectNode(v: Viewer, i: number | null): void {
  void dispatch(v, { type: 'select', node: i });
  v.host.select(i === null ? null : v.run.s.graph.nodes[i].id);
}

/** The DAG's selection mark and the details pane. */
function drawSelection(v: Viewer): void {
  const { s, vis } = v.run;
  v.views.dag.setSelected(s.selected === null ? null : (vis.repOf[s.selected] ?? null));
  renderDetails(v.views.panels.els.details, s.graph, s.pv, s.selected);
}

function showMatch(v: Viewer): void {
  const { s, vis } = v.run;
  const { dag } = v.views;
  if (!s.matches.length) return dag.setMatches(new Set());
  const target = s.matches[s.matchCursor];
  dag.setMatches(new Set(s.matches.map((i) => vis.repOf[i])), vis.repOf[target]);
  dag.centerOn(vis.repOf[target]);
}

/**
 * Fit: the whole graph in the pane. When it would be too small to read, collapse (the group
 * tree's coarsest levels first) until it is not, then fit it whole.
 */
async function fitAll(v: Viewer): Promise<void> {
  for (let round = 0; round < 4; round++) {
    const budget = fitBudget(v.run.vis.items.length, v.views.dag.wholeScale());
    if (budget === null) break;
    await dispatch(v, { type: 'expandAll', maxVisible: budget });
  }
  v.views.dag.fitWhole();
}

/** The panels, the critical-path toggle and the selection of the restored state, before the first layout. */
function drawFirst(v: Viewer): void {
  const { s } = v.run;
  drawPanels(v.views.panels, s);
  v.views.dag.setShowCritical(s.showCritical);
  if (s.selected !== null) renderDetails(v.views.panels.els.details, s.graph, s.pv, s.selected);
  v.persist(); // the expanded groups of the first layout
}

// ── layout ──

function drawScene(v: Viewer, scopes: LayoutScope[], results: Record<string, ScopeResult>): void {
  const { s, vis } = v.run;
  v.views.dag.render(sceneOf(s, vis, scopes, results), s.pv, drawnDevices(s));
  v.views.minimap.recolour();
}

async function relayout(v: Viewer, fit: boolean): Promise<void> {
  const { run } = v;
  const seq = ++run.layoutSeq;
  const t0 = performance.now();
  const nextVis = visibleGraph(run.s.graph, run.s.tree, run.s.expanded);
  const scopes = layoutScopesFor(run.s, nextVis);
  setStatus(v, `laying out ${nextVis.items.length} items…`, 'info', 0);
  if (run.stats.layouts === 0) drawQuickLayout(v, seq, nextVis, scopes, fit);
  const response = await requestLayout(v, seq, scopes);
  if (!response || seq !== run.layoutSeq) return; // failed, or a newer layout superseded this one
  run.vis = nextVis;
  performance.mark('opplace:layout-done');
  drawScene(v, scopes, response.results);
  if (fit && !v.views.dag.userMoved()) v.views.dag.fit();
  if (run.restoreTransform) {
    // The saved zoom/pan was set on the quick layout; from now on the live one is persisted.
    run.restoreTransform = null;
    v.persist();
  }
  run.stats.lastLayoutMs = performance.now() - t0;
  run.stats.lastElkMs = response.elkMs;
  run.stats.layouts++;
  if (run.s.selected !== null) v.views.dag.setSelected(run.vis.repOf[run.s.selected]);
  showSettledStatus(v);
}

/** First paint: a quick layered layout now, ELK's when the worker has it. */
function drawQuickLayout(v: Viewer, seq: number, nextVis: VisibleGraph, scopes: LayoutScope[], fit: boolean): void {
  const quick = quickLayoutScopes({ requestId: seq, scopes });
  v.run.vis = nextVis;
  drawScene(v, scopes, quick.results);
  if (v.run.restoreTransform) v.views.dag.setTransform(v.run.restoreTransform);
  else if (fit) v.views.dag.fit();
  document.body.dataset.firstPaintAt = String(Math.round(performance.now()));
}

/** ELK's layout of the scopes (its progress in the status line), or null when it failed (the error is shown). */
async function requestLayout(v: Viewer, seq: number, scopes: LayoutScope[]): Promise<LayoutResponse | null> {
  try {
    return await v.layoutClient.layout({ requestId: seq, scopes }, (p) => {
      if (seq === v.run.layoutSeq) setStatus(v, `laying out… ${p.done}/${p.total} groups`, 'info', p.done / p.total);
    });
  } catch (e) {
    void dispatch(v, { type: 'error', message: (e as Error).message });
    return null;
  }
}

// ── plan ──

/** A new plan: recolour the drawn DAG (unless a new graph is about to be laid out) and redraw the panels. */
function drawPlan(v: Viewer, recolourDag: boolean): void {
  const t0 = performance.now();
  const { s } = v.run;
  const { panels, controls, dag, minimap } = v.views;
  // The panels read their sizes (clientWidth, text lengths): before the DAG's writes, so those
  // reads do not force a style recalc of every DAG item.
  drawPanels(panels, s);
  controls.setOptions(s.options, s.chosenChoice);
  renderDetails(panels.els.details, s.graph, s.pv, s.selected);
  if (recolourDag) {
    dag.recolour(s.pv, drawnDevices(s));
    minimap.recolour();
  }
  v.run.stats.lastRecolourMs = performance.now() - t0;
  document.body.dataset.planVersion = String(Number(document.body.dataset.planVersion ?? '0') + 1);
}

async function replace(v: Viewer, o: PlacementOptions, batchSize?: number, choice: ObjectiveChoice = v.run.s.chosenChoice, dims?: string[]): Promise<void> {
  const t0 = performance.now();
  void dispatch(v, { type: 'choose', options: o, ...(batchSize !== undefined ? { batchSize } : {}), ...(dims !== undefined ? { dims } : {}), choice });
  try {
    const r = await v.host.replace(o, batchSize, choice, dims);
    v.run.stats.lastPlaceMs = performance.now() - t0;
    void dispatch(v, resultEvent(r));
    setStatus(v, '');
  } catch (e) {
    if (e instanceof SupersededError) return;
    void dispatch(v, { type: 'error', message: (e as Error).message });
  }
}
