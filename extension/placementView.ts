// One placement viewer: a webview (a panel opened by "Place on Devices…", or the read-only custom
// editor) showing one model file. It owns the current graph, plan and options, runs placements in
// the worker, answers the webview's messages and re-places when the file or the settings change.
import * as vscode from 'vscode';
import type { OpGraph } from '../algorithms/graph';
import type { Plan, PlacementOptions } from '../algorithms/plan';
import type { PipelinePlan } from '../algorithms/pipeline/types';
import { INTERCONNECTS } from '../algorithms/options';
import type { PrepareOptions } from '../algorithms/prepare';
import { OpplaceError } from '../algorithms/errors';
import { DEFAULT_PIPELINE_CONTROLS, ExportFormat, HostToWebviewMessage, PROTOCOL_VERSION, ThemeKind, WebviewToHostMessage } from '../webview/protocol';
import { acceptMessage } from './messages';
import { loadErrorHtml } from './compareTable';
import type { Log } from './log';
import { isCancelled, runWithProgress } from './progress';
import { BYTES_NEEDED, contentDigest, EngineClient, JobError, PipelineResult, PlaceResult, RunningJob } from './engineClient';
import { ResolvedSettings, mergeViewerOptions, withViewerDims } from './settings';
import { infeasibleText, planSummary, baseName } from './userMessages';
import type { SavedViewState } from './viewRestore';
import { buildWebviewHtml, makeNonce } from '../webview/html';
import type { ObjectiveChoice } from '../webview/placementHost';
import { pipelineOptionsFrom } from '../webview/pipelineModel';

/** What a view needs from the extension (kept narrow so views stay simple to reason about). */
export interface ViewHost {
  extensionUri: vscode.Uri;
  workerScript: string;
  log: Log;
  /** The settings for this file (throws OpplaceError on a bad setting). */
  settingsFor(uri: vscode.Uri): ResolvedSettings;
  exportFormats(uri: vscode.Uri): ExportFormat[];
  canOpenReport(): boolean;
  exportPlan(view: PlacementView, format?: ExportFormat): Promise<void>;
  openReport(view: PlacementView): Promise<void>;
  saveLimits(view: PlacementView, limits: number[]): Promise<void>;
  viewActivated(view: PlacementView): void;
  viewDisposed(view: PlacementView): void;
  /** The view's restorable state changed (the viewer's own choices); the host persists it. */
  viewStateChanged(view: PlacementView): void;
}

export function themeKind(kind: vscode.ColorThemeKind): ThemeKind {
  switch (kind) {
    case vscode.ColorThemeKind.Light:
      return 'light';
    case vscode.ColorThemeKind.HighContrast:
      return 'high-contrast';
    case vscode.ColorThemeKind.HighContrastLight:
      return 'high-contrast-light';
    default:
      return 'dark';
  }
}

export function mediaRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'media');
}

/** Scripts on, and only the extension's media folder readable. */
export function viewerWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [mediaRoot(extensionUri)] };
}

const RELOAD_DEBOUNCE_MS = 300;

/** One placement request: what to place (the file's bytes) and how (settings under the viewer's choices). */
interface PlacementRequest {
  reason: string;
  requestId: number | undefined;
  /** performance.now() when the request came, and the ms spent reading the settings and the file. */
  started: number;
  readMs: number;
  /** The file's bytes, left out when the file is unchanged since the last read and the engine holds its model. */
  bytes: Uint8Array | undefined;
  digest: string;
  options: PlacementOptions;
  load: PrepareOptions;
  choice: ObjectiveChoice;
}

