// Workspace settings (`opplace.*`) → the engine's options. Pure: no `vscode` import, so the
// mapping is unit-tested in plain Node (test/extension/settings.test.ts). The extension reads the
// raw values with `workspace.getConfiguration('opplace', uri)` and hands them here.
import { OpplaceError } from '../algorithms/errors';
import type { Dtype } from '../algorithms/loaders/index';
import { ALGORITHMS, AlgorithmName, GroupingMode, PlacementOptions } from '../algorithms/plan';
import { parseInterconnect } from '../algorithms/cost/interconnect';
import { parseMemoryLimits, parseSize } from '../algorithms/units';
import { DEFAULT_DEVICE, DEVICE_PRESETS } from '../algorithms/cost/devices';
import type { PrepareOptions } from '../algorithms/prepare';

/**
 * The GPU the settings describe comes from the cost model's presets (algorithms/cost/devices.ts):
 * its memory is the default per-device limit and its usual multi-GPU link the default interconnect.
 */
const PRESET_INTERCONNECT: Record<string, string> = {
  'h100-sxm': 'nvlink4',
  'h100-pcie': 'pcie5',
  'a100-80gb': 'nvlink3',
  'a100-40gb': 'nvlink3',
  'v100-16gb': 'nvlink3',
};
const FALLBACK_INTERCONNECT = 'pcie4';

export function presetInterconnect(presetId: string): string {
  return PRESET_INTERCONNECT[presetId] ?? FALLBACK_INTERCONNECT;
}

export const DEVICE_PRESET_IDS: string[] = Object.keys(DEVICE_PRESETS);
export const DEFAULT_DEVICE_PRESET = DEFAULT_DEVICE;

/** The algorithms a user can pick in the settings (refine with its default budget). */
export const SETTING_ALGORITHMS: AlgorithmName[] = [...ALGORITHMS];
/** What Compare Algorithms runs, in table order: Baechi's three placers, refine, then the baselines. */
export const COMPARE_ALGORITHMS: AlgorithmName[] = ['m-topo', 'm-etf', 'm-sct', 'refine', 'single', 'sequential'];

export type DtypeSetting = 'auto' | Dtype;

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
}

/** The setting keys, as `opplace.<key>` in settings.json and package.json. */
export const SETTING_KEYS: (keyof RawSettings)[] = ['devicePreset', 'devices', 'memoryLimits', 'algorithm', 'interconnect', 'batchSize', 'dtype', 'grouping', 'fusion'];

export interface ResolvedSettings {
  /** Loader + cost-model options (prepareGraph). */
  load: PrepareOptions;
  placement: PlacementOptions;
}

function settingError(key: string, detail: string): OpplaceError {
  return new OpplaceError(`setting opplace.${key}: ${detail}`);
}

function stringSetting(raw: unknown, key: string, fallback: string): string {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'string') throw settingError(key, `expected a string, got ${JSON.stringify(raw)}`);
  return raw.trim() === '' ? fallback : raw.trim();
}

function intSetting(raw: unknown, key: string, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
    throw settingError(key, `expected a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

function enumSetting<T extends string>(raw: unknown, key: string, allowed: readonly T[], fallback: T): T {
  if (raw === undefined || raw === null || raw === '') return fallback;
  if (typeof raw !== 'string' || !(allowed as readonly string[]).includes(raw)) {
    throw settingError(key, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

/** Memory limits may be a CLI-style string ("16GiB" or "16GiB,8GiB") or a list of sizes. */
function memoryLimitsSetting(raw: unknown, devices: number, presetBytes: number): number[] {
  if (raw === undefined || raw === null || raw === '' || (Array.isArray(raw) && raw.length === 0)) {
    return Array(devices).fill(presetBytes);
  }
  try {
    if (typeof raw === 'string') return parseMemoryLimits(raw, devices);
    if (Array.isArray(raw)) {
      const sizes = raw.map((v) => (typeof v === 'number' ? checkedBytes(v) : typeof v === 'string' ? parseSize(v, 'memory limit') : NaN));
      if (sizes.some((s) => Number.isNaN(s))) throw new OpplaceError(`expected sizes like "16GiB", got ${JSON.stringify(raw)}`);
      if (sizes.length === 1) return Array(devices).fill(sizes[0]);
      if (sizes.length !== devices) throw new OpplaceError(`lists ${sizes.length} limits but opplace.devices is ${devices}`);
      return sizes;
    }
  } catch (e) {
    throw settingError('memoryLimits', (e as Error).message);
  }
  throw settingError('memoryLimits', `expected a size such as "16GiB" or "16GiB,8GiB", got ${JSON.stringify(raw)}`);
}

function checkedBytes(v: number): number {
  return Number.isFinite(v) && v >= 0 ? Math.round(v) : NaN;
}

/**
 * Maps the settings to load + placement options. Empty memory limits / interconnect fall back to
 * the device preset. Throws one OpplaceError naming the bad setting.
 */
export function resolveSettings(raw: RawSettings): ResolvedSettings {
  const presetName = enumSetting(raw.devicePreset, 'devicePreset', DEVICE_PRESET_IDS, DEFAULT_DEVICE_PRESET);
  const preset = DEVICE_PRESETS[presetName];
  const devices = intSetting(raw.devices, 'devices', 2, 1, 1024);
  const memoryLimits = memoryLimitsSetting(raw.memoryLimits, devices, preset.memoryBytes);
  const comm = stringSetting(raw.interconnect, 'interconnect', presetInterconnect(presetName));
  try {
    parseInterconnect(comm);
  } catch (e) {
    throw settingError('interconnect', (e as Error).message);
  }
  const algorithm = enumSetting(raw.algorithm, 'algorithm', SETTING_ALGORITHMS, 'm-etf');
  const grouping = enumSetting<GroupingMode>(raw.grouping, 'grouping', ['none', 'colocation', 'coplace'], 'colocation');
  if (raw.fusion !== undefined && raw.fusion !== null && typeof raw.fusion !== 'boolean') {
    throw settingError('fusion', `expected true or false, got ${JSON.stringify(raw.fusion)}`);
  }
  const fuse = raw.fusion === undefined || raw.fusion === null ? true : raw.fusion;
  const batch = intSetting(raw.batchSize, 'batchSize', 1, 1, 1_000_000);
  const dtype = enumSetting<DtypeSetting>(raw.dtype, 'dtype', ['auto', 'fp32', 'fp16', 'bf16'], 'auto');
  const load: PrepareOptions = { batch, device: presetName };
  if (dtype !== 'auto') load.dtype = dtype;
  return { load, placement: { algorithm, devices, memoryLimits, comm, grouping, fuse } };
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
  ['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10],
  ['TB', 1e12], ['GB', 1e9], ['MB', 1e6], ['KB', 1e3],
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

/** True when the file name is one the extension can place (the menus' when-clauses say the same). */
export function isPlaceableFile(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return lower.endsWith('.onnx') || lower.endsWith('.json') || lower.endsWith('.stg');
}
