// The viewer's wiring: one state (`ViewModel`, changed only by `reduceView`), and the views that
// draw it — the DAG, the toolbar, the details pane and tooltip, the memory panel, the timeline, the
// summary and the placement controls. The same code runs in the VS Code webview and the standalone
// report; only the PlacementHost differs. Layout depends on the graph and the expanded groups only;
// a new plan recolours the existing elements.
import type { AlgorithmName, Plan, PlacementOptions } from '../algorithms/plan';
import { ALGORITHMS } from '../algorithms/options';
import { createControls, type ControlsView } from './controls';
import { createDagView, GROUP_SIZE, MIN_FIT_SCALE, NODE_SIZE, type DagScene, type DagView } from './dag';
import { createMinimap, type MinimapView } from './minimap';
import { bodyOpHtml, createTooltip, groupHtml, nodeHtml, renderDetails, transferHtml } from './detailsPane';
import { MEMORY_PANEL_TEXT } from './html';
import type { LayoutClient } from './layoutClient';
import { absoluteLayout, quickLayoutScopes, type LayoutScope, type ScopeResult } from './layoutCore';
import { renderBars, renderMemoryBars, renderMemoryOverTime } from './memoryPanel';
import { bodyId, bodyItemOf, bodyLayoutScope, drawnEdges, scopeLayoutEdges, visibleGraph, type VisibleGraph } from './model';
import type { PipelinePlan } from '../algorithms/pipeline/types';
import { pipelineMemoryBars, pipelineSummaryItems, stageLabel } from './pipelineModel';
import { createPipelineTimeline, renderStageLoads } from './pipelineTimeline';
import { isPipelineResult, SupersededError, type ObjectiveChoice, type PlacementHost } from './placementHost';
import type { InitMessage, Objective } from './protocol';
import { renderSummary, renderSummaryItems } from './summary';
import { createTimeline, LANE_PAIR_H, type TimelineView } from './timeline';
import { createToolbar, renderLegend } from './toolbar';
import { deviceColour } from './styles';
import { initialView, reduceView, type ViewEvent, type ViewModel } from './viewReducer';
import { debounce, parseViewerState, sameChosenOptions, stateMatches, VIEWER_STATE_VERSION, type PersistedViewerState, type ViewTransform } from './viewState';

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

export interface ViewerState {
  visibleItems: number;
  visibleNodes: number;
  layoutMode: string;
  plan: Plan | null;
  options: PlacementOptions;
  /** What is drawn: latency (plan) or throughput (pipeline, issue 14). */
  objective: Objective;
  pipeline: PipelinePlan | null;
  lastLayoutMs: number;
  /** Time ELK itself spent in the last layout (the rest: messaging, edge routing, drawing). */
  lastElkMs: number;
  lastRecolourMs: number;
  /** The last plan's whole apply: reduceView (decoding a wire plan, planView) plus the redraw (lastRecolourMs). */
  lastApplyMs: number;
  lastPlaceMs: number;
  layouts: number;
  error: string | null;
}

function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`viewer page is missing #${id}`);
  return e;
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

/** Events after which the new layout is fitted to the pane (a new overview, not a local change). */
const FITTING_EVENTS = new Set<ViewEvent['type']>(['collapseAll', 'groupBy', 'expandAll']);

