// opplace in VS Code: menus and palette commands, the placement viewer (panel + read-only custom
// editor), settings, exports. Thin glue: loading, placing and exporting are the engine's
// (algorithms/), run in a worker thread (placeWorker.ts); rendering is the webview's (webview/).
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { AlgorithmName } from '../algorithms/plan';
import type { ExportFormat } from '../webview/protocol';
import { compareHtml, compareMarkdown } from './compareTable';
import { EXPORT_CHOICES, availableExportFormats, exportChoice, exportFileName, renderExport, reportHtml } from './exports';
import { Log } from './log';
import { isCancelled, runWithProgress } from './progress';
import { runOnce } from './engineClient';
import { PlacementView, ViewHost, viewerWebviewOptions } from './placementView';
import { COMPARE_ALGORITHMS, RawSettings, SETTING_KEYS, isPlaceableFile, memoryLimitsToSetting, resolveSettings } from './settings';
import { baseName } from './userMessages';
import { formatBytes } from '../algorithms/units';
import { makeNonce } from '../webview/html';
import { chooseRestoreState, savedStateFromWebview, type SavedViewState } from './viewRestore';
import { trackGraphJsonFiles } from './graphFiles';
import { ownValue, setOwn } from '../algorithms/records';

export const PANEL_VIEW_TYPE = 'opplace.placement';
export const EDITOR_VIEW_TYPE = 'opplace.placementView';
/** workspaceState key: restorable view state by view key (see viewKey). */
const VIEW_STATES_KEY = 'opplace.viewStates';
const MAX_SAVED_VIEWS = 100;

