// The viewer: wires the model, the layout worker, the DAG, the memory panel, the timeline, the
// summary and the controls. The same code runs in the VS Code webview and the standalone report;
// only the PlacementHost differs. Layout depends on the graph and the expanded groups only; a new
// plan recolours the existing elements.
import type { OpGraph } from '../algorithms/graph';
import type { AlgorithmName, Plan, PlacementOptions } from '../algorithms/plan';
import { ALGORITHMS } from '../algorithms/plan';
import { formatBytes, formatUs } from '../algorithms/units';
import { createControls, type ControlsView } from './controls';
import { createDagView, GROUP_SIZE, NODE_SIZE, type DagScene, type DagView } from './dag';
import { escapeHtml as esc } from './html';
import type { LayoutClient } from './layoutClient';
import { absoluteLayout, quickLayoutScopes, type LayoutScope, type ScopeResult } from './layoutCore';
import { renderMemoryBars, renderMemoryOverTime } from './memoryPanel';
import {
  ancestorsOf,
  autoExpand,
  buildGroupTree,
  DEFAULT_TREE_OPTIONS,
  drawnEdges,
  planView,
  scopeLayoutEdges,
  searchNodes,
  visibleGraph,
  type GroupBy,
  type GroupTree,
  type PlanView,
  type VisibleGraph,
} from './model';
import { SupersededError, type PlacementHost } from './placementHost';
import type { InitMessage } from './protocol';
import { debounce, parseViewerState, restoreExpanded, sameChosenOptions, stateMatches, VIEWER_STATE_VERSION, type PersistedViewerState, type ViewTransform } from './viewState';
import { renderSummary } from './summary';
import { createTimeline, LANE_PAIR_H, type TimelineView } from './timeline';

/** Items visible at first paint: small graphs open fully, big ones as an overview of boxes. */
export const INITIAL_VISIBLE_BUDGET = 400;
export const INITIAL_VISIBLE_BUDGET_BIG = 250;
/** Persisting waits for a pause this long: a zoom gesture fires dozens of events per second. */
export const STATE_SAVE_DEBOUNCE_MS = 250;
/** What the details pane says with no op selected (as the page starts: html.ts). */
const DETAILS_HINT = 'Hover or click an operator.';

export interface ViewerHandle {
  /** Resolves when the current layout is drawn (tests and benchmarks wait on it). */
  ready: Promise<void>;
  state(): ViewerState;
  expand(groupId: string): Promise<void>;
  expandAll(maxVisible?: number): Promise<void>;
  setPlan(plan: Plan, options: PlacementOptions): void;
  replace(options: PlacementOptions): Promise<void>;
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
  lastLayoutMs: number;
  /** Time ELK itself spent in the last layout (the rest: messaging, edge routing, drawing). */
  lastElkMs: number;
  lastRecolourMs: number;
  lastPlaceMs: number;
  layouts: number;
  error: string | null;
}

function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`viewer page is missing #${id}`);
  return e;
}