export function startViewer(init: InitMessage, host: PlacementHost, layoutClient: LayoutClient): ViewerHandle {
  // What this view looked like before the webview was reloaded (window reload, hidden tab shown
  // again, new graph): the user's options, zoom, expanded groups… win over the defaults.
  const saved = savedStateFor(init, host);
  const savedView = saved?.view ?? {};
  let s: ViewModel = initialView({
    graph: init.graph,
    plan: init.plan,
    options: init.options,
    chosenOptions: saved?.options,
    chosenBatch: saved?.batchSize ?? init.batchSize,
    chosenDims: saved?.dims,
    groupBy: savedView.groupBy,
    expanded: savedView.expanded,
    showCritical: savedView.showCritical,
    selectedId: savedView.selected,
    timelineHeight: savedView.timelineHeight,
    objective: init.objective,
    pipeline: init.pipelinePlan ?? null,
    ...(init.pipelineControls
      ? { choice: { objective: init.objective ?? (init.pipelinePlan ? 'throughput' : 'latency'), pipelineControls: init.pipelineControls } }
      : {}),
    ...(saved?.objective && saved.pipelineControls ? { chosenChoice: { objective: saved.objective, pipelineControls: saved.pipelineControls } } : {}),
  });
  performance.mark('opplace:tree-built');
  /** What is drawn: the visible graph of the last layout (its items, which box stands for which op). */
  let vis: VisibleGraph = visibleGraph(s.graph, s.tree, s.expanded);
  /** A saved zoom/pan to re-apply once the first layout is drawn (instead of fitting). */
  let restoreTransform: ViewTransform | null = savedView.transform ?? null;
  let layoutSeq = 0;
  let lastLayoutMs = 0;
  let lastElkMs = 0;
  let lastRecolourMs = 0;
  let lastApplyMs = 0;
  let lastPlaceMs = 0;
  let layouts = 0;
  let busyText = '';
  let hoverItem: string | null = null;

  const title = init.file ?? s.graph.source?.file ?? s.graph.name;
  const statusEl = $('status');
  const details = $('details');
  const memSvg = $('memory') as unknown as SVGSVGElement;
  const memTimeSvg = $('memtime') as unknown as SVGSVGElement;
  const timelineWrap = $('timeline-wrap');
  const showTip = createTooltip($('tooltip'));
  const devices = () => (s.objective === 'throughput' ? s.pipeline?.stages.length || s.options.devices : (s.plan?.devices.length ?? s.options.devices));
  const throughput = () => s.objective === 'throughput';

  // ── status line ──
  function setStatus(text: string, kind: 'info' | 'error' = 'info', fraction?: number): void {
    statusEl.replaceChildren();
    statusEl.className = kind === 'error' ? 'error' : '';
    if (text) statusEl.append(text);
    if (fraction !== undefined) {
      const p = document.createElement('progress');
      p.max = 1;
      p.value = fraction;
      statusEl.append(p);
    }
  }

  // ── the one way the state changes ──
  /** Applies an event and draws what changed; resolves when a layout it started is drawn. */
  function dispatch(ev: ViewEvent): Promise<void> {
    const t0 = performance.now();
    const prev = s;
    s = reduceView(s, ev);
    if (s === prev) return Promise.resolve();
    const relaid = s.tree !== prev.tree || s.expanded !== prev.expanded;
    if (s.graph !== prev.graph) hoverItem = null;
    // A new tree: the next layout draws the colours.
    if (s.plan !== prev.plan || s.pipeline !== prev.pipeline || s.objective !== prev.objective) {
      drawPlan(s.tree === prev.tree);
      lastApplyMs = performance.now() - t0;
    }
    if (ev.type === 'error') setStatus(ev.message, 'error');
    if (s.showCritical !== prev.showCritical) dag.setShowCritical(s.showCritical);
    if (s.memDevice !== prev.memDevice) renderMemory();
    if (s.timelineHeight !== prev.timelineHeight) sizeTimeline();
    if (s.selected !== prev.selected || s.graph !== prev.graph) drawSelection();
    if (s.graph !== prev.graph) controls.setGraph(s.graph);
    if (s.matches !== prev.matches || s.matchCursor !== prev.matchCursor) toolbar.setMatchCount(s.matches.length, s.query, SEARCH_LIMIT, s.matchCursor);
    persist();
    const searched = ev.type === 'search' || ev.type === 'nextMatch';
    const layout = relaid ? relayout(FITTING_EVENTS.has(ev.type)) : Promise.resolve();
    if (s.matches !== prev.matches && !s.matches.length) dag.setMatches(new Set()); // a new graph drops them
    return searched ? layout.then(showMatch) : layout;
  }

  host.setEvents({
    onPlan: (r) => void dispatch(isPipelineResult(r) ? { type: 'pipeline', ...r } : { type: 'plan', ...r }),
    onBusy: (b, m) => {
      busyText = b ? (m ?? 'placing…') : '';
      setStatus(busyText);
    },
    onProgress: (m, f) => setStatus(m, 'info', f),
    onError: (m) => void dispatch({ type: 'error', message: m }),
    onTheme: () => timeline.redraw(),
  });
  // VS Code switches themes by changing body classes and CSS variables; canvases must redraw.
  new MutationObserver(() => timeline.redraw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

  // ── persisted state (VS Code setState) ──
  function currentState(): PersistedViewerState {
    return {
      v: VIEWER_STATE_VERSION,
      ...(init.hostUri !== undefined ? { hostUri: init.hostUri } : {}),
      ...(init.file !== undefined ? { file: init.file } : {}),
      options: s.chosenOptions,
      ...(s.chosenBatch !== undefined ? { batchSize: s.chosenBatch } : {}),
      ...(s.chosenDims !== undefined ? { dims: s.chosenDims } : {}),
      objective: s.chosenChoice.objective,
      pipelineControls: s.chosenChoice.pipelineControls,
      view: {
        // Until the first layout is drawn the saved transform is still the one that counts.
        transform: restoreTransform ?? dag.transform(),
        expanded: [...s.expanded],
        groupBy: s.groupBy,
        showCritical: s.showCritical,
        selected: s.selected === null ? null : s.graph.nodes[s.selected].id,
        ...(s.timelineHeight !== undefined ? { timelineHeight: s.timelineHeight } : {}),
      },
    };
  }
  const persist = debounce(() => {
    try {
      host.saveState?.(currentState());
    } catch (e) {
      host.log('warn', `could not save the viewer state: ${(e as Error).message}`);
    }
  }, STATE_SAVE_DEBOUNCE_MS);
  // A reload right after a change must not lose it.
  window.addEventListener('pagehide', () => persist.flush());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') persist.flush();
  });

  // ── DAG ──
  /** The overview (created right after the DAG view, which it reads). */
  let minimap: MinimapView | undefined;
  const dag = createDagView($('dag'), {
    onHover(itemId, ev) {
      if (itemId !== hoverItem) {
        hoverItem = itemId;
        dag.setHover(itemId);
        timeline.setHover(itemId && !itemId.startsWith('group:') ? (s.idx.get(itemId) ?? null) : null);
      }
      if (!itemId) return showTip(null, null);
      const inBody = bodyItemOf(vis, itemId);
      if (inBody) return showTip(bodyOpHtml(s.graph, s.pv, inBody.scope, inBody.op), ev);
      showTip(itemId.startsWith('group:') ? groupHtml(s.graph, s.tree, s.pv, itemId) : nodeHtml(s.graph, s.pv, s.idx.get(itemId)!), ev);
    },
    onClickNode: (i) => selectNode(i),
    onToggleGroup: (gid) => void dispatch({ type: 'toggleGroup', id: gid }),
    onBackground: () => selectNode(null),
    onTransform() {
      minimap?.redraw();
      if (!restoreTransform) persist();
    },
  });
  /**
   * Item colour for the overview: the op's device (or stage) fill, grey for a collapsed group or an
   * unplaced op, null for a frame. From the plan, not the computed style: reading styles right
   * after a recolour forced a style recalc of the whole DAG per re-place.
   */
  const colourOfItem = (id: string): string | null => {
    if (!dag.itemElement(id)) return null;
    const i = id.startsWith('group:') ? undefined : s.idx.get(id);
    const d = i === undefined ? -1 : s.pv.deviceOf[i];
    return d >= 0 ? deviceColour(d).fill : 'rgba(140,140,140,0.8)';
  };
  minimap = createMinimap($('dag'), dag, colourOfItem);

  /**
   * Fit: the whole graph in the pane. When it would be too small to read, collapse (the group
   * tree's coarsest levels first) until it is not, then fit it whole.
   */
  async function fitAll(): Promise<void> {
    for (let round = 0; round < 4; round++) {
      const whole = dag.wholeScale();
      if (whole >= MIN_FIT_SCALE) break;
      // Items that fit at a readable scale grow with the area: (whole / readable)².
      const budget = Math.floor(vis.items.length * (whole / MIN_FIT_SCALE) ** 2);
      if (budget < 1 || budget >= vis.items.length) break;
      await dispatch({ type: 'expandAll', maxVisible: budget });
    }
    dag.fitWhole();
  }

  function selectNode(i: number | null): void {
    void dispatch({ type: 'select', node: i });
    host.select(i === null ? null : s.graph.nodes[i].id);
  }

  function drawSelection(): void {
    dag.setSelected(s.selected === null ? null : (vis.repOf[s.selected] ?? null));
    renderDetails(details, s.graph, s.pv, s.selected);
  }

  // ── timeline ──
  const timeline: TimelineView = createTimeline($('timeline') as HTMLCanvasElement, {
    onHoverNode(i, ev) {
      const id = i === null ? null : vis.repOf[i];
      if (id !== hoverItem) {
        hoverItem = id;
        dag.setHover(id);
      }
      timeline.setHover(i);
      showTip(i === null ? null : nodeHtml(s.graph, s.pv, i), ev);
    },
    onHoverTransfer(k, ev) {
      showTip(k === null || !s.plan ? null : transferHtml(s.plan, k), ev);
    },
    onClickNode(i) {
      void dispatch({ type: 'reveal', node: i }).then(() => selectNode(i));
    },
  });

  // Throughput mode's timeline: the microbatch × stage schedule, in place of the op timeline.
  const pipelineTimeline = createPipelineTimeline(timelineWrap, { onHover: showTip });

  // ── toolbar ──
  const toolbar = createToolbar(
    $('dag-tools'),
    { groupBy: s.groupBy, showCritical: s.showCritical },
    {
      onSearch: (query) => void dispatch({ type: 'search', query }),
      onNextMatch: () => void dispatch({ type: 'nextMatch' }),
      onFit: () => void fitAll(),
      onCollapseAll: () => void dispatch({ type: 'collapseAll' }),
      onGroupBy: (groupBy) => void dispatch({ type: 'groupBy', groupBy }),
      onShowCritical: (on) => void dispatch({ type: 'showCritical', on }),
    },
  );

  function showMatch(): void {
    if (!s.matches.length) return dag.setMatches(new Set());
    const target = s.matches[s.matchCursor];
    dag.setMatches(new Set(s.matches.map((i) => vis.repOf[i])), vis.repOf[target]);
    dag.centerOn(vis.repOf[target]);
  }

  // ── layout ──
  function layoutScopesFor(v: VisibleGraph): LayoutScope[] {
    const { graph, tree } = s;
    const edgesByScope = scopeLayoutEdges(graph, tree, v, s.idx);
    const scopeSet = new Set(v.scopes);
    return v.scopes.map((scope) => {
      const body = v.bodyScopes.get(scope);
      if (body) return bodyLayoutScope(graph, body, NODE_SIZE);
      const g = tree.groups.get(scope)!;
      const opChild = (i: number) => {
        const expandedBody = bodyId(graph.nodes[i].id);
        return scopeSet.has(expandedBody) ? { id: expandedBody, isScope: true } : { id: graph.nodes[i].id, width: NODE_SIZE.width, height: NODE_SIZE.height };
      };
      const children = [
        ...g.groups.map((cid) => (scopeSet.has(cid) ? { id: cid, isScope: true } : { id: cid, width: GROUP_SIZE.width, height: GROUP_SIZE.height })),
        ...g.nodes.map(opChild),
      ];
      return { scope, children, edges: edgesByScope.get(scope) ?? [] };
    });
  }

  function drawScene(scopes: LayoutScope[], results: Record<string, ScopeResult>): void {
    const layout = absoluteLayout(s.tree.root, scopes, results);
    const scene: DagScene = { graph: s.graph, tree: s.tree, vis, layout, scopes, results, edges: drawnEdges(s.graph, vis, s.idx) };
    dag.render(scene, s.pv, devices());
    minimap?.recolour();
  }

  async function relayout(fit: boolean): Promise<void> {
    const seq = ++layoutSeq;
    const t0 = performance.now();
    const nextVis = visibleGraph(s.graph, s.tree, s.expanded);
    const scopes = layoutScopesFor(nextVis);
    setStatus(`laying out ${nextVis.items.length} items…`, 'info', 0);
    if (layouts === 0) {
      // First paint: a quick layered layout now, ELK's when the worker has it.
      const quick = quickLayoutScopes({ requestId: seq, scopes });
      vis = nextVis;
      drawScene(scopes, quick.results);
      if (restoreTransform) dag.setTransform(restoreTransform);
      else if (fit) dag.fit();
      document.body.dataset.firstPaintAt = String(Math.round(performance.now()));
    }
    let response;
    try {
      response = await layoutClient.layout({ requestId: seq, scopes }, (p) => {
        if (seq === layoutSeq) setStatus(`laying out… ${p.done}/${p.total} groups`, 'info', p.done / p.total);
      });
    } catch (e) {
      void dispatch({ type: 'error', message: (e as Error).message });
      return;
    }
    if (seq !== layoutSeq) return; // a newer layout superseded this one
    vis = nextVis;
    performance.mark('opplace:layout-done');
    drawScene(scopes, response.results);
    if (fit && !dag.userMoved()) dag.fit();
    if (restoreTransform) {
      // The saved zoom/pan was set on the quick layout; from now on the live one is persisted.
      restoreTransform = null;
      persist();
    }
    lastLayoutMs = performance.now() - t0;
    lastElkMs = response.elkMs;
    layouts++;
    if (s.selected !== null) dag.setSelected(vis.repOf[s.selected]);
    setStatus(s.error ?? busyText, s.error ? 'error' : 'info');
  }

  // ── plan ──
  /** A new plan: recolour the drawn DAG (unless a new graph is about to be laid out) and redraw the panels. */
  function drawPlan(recolourDag: boolean): void {
    const t0 = performance.now();
    // The panels read their sizes (clientWidth, text lengths): before the DAG's writes, so those
    // reads do not force a style recalc of every DAG item.
    drawPanels();
    controls.setOptions(s.options, s.chosenChoice);
    renderDetails(details, s.graph, s.pv, s.selected);
    if (recolourDag) {
      dag.recolour(s.pv, devices());
      minimap?.recolour();
    }
    lastRecolourMs = performance.now() - t0;
    document.body.dataset.planVersion = String(Number(document.body.dataset.planVersion ?? '0') + 1);
  }

  /** Summary, memory, timeline and legend of what is drawn: the placement, or the pipeline. */
  function drawPanels(): void {
    if (throughput()) renderSummaryItems($('header'), title, pipelineSummaryItems(s.pipeline));
    else renderSummary($('header'), title, s.plan);
    renderMemory();
    const t = throughput();
    $('timeline').style.display = t ? 'none' : '';
    pipelineTimeline.element.style.display = t ? '' : 'none';
    if (t) pipelineTimeline.setPlan(s.pipeline);
    else timeline.setPlan(s.plan, s.idx, s.pv.critical);
    sizeTimeline();
    renderLegend($('legend'), devices(), t && s.pipeline ? s.pipeline.stages.map((st) => stageLabel(s.pipeline!, st.index)) : undefined);
    document.body.dataset.objective = s.objective;
  }

  function renderMemory(): void {
    $('memory-title').textContent = MEMORY_PANEL_TEXT[s.objective].title;
    $('memory-legend').textContent = MEMORY_PANEL_TEXT[s.objective].legend;
    const onSelect = { onSelectDevice: (d: number) => void dispatch({ type: 'memDevice', device: d }), onHover: showTip };
    if (throughput()) {
      // Per stage: persistent + activations stashed for the in-flight microbatches, against the limit.
      renderBars(
        memSvg,
        pipelineMemoryBars(s.pipeline),
        s.memDevice,
        onSelect,
        s.pipeline ? 'no stages: the pipeline does not fit (see why above)' : 'planning…',
      );
      $('memtime-title').textContent = 'Load per stage (per sample)';
      renderStageLoads(memTimeSvg, s.pipeline);
      return;
    }
    renderMemoryBars(memSvg, s.plan, s.memDevice, onSelect);
    $('memtime-title').textContent = `Memory over time — GPU ${s.memDevice}`;
    renderMemoryOverTime(memTimeSvg, s.plan, s.memDevice);
  }

  async function replace(o: PlacementOptions, batchSize?: number, choice: ObjectiveChoice = s.chosenChoice, dims?: string[]): Promise<void> {
    const t0 = performance.now();
    void dispatch({ type: 'choose', options: o, ...(batchSize !== undefined ? { batchSize } : {}), ...(dims !== undefined ? { dims } : {}), choice });
    try {
      const r = await host.replace(o, batchSize, choice, dims);
      lastPlaceMs = performance.now() - t0;
      void dispatch(isPipelineResult(r) ? { type: 'pipeline', ...r } : { type: 'plan', ...r });
      setStatus('');
    } catch (e) {
      if (e instanceof SupersededError) return;
      void dispatch({ type: 'error', message: (e as Error).message });
    }
  }

  const algorithms: AlgorithmName[] = [...ALGORITHMS];
  const controls: ControlsView = createControls(
    $('controls'),
    {
      algorithms: algorithms.includes(s.options.algorithm) ? algorithms : [...algorithms, s.options.algorithm],
      presets: init.presets,
      batchSize: init.capabilities?.batchSize ? s.chosenBatch : undefined,
      canSaveLimits: !!init.capabilities?.saveLimits && !!host.saveLimits,
      exportFormats: host.exportAs ? (init.capabilities?.export ?? []) : [],
      canOpenInBrowser: !!init.capabilities?.openInBrowser && !!host.openInBrowser,
      choice: s.chosenChoice,
      ...(init.capabilities?.modelDims ? { modelDims: s.graph } : {}),
    },
    s.options,
    {
      onChange: (o, b, c, d) => void replace(o, b, c, d),
      onSaveLimits: host.saveLimits?.bind(host),
      onExport: host.exportAs?.bind(host),
      onOpenInBrowser: host.openInBrowser?.bind(host),
    },
  );

  /**
   * The timeline pane's height: the user's (dragged with the splitter) or one lane pair per device.
   * CSS caps it (max-height) so the DAG pane always keeps its share of a small window.
   */
  function sizeTimeline(): void {
    // No schedule to draw (infeasible, or not placed yet): one line of text, the DAG gets the rest.
    const drawn = throughput() ? s.pipeline : s.plan;
    const natural = !drawn?.feasible
      ? 40
      : throughput()
        ? Math.min(320, pipelineTimeline.naturalHeight())
        : Math.min(320, Math.max(70, devices() * LANE_PAIR_H + 30));
    timelineWrap.style.height = `${Math.round(s.timelineHeight ?? natural)}px`;
  }

  /** Dragging the bar between the DAG and the timeline resizes both panes. */
  function installSplitter(): void {
    const bar = document.getElementById('split');
    if (!bar) return;
    bar.addEventListener('pointerdown', (down: PointerEvent) => {
      down.preventDefault();
      bar.setPointerCapture(down.pointerId);
      const startY = down.clientY;
      const startH = timelineWrap.getBoundingClientRect().height;
      const move = (ev: PointerEvent) => void dispatch({ type: 'timelineHeight', px: Math.max(40, startH - (ev.clientY - startY)) });
      const up = () => {
        bar.removeEventListener('pointermove', move);
        bar.removeEventListener('pointerup', up);
        bar.removeEventListener('pointercancel', up);
        // What the CSS cap let it become, so a restore does not ask for more than fits.
        void dispatch({ type: 'timelineHeight', px: Math.round(timelineWrap.getBoundingClientRect().height) });
      };
      bar.addEventListener('pointermove', move);
      bar.addEventListener('pointerup', up);
      bar.addEventListener('pointercancel', up);
    });
    bar.addEventListener('dblclick', () => void dispatch({ type: 'timelineHeight', px: undefined }));
  }

  installSplitter();
  drawPanels();
  dag.setShowCritical(s.showCritical);
  if (s.selected !== null) renderDetails(details, s.graph, s.pv, s.selected);
  window.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') selectNode(null);
  });
  persist(); // the expanded groups of the first layout
  const ready = relayout(true);
  // The host placed with its defaults (settings) but the user had chosen other options here
  // before the reload: theirs win. (A VS Code host that read the state itself sends them already.)
  const batchChanged = !!init.capabilities?.batchSize && s.chosenBatch !== undefined && s.chosenBatch !== init.batchSize;
  const choiceChanged =
    s.chosenChoice.objective !== s.objective ||
    (s.objective === 'throughput' &&
      JSON.stringify(s.chosenChoice.pipelineControls) !== JSON.stringify(init.pipelineControls ?? s.chosenChoice.pipelineControls));
  if ((saved?.options && (!sameChosenOptions(saved.options, init.options) || batchChanged)) || choiceChanged) {
    const o = saved?.options ?? init.options;
    controls.setOptions(o, s.chosenChoice);
    void replace(o, batchChanged ? s.chosenBatch : undefined);
  }

  return {
    ready,
    dag,
    state: () => ({
      visibleItems: vis.items.length,
      visibleNodes: vis.items.filter((i) => i.kind === 'node').length,
      layoutMode: layoutClient.mode,
      plan: s.plan,
      options: s.options,
      objective: s.objective,
      pipeline: s.pipeline,
      lastLayoutMs,
      lastElkMs,
      lastRecolourMs,
      lastApplyMs,
      lastPlaceMs,
      layouts,
      error: s.error,
    }),
    expand: (gid) => dispatch({ type: 'expand', id: gid }),
    expandAll: (maxVisible = Infinity) => dispatch({ type: 'expandAll', maxVisible }),
    setPlan: (plan, options) => void dispatch({ type: 'plan', plan, options }),
    replace: (o, choice) => replace(o, undefined, choice),
    persistedState: currentState,
  };
}
