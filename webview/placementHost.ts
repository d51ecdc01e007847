// Who places the graph when the user changes a control. In VS Code the extension host does (the
// webview posts `replace` and waits for `plan`); in the standalone report the engine runs in the
// page (see reportHost.ts). The viewer only talks to this interface.
import type { OpGraph } from '../algorithms/graph';
import type { Plan, PlacementOptions } from '../algorithms/plan';
import type { PipelinePlan } from '../algorithms/pipeline/types';
import {
  PROTOCOL_VERSION,
  isHostToWebviewMessage,
  type ExportFormat,
  type HostToWebviewMessage,
  type InitMessage,
  type Objective,
  type PipelineControls,
  type WebviewToHostMessage,
  type WirePlan,
} from './protocol';
import type { PersistedViewerState } from './viewState';

export interface PlaceResult {
  /** The VS Code host's plan message carries the wire form, which the viewer decodes over its graph (planWire.ts). */
  plan: Plan | WirePlan;
  options: PlacementOptions;
  /** The re-costed graph when the host changed it (e.g. a new batch size). */
  graph?: OpGraph;
}

/** A throughput-mode answer (issue 14): the pipeline plan and the knobs it was made with. */
export interface PipelineResult {
  pipeline: PipelinePlan;
  options: PlacementOptions;
  pipelineControls: PipelineControls;
  graph?: OpGraph;
}

/** What the viewer asks to optimise; absent = latency. */
export interface ObjectiveChoice {
  objective: Objective;
  pipelineControls: PipelineControls;
}

export function isPipelineResult(r: PlaceResult | PipelineResult): r is PipelineResult {
  return 'pipeline' in r;
}

export interface HostEvents {
  /** The host pushed a plan on its own (e.g. settings changed). */
  onPlan?(r: PlaceResult | PipelineResult): void;
  onBusy?(busy: boolean, message?: string): void;
  onProgress?(message: string, fraction?: number): void;
  onError?(message: string): void;
  onTheme?(theme: string): void;
}

export interface PlacementHost {
  readonly kind: 'vscode' | 'standalone';
  /** Places (throughput: plans a pipeline) with new options. Rejects with an Error whose message is user-facing. */
  replace(options: PlacementOptions, batchSize?: number, choice?: ObjectiveChoice, dims?: string[]): Promise<PlaceResult | PipelineResult>;
  saveLimits?(memoryLimits: number[]): void;
  exportAs?(format: ExportFormat): void;
  openInBrowser?(): void;
  select(nodeId: string | null): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  setEvents(events: HostEvents): void;
  /** The viewer's persisted state (VS Code: `getState()`); untrusted, parse before use. */
  loadState?(): unknown;
  /** Persists the viewer's state across webview reloads (VS Code: `setState`). */
  saveState?(state: PersistedViewerState): void;
}

/** Thrown when a newer replace superseded this one; the viewer ignores it. */
export class SupersededError extends Error {
  constructor() {
    super('superseded by a newer request');
    this.name = 'SupersededError';
  }
}

interface Pending {
  id: number;
  resolve: (r: PlaceResult | PipelineResult) => void;
  reject: (e: Error) => void;
}

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** The webview's end of the channel to the extension host: what changes as messages come and go. */
interface VsCodeChannel {
  api: VsCodeApi;
  /** The viewer's handlers (set once it exists; messages before that are for the init only). */
  events: HostEvents;
  nextRequest: number;
  /** The one replace waiting for its reply; a newer one supersedes it. */
  pending: Pending | null;
  resolveInit: (m: InitMessage) => void;
}

/** The VS Code side: messages over postMessage, validated on arrival. Resolves with the init message. */
export function connectVsCodeHost(): { host: PlacementHost; init: Promise<InitMessage> } {
  let resolveInit!: (m: InitMessage) => void;
  const init = new Promise<InitMessage>((r) => (resolveInit = r));
  const ch: VsCodeChannel = { api: acquireVsCodeApi(), events: {}, nextRequest: 1, pending: null, resolveInit };
  window.addEventListener('message', (ev: MessageEvent) => {
    const m: unknown = ev.data;
    if (!isHostToWebviewMessage(m)) return; // not ours (VS Code posts internal messages too)
    handle(ch, m);
  });
  const host = vsCodeHost(ch);
  post(ch, { type: 'ready', protocolVersion: PROTOCOL_VERSION });
  return { host, init };
}

function post(ch: VsCodeChannel, m: WebviewToHostMessage): void {
  ch.api.postMessage(m);
}

/** The waiting replace this reply answers (and no longer waiting); undefined for a superseded one. */
function takePending(ch: VsCodeChannel, requestId: number): Pending | undefined {
  if (!ch.pending || ch.pending.id !== requestId) return undefined;
  const p = ch.pending;
  ch.pending = null;
  return p;
}

/** A plan the host pushed on its own (no request id) goes to the viewer; a reply settles its replace. */
function deliver(ch: VsCodeChannel, requestId: number | undefined, result: PlaceResult | PipelineResult): void {
  if (requestId === undefined) ch.events.onPlan?.(result);
  else takePending(ch, requestId)?.resolve(result);
}

function handle(ch: VsCodeChannel, m: HostToWebviewMessage): void {
  const { events } = ch;
  switch (m.type) {
    case 'init':
      return ch.resolveInit(m);
    case 'plan':
      return deliver(ch, m.requestId, { plan: m.plan, options: m.options, ...(m.graph ? { graph: m.graph } : {}) });
    case 'pipelinePlan':
      return deliver(ch, m.requestId, {
        pipeline: m.pipelinePlan,
        options: m.options,
        pipelineControls: m.pipelineControls,
        ...(m.graph ? { graph: m.graph } : {}),
      });
    case 'error':
      if (m.requestId === undefined) events.onError?.(m.message);
      else takePending(ch, m.requestId)?.reject(new Error(m.message));
      return;
    case 'busy':
      return events.onBusy?.(m.busy, m.message);
    case 'progress':
      return events.onProgress?.(m.message, m.fraction);
    case 'theme':
      return events.onTheme?.(m.theme);
  }
}

/** Asks the host to place again; the replace still waiting (if any) is superseded. */
function replaceVia(
  ch: VsCodeChannel,
  options: PlacementOptions,
  batchSize?: number,
  choice?: ObjectiveChoice,
  dims?: string[],
): Promise<PlaceResult | PipelineResult> {
  if (ch.pending) ch.pending.reject(new SupersededError());
  const id = ch.nextRequest++;
  return new Promise<PlaceResult | PipelineResult>((resolve, reject) => {
    ch.pending = { id, resolve, reject };
    post(ch, {
      type: 'replace',
      requestId: id,
      options,
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(dims !== undefined ? { dims } : {}),
      ...(choice ? { objective: choice.objective, pipelineControls: choice.pipelineControls } : {}),
    });
  });
}

function vsCodeHost(ch: VsCodeChannel): PlacementHost {
  return {
    kind: 'vscode',
    replace: (options, batchSize, choice, dims) => replaceVia(ch, options, batchSize, choice, dims),
    saveLimits: (memoryLimits) => post(ch, { type: 'saveLimits', memoryLimits }),
    exportAs: (format) => post(ch, { type: 'export', format }),
    openInBrowser: () => post(ch, { type: 'openInBrowser' }),
    select: (nodeId) => post(ch, { type: 'select', nodeId }),
    log: (level, message) => post(ch, { type: 'log', level, message: message.slice(0, 10_000) }),
    setEvents(e) {
      ch.events = e;
    },
    loadState: () => ch.api.getState(),
    saveState: (state) => ch.api.setState(state),
  };
}