class Extension implements ViewHost {
  readonly views = new Set<PlacementView>();
  private active: PlacementView | undefined;
  readonly workerScript: string;
  readonly extensionUri: vscode.Uri;
  /** Set while the window closes or reloads: views go away but must come back, so keep their state. */
  shuttingDown = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: Log,
  ) {
    this.extensionUri = context.extensionUri;
    this.workerScript = path.join(context.extensionPath, 'dist', 'placeWorker.js');
  }

  settingsFor(uri: vscode.Uri) {
    const cfg = vscode.workspace.getConfiguration('opplace', uri);
    const raw: RawSettings = {};
    for (const key of SETTING_KEYS) raw[key] = cfg.get(key);
    return resolveSettings(raw, uri.path);
  }

  exportFormats(uri: vscode.Uri): ExportFormat[] {
    return availableExportFormats(uri.path);
  }

  canOpenReport(): boolean {
    return true;
  }

  viewActivated(view: PlacementView): void {
    this.active = view;
  }

  viewDisposed(view: PlacementView): void {
    this.views.delete(view);
    if (this.shuttingDown) return;
    if (this.active === view) this.active = undefined;
    void this.saveViewState(viewKey(view.panel, view.uri), undefined);
  }

  viewStateChanged(view: PlacementView): void {
    if (!this.shuttingDown) void this.saveViewState(viewKey(view.panel, view.uri), view.savedState());
  }

  /** The view commands act on: the focused viewer, else the last one used. */
  currentView(): PlacementView | undefined {
    for (const v of this.views) if (v.panel.active) return v;
    return this.active && this.views.has(this.active) ? this.active : undefined;
  }

  // ───────────── opening views ─────────────

  openPanel(uri: vscode.Uri): PlacementView {
    for (const v of this.views) {
      if (v.uri.toString() === uri.toString() && v.panel.viewType === PANEL_VIEW_TYPE) {
        v.reveal();
        return v;
      }
    }
    // Titles key the restore state, so two models with the same file name get distinct titles.
    let title = `Placement: ${baseName(uri.path)}`;
    if ([...this.views].some((v) => v.panel.title === title)) title = `Placement: ${vscode.workspace.asRelativePath(uri)}`;
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, title, vscode.ViewColumn.Active, {
      ...viewerWebviewOptions(this.extensionUri),
      retainContextWhenHidden: false,
    });
    return this.adopt(panel, uri);
  }

  /** Wraps a panel (new, restored, or a custom editor's) in a view and starts placing. */
  adopt(panel: vscode.WebviewPanel, uri: vscode.Uri, restored?: SavedViewState): PlacementView {
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    const view = new PlacementView(panel, uri, this, restored);
    this.views.add(view);
    this.viewStateChanged(view);
    void view.place({ reason: restored ? 'restored' : 'opened' });
    return view;
  }

  /**
   * Views come back after a window reload with the viewer's choices (limits, algorithm…): the host
   * keeps each view's file and choices in the workspace state, keyed by panel title (panels) or by
   * file (custom editors), and reads them back in the serializer / resolveCustomEditor.
   */
  savedViewState(key: string): SavedViewState | undefined {
    return ownValue(this.context.workspaceState.get<Record<string, SavedViewState>>(VIEW_STATES_KEY, {}), key);
  }

  private async saveViewState(key: string, state: SavedViewState | undefined): Promise<void> {
    const all = { ...this.context.workspaceState.get<Record<string, SavedViewState>>(VIEW_STATES_KEY, {}) };
    delete all[key];
    if (state) setOwn(all, key, state); // re-inserted last: the oldest entries are dropped first
    const keys = Object.keys(all);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_SAVED_VIEWS))) delete all[k];
    await this.context.workspaceState.update(VIEW_STATES_KEY, all);
  }

  /**
   * What a panel restored after a window reload shows. The webview's own state (setState, handed to
   * `deserializeWebviewPanel`) comes first: it names the file and holds the options chosen in the
   * viewer. The workspace-state copy is the fallback (a state from an older viewer, or none).
   */
  restoredPanelState(panel: vscode.WebviewPanel, state: unknown): SavedViewState | undefined {
    return chooseRestoreState(state, this.savedViewState(viewKey(panel)));
  }

  // ───────────── view requests ─────────────

  async saveLimits(view: PlacementView, limits: number[]): Promise<void> {
    const cfg = vscode.workspace.getConfiguration('opplace', view.uri);
    const inWorkspace = !!vscode.workspace.workspaceFolders?.length;
    const target = inWorkspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    const where = inWorkspace ? 'workspace' : 'user';
    try {
      const value = memoryLimitsToSetting(limits);
      if (cfg.get('devices') !== limits.length) await cfg.update('devices', limits.length, target);
      await cfg.update('memoryLimits', value, target);
      this.log.info(`saved opplace.devices = ${limits.length}, opplace.memoryLimits = "${value}" to the ${where} settings`);
      void vscode.window.showInformationMessage(`opplace: saved memory limits ${value} for ${limits.length} devices to the ${where} settings.`);
    } catch (e) {
      this.log.showError(e, 'saving the memory limits');
    }
  }

  async exportPlan(view: PlacementView, format?: ExportFormat): Promise<void> {
    const plan = view.shownPlan();
    if (!plan || !view.graph) {
      void vscode.window.showWarningMessage('opplace: nothing to export yet — the placement has not finished.');
      return;
    }
    const chosen = format ?? (await pickExportFormat(view.uri));
    if (!chosen) return;
    try {
      const modelBytes = chosen === 'onnx' ? await vscode.workspace.fs.readFile(view.uri) : undefined;
      const modelFile = view.uri.fsPath || view.uri.path;
      const source = { graph: view.graph, plan, latencyPlan: view.plan ?? null, options: view.options, modelBytes, modelFile };
      const render = (outFile?: string) => renderExport(chosen, { ...source, outFile }, (m) => this.log.warn(m));
      // Rendered before the dialog, so an export that cannot be made fails before the user picks a
      // name — except the ONNX copy, made once for the folder it is saved into (its external-data
      // locations point from there), not twice for a whole model.
      const early = chosen === 'onnx' ? undefined : await render();
      const { label, extension } = early ?? exportChoice(chosen);
      const defaultUri = vscode.Uri.joinPath(view.uri, '..', exportFileName(view.uri.path, chosen, extension));
      const target = await vscode.window.showSaveDialog({
        defaultUri,
        filters: { [label]: [extension.split('.').pop() ?? ''] },
        title: `Export ${label}`,
      });
      if (!target) return;
      if (target.toString() === view.uri.toString()) {
        void vscode.window.showErrorMessage('opplace: refusing to overwrite the model file itself; choose another name.');
        return;
      }
      const elsewhere = view.uri.scheme === 'file' && target.scheme === 'file' && path.dirname(target.fsPath) !== path.dirname(modelFile);
      const out = early ?? (await render(elsewhere ? target.fsPath : undefined));
      for (const note of out.notes) this.log.info(`export ${chosen}: ${note}`);
      await vscode.workspace.fs.writeFile(target, out.bytes);
      this.log.info(`exported ${chosen} to ${target.fsPath}`);
      void vscode.window.showInformationMessage(`opplace: exported ${out.label} to ${baseName(target.path)}.${out.notes.length ? ` ${out.notes[0]}` : ''}`);
    } catch (e) {
      this.log.showError(e, `exporting ${chosen}`);
    }
  }

  async openReport(view: PlacementView): Promise<void> {
    const plan = view.shownPlan();
    if (!plan || !view.graph) {
      void vscode.window.showWarningMessage('opplace: no plan yet — the placement has not finished.');
      return;
    }
    try {
      const html = await reportHtml(view.graph, plan, (m) => this.log.warn(m), { latencyPlan: view.plan ?? null, options: view.options });
      const dir = vscode.Uri.joinPath(this.context.globalStorageUri, 'reports');
      await vscode.workspace.fs.createDirectory(dir);
      const file = vscode.Uri.joinPath(dir, `${baseName(view.uri.path).replace(/[^A-Za-z0-9._-]/g, '_')}-report.html`);
      await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(html));
      this.log.info(`wrote the report to ${file.fsPath}`);
      // In a browser-hosted VS Code (code-server, vscode.dev) the file lives on the server, where
      // the user's browser cannot open it: offer to save a copy instead (the save dialog downloads).
      const opened = vscode.env.uiKind === vscode.UIKind.Desktop && (await vscode.env.openExternal(file));
      if (!opened) {
        const saveCopy = 'Save a Copy…';
        const pick = await vscode.window.showInformationMessage(`opplace: report written to ${file.fsPath}`, saveCopy);
        if (pick === saveCopy) await this.exportPlan(view, 'html');
      }
    } catch (e) {
      this.log.showError(e, 'writing the report');
    }
  }

  // ───────────── commands ─────────────

  /** The model a command acts on: its argument, the current viewer, the active editor, or a pick. */
  async targetUri(arg: unknown, pickTitle: string): Promise<vscode.Uri | undefined> {
    if (arg instanceof vscode.Uri) return arg;
    const view = this.currentView();
    if (view) return view.uri;
    const doc = vscode.window.activeTextEditor?.document.uri;
    if (doc && isPlaceableFile(doc.path)) return doc;
    const tabInput = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (tabInput instanceof vscode.TabInputCustom && isPlaceableFile(tabInput.uri.path)) return tabInput.uri;
    return pickModelFile(pickTitle);
  }

  async placeCommand(arg: unknown): Promise<void> {
    const uri = arg instanceof vscode.Uri ? arg : await this.targetUri(undefined, 'Place which model?');
    if (uri) this.openPanel(uri);
  }

  async replaceCommand(): Promise<void> {
    const view = this.currentView();
    if (!view) {
      void vscode.window.showInformationMessage('opplace: open a model with "Place on Devices…" first.');
      return;
    }
    await view.place({ reason: 're-place command' });
  }

  async compareCommand(arg: unknown): Promise<void> {
    const uri = await this.targetUri(arg, 'Compare algorithms on which model?');
    if (!uri) return;
    const view = [...this.views].find((v) => v.uri.toString() === uri.toString());
    let settings;
    let bytes: Uint8Array;
    try {
      settings = this.settingsFor(uri);
      bytes = await vscode.workspace.fs.readFile(uri);
    } catch (e) {
      this.log.showError(e, 'comparing algorithms');
      return;
    }
    // Compare on what the user is looking at: the viewer's devices and limits when it is open.
    const options = view?.options ?? settings.placement;
    // and the model as the viewer loaded it (its batch size and dims), which its engine holds prepared
    const load = view?.load ?? settings.load;
    const algorithms: AlgorithmName[] = [...COMPARE_ALGORITHMS];
    const knobs = view?.choice?.pipelineControls ?? settings.pipeline;
    const name = baseName(uri.path);
    // An open view's engine holds the prepared model already; otherwise a worker of its own.
    const input = { bytes, fileName: uri.fsPath || uri.path, load };
    const title = `opplace: comparing ${algorithms.length} algorithms on ${name}`;
    const job = view
      ? runWithProgress(title, (p) => view.engine.compare(input, options, algorithms, p, knobs))
      : runWithProgress(title, (p) => runOnce(this.workerScript, (engine) => engine.compare(input, options, algorithms, p, knobs)));
    try {
      const result = await job.result;
      const limits = [...new Set(options.memoryLimits)].map(formatBytes).join(' / ');
      const subtitle = `${result.graph.nodes.length} ops · ${options.devices} devices × ${limits} · interconnect ${options.comm} · grouping ${options.grouping}${options.fuse ? ' + fusion' : ''}`;
      const throughput = result.comparison.throughput ? { rows: result.comparison.throughput, ...knobs } : undefined;
      this.log.info(compareMarkdown(`Compare algorithms — ${name}`, result.comparison.rows, throughput));
      const panel = vscode.window.createWebviewPanel('opplace.compare', `Compare: ${name}`, vscode.ViewColumn.Active, {
        enableScripts: false,
        localResourceRoots: [],
      });
      panel.webview.html = compareHtml(`Compare algorithms — ${name}`, subtitle, result.comparison.rows, makeNonce(), throughput);
    } catch (e) {
      if (isCancelled(e)) this.log.info(`comparing algorithms on ${name} cancelled`);
      else this.log.showError(e, 'comparing algorithms');
    }
  }

  async exportCommand(arg: unknown): Promise<void> {
    let view = this.currentView();
    if (arg instanceof vscode.Uri) view = [...this.views].find((v) => v.uri.toString() === arg.toString()) ?? this.openPanel(arg);
    if (!view) {
      void vscode.window.showInformationMessage('opplace: open a model with "Place on Devices…" first, then export its plan.');
      return;
    }
    await view.whenIdle();
    await this.exportPlan(view);
  }

  async reportCommand(): Promise<void> {
    const view = this.currentView();
    if (!view) {
      void vscode.window.showInformationMessage('opplace: open a model with "Place on Devices…" first.');
      return;
    }
    await view.whenIdle();
    await this.openReport(view);
  }

  settingsChanged(e: vscode.ConfigurationChangeEvent): void {
    for (const v of this.views) if (e.affectsConfiguration('opplace', v.uri)) v.settingsChanged();
  }
}

