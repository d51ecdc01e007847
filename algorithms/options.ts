// The one place that says which options exist: the lists a user picks from, the limits a value
// must keep, the defaults, and one parse from what a front end read (command-line strings, the
// `opplace.*` settings, a viewer message) into options the engine can use, with the interconnect
// and topology already parsed (ResolvedPlacement). The CLI (cli/placementArgs.ts), the extension
// (extension/settings.ts), the webview protocol and the engine (placement/index.ts) all read it,
// so a list or a limit is written once.
//
// Pure and small: the webview bundles this file through webview/protocol.ts, so it imports only
// data (device and interconnect presets), never a loader or a placer.
import { OpplaceError } from './errors';
import { DEFAULT_DEVICE, DEVICE_PRESETS, DTYPES } from './cost/devices';
import { INTERCONNECT_PRESETS, Link, parseInterconnect } from './cost/interconnect';
import { parseTopology, Topology } from './cost/topology';
import { parseSize } from './units';
import { quoteInput } from './text';

// ───────────────────────────── lists ─────────────────────────────

export const ALGORITHMS = ['m-topo', 'm-etf', 'm-sct', 'single', 'sequential', 'refine'] as const;
export type AlgorithmName = (typeof ALGORITHMS)[number];
/** What compare runs, in table order: Baechi's three placers, refine, then the baselines. */
export const COMPARE_ALGORITHMS: readonly AlgorithmName[] = ['m-topo', 'm-etf', 'm-sct', 'refine', 'single', 'sequential'];

export const GROUPINGS = ['none', 'colocation', 'coplace'] as const;
export type GroupingMode = (typeof GROUPINGS)[number];

export { DTYPES };
export type { Dtype } from './loaders/types';
/** The dtype setting: `auto` keeps what the file stores. */
export const DTYPE_SETTINGS = ['auto', ...DTYPES] as const;

