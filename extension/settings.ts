// Workspace settings (`opplace.*`) → the engine's options. Pure: no `vscode` import, so the
// mapping is unit-tested in plain Node (test/extension/settings.test.ts). The extension reads the
// raw values with `workspace.getConfiguration('opplace', uri)` and hands them here.
import { OpplaceError } from '../algorithms/errors';
import { DEVICE_PRESETS } from '../algorithms/cost/devices';
import {
  ALGORITHMS,
  AlgorithmName,
  COMPARE_ALGORITHMS as ENGINE_COMPARE_ALGORITHMS,
  DEFAULTS,
  defaultCommFor,
  DEVICE_PRESET_IDS as PRESET_IDS,
  DTYPE_SETTINGS,
  LIMITS,
  parseChoice,
  parseModelDims,
  parsePlacementInput,
  parseWholeNumber,
  PlacementOptions,
  presetInterconnect as usualInterconnect,
  SETTING_DEFAULTS,
} from '../algorithms/options';
import type { PrepareOptions } from '../algorithms/prepare';
import { PIPELINE_SCHEDULES, PIPELINE_SPLITS } from '../algorithms/pipeline/types';
import { DEFAULT_PIPELINE_CONTROLS, MAX_MICROBATCHES, OBJECTIVES, type Objective, type PipelineControls } from '../webview/protocol';

/** A device preset's usual multi-GPU link (the interconnect when `opplace.interconnect` is empty). */
export const presetInterconnect = usualInterconnect;

export const DEVICE_PRESET_IDS: readonly string[] = PRESET_IDS;
export const DEFAULT_DEVICE_PRESET = SETTING_DEFAULTS.devicePreset;

/** The algorithms a user can pick in the settings (refine with its default budget). */
export const SETTING_ALGORITHMS: readonly AlgorithmName[] = ALGORITHMS;
/** What Compare Algorithms runs, in table order (the CLI's `opplace compare` runs the same). */
export const COMPARE_ALGORITHMS: readonly AlgorithmName[] = ENGINE_COMPARE_ALGORITHMS;

export type DtypeSetting = (typeof DTYPE_SETTINGS)[number];

/** The raw `opplace.*` values as VS Code returns them (unknown types: settings.json is hand-edited). */
export interface RawSettings {
  devicePreset?: unknown;
  devices?: unknown;
  memoryLimits?: unknown;
  algorithm?: unknown;
  interconnect?: unknown;
  batchSize?: unknown;
  dtype?: unknown;
  grouping?: unknown;
  fusion?: unknown;
  objective?: unknown;
  pipelineSplit?: unknown;
  microbatches?: unknown;
  pipelineSchedule?: unknown;
  /** `["seq=128"]`: symbolic ONNX dims, as `--dim` (issue 11 §1). */
  dims?: unknown;
  /** `["images=1x3x640x640"]`: full shapes of graph inputs, as `--input-shape`. */
  inputShapes?: unknown;
}

/** The setting keys, as `opplace.<key>` in settings.json and package.json. */
export const SETTING_KEYS: (keyof RawSettings)[] = [
  'devicePreset',
  'devices',
  'memoryLimits',
  'algorithm',
  'interconnect',
  'batchSize',
  'dtype',
  'grouping',
  'fusion',
  'objective',
  'pipelineSplit',
  'microbatches',
  'pipelineSchedule',
  'dims',
  'inputShapes',
];

/** The setting that holds each placement option. */
const SETTING_OF: Partial<Record<keyof PlacementOptions, keyof RawSettings>> = { memoryLimits: 'memoryLimits', comm: 'interconnect', fuse: 'fusion' };
const settingLabel = (key: string): string => `setting opplace.${key}`;

export interface ResolvedSettings {
  /** Loader + cost-model options (prepareGraph). */
  load: PrepareOptions;
  placement: PlacementOptions;
  /** Latency (placement) or throughput (pipeline plan, issue 14), and the pipeline's knobs. */
  objective: Objective;
  pipeline: PipelineControls;
}

const blank = (raw: unknown): unknown => (typeof raw === 'string' && raw.trim() === '' ? undefined : typeof raw === 'string' ? raw.trim() : raw);

/**
 * Maps the settings to load + placement options (the parse of algorithms/options.ts). Empty memory
 * limits / interconnect fall back to the device preset. Throws one OpplaceError naming the bad setting.
 */