export class PlacementView implements vscode.Disposable {
  graph: OpGraph | undefined;
  /** The last placement: its plan in columns (what the webview got) and the full Plan on demand. */
  private placed: PlaceResult | undefined;
  options: PlacementOptions | undefined;
  /** The load options of the graph shown (settings, then the viewer's batch size and dims): what Compare Algorithms loads too. */
  load: PrepareOptions | undefined;
  /** Throughput mode (issue 14): the objective and knobs last planned with, and the pipeline plan. */
  choice: ObjectiveChoice | undefined;
  pipeline: PipelinePlan | undefined;
  /** Placement options the user chose in the viewer; dropped when the settings change. */
  private viewerOptions: PlacementOptions | undefined;
  private viewerBatch: number | undefined;
  /** Symbolic dims the user set in the viewer (NAME=VALUE), over `opplace.dims`; dropped with the others. */
  private viewerDims: string[] | undefined;
  private viewerChoice: ObjectiveChoice | undefined;
  private webviewReady = false;
  private initSent = false;
  private running: RunningJob<PlaceResult | PipelineResult> | undefined;
  /** This view's placement engine: a worker holding the prepared model while the view is open. */
  readonly engine: EngineClient;
  private generation = 0;
  /** Key (file bytes + load options) of the graph the webview has; a change means the webview must re-lay out. */
  private graphKey = '';
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * The file as last read: its modification time, size and digest. A re-place of an unchanged file
   * whose model the engine holds does not read and hash it again. For a 315 MB model in code-server
   * that took the host 427–459 ms per click (the read ~240 ms, the SHA-256 the rest) and a new
   * 315 MB buffer each time; now 12–22 ms. Dropped when the watcher sees a change, so a rewrite
   * within one mtime tick is read too.
   */
  private fileRead: { mtime: number; size: number; digest: string } | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  /** True while the panel shows the load-error page instead of the viewer. */
  private showingLoadError = false;
  /** Settled when the latest placement ends (tests and commands wait on it). */
  private idle: Promise<void> = Promise.resolve();

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly uri: vscode.Uri,
    private readonly host: ViewHost,
    restored?: SavedViewState,
  ) {
    this.viewerOptions = restored?.viewerOptions;
    this.viewerBatch = restored?.viewerBatch;
    this.viewerDims = restored?.viewerDims;
    this.viewerChoice = restored?.viewerChoice;
    this.engine = new EngineClient(host.workerScript);
    const webview = panel.webview;
    webview.options = viewerWebviewOptions(host.extensionUri);
    webview.html = this.html();
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      panel.onDidChangeViewState(() => {
        if (panel.active) host.viewActivated(this);
      }),
      panel.onDidDispose(() => this.dispose()),
      vscode.window.onDidChangeActiveColorTheme((t) => this.post({ type: 'theme', theme: themeKind(t.kind) })),
      this.watchFile(),
    );
    if (panel.active) host.viewActivated(this);
  }

  get title(): string {
    return baseName(this.uri.path);
  }

  savedState(): SavedViewState {
    return {
      uri: this.uri.toString(),
      ...(this.viewerOptions ? { viewerOptions: this.viewerOptions } : {}),
      ...(this.viewerBatch !== undefined ? { viewerBatch: this.viewerBatch } : {}),
      ...(this.viewerDims !== undefined ? { viewerDims: this.viewerDims } : {}),
      ...(this.viewerChoice ? { viewerChoice: this.viewerChoice } : {}),
    };
  }

  /**
   * The last placement's full Plan (exports, the report, the viewer's first page), made on the first
   * read (PlaceResult.plan): re-places only forward the columns.
   */
  get plan(): Plan | undefined {
    return this.placed?.plan();
  }

  /** What the viewer shows: the pipeline plan in throughput mode, else the placement. */
  shownPlan(): Plan | PipelinePlan | undefined {
    return this.choice?.objective === 'throughput' ? this.pipeline : this.plan;
  }

  /** Resolves when no placement is running. */
  whenIdle(): Promise<void> {
    return this.idle;
  }

  private html(): string {
    const webview = this.panel.webview;
    const media = mediaRoot(this.host.extensionUri);
    return buildWebviewHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'webview.js')).toString(),
      workerUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'layout-worker.js')).toString(),
      title: `Placement: ${this.title}`,
    });
  }

  private watchFile(): vscode.Disposable {
    const dir = vscode.Uri.joinPath(this.uri, '..');
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, baseName(this.uri.path)));
    const onChange = (u: vscode.Uri) => {
      if (u.toString() !== this.uri.toString()) return;
      this.fileRead = undefined;
      // Editors save in several writes; wait for the file to settle before re-loading it.
      clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => {
        this.host.log.info(`${this.uri.fsPath} changed on disk: re-loading and re-placing`);
        void this.place({ reason: 'file changed' });
      }, RELOAD_DEBOUNCE_MS);
    };
    return vscode.Disposable.from(watcher, watcher.onDidChange(onChange), watcher.onDidCreate(onChange));
  }

  /** Called when `opplace.*` settings changed: the settings win over the viewer's own choices. */
  settingsChanged(): void {
    this.viewerOptions = undefined;
    this.viewerBatch = undefined;
    this.viewerDims = undefined;
    this.viewerChoice = undefined;
    this.host.viewStateChanged(this);
    void this.place({ reason: 'settings changed' });
  }

  /** Runs a placement with the current settings and viewer choices, and shows the result. */
  place(opts: { reason: string; requestId?: number } = { reason: 'place' }): Promise<void> {
    const run = this.runPlacement(opts.reason, opts.requestId);
    this.idle = run.catch(() => undefined);
    return this.idle;
  }

  private async runPlacement(reason: string, requestId: number | undefined): Promise<void> {
    const started = performance.now();
    const generation = ++this.generation;
    const current = () => generation === this.generation && !this.disposed;
    // A newer request supersedes a running one: abandon it (the engine drops it if it has not started).
    const previous = this.running;
    this.running = undefined;
    previous?.cancel();
    let request = await this.readRequest(reason, requestId, started, false);
    if (!request || !current()) return;
    let job = this.startJob(request);
    this.running = job;
    try {
      let result: PlaceResult | PipelineResult;
      try {
        result = await job.result;
      } catch (e) {
        // The engine lost the model a request without bytes relied on (a restarted worker): read the file and go again, once.
        if (!(e instanceof JobError && e.failure.message === BYTES_NEEDED) || !current()) throw e;
        request = await this.readRequest(reason, requestId, started, true);
        if (!request || !current()) return;
        job = this.startJob(request);
        this.running = job;
        result = await job.result;
      }
      if (!current()) return;
      const graphChanged = this.acceptGraph(result, request);
      if ('pipeline' in result) this.showPipeline(result.pipeline, request, graphChanged ? result.graph : undefined);
      else this.showPlan(result, request, graphChanged);
    } catch (e) {
      if (current()) this.showJobFailure(e, requestId);
    } finally {
      if (generation === this.generation) {
        this.running = undefined;
        this.post({ type: 'busy', busy: false });
      }
    }
  }

  /**
   * The settings, the viewer's choices over them and the file's bytes (left out when the file is as
   * last read and the engine holds its model; `mustRead`: read anyway); undefined (failure shown)
   * when unreadable.
   */
  private async readRequest(reason: string, requestId: number | undefined, started: number, mustRead: boolean): Promise<PlacementRequest | undefined> {
    let settings: ResolvedSettings;
    let load: PrepareOptions;
    let bytes: Uint8Array | undefined;
    let digest: string;
    try {
      settings = this.host.settingsFor(this.uri);
      load = withViewerDims({ ...settings.load, ...(this.viewerBatch !== undefined ? { batch: this.viewerBatch } : {}) }, this.viewerDims);
      const stat = await vscode.workspace.fs.stat(this.uri);
      const known = this.fileRead;
      // (a file system that reports no modification time is read every time)
      const unchanged = !mustRead && known !== undefined && stat.mtime > 0 && known.mtime === stat.mtime && known.size === stat.size;
      if (unchanged && this.engine.holds({ digest: known.digest, fileName: this.fileName, load })) digest = known.digest;
      else {
        bytes = await vscode.workspace.fs.readFile(this.uri);
        digest = contentDigest(bytes);
        this.fileRead = { mtime: stat.mtime, size: stat.size, digest };
      }
    } catch (e) {
      const text = this.host.log.showError(fileError(e, this.uri), `placing ${this.title}`);
      this.showFailure(text, requestId);
      return undefined;
    }
    const options = this.viewerOptions ? mergeViewerOptions(settings.placement, this.viewerOptions) : settings.placement;
    const choice: ObjectiveChoice = this.viewerChoice ?? { objective: settings.objective, pipelineControls: settings.pipeline };
    return { reason, requestId, started, readMs: performance.now() - started, bytes, digest, options, load, choice };
  }

  private get fileName(): string {
    return this.uri.fsPath || this.uri.path;
  }

  /** Sends the request to this view's engine, with the busy line in the viewer and progress in VS Code. */
  private startJob(request: PlacementRequest): RunningJob<PlaceResult | PipelineResult> {
    const { options, load, choice, bytes, digest } = request;
    const throughput = choice.objective === 'throughput';
    const fileName = this.fileName;
    this.host.log.info(`${request.reason}: ${this.uri.fsPath} with ${JSON.stringify({ ...options, load, ...(throughput ? choice : {}) })}`);
    const what = throughput ? `a ${choice.pipelineControls.split} pipeline` : options.algorithm;
    this.post({ type: 'busy', busy: true, message: throughput ? `Planning ${what}…` : `Placing with ${what}…` });
    return runWithProgress<PlaceResult | PipelineResult>(
      `opplace: ${throughput ? 'planning' : 'placing'} ${this.title} (${what}, ${options.devices} devices)`,
      (progress): RunningJob<PlaceResult | PipelineResult> =>
        throughput
          ? this.engine.pipeline({ bytes, digest, fileName, load }, pipelineOptionsFrom(options, choice.pipelineControls), progress)
          : this.engine.place({ bytes, digest, fileName, load }, options, progress),
      (message, fraction) => this.post({ type: 'progress', message, fraction }),
    );
  }

  /**
   * Keeps the result's graph; true when it replaces a graph the webview already shows. The key
   * hashes the file's bytes and the load options: a new key is a new graph.
   */
  private acceptGraph(result: PlaceResult | PipelineResult, request: PlacementRequest): boolean {
    const newGraph = result.key !== this.graphKey;
    const graphChanged = this.graphKey !== '' && newGraph;
    this.graphKey = result.key;
    this.graph = result.graph;
    this.load = request.load;
    this.choice = request.choice;
    if (newGraph && !('pipeline' in result)) for (const w of result.graph.warnings.slice(0, 20)) this.host.log.warn(w);
    return graphChanged;
  }

  /** Sends the viewer its first page, or this message when it already shows the viewer. */
  private deliver(message: HostToWebviewMessage): void {
    if (this.showingLoadError) this.restartWebview();
    else if (!this.initSent) this.sendInit();
    else this.post(message);
  }

  private showPipeline(p: PipelinePlan, request: PlacementRequest, newGraph: OpGraph | undefined): void {
    this.pipeline = p;
    this.options = request.options;
    this.host.log.info(
      `${this.title}: ${p.split} pipeline ${p.feasible ? 'feasible' : 'INFEASIBLE'}, ${p.stages.length} stages, ${p.timePerSampleUs.toFixed(1)} µs per sample, step ${p.stepUs.toFixed(1)} µs, planned in ${p.placeMs.toFixed(0)} ms`,
    );
    this.deliver({
      type: 'pipelinePlan',
      requestId: request.requestId,
      pipelinePlan: p,
      options: request.options,
      pipelineControls: request.choice.pipelineControls,
      ...(newGraph ? { graph: newGraph } : {}),
    });
    if (!p.feasible) this.reportInfeasible(`${this.title} (${p.split} pipeline): infeasible: ${p.reason ?? 'the stages do not fit the memory limits'}`);
  }

  private showPlan(result: PlaceResult, request: PlacementRequest, graphChanged: boolean): void {
    this.placed = result;
    const { summary } = result.wire;
    this.options = summary.options ?? request.options;
    this.host.log.info(planSummary(result.wire));
    // Where a re-place's time goes (bench/replace.bench.ts reads this line).
    this.host.log.info(
      `timing: host ${(performance.now() - request.started).toFixed(1)} ms = read+settings ${request.readMs.toFixed(1)} ms + engine ${result.engineMs.toFixed(1)} ms (placement ${summary.placeMs.toFixed(1)} ms) + messages`,
    );
    // A new graph (file changed, other batch size or dtype) goes with the plan: the viewer lays
    // it out in place, keeping its zoom and the expanded groups that still exist.
    // The plan in columns over the graph the webview holds, as the worker encoded it (planWire.ts):
    // a quarter of its JSON size, and the host neither clones nor re-encodes the Plan.
    this.deliver({
      type: 'plan',
      requestId: request.requestId,
      plan: result.wire,
      options: this.options,
      ...(graphChanged ? { graph: result.graph } : {}),
    });
    const problem = infeasibleText(result.wire);
    if (problem) this.reportInfeasible(problem);
  }

  private reportInfeasible(problem: string): void {
    this.host.log.info(problem);
    void vscode.window.showErrorMessage(problem);
  }

  private showJobFailure(e: unknown, requestId: number | undefined): void {
    if (isCancelled(e)) {
      this.host.log.info(`placement of ${this.title} cancelled`);
      this.post({ type: 'error', requestId, message: 'Placement cancelled.' });
    } else {
      this.showFailure(this.host.log.showError(e, `placing ${this.title}`), requestId);
    }
  }

  /** After the load-error page: the viewer page again, which asks for an init. */
  private restartWebview(): void {
    this.webviewReady = false;
    this.initSent = false;
    this.showingLoadError = false;
    this.panel.webview.html = this.html();
  }

  /**
   * A failed placement: the viewer shows the message; when there is no graph to show at all (the
   * file does not load, a setting is invalid) the panel shows the error page instead.
   */
  private showFailure(text: string, requestId: number | undefined): void {
    if (this.graph && !this.showingLoadError) {
      this.post({ type: 'error', requestId, message: text });
      return;
    }
    this.showingLoadError = true;
    this.webviewReady = false;
    this.initSent = false;
    this.panel.webview.html = loadErrorHtml(`Placement: ${this.title}`, text, makeNonce());
  }

  private sendInit(): void {
    if (!this.webviewReady || !this.graph || !this.options) return;
    this.initSent = true;
    this.post({
      type: 'init',
      protocolVersion: PROTOCOL_VERSION,
      graph: this.graph,
      plan: this.plan ?? null,
      options: this.options,
      presets: [...INTERCONNECTS],
      file: this.title,
      hostUri: this.uri.toString(),
      batchSize: this.load?.batch,
      theme: themeKind(vscode.window.activeColorTheme.kind),
      capabilities: { export: this.host.exportFormats(this.uri), openInBrowser: this.host.canOpenReport(), saveLimits: true, batchSize: true, modelDims: true },
      ...(this.choice ? { objective: this.choice.objective, pipelineControls: this.choice.pipelineControls } : {}),
      ...(this.choice?.objective === 'throughput' ? { pipelinePlan: this.pipeline ?? null } : {}),
    });
  }

  private post(message: HostToWebviewMessage): void {
    if (this.disposed || !this.webviewReady) return;
    void this.panel.webview.postMessage(message);
  }

  /** Every message from the webview is untrusted: validate against the protocol, else log and drop. */
  private receive(raw: unknown): void {
    const message = acceptMessage(raw, this.title, (text) => this.host.log.warn(text));
    if (message) void this.handle(message);
  }

  private async handle(m: WebviewToHostMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        if (m.protocolVersion !== PROTOCOL_VERSION) {
          this.host.log.warn(`viewer speaks protocol ${m.protocolVersion}, host ${PROTOCOL_VERSION}`);
        }
        // A webview that was hidden and re-created (or restored) starts from scratch.
        this.webviewReady = true;
        this.initSent = false;
        this.sendInit();
        return;
      case 'replace':
        this.viewerOptions = m.options;
        if (m.batchSize !== undefined) this.viewerBatch = m.batchSize;
        if (m.dims !== undefined) this.viewerDims = m.dims;
        // A replace without an objective is latency (older viewers); the knobs are kept for a switch back.
        this.viewerChoice = {
          objective: m.objective ?? 'latency',
          pipelineControls: m.pipelineControls ?? this.viewerChoice?.pipelineControls ?? DEFAULT_PIPELINE_CONTROLS,
        };
        this.host.viewStateChanged(this);
        await this.place({ reason: 'viewer changed options', requestId: m.requestId });
        return;
      case 'saveLimits':
        await this.host.saveLimits(this, m.memoryLimits);
        return;
      case 'export':
        await this.host.exportPlan(this, m.format);
        return;
      case 'openInBrowser':
        await this.host.openReport(this);
        return;
      case 'select':
        return;
      case 'log':
        this.host.log.info(`viewer ${m.level}: ${m.message}`);
        return;
    }
  }

  reveal(): void {
    this.panel.reveal();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.generation++;
    this.running?.cancel();
    this.engine.dispose();
    clearTimeout(this.reloadTimer);
    for (const d of this.disposables) d.dispose();
    this.host.viewDisposed(this);
    this.panel.dispose();
  }
}

/** File-system errors from vscode.workspace.fs as the CLI words them ("no such file"). */
function fileError(e: unknown, uri: vscode.Uri): unknown {
  if (e instanceof vscode.FileSystemError) {
    const detail =
      e.code === 'FileNotFound' ? 'no such file' : e.code === 'FileIsADirectory' ? 'is a directory, not a model file' : `cannot read the file (${e.code})`;
    return new OpplaceError(detail, { file: uri.fsPath });
  }
  return e;
}