export const MODEL_FORMATS = ['onnx', 'opgraph', 'dnn-partitioning', 'stg'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
export type Optimizer = (typeof OPTIMIZERS)[number];

export const DEVICE_PRESET_IDS: readonly string[] = Object.keys(DEVICE_PRESETS);
export const INTERCONNECTS: readonly string[] = Object.keys(INTERCONNECT_PRESETS);

/**
 * The usual multi-GPU link of a device preset (the interconnect when none is set); PCIe 4 for
 * cards sold without NVLink.
 */
export const DEVICE_INTERCONNECT: Readonly<Record<string, string>> = {
  'h100-sxm': 'nvlink4',
  'h100-pcie': 'pcie5',
  'a100-80gb': 'nvlink3',
  'a100-40gb': 'nvlink3',
  'v100-16gb': 'nvlink3',
};
export const FALLBACK_INTERCONNECT = 'pcie4';

export function presetInterconnect(presetId: string): string {
  return Object.hasOwn(DEVICE_INTERCONNECT, presetId) ? DEVICE_INTERCONNECT[presetId] : FALLBACK_INTERCONNECT;
}

/** Pipeline plans (issue 14): shape of each device's set of ops, and the microbatch schedule. */
export const PIPELINE_SPLITS = ['sequential', 'contiguous', 'any'] as const;
export type PipelineSplit = (typeof PIPELINE_SPLITS)[number];
export const PIPELINE_SCHEDULES = ['gpipe', '1f1b'] as const;
export type PipelineScheduleName = (typeof PIPELINE_SCHEDULES)[number];

// ───────────────────────────── limits ─────────────────────────────

export const LIMITS = {
  /**
   * Devices per plan. The core keeps per-device arrays and the topology a devices² pair table
   * (1024² = 1 M entries); no real job places one graph on more GPUs than that.
   */
  maxDevices: 1024,
  maxBatch: 1_000_000,
  /** Refinement budget in ms (an hour: the search turns it into a fixed amount of work). */
  maxBudgetMs: 3_600_000,
  /** Seeds are 32-bit (mulberry32). */
  maxSeed: 0xffffffff,
  /** Length of an interconnect or topology spec a message may carry. */
  maxSpecLength: 200,
  /** Microbatches per pipeline step (the simulator keeps ops × microbatches tasks). */
  /** One limit for the CLI, the settings, the protocol and the planner (ops × M tasks are simulated). */
  maxMicrobatches: 4096,
} as const;

// ───────────────────────────── defaults ─────────────────────────────

/** The command line's defaults (also the engine's for an option left out). */
export const DEFAULTS = {
  algorithm: 'm-etf' as AlgorithmName,
  devices: 4,
  memory: '16GiB',
  /** Baechi's measured link, so plans compare with the paper's. */
  comm: 'baechi',
  grouping: 'colocation' as GroupingMode,
  fuse: false,
  theta: 0.5,
  budgetMs: 2000,
  seed: 1,
  batch: 1,
  device: DEFAULT_DEVICE,
  /** The cost model counts the element type the model stores, unless --dtype says otherwise. */
  dtype: 'as stored in the model',
  optimizer: 'adam' as Optimizer,
  /** Pipeline plans: the split every framework runs, the schedule that stashes least. */
  split: 'sequential' as PipelineSplit,
  schedule: '1f1b' as PipelineScheduleName,
  /** M = 4 × devices by default: GPipe's bubble (S − 1)/(M + S − 1) is under 20% from there on. */
  microbatchesPerDevice: 4,
} as const;

/** Formats whose default interconnect is not DEFAULTS.comm: STG task graphs carry no tensor sizes. */
export const DEFAULT_COMM_BY_FORMAT: Readonly<Partial<Record<ModelFormat, string>>> = { stg: 'none' };

/** The interconnect a graph is placed with when none is chosen. */
export function defaultCommFor(graph: { source?: { format?: string } }): string {
  const format = graph.source?.format as ModelFormat | undefined;
  return (format && DEFAULT_COMM_BY_FORMAT[format]) ?? DEFAULTS.comm;
}

/**
 * The extension's defaults where they differ: an editor user has a workstation (2 GPUs of the
 * preset, its memory and its usual link) and wants the faster fused graph.
 */
export const SETTING_DEFAULTS = {
  devicePreset: DEFAULT_DEVICE,
  devices: 2,
  fuse: true,
  dtype: 'auto' as (typeof DTYPE_SETTINGS)[number],
} as const;

// ───────────────────────────── parse ─────────────────────────────

/** The placement options, plain JSON (what a Plan records and a message carries). */
export interface PlacementOptions {
  algorithm: AlgorithmName;
  /** Number of devices. */
  devices: number;
  /** Memory limit per device in bytes (length = devices). */
  memoryLimits: number[];
  /** Interconnect preset name or custom `LATENCY_US:GBPS` (see algorithms/cost). */
  comm: string;
  grouping: GroupingMode;
  fuse: boolean;
  /** m-SCT favourite-child threshold θ. */
  theta?: number;
  /** Refinement budget and seed. */
  budgetMs?: number;
  seed?: number;
  /** Refine the chosen placer's plan (implied by algorithm 'refine'). */
  refine?: boolean;
  /** Device topology spec, e.g. `2x4:nvlink4/ib200`. */
  topology?: string;
}

/** Options checked once, with what the engine needs parsed. */
export interface ResolvedPlacement {
  options: PlacementOptions;
  link: Link;
  /** Per-pair links when a topology was given (it replaces `link` for transfers). */
  topology?: Topology;
}

/** The option keys, as PlacementOptions spells them. */
export type OptionKey = keyof PlacementOptions;

/** How a front end names an option in a message: `--memory`, `setting opplace.memoryLimits`, `devices`. */
export type OptionLabel = (key: OptionKey) => string;

/** The engine's own names (PlacementOptions keys). */
export const engineLabel: OptionLabel = (key) => key;

const CLI_FLAGS: Partial<Record<OptionKey, string>> = { memoryLimits: 'memory', budgetMs: 'budget-ms' };
export const cliLabel: OptionLabel = (key) => `--${CLI_FLAGS[key] ?? key}`;

function optionError(label: string, detail: string): OpplaceError {
  return new OpplaceError(`${label} ${detail}`);
}

/** A lower-level parser's message under the option's name: `--comm: unknown interconnect "x" (…)`. */
function labelled(label: string, e: unknown): unknown {
  return e instanceof OpplaceError ? new OpplaceError(`${label}: ${e.detail}`) : e;
}

/** A value as a message shows it: strings quoted as typed, anything else as JSON. */
export function shown(value: unknown): string {
  return typeof value === 'string' ? `"${quoteInput(value)}"` : quoteInput(JSON.stringify(value) ?? String(value));
}

/** A number from a number or (command line) a numeric string; NaN otherwise. */
function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return NaN;
}