async function pickExportFormat(model: vscode.Uri): Promise<ExportFormat | undefined> {
  const available = new Set(availableExportFormats(model.path));
  const items = EXPORT_CHOICES.filter((c) => available.has(c.format)).map((c) => ({ label: c.label, description: c.description, format: c.format }));
  const picked = await vscode.window.showQuickPick(items, { title: 'Export the plan as…' });
  return picked?.format;
}

async function pickModelFile(title: string): Promise<vscode.Uri | undefined> {
  const files = await vscode.workspace.findFiles('**/*.{onnx,opgraph.json,stg,json}', '**/{node_modules,.git}/**', 500);
  const models = files.filter((f) => !/(^|\/)(package|package-lock|tsconfig|settings|launch|tasks)\.json$/.test(f.path));
  if (models.length === 0) {
    const chosen = await vscode.window.showOpenDialog({ title, canSelectMany: false, filters: { Models: ['onnx', 'json', 'stg'] } });
    return chosen?.[0];
  }
  const picked = await vscode.window.showQuickPick(
    models.map((uri) => ({ label: baseName(uri.path), description: vscode.workspace.asRelativePath(uri), uri })),
    { title, matchOnDescription: true },
  );
  return picked?.uri;
}

class PlacementEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly ext: Extension) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const saved = this.ext.savedViewState(viewKey(panel, document.uri));
    this.ext.adopt(panel, document.uri, saved?.uri === document.uri.toString() ? saved : undefined);
  }
}

