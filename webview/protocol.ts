// THE message protocol between the VS Code extension host and the placement viewer webview.
// Both sides import this file. Messages are plain JSON (they cross `postMessage`).
// The host must validate every incoming message with `isWebviewToHostMessage`; the webview
// validates what it receives with `isHostToWebviewMessage`.
//
// Flow: the webview posts `ready` once its script runs; the host answers `init`. When the user
// changes a control the webview posts `replace {requestId, options}`; the host answers with
// `busy`/`progress` while placing, then `plan {requestId, plan}` or `error {requestId, message}`;
// in throughput mode (`replace {objective: 'throughput', pipelineControls}`) `pipelinePlan` instead.
// A newer `replace` supersedes an older one: the webview ignores replies whose requestId is stale.

import type { OpGraph } from '../algorithms/graph';
import type { DevicePlan, Plan, PlacementOptions } from '../algorithms/plan';
import type { PipelinePlan, PipelineScheduleName, PipelineSplit } from '../algorithms/pipeline/types';
import { ALGORITHMS, DEFAULTS, GROUPINGS, LIMITS, parseModelDims, PIPELINE_SCHEDULES, PIPELINE_SPLITS, SETTING_DEFAULTS } from '../algorithms/options';

/** Bump when a message shape changes incompatibly. */
export const PROTOCOL_VERSION = 2;

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
export const THEME_KINDS: ThemeKind[] = ['light', 'dark', 'high-contrast', 'high-contrast-light'];

/** What `export` asks the host to write. `plan-json` = the Plan as JSON, `html` = standalone report. */
export type ExportFormat = 'plan-json' | 'csv' | 'accelerate' | 'torch-split' | 'onnx' | 'html' | 'svg';
export const EXPORT_FORMATS: ExportFormat[] = ['plan-json', 'csv', 'accelerate', 'torch-split', 'onnx', 'html', 'svg'];

/**
 * What the viewer optimises (issue 14): one step's latency (a placement Plan) or throughput (a
 * PipelinePlan: stages × microbatches). Messages without an objective are latency.
 */
export type Objective = 'latency' | 'throughput';
export const OBJECTIVES: Objective[] = ['latency', 'throughput'];

/** The throughput-mode knobs; devices, limits, interconnect and grouping come from PlacementOptions. */
export interface PipelineControls {
  split: PipelineSplit;
  microbatches: number;
  schedule: PipelineScheduleName;
}
/** The CLI's defaults at the extension's device count (M = 4 × devices), so both front ends plan alike. */
export const DEFAULT_PIPELINE_CONTROLS: PipelineControls = {
  split: DEFAULTS.split,
  microbatches: DEFAULTS.microbatchesPerDevice * SETTING_DEFAULTS.devices,
  schedule: DEFAULTS.schedule,
};
export const MAX_MICROBATCHES = LIMITS.maxMicrobatches;

// ───────────────────────────── host → webview ─────────────────────────────

export interface InitMessage {
  type: 'init';
  protocolVersion: number;
  graph: OpGraph;
  /** The current plan; null when placement has not finished yet (the webview shows the DAG alone). */
  plan: Plan | null;
  /** The options `plan` was made with (and the initial state of the controls). */
  options: PlacementOptions;
  /**
   * A throughput (pipeline) plan of the same graph, when the host made one (`opplace pipeline
   * --report`, issue 14): the viewer's throughput mode draws it. Absent for latency-only hosts.
   */
  pipelinePlan?: PipelinePlan | null;
  /** Interconnect preset names for the "interconnect" control (e.g. Object.keys(INTERCONNECT_PRESETS)). */
  presets: string[];
  /** Model file name, shown in the header. */
  file?: string;
  /**
   * The model's URI as the host knows it. The webview stores it with its state (setState), so a
   * restored panel knows its file, and so state saved for another model is not applied to this one.
   */
  hostUri?: string;
  /** Batch size the graph was costed with, when the host supports re-costing on change. */
  batchSize?: number;
  theme?: ThemeKind;
  /** Features the host supports; the webview hides controls for the others. */
  capabilities?: {
    export?: ExportFormat[];
    openInBrowser?: boolean;
    saveLimits?: boolean;
    batchSize?: boolean;
    /** The host re-loads the model with symbolic dims the viewer sets (`replace.dims`). */
    modelDims?: boolean;
  };
  /** The objective the viewer opens in (absent: throughput when `pipelinePlan` is set, else latency) and the throughput knobs it starts with (absent: those of `pipelinePlan`). */
  objective?: Objective;
  pipelineControls?: PipelineControls;
}