export function resolveSettings(raw: RawSettings, fileName?: string): ResolvedSettings {
  const presetName = parseChoice(raw.devicePreset, settingLabel('devicePreset'), DEVICE_PRESET_IDS, SETTING_DEFAULTS.devicePreset);
  const preset = DEVICE_PRESETS[presetName];
  // An empty interconnect: the preset's usual link, except for formats with a default of their own
  // (STG task graphs have no tensor sizes: none), as on the command line.
  const format = fileName?.toLowerCase().endsWith('.stg') ? 'stg' : undefined;
  const defaultComm = format ? defaultCommFor({ source: { format } }) : presetInterconnect(presetName);
  const { options: placement } = parsePlacementInput(
    {
      algorithm: raw.algorithm,
      devices: raw.devices,
      memory: blank(raw.memoryLimits),
      comm: blank(raw.interconnect),
      grouping: raw.grouping,
      fuse: raw.fusion,
    },
    { ...DEFAULTS, devices: SETTING_DEFAULTS.devices, memory: [preset.memoryBytes], comm: defaultComm, fuse: SETTING_DEFAULTS.fuse },
    (key) => settingLabel(SETTING_OF[key] ?? key),
  );
  const batch = parseWholeNumber(raw.batchSize, settingLabel('batchSize'), DEFAULTS.batch, 1, LIMITS.maxBatch);
  const dtype = parseChoice<DtypeSetting>(raw.dtype, settingLabel('dtype'), DTYPE_SETTINGS, SETTING_DEFAULTS.dtype);
  const load: PrepareOptions = {
    batch,
    device: presetName,
    ...parseModelDims(raw, { dims: settingLabel('dims'), inputShapes: settingLabel('inputShapes') }),
  };
  if (dtype !== 'auto') load.dtype = dtype;
  const objective = parseChoice<Objective>(raw.objective, settingLabel('objective'), OBJECTIVES, 'latency');
  const pipeline: PipelineControls = {
    split: parseChoice(raw.pipelineSplit, settingLabel('pipelineSplit'), PIPELINE_SPLITS, DEFAULT_PIPELINE_CONTROLS.split),
    microbatches: parseWholeNumber(raw.microbatches, settingLabel('microbatches'), DEFAULT_PIPELINE_CONTROLS.microbatches, 1, MAX_MICROBATCHES),
    schedule: parseChoice(raw.pipelineSchedule, settingLabel('pipelineSchedule'), PIPELINE_SCHEDULES, DEFAULT_PIPELINE_CONTROLS.schedule),
  };
  return { load, placement, objective, pipeline };
}

/**
 * The viewer's per-device limits as the `opplace.memoryLimits` setting value: the shortest exact
 * spelling (binary or decimal units, or bytes) so saving and reading back gives the same bytes; one value
 * when all devices are equal.
 */
export function memoryLimitsToSetting(limits: number[]): string {
  if (limits.length === 0) throw new OpplaceError('no memory limits to save');
  const spelled = limits.map(exactSize);
  return spelled.every((s) => s === spelled[0]) ? spelled[0] : spelled.join(',');
}

function exactSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) throw new OpplaceError(`invalid memory limit ${String(bytes)}`);
  const b = Math.round(bytes);
  let best = `${b}`;
  for (const [unit, size] of EXACT_UNITS) {
    const spelled = `${b / size}${unit}`;
    if (b >= size && b % size === 0 && spelled.length < best.length) best = spelled;
  }
  return best;
}

/** Units tried for saving limits, binary first so a tie keeps the GPU-customary GiB. */
const EXACT_UNITS: [string, number][] = [
  ['TiB', 2 ** 40],
  ['GiB', 2 ** 30],
  ['MiB', 2 ** 20],
  ['KiB', 2 ** 10],
  ['TB', 1e12],
  ['GB', 1e9],
  ['MB', 1e6],
  ['KB', 1e3],
];

/** Options the viewer sent, merged over the settings (the viewer owns only placement knobs). */
export function mergeViewerOptions(base: PlacementOptions, fromViewer: PlacementOptions): PlacementOptions {
  return {
    ...base,
    algorithm: fromViewer.algorithm,
    devices: fromViewer.devices,
    memoryLimits: [...fromViewer.memoryLimits],
    comm: fromViewer.comm,
    grouping: fromViewer.grouping,
    fuse: fromViewer.fuse,
    ...(fromViewer.theta !== undefined ? { theta: fromViewer.theta } : {}),
  };
}

/**
 * The load options with the symbolic dims the viewer set (`replace.dims`, NAME=VALUE) over those of
 * the settings: a new set of dims is a new model key, so the view's engine prepares the model again.
 */
export function withViewerDims(load: PrepareOptions, viewerDims: readonly string[] | undefined): PrepareOptions {
  if (!viewerDims) return load;
  const { dims } = parseModelDims({ dims: viewerDims }, { dims: 'viewer dims', inputShapes: 'viewer input shapes' });
  const merged = { ...load.dims, ...dims };
  const { dims: _old, ...rest } = load;
  return Object.keys(merged).length ? { ...rest, dims: merged } : rest;
}

/** True when the file name is one the extension can place (the menus' when-clauses say the same). */
export function isPlaceableFile(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return lower.endsWith('.onnx') || lower.endsWith('.json') || lower.endsWith('.stg');
}