let extension: Extension | undefined;

export function activate(context: vscode.ExtensionContext): { views: () => number } {
  const channel = vscode.window.createOutputChannel('opplace');
  const log = new Log(channel);
  const ext = new Extension(context, log);
  extension = ext;
  const command = (id: string, fn: (arg: unknown) => Promise<void>) =>
    vscode.commands.registerCommand(id, (arg: unknown) =>
      fn(arg).catch((e) => {
        log.showError(e, id);
      }),
    );
  context.subscriptions.push(
    channel,
    command('opplace.placeOnDevices', (arg) => ext.placeCommand(arg)),
    command('opplace.placeModel', (arg) => ext.placeCommand(arg)),
    command('opplace.replace', () => ext.replaceCommand()),
    command('opplace.compareAlgorithms', (arg) => ext.compareCommand(arg)),
    command('opplace.exportPlan', (arg) => ext.exportCommand(arg)),
    command('opplace.openReport', () => ext.reportCommand()),
    vscode.commands.registerCommand('opplace.showOutput', () => channel.show(true)),
    vscode.window.registerCustomEditorProvider(EDITOR_VIEW_TYPE, new PlacementEditorProvider(ext), {
      supportsMultipleEditorsPerDocument: true,
      webviewOptions: { retainContextWhenHidden: false },
    }),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => {
        const saved = ext.restoredPanelState(panel, state);
        if (!saved) {
          log.warn(`could not restore "${panel.title}": its model file is unknown`);
          panel.dispose();
          return;
        }
        const uri = vscode.Uri.parse(saved.uri);
        log.info(
          `restoring the viewer of ${uri.fsPath}${saved.viewerOptions ? ' with the options chosen in it' : ''} (from the ${savedStateFromWebview(state) ? 'webview state' : 'workspace state'})`,
        );
        ext.adopt(panel, uri, saved);
      },
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('opplace')) ext.settingsChanged(e);
    }),
    {
      dispose: () => {
        ext.shuttingDown = true;
        ext.views.forEach((v) => v.dispose());
      },
    },
  );
  trackGraphJsonFiles(context, (m) => log.info(m));
  log.info(`opplace activated (worker ${ext.workerScript})`);
  return { views: () => ext.views.size };
}

export function deactivate(): void {
  if (extension) extension.shuttingDown = true;
  extension = undefined;
}

/** The key a view's restore state is stored under: the panel's title, or the custom editor's file. */
function viewKey(panel: vscode.WebviewPanel, uri?: vscode.Uri): string {
  return panel.viewType === PANEL_VIEW_TYPE || !uri ? `panel:${panel.title}` : `editor:${uri.toString()}`;
}