function shapeText(shape: (number | null)[] | null): string {
  return shape ? `[${shape.map((d) => (d === null ? '?' : String(d))).join('×')}]` : '?';
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

function defaultExpansion(tree: GroupTree, nodeCount: number): Set<string> {
  // Big graphs open with fewer items: ELK's time grows faster than linearly in a scope's size.
  return autoExpand(tree, nodeCount > 5000 ? INITIAL_VISIBLE_BUDGET_BIG : INITIAL_VISIBLE_BUDGET);
}

export function startViewer(init: InitMessage, host: PlacementHost, layoutClient: LayoutClient): ViewerHandle {
  // What this view looked like before the webview was reloaded (window reload, hidden tab shown
  // again, new graph): the user's options, zoom, expanded groups… win over the defaults.
  const saved = savedStateFor(init, host);
  const savedView = saved?.view ?? {};
  // `let`: a re-costed graph (new batch size) with the same structure replaces it without re-layout.
  let graph: OpGraph = init.graph;
  const idx = new Map<string, number>();
  graph.nodes.forEach((n, i) => idx.set(n.id, i));
  // Group boxes by namespace path, or by colocation/fused group (switchable in the DAG tools).
  let groupByNow: GroupBy = savedView.groupBy ?? 'namespace';
  const treeOf = (g: OpGraph) => buildGroupTree(g, { ...DEFAULT_TREE_OPTIONS, groupBy: groupByNow });
  let tree: GroupTree = treeOf(graph);
  performance.mark('opplace:tree-built');
  let expanded = restoreExpanded(savedView.expanded, tree.groups, tree.root) ?? defaultExpansion(tree, graph.nodes.length);
  let vis: VisibleGraph = visibleGraph(graph, tree, expanded);
  let plan: Plan | null = init.plan;
  let options: PlacementOptions = init.options;
  /** The options and batch size the user chose last (persisted even before their plan arrives). */
  let chosenOptions: PlacementOptions = saved?.options ?? init.options;
  let chosenBatch: number | undefined = saved?.batchSize ?? init.batchSize;
  let pv: PlanView = planView(graph, plan, idx);
  let showCritical = savedView.showCritical ?? true;
  let selectedNode: number | null = savedView.selected ? idx.get(savedView.selected) ?? null : null;
  /** A saved zoom/pan to re-apply once the first layout is drawn (instead of fitting). */
  let restoreTransform: ViewTransform | null = savedView.transform ?? null;
  let timelineHeight: number | undefined = savedView.timelineHeight;
  let memDevice = 0;
  let layoutSeq = 0;
  let lastLayoutMs = 0;
  let lastElkMs = 0;
  let lastRecolourMs = 0;
  let lastPlaceMs = 0;
  let layouts = 0;
  let error: string | null = null;
  let matches: number[] = [];
  let matchCursor = 0;

  const title = init.file ?? graph.source?.file ?? graph.name;
  const statusEl = $('status');
  const tooltip = $('tooltip');
  const details = $('details');
  const memSvg = $('memory') as unknown as SVGSVGElement;
  const memTimeSvg = $('memtime') as unknown as SVGSVGElement;

  // ── status line ──
  let busyText = '';
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
  host.setEvents({
    onPlan: (r) => applyResult(r),
    onBusy: (b, m) => {
      busyText = b ? m ?? 'placing…' : '';
      setStatus(busyText);
    },
    onProgress: (m, f) => setStatus(m, 'info', f),
    onError: (m) => showError(m),
    onTheme: () => redrawThemed(),
  });
  // VS Code switches themes by changing body classes and CSS variables; canvases must redraw.
  new MutationObserver(() => redrawThemed()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  function redrawThemed(): void {
    timeline.redraw();
  }

  function showError(message: string): void {
    error = message;
    setStatus(message, 'error');
  }

  // ── persisted state (VS Code setState) ──
  function currentState(): PersistedViewerState {
    return {
      v: VIEWER_STATE_VERSION,
      ...(init.hostUri !== undefined ? { hostUri: init.hostUri } : {}),
      ...(init.file !== undefined ? { file: init.file } : {}),
      options: chosenOptions,
      ...(chosenBatch !== undefined ? { batchSize: chosenBatch } : {}),
      view: {
        // Until the first layout is drawn the saved transform is still the one that counts.
        transform: restoreTransform ?? dag.transform(),
        expanded: [...expanded],
        groupBy: groupByNow,
        showCritical,
        selected: selectedNode === null ? null : graph.nodes[selectedNode].id,
        ...(timelineHeight !== undefined ? { timelineHeight } : {}),
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

  // ── tooltip ──
  /** What the tooltip shows now: a pointer moving within one item re-positions it, no re-parse. */
  let tipHtml = '';
  function showTip(html: string | null, ev: MouseEvent | null): void {
    if (!html || !ev) {
      tooltip.style.display = 'none';
      return;
    }
    if (html !== tipHtml) {
      tooltip.innerHTML = html;
      tipHtml = html;
    }
    tooltip.style.display = 'block';
    const pad = 14;
    const r = tooltip.getBoundingClientRect();
    const x = ev.clientX + pad + r.width > window.innerWidth ? ev.clientX - r.width - pad : ev.clientX + pad;
    const y = ev.clientY + pad + r.height > window.innerHeight ? ev.clientY - r.height - pad : ev.clientY + pad;
    tooltip.style.left = `${Math.max(0, x)}px`;
    tooltip.style.top = `${Math.max(0, y)}px`;
  }

  function nodeHtml(i: number): string {
    const n = graph.nodes[i];
    const d = pv.deviceOf[i];
    const outs = n.outputs.map((t) => `${esc(t.name)} ${shapeText(t.shape)} ${esc(t.dtype ?? '')} (${formatBytes(t.bytes)})`).join('<br>');
    const rows: [string, string][] = [
      ['op', esc(n.opType)],
      ['name', esc(n.name)],
      ['device', d >= 0 ? `GPU ${d}` : 'not placed'],
      ['time', formatUs(n.computeUs)],
      ['start / end', Number.isFinite(pv.startUs[i]) ? `${formatUs(pv.startUs[i])} → ${formatUs(pv.endUs[i])}` : '—'],
      ['persistent', formatBytes(n.persistentBytes)],
      ['temporary', formatBytes(n.temporaryBytes)],
      ['outputs', outs || '—'],
    ];
    if (n.namespace.length) rows.push(['namespace', esc(n.namespace.join('/'))]);
    if (pv.critical[i]) rows.push(['', '<b>on the critical path</b>']);
    return `<table>${rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('')}</table>`;
  }

  function groupHtml(gid: string): string {
    const g = tree.groups.get(gid)!;
    const perDev = new Map<number, number>();
    let crit = 0;
    let time = 0;
    for (const m of g.members) {
      perDev.set(pv.deviceOf[m], (perDev.get(pv.deviceOf[m]) ?? 0) + 1);
      if (pv.critical[m]) crit++;
      time += graph.nodes[m].computeUs;
    }
    const mix = [...perDev.entries()].sort((a, b) => a[0] - b[0]).map(([d, c]) => `${d >= 0 ? `GPU ${d}` : 'unplaced'}: ${c}`).join(', ');
    return `<b>${esc(g.label)}</b> (click to expand)<table><tr><td>ops</td><td>${g.members.length}</td></tr><tr><td>devices</td><td>${mix}</td></tr><tr><td>compute</td><td>${formatUs(time)}</td></tr><tr><td>critical ops</td><td>${crit}</td></tr></table>`;
  }

  // ── DAG ──
  let hoverItem: string | null = null;
  const dag = createDagView($('dag'), {
    onHover(itemId, ev) {
      if (itemId !== hoverItem) {
        hoverItem = itemId;
        dag.setHover(itemId);
        const i = itemId && !itemId.startsWith('group:') ? idx.get(itemId) ?? null : null;
        timeline.setHover(i);
      }
      if (!itemId) return showTip(null, null);
      showTip(itemId.startsWith('group:') ? groupHtml(itemId) : nodeHtml(idx.get(itemId)!), ev);
    },
    onClickNode(i) {
      selectNode(i);
    },
    onToggleGroup(gid) {
      void toggle(gid);
    },
    onBackground() {
      selectNode(null);
    },
    onTransform() {
      if (!restoreTransform) persist();
    },
  });

  function selectNode(i: number | null): void {
    selectedNode = i;
    const id = i === null ? null : graph.nodes[i].id;
    dag.setSelected(id);
    details.innerHTML = i === null ? DETAILS_HINT : nodeHtml(i);
    host.select(id);
    persist();
  }

  // ── timeline ──
  const timelineWrap = $('timeline-wrap');
  const timeline: TimelineView = createTimeline($('timeline') as HTMLCanvasElement, {
    onHoverNode(i, ev) {
      const id = i === null ? null : vis.repOf[i];
      if (id !== hoverItem) {
        hoverItem = id;
        dag.setHover(id);
      }
      timeline.setHover(i);
      showTip(i === null ? null : nodeHtml(i), ev);
    },
    onHoverTransfer(k, ev) {
      const t = k === null || !plan ? null : plan.transfers[k];
      showTip(t ? `<b>transfer</b> GPU ${t.srcDevice} → GPU ${t.dstDevice}<br>${esc(t.from)} → ${esc(t.to)}<br>${formatBytes(t.bytes)}, ${formatUs(t.startUs)} → ${formatUs(t.endUs)}` : null, ev);
    },
    onClickNode(i) {
      void reveal(i).then(() => selectNode(i));
    },
  });

  // ── legend and tools ──
  function renderLegend(): void {
    const legend = $('legend');
    legend.replaceChildren();
    const devices = plan?.devices.length ?? options.devices;
    for (let d = 0; d < devices; d++) {
      const s = document.createElement('span');
      s.className = `device-${d}`;
      const sw = document.createElement('span');
      sw.className = 'sw';
      s.append(sw, `GPU ${d}`);
      legend.append(s);
    }
    for (const [cls, text] of [['cross', 'cross-device edge (transfer)'], ['crit', 'critical path']]) {
      const s = document.createElement('span');
      const sw = document.createElement('span');
      sw.className = `sw ${cls}`;
      s.append(sw, text);
      legend.append(s);
    }
  }

  function buildTools(): void {
    const tools = $('dag-tools');
    tools.replaceChildren();
    const search = document.createElement('vscode-textfield') as HTMLElement & { value: string };
    search.id = 'search';
    search.setAttribute('placeholder', 'search name or op type');
    const count = document.createElement('span');
    count.id = 'search-count';
    const run = () => {
      matches = searchNodes(graph, search.value);
      matchCursor = 0;
      count.textContent = search.value.trim() ? `${matches.length}${matches.length === 200 ? '+' : ''} found` : '';
      void showMatch();
    };
    search.addEventListener('change', run);
    search.addEventListener('keydown', (ev) => {
      if ((ev as KeyboardEvent).key === 'Enter') {
        if (matches.length && search.value.trim()) {
          matchCursor = (matchCursor + 1) % matches.length;
          void showMatch();
        } else run();
      }
    });
    const fit = document.createElement('vscode-button');
    fit.id = 'fit';
    fit.setAttribute('secondary', '');
    fit.textContent = 'Fit';
    fit.addEventListener('click', () => dag.fit());
    const crit = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
    crit.id = 'toggle-critical';
    crit.setAttribute('label', 'critical path');
    crit.checked = showCritical;
    crit.addEventListener('change', () => {
      showCritical = crit.checked;
      dag.setShowCritical(showCritical);
      persist();
    });
    const collapse = document.createElement('vscode-button');
    collapse.id = 'collapse-all';
    collapse.setAttribute('secondary', '');
    collapse.textContent = 'Collapse';
    collapse.addEventListener('click', () => {
      expanded = new Set([tree.root]);
      void relayout(true);
    });
    const groupBy = document.createElement('vscode-single-select') as HTMLElement & { value: string };
    groupBy.id = 'group-by';
    groupBy.title = 'group boxes by';
    for (const [v, label] of [['namespace', 'by namespace'], ['colocation', 'by colocation group']]) {
      const o = document.createElement('vscode-option');
      o.setAttribute('value', v);
      o.textContent = label;
      groupBy.appendChild(o);
    }
    groupBy.value = groupByNow;
    groupBy.addEventListener('change', () => {
      groupByNow = groupBy.value === 'colocation' ? 'colocation' : 'namespace';
      tree = treeOf(graph);
      expanded = defaultExpansion(tree, graph.nodes.length);
      void relayout(true);
    });
    tools.append(search, count, fit, collapse, groupBy, crit);
  }

  async function showMatch(): Promise<void> {
    if (!matches.length) {
      dag.setMatches(new Set());
      return;
    }
    const target = matches[matchCursor];
    await reveal(target);
    dag.setMatches(new Set(matches.map((i) => vis.repOf[i])));
    dag.centerOn(vis.repOf[target]);
  }

  /** Expands the groups that hide node i, then re-lays out. */
  async function reveal(i: number): Promise<void> {
    if (!vis.repOf[i].startsWith('group:')) return;
    for (const g of ancestorsOf(tree, i)) expanded.add(g);
    await relayout(false);
  }

  async function toggle(gid: string): Promise<void> {
    if (expanded.has(gid)) {
      // Collapse the group and everything inside it.
      const stack = [gid];
      while (stack.length) {
        const g = stack.pop()!;
        expanded.delete(g);
        stack.push(...(tree.groups.get(g)?.groups ?? []));
      }
    } else expanded.add(gid);
    await relayout(false);
  }

  // ── layout ──
  function layoutScopesFor(v: VisibleGraph): LayoutScope[] {
    const edgesByScope = scopeLayoutEdges(graph, tree, v, idx);
    const scopeSet = new Set(v.scopes);
    return v.scopes.map((scope) => {
      const g = tree.groups.get(scope)!;
      const children = [
        ...g.groups.map((cid) => (scopeSet.has(cid) ? { id: cid, isScope: true } : { id: cid, width: GROUP_SIZE.width, height: GROUP_SIZE.height })),
        ...g.nodes.map((i) => ({ id: graph.nodes[i].id, width: NODE_SIZE.width, height: NODE_SIZE.height })),
      ];
      return { scope, children, edges: edgesByScope.get(scope) ?? [] };
    });
  }

  function drawScene(scopes: LayoutScope[], results: Record<string, ScopeResult>): void {
    const layout = absoluteLayout(tree.root, scopes, results);
    const scene: DagScene = { graph, tree, vis, layout, scopes, results, edges: drawnEdges(graph, vis, idx) };
    dag.render(scene, pv, plan?.devices.length ?? options.devices);
  }

  async function relayout(fit: boolean): Promise<void> {
    const seq = ++layoutSeq;
    const t0 = performance.now();
    const nextVis = visibleGraph(graph, tree, expanded);
    const scopes = layoutScopesFor(nextVis);
    persist(); // the expanded groups changed (or the graph did)
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
      showError((e as Error).message);
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
    if (selectedNode !== null) dag.setSelected(vis.repOf[selectedNode]);
    setStatus(error ?? busyText, error ? 'error' : 'info');
  }

  // ── plan ──
  /** Same ops and edges in the same order: only costs changed, so the layout stays valid. */
  function sameStructure(a: OpGraph, b: OpGraph): boolean {
    if (a.nodes.length !== b.nodes.length || a.edges.length !== b.edges.length) return false;
    for (let i = 0; i < a.nodes.length; i++) if (a.nodes[i].id !== b.nodes[i].id) return false;
    for (let k = 0; k < a.edges.length; k++) if (a.edges[k].from !== b.edges[k].from || a.edges[k].to !== b.edges[k].to) return false;
    return true;
  }

  function applyResult(r: { plan: Plan; options: PlacementOptions; graph?: OpGraph }): void {
    if (r.graph && r.graph !== graph) {
      if (!sameStructure(graph, r.graph)) {
        adoptGraph(r.graph);
        setPlan(r.plan, r.options, false);
        void relayout(false);
        return;
      }
      graph = r.graph;
    }
    setPlan(r.plan, r.options);
  }

  /**
   * A new graph (the file changed on disk, another batch size or dtype changed the ops): new
   * groups, same view where it still applies — the expanded groups and the selection whose ids
   * still exist, and the zoom/pan as it is.
   */
  function adoptGraph(next: OpGraph): void {
    const selectedId = selectedNode === null ? null : graph.nodes[selectedNode].id;
    const wasExpanded = [...expanded];
    graph = next;
    idx.clear();
    graph.nodes.forEach((n, i) => idx.set(n.id, i));
    tree = treeOf(graph);
    expanded = restoreExpanded(wasExpanded, tree.groups, tree.root) ?? defaultExpansion(tree, graph.nodes.length);
    selectedNode = selectedId === null ? null : idx.get(selectedId) ?? null;
    if (selectedNode === null) details.innerHTML = DETAILS_HINT;
    matches = [];
    dag.setMatches(new Set());
    hoverItem = null;
  }

  function setPlan(p: Plan, o: PlacementOptions, recolourDag = true): void {
    const t0 = performance.now();
    plan = p;
    options = o;
    chosenOptions = o;
    error = null;
    pv = planView(graph, plan, idx);
    // After a new graph the drawn scene is the old one; the next layout draws with the new colours.
    if (recolourDag) dag.recolour(pv, plan.devices.length);
    renderSummary($('header'), title, plan);
    if (memDevice >= plan.devices.length) memDevice = 0;
    renderMemory();
    timeline.setPlan(plan, idx, pv.critical);
    sizeTimeline();
    renderLegend();
    controls.setOptions(o);
    if (selectedNode !== null) details.innerHTML = nodeHtml(selectedNode);
    lastRecolourMs = performance.now() - t0;
    persist();
    document.body.dataset.planVersion = String(Number(document.body.dataset.planVersion ?? '0') + 1);
  }

  function renderMemory(): void {
    renderMemoryBars(memSvg, plan, memDevice, {
      onSelectDevice(d) {
        memDevice = d;
        renderMemory();
      },
      onHover: showTip,
    });
    $('memtime-title').textContent = `Memory over time — GPU ${memDevice}`;
    renderMemoryOverTime(memTimeSvg, plan, memDevice);
  }

  async function replace(o: PlacementOptions, batchSize?: number): Promise<void> {
    const t0 = performance.now();
    chosenOptions = o;
    if (batchSize !== undefined) chosenBatch = batchSize;
    persist();
    try {
      const r = await host.replace(o, batchSize);
      lastPlaceMs = performance.now() - t0;
      applyResult(r);
      setStatus('');
    } catch (e) {
      if (e instanceof SupersededError) return;
      showError((e as Error).message);
    }
  }

  const algorithms: AlgorithmName[] = [...ALGORITHMS];
  const controls: ControlsView = createControls(
    $('controls'),
    {
      algorithms: algorithms.includes(options.algorithm) ? algorithms : [...algorithms, options.algorithm],
      presets: init.presets,
      batchSize: init.capabilities?.batchSize ? chosenBatch : undefined,
      canSaveLimits: !!init.capabilities?.saveLimits && !!host.saveLimits,
      exportFormats: host.exportAs ? init.capabilities?.export ?? [] : [],
      canOpenInBrowser: !!init.capabilities?.openInBrowser && !!host.openInBrowser,
    },
    options,
    {
      onChange: (o, b) => void replace(o, b),
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
    const devices = plan?.devices.length ?? options.devices;
    // No schedule to draw (infeasible, or not placed yet): one line of text, the DAG gets the rest.
    const natural = plan?.feasible ? Math.min(320, Math.max(70, devices * LANE_PAIR_H + 30)) : 40;
    timelineWrap.style.height = `${Math.round(timelineHeight ?? natural)}px`;
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
      const move = (ev: PointerEvent) => {
        timelineHeight = Math.max(40, startH - (ev.clientY - startY));
        sizeTimeline();
      };
      const up = () => {
        bar.removeEventListener('pointermove', move);
        bar.removeEventListener('pointerup', up);
        bar.removeEventListener('pointercancel', up);
        // What the CSS cap let it become, so a restore does not ask for more than fits.
        timelineHeight = Math.round(timelineWrap.getBoundingClientRect().height);
        persist();
      };
      bar.addEventListener('pointermove', move);
      bar.addEventListener('pointerup', up);
      bar.addEventListener('pointercancel', up);
    });
    bar.addEventListener('dblclick', () => {
      timelineHeight = undefined;
      sizeTimeline();
      persist();
    });
  }

  sizeTimeline();
  installSplitter();
  buildTools();
  renderSummary($('header'), title, plan);
  renderLegend();
  renderMemory();
  timeline.setPlan(plan, idx, pv.critical);
  dag.setShowCritical(showCritical);
  if (selectedNode !== null) details.innerHTML = nodeHtml(selectedNode);
  window.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') selectNode(null);
  });
  const ready = relayout(true);
  // The host placed with its defaults (settings) but the user had chosen other options here
  // before the reload: theirs win. (A VS Code host that read the state itself sends them already.)
  const batchChanged = !!init.capabilities?.batchSize && chosenBatch !== undefined && chosenBatch !== init.batchSize;
  if (saved?.options && (!sameChosenOptions(saved.options, init.options) || batchChanged)) {
    controls.setOptions(saved.options);
    void replace(saved.options, batchChanged ? chosenBatch : undefined);
  }

  return {
    ready,
    dag,
    state: () => ({
      visibleItems: vis.items.length,
      visibleNodes: vis.items.filter((i) => i.kind === 'node').length,
      layoutMode: layoutClient.mode,
      plan,
      options,
      lastLayoutMs,
      lastElkMs,
      lastRecolourMs,
      lastPlaceMs,
      layouts,
      error,
    }),
    expand: (gid) => {
      expanded.add(gid);
      return relayout(false);
    },
    async expandAll(maxVisible = Infinity) {
      expanded = autoExpand(tree, maxVisible);
      await relayout(true);
    },
    setPlan,
    replace: (o) => replace(o),
    persistedState: currentState,
  };
}
