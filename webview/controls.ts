// Re-place controls (@vscode-elements/elements): device count, per-device memory limits (one field
// each plus "all"), algorithm, interconnect preset, batch size, grouping and fusion; the objective
// (latency | throughput) and, for throughput, the pipeline's split, microbatches and schedule. Any
// change re-places through the PlacementHost; layout is untouched (the DAG only recolours).
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { OpGraph } from '../algorithms/graph';
import type { AlgorithmName, GroupingMode, PlacementOptions } from '../algorithms/plan';
import { createDimsControl, type DimsControl } from './dimsControl';
import { formatBytes, parseSize } from '../algorithms/units';
import { GROUPINGS, LIMITS } from '../algorithms/options';
import { resizeLimits } from './model';
import { PIPELINE_SCHEDULES, PIPELINE_SPLITS, type PipelineScheduleName, type PipelineSplit } from '../algorithms/pipeline/types';
import type { ObjectiveChoice } from './placementHost';
import { MAX_MICROBATCHES, OBJECTIVES, type ExportFormat, type Objective, type PipelineControls } from './protocol';

export interface ControlsConfig {
  algorithms: AlgorithmName[];
  presets: string[];
  batchSize?: number;
  canSaveLimits: boolean;
  exportFormats: ExportFormat[];
  canOpenInBrowser: boolean;
  /** The objective and pipeline knobs the controls start with. */
  choice: ObjectiveChoice;
  /** The graph whose symbolic dims the user may set, when the host can re-load the model with them. */
  modelDims?: OpGraph;
}

export interface ControlsCallbacks {
  /** `dims`: NAME=VALUE of the symbolic dims, once the user set one (re-loads the model). */
  onChange(options: PlacementOptions, batchSize: number | undefined, choice: ObjectiveChoice, dims?: string[]): void;
  onSaveLimits?(limits: number[]): void;
  onExport?(format: ExportFormat): void;
  onOpenInBrowser?(): void;
}

export interface ControlsView {
  setOptions(options: PlacementOptions, choice?: ObjectiveChoice): void;
  /** A new graph arrived: its symbolic dims and the loader's warnings about them. */
  setGraph(graph: OpGraph): void;
}

type ValueEl = HTMLElement & { value: string; checked?: boolean; invalid?: boolean };