/** A Plan's fields but its per-op and per-transfer lists; devices without their memory timelines. */
export type WirePlanSummary = Omit<Plan, 'schedule' | 'transfers' | 'criticalPath' | 'criticalTransfers' | 'devices'> & {
  /** Without memory timelines (recomputed by the webview: `timelines`), except an infeasible plan's (planWire.ts encodePlan). */
  devices: DevicePlan[];
};

/**
 * A Plan as the `plan` message carries it (webview/planWire.ts encodes and decodes): columns in
 * typed arrays, which VS Code sends as binary, nodes as indices into the graph the webview holds
 * (init's, or the message's own `graph`), memory timelines left out (the webview recomputes them
 * with the engine's function). One entry per scheduled op / transfer, in the Plan's order.
 */
export interface WirePlan {
  kind: 'columns';
  summary: WirePlanSummary;
  /** The plan is feasible and its devices had memory timelines: the webview recomputes them. */
  timelines: boolean;
  schedule: { node: Int32Array; device: Int32Array; startUs: Float64Array; endUs: Float64Array };
  transfers: {
    from: Int32Array;
    to: Int32Array;
    tensor: (string | null)[];
    bytes: Float64Array;
    srcDevice: Int32Array;
    dstDevice: Int32Array;
    startUs: Float64Array;
    endUs: Float64Array;
    /** NaN where the Transfer has no sendStartUs. */
    sendStartUs: Float64Array;
  };
  /** Node indices on the critical path, in time order. */
  criticalPath: Int32Array;
  criticalTransfers: Int32Array | null;
}

export interface PlanMessage {
  type: 'plan';
  /** The requestId of the `replace` this answers; absent when the host re-placed on its own. */
  requestId?: number;
  /** Over `graph` when the message has one, else over the graph the webview holds. */
  plan: WirePlan;
  options: PlacementOptions;
  /** Set when the graph itself changed (e.g. new batch size): the webview re-lays out. */
  graph?: OpGraph;
}

/** The answer to a throughput-mode `replace` (or the host re-planning on its own). */
export interface PipelinePlanMessage {
  type: 'pipelinePlan';
  requestId?: number;
  pipelinePlan: PipelinePlan;
  options: PlacementOptions;
  pipelineControls: PipelineControls;
  graph?: OpGraph;
}

export interface BusyMessage {
  type: 'busy';
  busy: boolean;
  message?: string;
}

export interface ProgressMessage {
  type: 'progress';
  /** 0..1 when known. */
  fraction?: number;
  message: string;
}

export interface ErrorMessage {
  type: 'error';
  requestId?: number;
  /** One user-facing sentence (an OpplaceError message). */
  message: string;
}

export interface ThemeMessage {
  type: 'theme';
  theme: ThemeKind;
}

export type HostToWebviewMessage = InitMessage | PlanMessage | PipelinePlanMessage | BusyMessage | ProgressMessage | ErrorMessage | ThemeMessage;

// ───────────────────────────── webview → host ─────────────────────────────

export interface ReadyMessage {
  type: 'ready';
  protocolVersion: number;
}

/** Options the viewer may change; the host fills in the rest from the current options. */
export interface ReplaceMessage {
  type: 'replace';
  requestId: number;
  options: PlacementOptions;
  /** Present when the user changed the batch size (host re-costs the graph). */
  batchSize?: number;
  /** Present when the user set symbolic dims: `NAME=VALUE` as `--dim` (the host re-loads the model). */
  dims?: string[];
  /** Absent = latency; throughput answers `pipelinePlan`, planned with `pipelineControls`. */
  objective?: Objective;
  pipelineControls?: PipelineControls;
}

