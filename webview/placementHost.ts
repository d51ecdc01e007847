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

/** The VS Code side: messages over postMessage, validated on arrival. Resolves with the init message. */
export function connectVsCodeHost(): { host: PlacementHost; init: Promise<InitMessage> } {
  const api = acquireVsCodeApi();
  const post = (m: WebviewToHostMessage) => api.postMessage(m);
  let events: HostEvents = {};
  let nextRequest = 1;
  let pending: Pending | null = null;
  let resolveInit!: (m: InitMessage) => void;
  const init = new Promise<InitMessage>((r) => (resolveInit = r));

  window.addEventListener('message', (ev: MessageEvent) => {
    const m: unknown = ev.data;
    if (!isHostToWebviewMessage(m)) return; // not ours (VS Code posts internal messages too)
    handle(m);
  });

  /** The waiting replace this reply answers (and no longer waiting); undefined for a superseded one. */
  function takePending(requestId: number): Pending | undefined {
    if (!pending || pending.id !== requestId) return undefined;
    const p = pending;
    pending = null;
    return p;
  }

  function handle(m: HostToWebviewMessage): void {
    switch (m.type) {
      case 'init':
        resolveInit(m);
        return;
      case 'plan': {
        const result: PlaceResult = { plan: m.plan, options: m.options, ...(m.graph ? { graph: m.graph } : {}) };
        if (m.requestId === undefined) events.onPlan?.(result);
        else takePending(m.requestId)?.resolve(result);
        return;
      }
      case 'pipelinePlan': {
        const result: PipelineResult = {
          pipeline: m.pipelinePlan,
          options: m.options,
          pipelineControls: m.pipelineControls,
          ...(m.graph ? { graph: m.graph } : {}),
        };
        if (m.requestId === undefined) events.onPlan?.(result);
        else takePending(m.requestId)?.resolve(result);
        return;
      }
      case 'error':
        if (m.requestId === undefined) events.onError?.(m.message);
        else takePending(m.requestId)?.reject(new Error(m.message));
        return;
      case 'busy':
        events.onBusy?.(m.busy, m.message);
        return;
      case 'progress':
        events.onProgress?.(m.message, m.fraction);
        return;
      case 'theme':
        events.onTheme?.(m.theme);
        return;
    }
  }

  const host: PlacementHost = {
    kind: 'vscode',
    replace(options, batchSize, choice, dims) {
      if (pending) pending.reject(new SupersededError());
      const id = nextRequest++;
      return new Promise<PlaceResult | PipelineResult>((resolve, reject) => {
        pending = { id, resolve, reject };
        post({
          type: 'replace',
          requestId: id,
          options,
          ...(batchSize !== undefined ? { batchSize } : {}),
          ...(dims !== undefined ? { dims } : {}),
          ...(choice ? { objective: choice.objective, pipelineControls: choice.pipelineControls } : {}),
        });
      });
    },
    saveLimits: (memoryLimits) => post({ type: 'saveLimits', memoryLimits }),
    exportAs: (format) => post({ type: 'export', format }),
    openInBrowser: () => post({ type: 'openInBrowser' }),
    select: (nodeId) => post({ type: 'select', nodeId }),
    log: (level, message) => post({ type: 'log', level, message: message.slice(0, 10_000) }),
    setEvents(e) {
      events = e;
    },
    loadState: () => api.getState(),
    saveState: (state) => api.setState(state),
  };
  post({ type: 'ready', protocolVersion: PROTOCOL_VERSION });
  return { host, init };
}