/** One of `choices`; `fallback` when absent. */
export function parseChoice<T extends string>(value: unknown, label: string, choices: readonly T[], fallback: T): T {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw optionError(label, `must be one of ${choices.join(', ')}, got ${shown(value)}`);
}

/** A whole number in min…max; `fallback` when absent. */
export function parseWholeNumber(value: unknown, label: string, fallback: number, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined || value === null) return fallback;
  const n = numberOf(value);
  if (!Number.isInteger(n) || n < min) throw optionError(label, `must be an integer ≥ ${min}, got ${shown(value)}`);
  if (n > max) throw optionError(label, `must be at most ${max}, got ${shown(value)}`);
  return n;
}

/**
 * `NAME=VALUE` assignments of symbolic ONNX dims (`--dim seq=128`, repeatable) → { seq: 128 }.
 * A name given twice takes its last value, as repeated options do.
 */
export function parseDimAssignments(values: readonly string[] | undefined, label: string): Record<string, number> | undefined {
  if (!values || values.length === 0) return undefined;
  const out: Record<string, number> = Object.create(null);
  for (const v of values) {
    const eq = v.lastIndexOf('=');
    if (eq <= 0) throw optionError(label, `must be NAME=VALUE (a symbolic dim of the model and its size), got ${shown(v)}`);
    out[v.slice(0, eq)] = parseWholeNumber(v.slice(eq + 1), `${label} ${v.slice(0, eq)}`, 1, 1, LIMITS.maxBatch);
  }
  return out;
}

/** `INPUT=1x3x640x640` shapes of named graph inputs (`--input-shape`, repeatable) → { INPUT: [1, 3, 640, 640] }. */
export function parseInputShapes(values: readonly string[] | undefined, label: string): Record<string, number[]> | undefined {
  if (!values || values.length === 0) return undefined;
  const out: Record<string, number[]> = Object.create(null);
  for (const v of values) {
    const eq = v.lastIndexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw optionError(label, `must be INPUT=AxBx… (a graph input and its dims), got ${shown(v)}`);
    const name = v.slice(0, eq);
    out[name] = v
      .slice(eq + 1)
      .split(/[x×,]/)
      .map((d) => parseWholeNumber(d, `${label} ${name}`, 1, 1, LIMITS.maxBatch));
  }
  return out;
}

// ── model dims from the settings and the viewer (issue 11 §1): the CLI's strings, parsed as above ──

/** Most NAME=VALUE / INPUT=AxB… entries one setting or viewer message may hold (a model has a few). */
export const MAX_DIM_ENTRIES = 256;

/**
 * `opplace.dims` / `opplace.inputShapes` and the viewer's `replace.dims`: lists of the same strings
 * as `--dim` and `--input-shape` (["seq=128"], ["images=1x3x640x640"]), from an untrusted source.
 */
export interface ModelDimsInput {
  dims?: unknown;
  inputShapes?: unknown;
}

export interface ModelDims {
  dims?: Record<string, number>;
  inputShapes?: Record<string, number[]>;
}