function el<K extends string>(tag: K, attrs: Record<string, string> = {}, text?: string): ValueEl {
  const e = document.createElement(tag) as unknown as ValueEl;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function setValue(e: ValueEl, value: string): void {
  if (e.value !== value) e.value = value;
}

function labelled(label: string, control: HTMLElement): HTMLElement {
  const wrap = document.createElement('label');
  wrap.className = 'ctl';
  const s = document.createElement('span');
  s.textContent = label;
  wrap.append(s, control);
  return wrap;
}

function select(id: string, values: string[], current: string): ValueEl {
  const s = el('vscode-single-select', { id });
  for (const v of values) {
    const o = el('vscode-option', { value: v }, v);
    if (v === current) o.setAttribute('selected', '');
    s.appendChild(o);
  }
  s.value = current;
  return s;
}

/** The controls' elements: one per knob (the memory fields are rebuilt when the device count changes). */
interface ControlElements {
  devices: ValueEl;
  /** "memory: all": one limit for every device. */
  all: ValueEl;
  memFields: HTMLElement;
  /** Why the value typed into a field is not one (memory limits, device count, microbatches). */
  memError: HTMLElement;
  algo: ValueEl;
  comm: ValueEl;
  grouping: ValueEl;
  fuse: ValueEl;
  batch: ValueEl;
  objective: ValueEl;
  split: ValueEl;
  schedule: ValueEl;
  microbatches: ValueEl;
  /** Shown in latency mode only (latency places with an algorithm, and may fuse). */
  latencyOnly: HTMLElement[];
  /** Shown in throughput mode only (the pipeline's own knobs). */
  throughputOnly: HTMLElement[];
}

/** Everything the controls hold, in one object: what the user chose so far and the pending send. */
interface Controls {
  config: ControlsConfig;
  cb: ControlsCallbacks;
  els: ControlElements;
  options: PlacementOptions;
  batchSize: number | undefined;
  /** NAME=VALUE of the symbolic dims, once the user set one. */
  dims: string[] | undefined;
  choice: ObjectiveChoice;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** A change the user made that has not been sent yet (the debounce is running). */
  unsent: boolean;
  dimsControl: DimsControl | undefined;
}

/** Debounce: typing "16GiB" into several fields should place once. */
const SEND_DEBOUNCE_MS = 120;

export function createControls(root: HTMLElement, config: ControlsConfig, initial: PlacementOptions, cb: ControlsCallbacks): ControlsView {
  const options: PlacementOptions = { ...initial, memoryLimits: initial.memoryLimits.slice() };
  const choice: ObjectiveChoice = { objective: config.choice.objective, pipelineControls: { ...config.choice.pipelineControls } };
  root.replaceChildren();
  const els = controlElements(config, options, choice);
  const c: Controls = {
    config,
    cb,
    els,
    options,
    batchSize: config.batchSize,
    dims: undefined,
    choice,
    timer: undefined,
    unsent: false,
    dimsControl: undefined,
  };
  listenPlacement(c);
  listenPipeline(c);
  appendControls(c, root);
  rebuildMemFields(c);
  showObjective(c);
  return {
    setGraph: (graph) => c.dimsControl?.setGraph(graph),
    setOptions: (o, ch) => setOptions(c, o, ch),
  };
}

function controlElements(config: ControlsConfig, options: PlacementOptions, choice: ObjectiveChoice): ControlElements {
  const devices = el('vscode-textfield', { id: 'ctl-devices', type: 'number', min: '1', max: String(LIMITS.maxDevices), class: 'num' });
  devices.value = String(options.devices);
  const all = el('vscode-textfield', { id: 'mem-all', class: 'mem', placeholder: 'e.g. 16GiB' });
  const memFields = Object.assign(document.createElement('div'), { className: 'mem-fields' });
  const memError = Object.assign(document.createElement('div'), { className: 'invalid-msg' });
  const algo = select('ctl-algorithm', config.algorithms, options.algorithm);
  const presets = config.presets.includes(options.comm) ? config.presets : [options.comm, ...config.presets];
  const comm = select('ctl-comm', presets, options.comm);
  const grouping = select('ctl-grouping', [...GROUPINGS], options.grouping);
  const fuse = el('vscode-checkbox', { id: 'ctl-fuse', label: 'fuse chains' });
  fuse.checked = options.fuse;
  const batch = el('vscode-textfield', { id: 'ctl-batch', type: 'number', min: '1', class: 'num' });
  const objective = select('ctl-objective', OBJECTIVES, choice.objective);
  const split = select('ctl-split', [...PIPELINE_SPLITS], choice.pipelineControls.split);
  const schedule = select('ctl-schedule', [...PIPELINE_SCHEDULES], choice.pipelineControls.schedule);
  const microbatches = el('vscode-textfield', { id: 'ctl-microbatches', type: 'number', min: '1', max: String(MAX_MICROBATCHES), class: 'num' });
  microbatches.value = String(choice.pipelineControls.microbatches);
  return {
    devices,
    all,
    memFields,
    memError,
    algo,
    comm,
    grouping,
    fuse,
    batch,
    objective,
    split,
    schedule,
    microbatches,
    latencyOnly: [labelled('algorithm', algo)],
    throughputOnly: [labelled('split', split), labelled('microbatches', microbatches), labelled('schedule', schedule)],
  };
}

/** Sends the user's choice once changes pause (copies: the controls keep changing theirs). */
function fire(c: Controls): void {
  clearTimeout(c.timer);
  c.unsent = true;
  c.timer = setTimeout(() => {
    c.unsent = false;
    c.cb.onChange(
      { ...c.options, memoryLimits: c.options.memoryLimits.slice() },
      c.batchSize,
      { objective: c.choice.objective, pipelineControls: { ...c.choice.pipelineControls } },
      c.dims?.slice(),
    );
  }, SEND_DEBOUNCE_MS);
}

/** On a change of `field`, applies its value to the controls' state and sends. */
function onChange(c: Controls, field: ValueEl, apply: (value: string) => void): void {
  field.addEventListener('change', () => {
    apply(field.value);
    fire(c);
  });
}

/** The size typed into a memory field; null (the field marked invalid, the reason shown) if it is not one. */
function readSize(c: Controls, field: ValueEl, what: string): number | null {
  try {
    const v = parseSize(field.value, what);
    field.invalid = false;
    c.els.memError.textContent = '';
    return v;
  } catch (e) {
    field.invalid = true;
    c.els.memError.textContent = (e as Error).message;
    return null;
  }
}

/** The whole number from 1 to `max` typed into `field`; null (the field marked invalid, the reason shown) if it is not one. */
function readCount(c: Controls, field: ValueEl, max: number, what: string): number | null {
  const n = Number(field.value);
  const ok = Number.isInteger(n) && n >= 1 && n <= max;
  field.invalid = !ok;
  c.els.memError.textContent = ok ? '' : `${what} must be a whole number from 1 to ${max}`;
  return ok ? n : null;
}

function memField(c: Controls, d: number): ValueEl {
  const f = el('vscode-textfield', { id: `mem-${d}`, class: 'mem', 'aria-label': `memory limit of GPU ${d}` });
  f.value = formatBytes(c.options.memoryLimits[d]);
  f.addEventListener('change', () => {
    const v = readSize(c, f, `memory limit of GPU ${d}`);
    if (v === null || v === c.options.memoryLimits[d]) return;
    c.options.memoryLimits[d] = v;
    fire(c);
  });
  return labelled(`GPU ${d}`, f) as unknown as ValueEl;
}

function rebuildMemFields(c: Controls): void {
  const { memFields, all } = c.els;
  const limits = c.options.memoryLimits;
  // Same device count: update the values in place (creating web components is not free).
  const existing = memFields.querySelectorAll<ValueEl>('vscode-textfield');
  if (existing.length === limits.length)
    existing.forEach((f, d) => {
      const text = formatBytes(limits[d]);
      if (f.value !== text && document.activeElement !== f) f.value = text;
    });
  else memFields.replaceChildren(...limits.map((_, d) => memField(c, d)));
  const same = limits.every((l) => l === limits[0]);
  setValue(all, same ? formatBytes(limits[0]) : '');
}

/** The placement's knobs: devices and their memory, algorithm, interconnect, grouping, fusion, batch size. */
function listenPlacement(c: Controls): void {
  const { devices, all, algo, comm, grouping, fuse, batch } = c.els;
  devices.addEventListener('change', () => {
    const n = readCount(c, devices, LIMITS.maxDevices, 'device count');
    if (n === null || n === c.options.devices) return;
    const o = c.options;
    c.options = { ...o, devices: n, memoryLimits: resizeLimits(o.memoryLimits, n, o.memoryLimits[0] ?? 16 * 2 ** 30) };
    rebuildMemFields(c);
    fire(c);
  });
  all.addEventListener('change', () => {
    if (!all.value.trim()) return;
    const v = readSize(c, all, 'memory limit');
    if (v === null) return;
    c.options.memoryLimits = c.options.memoryLimits.map(() => v);
    rebuildMemFields(c);
    fire(c);
  });
  onChange(c, algo, (v) => (c.options = { ...c.options, algorithm: v as AlgorithmName }));
  onChange(c, comm, (v) => (c.options = { ...c.options, comm: v }));
  onChange(c, grouping, (v) => (c.options = { ...c.options, grouping: v as GroupingMode }));
  onChange(c, fuse, () => (c.options = { ...c.options, fuse: !!fuse.checked }));
  batch.addEventListener('change', () => {
    const n = Number(batch.value);
    batch.invalid = !Number.isInteger(n) || n < 1;
    if (batch.invalid) return;
    c.batchSize = n;
    fire(c);
  });
}

/** The objective and, for throughput, the pipeline's split, schedule and microbatches. */
function listenPipeline(c: Controls): void {
  const { objective, split, schedule, microbatches } = c.els;
  const withControls = (p: Partial<PipelineControls>) => (c.choice = { ...c.choice, pipelineControls: { ...c.choice.pipelineControls, ...p } });
  onChange(c, objective, (v) => {
    c.choice = { ...c.choice, objective: v as Objective };
    showObjective(c);
  });
  onChange(c, split, (v) => withControls({ split: v as PipelineSplit }));
  onChange(c, schedule, (v) => withControls({ schedule: v as PipelineScheduleName }));
  microbatches.addEventListener('change', () => {
    const n = readCount(c, microbatches, MAX_MICROBATCHES, 'microbatches');
    if (n === null || n === c.choice.pipelineControls.microbatches) return;
    withControls({ microbatches: n });
    fire(c);
  });
}

function showObjective(c: Controls): void {
  const t = c.choice.objective === 'throughput';
  for (const e of c.els.latencyOnly) e.style.display = t ? 'none' : '';
  for (const e of c.els.throughputOnly) e.style.display = t ? '' : 'none';
  c.els.fuse.style.display = t ? 'none' : '';
}

/** The controls in their order on the bar, then the host's actions and the model's dims. */
function appendControls(c: Controls, root: HTMLElement): void {
  const { els, config } = c;
  root.append(labelled('devices', els.devices), labelled('memory: all', els.all));
  const memWrap = document.createElement('div');
  memWrap.className = 'ctl';
  memWrap.append(els.memFields, els.memError);
  root.append(
    memWrap,
    labelled('objective', els.objective),
    ...els.latencyOnly,
    ...els.throughputOnly,
    labelled('interconnect', els.comm),
    labelled('grouping', els.grouping),
  );
  if (config.batchSize !== undefined) {
    els.batch.value = String(config.batchSize);
    root.append(labelled('batch size', els.batch));
  }
  root.append(els.fuse);
  c.dimsControl = config.modelDims
    ? createDimsControl(config.modelDims, (d) => {
        c.dims = d;
        fire(c);
      })
    : undefined;
  root.append(...hostActions(c));
  if (c.dimsControl) root.append(c.dimsControl.element);
}

/** The buttons for what the host offers: save the limits to the settings, export, open the report in a browser. */
function hostActions(c: Controls): HTMLElement[] {
  const { config, cb } = c;
  const out: HTMLElement[] = [];
  if (config.canSaveLimits && cb.onSaveLimits) {
    const b = el('vscode-button', { id: 'ctl-save-limits', secondary: '' }, 'Save limits');
    b.addEventListener('click', () => cb.onSaveLimits!(c.options.memoryLimits.slice()));
    out.push(b);
  }
  if (config.exportFormats.length && cb.onExport) {
    const ex = select('ctl-export', ['export…', ...config.exportFormats], 'export…');
    ex.addEventListener('change', () => {
      if (ex.value !== 'export…') cb.onExport!(ex.value as ExportFormat);
      ex.value = 'export…';
    });
    out.push(labelled('export', ex));
  }
  if (config.canOpenInBrowser && cb.onOpenInBrowser) {
    const b = el('vscode-button', { id: 'ctl-open-browser', secondary: '' }, 'Open in browser');
    b.addEventListener('click', () => cb.onOpenInBrowser!());
    out.push(b);
  }
  return out;
}

/** A plan's options (and objective) shown, unless the user has a change of their own still to send. */
function setOptions(c: Controls, o: PlacementOptions, choice?: ObjectiveChoice): void {
  // A plan for an earlier request must not undo what the user just chose and is about to send.
  if (c.unsent) return;
  const { els } = c;
  c.options = { ...o, memoryLimits: o.memoryLimits.slice() };
  // Every plan comes with its options, mostly the shown ones: a web component re-renders on any set.
  setValue(els.devices, String(o.devices));
  setValue(els.algo, o.algorithm);
  setValue(els.comm, o.comm);
  setValue(els.grouping, o.grouping);
  if (els.fuse.checked !== o.fuse) els.fuse.checked = o.fuse;
  if (choice) {
    c.choice = { objective: choice.objective, pipelineControls: { ...choice.pipelineControls } };
    setValue(els.objective, choice.objective);
    setValue(els.split, choice.pipelineControls.split);
    setValue(els.schedule, choice.pipelineControls.schedule);
    setValue(els.microbatches, String(choice.pipelineControls.microbatches));
    showObjective(c);
  }
  rebuildMemFields(c);
}