export interface SaveLimitsMessage {
  type: 'saveLimits';
  /** Bytes per device, persisted by the host in the settings. */
  memoryLimits: number[];
}

export interface ExportRequestMessage {
  type: 'export';
  format: ExportFormat;
}

export interface OpenInBrowserMessage {
  type: 'openInBrowser';
}

export interface SelectMessage {
  type: 'select';
  /** Node id (or group id, prefixed `group:`) the user selected; null clears the selection. */
  nodeId: string | null;
}

/** Errors and diagnostics the webview wants in the host's output channel. */
export interface LogMessage {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

export type WebviewToHostMessage = ReadyMessage | ReplaceMessage | SaveLimitsMessage | ExportRequestMessage | OpenInBrowserMessage | SelectMessage | LogMessage;

// ───────────────────────────── validators ─────────────────────────────

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isFiniteNonNeg = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const isString = (x: unknown): x is string => typeof x === 'string';
const MAX_STRING = 100_000;
const MAX_DEVICES = LIMITS.maxDevices;

/** Structural check of PlacementOptions as it arrives from the webview (untrusted). */
export function isPlacementOptions(x: unknown): x is PlacementOptions {
  if (!isObj(x)) return false;
  if (!isString(x.algorithm) || !(ALGORITHMS as readonly string[]).includes(x.algorithm)) return false;
  if (typeof x.devices !== 'number' || !Number.isInteger(x.devices) || x.devices < 1 || x.devices > MAX_DEVICES) return false;
  if (!Array.isArray(x.memoryLimits) || x.memoryLimits.length !== x.devices || !x.memoryLimits.every(isFiniteNonNeg)) return false;
  if (!isString(x.comm) || x.comm.length > LIMITS.maxSpecLength) return false;
  if (!isString(x.grouping) || !(GROUPINGS as readonly string[]).includes(x.grouping)) return false;
  if (typeof x.fuse !== 'boolean') return false;
  for (const k of ['theta', 'budgetMs', 'seed'] as const) if (x[k] !== undefined && !(typeof x[k] === 'number' && Number.isFinite(x[k]))) return false;
  if (x.topology !== undefined && !(isString(x.topology) && x.topology.length <= LIMITS.maxSpecLength)) return false;
  return true;
}

/** Structural check of the throughput knobs (untrusted when they come from the webview). */
export function isPipelineControls(x: unknown): x is PipelineControls {
  if (!isObj(x)) return false;
  if (!isString(x.split) || !(PIPELINE_SPLITS as readonly string[]).includes(x.split)) return false;
  if (!isString(x.schedule) || !(PIPELINE_SCHEDULES as readonly string[]).includes(x.schedule)) return false;
  return typeof x.microbatches === 'number' && Number.isInteger(x.microbatches) && x.microbatches >= 1 && x.microbatches <= MAX_MICROBATCHES;
}

const isObjective = (x: unknown): x is Objective => isString(x) && (OBJECTIVES as string[]).includes(x);

/** `replace.dims`: NAME=VALUE strings the CLI's --dim would accept (the one parse, algorithms/options.ts). */
export function isDimAssignments(x: unknown): x is string[] {
  try {
    return Array.isArray(x) && parseModelDims({ dims: x }, { dims: 'dims', inputShapes: 'input shapes' }) !== undefined;
  } catch {
    return false;
  }
}

/** The host calls this on every message from the webview and drops (and logs) anything else. */
export function isWebviewToHostMessage(x: unknown): x is WebviewToHostMessage {
  if (!isObj(x) || !isString(x.type)) return false;
  switch (x.type) {
    case 'ready':
      return typeof x.protocolVersion === 'number';
    case 'replace':
      return (
        typeof x.requestId === 'number' &&
        Number.isInteger(x.requestId) &&
        isPlacementOptions(x.options) &&
        (x.batchSize === undefined || (typeof x.batchSize === 'number' && Number.isInteger(x.batchSize) && x.batchSize >= 1)) &&
        (x.dims === undefined || isDimAssignments(x.dims)) &&
        (x.objective === undefined || isObjective(x.objective)) &&
        // Throughput needs its knobs; latency may carry them (the viewer remembers both modes).
        (x.pipelineControls === undefined ? x.objective !== 'throughput' : isPipelineControls(x.pipelineControls))
      );
    case 'saveLimits':
      return Array.isArray(x.memoryLimits) && x.memoryLimits.length >= 1 && x.memoryLimits.length <= MAX_DEVICES && x.memoryLimits.every(isFiniteNonNeg);
    case 'export':
      return isString(x.format) && (EXPORT_FORMATS as string[]).includes(x.format);
    case 'openInBrowser':
      return true;
    case 'select':
      return x.nodeId === null || (isString(x.nodeId) && x.nodeId.length <= MAX_STRING);
    case 'log':
      return (x.level === 'info' || x.level === 'warn' || x.level === 'error') && isString(x.message) && x.message.length <= MAX_STRING;
    default:
      return false;
  }
}

const isInt32s = (x: unknown, length?: number): x is Int32Array => x instanceof Int32Array && (length === undefined || x.length === length);
const isFloat64s = (x: unknown, length: number): x is Float64Array => x instanceof Float64Array && x.length === length;

/** Columns of one length and type each (node indices are checked against the graph when decoding). */
export function isWirePlan(x: unknown): x is WirePlan {
  if (!isObj(x) || x.kind !== 'columns' || typeof x.timelines !== 'boolean') return false;
  const { summary, schedule: s, transfers: t } = x;
  if (!isObj(summary) || !Array.isArray(summary.devices) || !summary.devices.every(isObj) || typeof summary.feasible !== 'boolean') return false;
  if (!isObj(s) || !isInt32s(s.node)) return false;
  const ops = s.node.length;
  if (!isInt32s(s.device, ops) || !isFloat64s(s.startUs, ops) || !isFloat64s(s.endUs, ops)) return false;
  if (!isObj(t) || !isInt32s(t.from)) return false;
  const n = t.from.length;
  if (!isInt32s(t.to, n) || !isInt32s(t.srcDevice, n) || !isInt32s(t.dstDevice, n)) return false;
  if (!(['bytes', 'startUs', 'endUs', 'sendStartUs'] as const).every((k) => isFloat64s(t[k], n))) return false;
  if (!Array.isArray(t.tensor) || t.tensor.length !== n || !t.tensor.every((v) => v === null || (isString(v) && v.length <= MAX_STRING))) return false;
  return isInt32s(x.criticalPath) && (x.criticalTransfers === null || isInt32s(x.criticalTransfers));
}

/** The webview's check of what the host sends (shape only; the graph and plan are trusted data). */
export function isHostToWebviewMessage(x: unknown): x is HostToWebviewMessage {
  if (!isObj(x) || !isString(x.type)) return false;
  switch (x.type) {
    case 'init':
      return (
        isObj(x.graph) &&
        Array.isArray(x.graph.nodes) &&
        (x.plan === null || isObj(x.plan)) &&
        isObj(x.options) &&
        Array.isArray(x.presets) &&
        (x.pipelinePlan == null || isObj(x.pipelinePlan)) &&
        (x.objective === undefined || isObjective(x.objective)) &&
        (x.pipelineControls === undefined || isPipelineControls(x.pipelineControls))
      );
    case 'plan':
      return (
        isWirePlan(x.plan) && isObj(x.options) && (x.requestId === undefined || typeof x.requestId === 'number') && (x.graph === undefined || isObj(x.graph))
      );
    case 'pipelinePlan':
      return (
        isObj(x.pipelinePlan) && isObj(x.options) && isPipelineControls(x.pipelineControls) && (x.requestId === undefined || typeof x.requestId === 'number')
      );
    case 'busy':
      return typeof x.busy === 'boolean';
    case 'progress':
      return isString(x.message) && (x.fraction === undefined || typeof x.fraction === 'number');
    case 'error':
      return isString(x.message);
    case 'theme':
      return isString(x.theme) && (THEME_KINDS as string[]).includes(x.theme);
    default:
      return false;
  }
}
