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
import { createDimsControl } from './dimsControl';
import { formatBytes, parseSize } from '../algorithms/units';
import { GROUPINGS, LIMITS } from '../algorithms/options';
import { resizeLimits } from './model';
import { PIPELINE_SCHEDULES, PIPELINE_SPLITS, type PipelineScheduleName, type PipelineSplit } from '../algorithms/pipeline/types';
import type { ObjectiveChoice } from './placementHost';
import { MAX_MICROBATCHES, OBJECTIVES, type ExportFormat, type Objective } from './protocol';

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

export function createControls(root: HTMLElement, config: ControlsConfig, initial: PlacementOptions, cb: ControlsCallbacks): ControlsView {
  let options: PlacementOptions = { ...initial, memoryLimits: initial.memoryLimits.slice() };
  let batchSize = config.batchSize;
  let dims: string[] | undefined;
  let choice: ObjectiveChoice = { objective: config.choice.objective, pipelineControls: { ...config.choice.pipelineControls } };
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** A change the user made that has not been sent yet (the debounce is running). */
  let unsent = false;
  const fire = () => {
    clearTimeout(timer);
    unsent = true;
    // Debounce: typing "16GiB" into several fields should place once.
    timer = setTimeout(() => {
      unsent = false;
      cb.onChange(
        { ...options, memoryLimits: options.memoryLimits.slice() },
        batchSize,
        { objective: choice.objective, pipelineControls: { ...choice.pipelineControls } },
        dims?.slice(),
      );
    }, 120);
  };

  root.replaceChildren();
  const devices = el('vscode-textfield', { id: 'ctl-devices', type: 'number', min: '1', max: String(LIMITS.maxDevices), class: 'num' });
  devices.value = String(options.devices);
  const all = el('vscode-textfield', { id: 'mem-all', class: 'mem', placeholder: 'e.g. 16GiB' });
  const memFields = document.createElement('div');
  memFields.className = 'mem-fields';
  const memError = document.createElement('div');
  memError.className = 'invalid-msg';
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

  /** The size typed into a memory field; null (the field marked invalid, the reason shown) if it is not one. */
  function readSize(field: ValueEl, what: string): number | null {
    try {
      const v = parseSize(field.value, what);
      field.invalid = false;
      memError.textContent = '';
      return v;
    } catch (e) {
      field.invalid = true;
      memError.textContent = (e as Error).message;
      return null;
    }
  }

  function memField(d: number): ValueEl {
    const f = el('vscode-textfield', { id: `mem-${d}`, class: 'mem', 'aria-label': `memory limit of GPU ${d}` });
    f.value = formatBytes(options.memoryLimits[d]);
    f.addEventListener('change', () => {
      const v = readSize(f, `memory limit of GPU ${d}`);
      if (v === null || v === options.memoryLimits[d]) return;
      options.memoryLimits[d] = v;
      fire();
    });
    return labelled(`GPU ${d}`, f) as unknown as ValueEl;
  }

  function rebuildMemFields(): void {
    // Same device count: update the values in place (creating web components is not free).
    const existing = memFields.querySelectorAll<ValueEl>('vscode-textfield');
    if (existing.length === options.memoryLimits.length)
      existing.forEach((f, d) => {
        const text = formatBytes(options.memoryLimits[d]);
        if (f.value !== text && document.activeElement !== f) f.value = text;
      });
    else memFields.replaceChildren(...options.memoryLimits.map((_, d) => memField(d)));
    const same = options.memoryLimits.every((l) => l === options.memoryLimits[0]);
    setValue(all, same ? formatBytes(options.memoryLimits[0]) : '');
  }

  devices.addEventListener('change', () => {
    const n = Number(devices.value);
    if (!Number.isInteger(n) || n < 1 || n > LIMITS.maxDevices) {
      devices.invalid = true;
      memError.textContent = `device count must be a whole number from 1 to ${LIMITS.maxDevices}`;
      return;
    }
    devices.invalid = false;
    memError.textContent = '';
    if (n === options.devices) return;
    options = { ...options, devices: n, memoryLimits: resizeLimits(options.memoryLimits, n, options.memoryLimits[0] ?? 16 * 2 ** 30) };
    rebuildMemFields();
    fire();
  });
  all.addEventListener('change', () => {
    if (!all.value.trim()) return;
    const v = readSize(all, 'memory limit');
    if (v === null) return;
    options.memoryLimits = options.memoryLimits.map(() => v);
    rebuildMemFields();
    fire();
  });
  algo.addEventListener('change', () => {
    options = { ...options, algorithm: algo.value as AlgorithmName };
    fire();
  });
  comm.addEventListener('change', () => {
    options = { ...options, comm: comm.value };
    fire();
  });
  grouping.addEventListener('change', () => {
    options = { ...options, grouping: grouping.value as GroupingMode };
    fire();
  });
  fuse.addEventListener('change', () => {
    options = { ...options, fuse: !!fuse.checked };
    fire();
  });
  objective.addEventListener('change', () => {
    choice = { ...choice, objective: objective.value as Objective };
    showObjective();
    fire();
  });
  split.addEventListener('change', () => {
    choice = { ...choice, pipelineControls: { ...choice.pipelineControls, split: split.value as PipelineSplit } };
    fire();
  });
  schedule.addEventListener('change', () => {
    choice = { ...choice, pipelineControls: { ...choice.pipelineControls, schedule: schedule.value as PipelineScheduleName } };
    fire();
  });
  microbatches.addEventListener('change', () => {
    const n = Number(microbatches.value);
    if (!Number.isInteger(n) || n < 1 || n > MAX_MICROBATCHES) {
      microbatches.invalid = true;
      memError.textContent = `microbatches must be a whole number from 1 to ${MAX_MICROBATCHES}`;
      return;
    }
    microbatches.invalid = false;
    memError.textContent = '';
    if (n === choice.pipelineControls.microbatches) return;
    choice = { ...choice, pipelineControls: { ...choice.pipelineControls, microbatches: n } };
    fire();
  });
  batch.addEventListener('change', () => {
    const n = Number(batch.value);
    if (!Number.isInteger(n) || n < 1) {
      batch.invalid = true;
      return;
    }
    batch.invalid = false;
    batchSize = n;
    fire();
  });

  root.append(labelled('devices', devices), labelled('memory: all', all));
  const memWrap = document.createElement('div');
  memWrap.className = 'ctl';
  memWrap.append(memFields, memError);
  // Latency places with an algorithm (and may fuse); throughput plans stages with its own knobs.
  const latencyOnly = [labelled('algorithm', algo)];
  const throughputOnly = [labelled('split', split), labelled('microbatches', microbatches), labelled('schedule', schedule)];
  const showObjective = () => {
    const t = choice.objective === 'throughput';
    for (const e of latencyOnly) e.style.display = t ? 'none' : '';
    for (const e of throughputOnly) e.style.display = t ? '' : 'none';
    fuse.style.display = t ? 'none' : '';
  };
  root.append(memWrap, labelled('objective', objective), ...latencyOnly, ...throughputOnly, labelled('interconnect', comm), labelled('grouping', grouping));
  if (config.batchSize !== undefined) {
    batch.value = String(config.batchSize);
    root.append(labelled('batch size', batch));
  }
  root.append(fuse);
  const dimsControl = config.modelDims
    ? createDimsControl(config.modelDims, (d) => {
        dims = d;
        fire();
      })
    : undefined;
  if (config.canSaveLimits && cb.onSaveLimits) {
    const b = el('vscode-button', { id: 'ctl-save-limits', secondary: '' }, 'Save limits');
    b.addEventListener('click', () => cb.onSaveLimits!(options.memoryLimits.slice()));
    root.append(b);
  }
  if (config.exportFormats.length && cb.onExport) {
    const ex = select('ctl-export', ['export…', ...config.exportFormats], 'export…');
    ex.addEventListener('change', () => {
      if (ex.value !== 'export…') cb.onExport!(ex.value as ExportFormat);
      ex.value = 'export…';
    });
    root.append(labelled('export', ex));
  }
  if (config.canOpenInBrowser && cb.onOpenInBrowser) {
    const b = el('vscode-button', { id: 'ctl-open-browser', secondary: '' }, 'Open in browser');
    b.addEventListener('click', () => cb.onOpenInBrowser!());
    root.append(b);
  }
  if (dimsControl) root.append(dimsControl.element);
  rebuildMemFields();
  showObjective();

  return {
    setGraph(graph) {
      dimsControl?.setGraph(graph);
    },
    setOptions(o, c) {
      // A plan for an earlier request must not undo what the user just chose and is about to send.
      if (unsent) return;
      options = { ...o, memoryLimits: o.memoryLimits.slice() };
      // Every plan comes with its options, mostly the shown ones: a web component re-renders on any set.
      setValue(devices, String(o.devices));
      setValue(algo, o.algorithm);
      setValue(comm, o.comm);
      setValue(grouping, o.grouping);
      if (fuse.checked !== o.fuse) fuse.checked = o.fuse;
      if (c) {
        choice = { objective: c.objective, pipelineControls: { ...c.pipelineControls } };
        setValue(objective, c.objective);
        setValue(split, c.pipelineControls.split);
        setValue(schedule, c.pipelineControls.schedule);
        setValue(microbatches, String(c.pipelineControls.microbatches));
        showObjective();
      }
      rebuildMemFields();
    },
  };
}