/** A list of strings (absent or empty: none), else an OpplaceError naming `label`. */
export function parseStringList(value: unknown, label: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > MAX_DIM_ENTRIES || !value.every((v) => typeof v === 'string' && v.length <= LIMITS.maxSpecLength)) {
    throw optionError(label, `must be a list of at most ${MAX_DIM_ENTRIES} strings, got ${shown(value)}`);
  }
  const list = (value as string[]).map((v) => v.trim()).filter((v) => v !== '');
  return list.length ? list : undefined;
}

/** The load options of the dims and input shapes (only those given), checked as the CLI checks its flags. */
export function parseModelDims(input: ModelDimsInput, labels: { dims: string; inputShapes: string }): ModelDims {
  const dims = parseDimAssignments(parseStringList(input.dims, labels.dims), labels.dims);
  const inputShapes = parseInputShapes(parseStringList(input.inputShapes, labels.inputShapes), labels.inputShapes);
  return { ...(dims ? { dims } : {}), ...(inputShapes ? { inputShapes } : {}) };
}

/** Dim values back as `NAME=VALUE` strings, sorted by name (the viewer's message, a stable key). */
export function dimAssignmentsText(dims: Readonly<Record<string, number>> | undefined): string[] {
  return Object.keys(dims ?? {})
    .sort()
    .map((k) => `${k}=${dims![k]}`);
}

export function parseBoolean(value: unknown, label: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  throw optionError(label, `must be true or false, got ${shown(value)}`);
}

export function parseTheta(value: unknown, label: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const t = numberOf(value);
  if (!(t > 0 && t <= 1)) throw optionError(label, `must be a number in (0, 1], got ${shown(value)}`);
  return t;
}

export function parseBudgetMs(value: unknown, label: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = numberOf(value);
  if (!Number.isFinite(ms) || ms < 0 || ms > LIMITS.maxBudgetMs)
    throw optionError(label, `must be a number of milliseconds in 0…${LIMITS.maxBudgetMs}, got ${shown(value)}`);
  return ms;
}

export function parseSeed(value: unknown, label: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  return parseWholeNumber(value, label, 0, 0, LIMITS.maxSeed);
}

/** A non-empty spec string (interconnect, topology) of bounded length. */
function specString(value: unknown, label: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw optionError(label, `must be a non-empty string, got ${shown(value)}`);
  if (value.length > LIMITS.maxSpecLength) throw optionError(label, `must be at most ${LIMITS.maxSpecLength} characters, got ${value.length}`);
  return value.trim();
}

export function parseLink(value: unknown, label: string): Link {
  const spec = specString(value, label);
  try {
    return parseInterconnect(spec);
  } catch (e) {
    throw labelled(label, e);
  }
}

/**
 * Memory limits: one size for every device or one per device, as a string (`16GiB`,
 * `16GiB,8GiB`) or a list of sizes or byte counts (settings.json).
 */
export function parseMemoryLimits(value: unknown, label: string, devices: number, devicesLabel: string): number[] {
  let sizes: number[];
  if (typeof value === 'string') {
    const parts = value.split(',').map((s) => s.trim());
    if (parts.every((p) => p.length === 0)) throw optionError(label, 'needs a size, e.g. 16GiB');
    // "16GiB,,8GiB" is a typo for some list: dropping the empty entry would shift every later limit
    // to the wrong device, so it is an error, as is a stray leading or trailing comma.
    const empty = parts.findIndex((p) => p.length === 0);
    if (empty >= 0) throw optionError(label, `"${value}": limit ${empty + 1} of ${parts.length} is empty (a stray comma?)`);
    sizes = parts.map((p) => sizeOf(p, label));
  } else if (Array.isArray(value) && value.length > 0) {
    sizes = value.map((v) => sizeOf(v, label));
  } else {
    throw optionError(label, `must be a size such as "16GiB" or one per device ("16GiB,8GiB"), got ${shown(value)}`);
  }
  if (sizes.length === 1) return Array<number>(devices).fill(sizes[0]);
  if (sizes.length !== devices) throw optionError(label, `lists ${sizes.length} limits but ${devicesLabel} is ${devices}`);
  return sizes;
}

function sizeOf(v: unknown, label: string): number {
  if (typeof v === 'number') {
    if (Number.isFinite(v) && v >= 0) return Math.round(v);
    throw optionError(label, `must be sizes ≥ 0, got ${shown(v)}`);
  }
  if (typeof v === 'string') {
    try {
      return parseSize(v, 'memory limit');
    } catch (e) {
      throw labelled(label, e);
    }
  }
  throw optionError(label, `must be sizes like "16GiB", got ${shown(v)}`);
}

/**
 * Raw placement options as a front end read them (unknown types: command-line strings,
 * hand-edited settings.json, a webview message). `memory` is a string or a list of sizes.
 */
export interface PlacementInput {
  algorithm?: unknown;
  devices?: unknown;
  memory?: unknown;
  comm?: unknown;
  topology?: unknown;
  grouping?: unknown;
  fuse?: unknown;
  theta?: unknown;
  budgetMs?: unknown;
  seed?: unknown;
  refine?: unknown;
}

/** What a front end fills in for options left out (the memory and link may depend on a device preset). */
export interface InputDefaults {
  algorithm: AlgorithmName;
  devices: number;
  memory: string | number[];
  comm: string;
  grouping: GroupingMode;
  fuse: boolean;
}

export const CLI_INPUT_DEFAULTS: InputDefaults = {
  algorithm: DEFAULTS.algorithm,
  devices: DEFAULTS.devices,
  memory: DEFAULTS.memory,
  comm: DEFAULTS.comm,
  grouping: DEFAULTS.grouping,
  fuse: DEFAULTS.fuse,
};

const absent = (v: unknown): boolean => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/**
 * THE parse: raw input → checked options with the link and topology parsed. A topology sets the
 * device count (H×G; a given device count must equal it) and replaces the interconnect, so giving
 * both is an error. Throws one OpplaceError naming the option as the front end spells it.
 */
export function parsePlacementInput(input: PlacementInput, defaults: InputDefaults, label: OptionLabel = engineLabel, file?: string): ResolvedPlacement {
  try {
    const algorithm = parseChoice(input.algorithm, label('algorithm'), ALGORITHMS, defaults.algorithm);
    let devices = parseWholeNumber(input.devices, label('devices'), defaults.devices, 1, LIMITS.maxDevices);
    let topology: Topology | undefined;
    if (!absent(input.topology)) {
      if (!absent(input.comm)) throw optionError(label('topology'), `sets the links between devices, so ${label('comm')} cannot be given with it`);
      topology = parseTopologyOption(input.topology, label('topology'), absent(input.devices) ? undefined : devices);
      devices = topology.devices;
    }
    const comm = absent(input.comm) ? defaults.comm : specString(input.comm, label('comm'));
    const link = parseLink(comm, label('comm'));
    const memoryLimits = parseMemoryLimits(absent(input.memory) ? defaults.memory : input.memory, label('memoryLimits'), devices, label('devices'));
    const options: PlacementOptions = {
      algorithm,
      devices,
      memoryLimits,
      comm,
      grouping: parseChoice(input.grouping, label('grouping'), GROUPINGS, defaults.grouping),
      fuse: parseBoolean(input.fuse, label('fuse'), defaults.fuse),
    };
    const theta = parseTheta(input.theta, label('theta'));
    if (theta !== undefined) options.theta = theta;
    const budgetMs = parseBudgetMs(input.budgetMs, label('budgetMs'));
    if (budgetMs !== undefined) options.budgetMs = budgetMs;
    const seed = parseSeed(input.seed, label('seed'));
    if (seed !== undefined) options.seed = seed;
    if (parseBoolean(input.refine, label('refine'), false)) options.refine = true;
    if (topology) options.topology = topology.spec;
    checkRefine(options, label);
    return { options, link, ...(topology ? { topology } : {}) };
  } catch (e) {
    throw file !== undefined && e instanceof OpplaceError && e.file === undefined ? new OpplaceError(e.detail, { file }) : e;
  }
}

/** parseTopology's messages already say `topology "…"`. */
function parseTopologyOption(value: unknown, label: string, devices: number | undefined): Topology {
  return parseTopology(specString(value, label), devices, LIMITS.maxDevices);
}

function checkRefine(options: PlacementOptions, label: OptionLabel): void {
  if (options.refine === true && options.algorithm === 'single') {
    throw optionError(label('refine'), 'cannot start from "single" (it ignores memory limits); use m-etf, m-sct, m-topo or sequential');
  }
}

/**
 * Placement options that are already typed (a Plan's options, the engine's callers, a viewer
 * message) checked and resolved: the same checks as parsePlacementInput, in the engine's names.
 * Limits may be Infinity here (no limit), which no user types.
 */
export function resolvePlacement(options: PlacementOptions, file?: string): ResolvedPlacement {
  const ctx = file !== undefined ? { file } : {};
  if (typeof options !== 'object' || options === null) throw new OpplaceError(`placement options must be an object, got ${shown(options)}`, ctx);
  const missing = '(missing)';
  const resolved = parsePlacementInput(
    {
      algorithm: options.algorithm ?? missing,
      devices: options.devices ?? missing,
      topology: options.topology,
      grouping: options.grouping ?? missing,
      fuse: options.fuse ?? missing,
      theta: options.theta,
      budgetMs: options.budgetMs,
      seed: options.seed,
      refine: options.refine,
    },
    // A plan's options carry `comm` next to a topology (the link a plan without one would use).
    { ...CLI_INPUT_DEFAULTS, comm: options.comm ?? missing, memory: [0] },
    engineLabel,
    file,
  );
  const limits: unknown = options.memoryLimits;
  if (!Array.isArray(limits) || limits.length !== resolved.options.devices) {
    throw new OpplaceError(
      `memoryLimits must list one limit per device (${resolved.options.devices}), got ${Array.isArray(limits) ? limits.length : shown(limits)}`,
      ctx,
    );
  }
  limits.forEach((l: unknown, d) => {
    if (typeof l !== 'number' || Number.isNaN(l) || l < 0)
      throw new OpplaceError(`memory limit of device ${d} must be a number of bytes ≥ 0, got ${String(l)}`, ctx);
  });
  return { ...resolved, options: { ...resolved.options, memoryLimits: (limits as number[]).slice() } };
}

/** Options as the engine's callers hold them: typed, or already resolved (then nothing is parsed again). */
export type PlacementOrResolved = PlacementOptions | ResolvedPlacement;

export function isResolvedPlacement(x: PlacementOrResolved): x is ResolvedPlacement {
  return 'link' in x && 'options' in x;
}

/** resolvePlacement, unless it was done already. */
export function resolvedPlacementOf(placement: PlacementOrResolved, file?: string): ResolvedPlacement {
  return isResolvedPlacement(placement) ? placement : resolvePlacement(placement, file);
}

// ───────────────────────────── pipeline plans ─────────────────────────────

/** Raw pipeline fields as a front end read them (a pipeline plan also takes the placement input's devices, memory, comm). */
export interface PipelineInput {
  split?: unknown;
  microbatches?: unknown;
  schedule?: unknown;
}

/** The split, microbatch count (default 4 × devices) and schedule of a pipeline plan. */
export function parsePipelineInput(
  input: PipelineInput,
  devices: number,
  label: (key: keyof PipelineInput) => string = (k) => k,
): { split: PipelineSplit; microbatches: number; schedule: PipelineScheduleName } {
  return {
    split: parseChoice(input.split, label('split'), PIPELINE_SPLITS, DEFAULTS.split),
    microbatches: parseWholeNumber(input.microbatches, label('microbatches'), DEFAULTS.microbatchesPerDevice * devices, 1, LIMITS.maxMicrobatches),
    schedule: parseChoice(input.schedule, label('schedule'), PIPELINE_SCHEDULES, DEFAULTS.schedule),
  };
}
