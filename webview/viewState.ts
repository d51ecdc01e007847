// What the viewer keeps across a webview reload (VS Code's `setState`/`getState`): which model the
// view shows (the host URI, so the panel serializer can re-open it), the placement options the user
// chose, and the view itself (zoom/pan, expanded groups, critical-path toggle, selection). Pure
// data in → data out; the stored value is untrusted (older versions, other viewers), so every read
// goes through `parseViewerState`.
import type { PlacementOptions } from '../algorithms/plan';
import { isDimAssignments, isPipelineControls, isPlacementOptions, OBJECTIVES, type InitMessage, type Objective, type PipelineControls } from './protocol';
import type { ViewModel } from './viewReducer';

export const VIEWER_STATE_VERSION = 1;

export interface ViewTransform {
  k: number;
  x: number;
  y: number;
}

export interface ViewerViewState {
  transform?: ViewTransform;
  /** Expanded group ids (`group:…`), the root included. */
  expanded?: string[];
  groupBy?: 'namespace' | 'colocation';
  showCritical?: boolean;
  /** Id of the selected op, or null. */
  selected?: string | null;
  /** Height of the timeline pane in CSS pixels, when the user resized it. */
  timelineHeight?: number;
}

export interface PersistedViewerState {
  v: typeof VIEWER_STATE_VERSION;
  /** The model's URI as the host knows it (`vscode.Uri.toString()`); the serializer re-opens it. */
  hostUri?: string;
  /** Model file name shown in the header (the state belongs to this model). */
  file?: string;
  options?: PlacementOptions;
  batchSize?: number;
  /** Symbolic dims set in the viewer, NAME=VALUE (the host re-loads the model with them). */
  dims?: string[];
  /** Latency or throughput, and the pipeline knobs (issue 14), as the user chose them. */
  objective?: Objective;
  pipelineControls?: PipelineControls;
  view?: ViewerViewState;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isFiniteNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const MAX_EXPANDED = 20_000;
const MAX_ID = 10_000;

function parseTransform(x: unknown): ViewTransform | undefined {
  if (!isObj(x) || !isFiniteNum(x.k) || !isFiniteNum(x.x) || !isFiniteNum(x.y) || x.k <= 0) return undefined;
  return { k: x.k, x: x.x, y: x.y };
}

function parseView(x: unknown): ViewerViewState | undefined {
  if (!isObj(x)) return undefined;
  const view: ViewerViewState = {};
  const t = parseTransform(x.transform);
  if (t) view.transform = t;
  if (Array.isArray(x.expanded) && x.expanded.length <= MAX_EXPANDED && x.expanded.every((g) => typeof g === 'string' && g.length <= MAX_ID)) {
    view.expanded = [...(x.expanded as string[])];
  }
  if (x.groupBy === 'namespace' || x.groupBy === 'colocation') view.groupBy = x.groupBy;
  if (typeof x.showCritical === 'boolean') view.showCritical = x.showCritical;
  if (x.selected === null || (typeof x.selected === 'string' && x.selected.length <= MAX_ID)) view.selected = x.selected;
  if (isFiniteNum(x.timelineHeight) && x.timelineHeight >= 0) view.timelineHeight = x.timelineHeight;
  return view;
}

/** The stored state, validated field by field: bad fields are dropped, a foreign value gives null. */
export function parseViewerState(x: unknown): PersistedViewerState | null {
  if (!isObj(x) || x.v !== VIEWER_STATE_VERSION) return null;
  const s: PersistedViewerState = { v: VIEWER_STATE_VERSION };
  if (typeof x.hostUri === 'string' && x.hostUri.length <= MAX_ID) s.hostUri = x.hostUri;
  if (typeof x.file === 'string' && x.file.length <= MAX_ID) s.file = x.file;
  if (isPlacementOptions(x.options)) s.options = x.options;
  if (isFiniteNum(x.batchSize) && Number.isInteger(x.batchSize) && x.batchSize >= 1) s.batchSize = x.batchSize;
  if (isDimAssignments(x.dims)) s.dims = [...x.dims];
  if ((OBJECTIVES as unknown[]).includes(x.objective)) s.objective = x.objective as Objective;
  if (isPipelineControls(x.pipelineControls)) s.pipelineControls = { ...x.pipelineControls };
  const view = parseView(x.view);
  if (view) s.view = view;
  return s;
}

/**
 * True when a stored state belongs to the model the host opened: same URI when both know it, else
 * the same file name. A state for another model must not leak its options or view into this one.
 */
export function stateMatches(saved: PersistedViewerState, init: { hostUri?: string; file?: string }): boolean {
  if (saved.hostUri !== undefined && init.hostUri !== undefined) return saved.hostUri === init.hostUri;
  if (saved.file !== undefined && init.file !== undefined) return saved.file === init.file;
  // Neither names a model both know: only a state that names none fits a page that names none.
  return saved.hostUri === undefined && saved.file === undefined && init.hostUri === undefined && init.file === undefined;
}

/** The fields of PlacementOptions the viewer's controls set (what "the user's choice" is). */
export function sameChosenOptions(a: PlacementOptions, b: PlacementOptions): boolean {
  return (
    a.algorithm === b.algorithm &&
    a.devices === b.devices &&
    a.comm === b.comm &&
    a.grouping === b.grouping &&
    a.fuse === b.fuse &&
    a.memoryLimits.length === b.memoryLimits.length &&
    a.memoryLimits.every((m, i) => m === b.memoryLimits[i])
  );
}

/** The page's model as the state names it (which model a stored state belongs to). */
export type StateOwner = Pick<InitMessage, 'hostUri' | 'file'>;

/** What the viewer persists of state `s`: the user's choices and the view, `transform` the zoom/pan that counts now. */
export function persistedStateOf(s: ViewModel, owner: StateOwner, transform: ViewTransform): PersistedViewerState {
  return {
    v: VIEWER_STATE_VERSION,
    ...(owner.hostUri !== undefined ? { hostUri: owner.hostUri } : {}),
    ...(owner.file !== undefined ? { file: owner.file } : {}),
    options: s.chosenOptions,
    ...(s.chosenBatch !== undefined ? { batchSize: s.chosenBatch } : {}),
    ...(s.chosenDims !== undefined ? { dims: s.chosenDims } : {}),
    objective: s.chosenChoice.objective,
    pipelineControls: s.chosenChoice.pipelineControls,
    view: {
      transform,
      expanded: [...s.expanded],
      groupBy: s.groupBy,
      showCritical: s.showCritical,
      selected: s.selected === null ? null : s.graph.nodes[s.selected].id,
      ...(s.timelineHeight !== undefined ? { timelineHeight: s.timelineHeight } : {}),
    },
  };
}

/**
 * The re-place a restored view asks for, or null: the host placed with its defaults (settings) but
 * the user had chosen other options, batch size or objective here before the reload — theirs win.
 * (A VS Code host that read the state itself sends them already, and nothing is re-placed.)
 */
export function restoredPlacement(
  init: InitMessage,
  saved: PersistedViewerState | null,
  s: ViewModel,
): { options: PlacementOptions; batchSize: number | undefined } | null {
  const batchChanged = !!init.capabilities?.batchSize && s.chosenBatch !== undefined && s.chosenBatch !== init.batchSize;
  const choiceChanged =
    s.chosenChoice.objective !== s.objective ||
    (s.objective === 'throughput' &&
      JSON.stringify(s.chosenChoice.pipelineControls) !== JSON.stringify(init.pipelineControls ?? s.chosenChoice.pipelineControls));
  const optionsChanged = !!saved?.options && (!sameChosenOptions(saved.options, init.options) || batchChanged);
  if (!optionsChanged && !choiceChanged) return null;
  return { options: saved?.options ?? init.options, batchSize: batchChanged ? s.chosenBatch : undefined };
}

/**
 * The expanded groups to restore: the saved ones that still exist in the (possibly new) graph's
 * group tree, and their ancestors (a group is only visible inside an expanded parent). Null when
 * nothing saved applies, so the caller falls back to its default expansion.
 */
export function restoreExpanded(
  saved: readonly string[] | undefined,
  groups: ReadonlyMap<string, { parent: string | null }>,
  root: string,
): Set<string> | null {
  if (!saved) return null;
  const out = new Set<string>([root]);
  let any = false;
  for (const id of saved) {
    if (!groups.has(id)) continue;
    any = true;
    for (let g: string | null = id; g !== null && !out.has(g); g = groups.get(g)?.parent ?? null) out.add(g);
  }
  return any ? out : null;
}

/** Calls `fn` once calls stop for `ms` (a zoom gesture fires many events; storage wants one). */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { flush(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastArgs: A | null = null;
  const run = () => {
    timer = undefined;
    if (lastArgs) {
      const a = lastArgs;
      lastArgs = null;
      fn(...a);
    }
  };
  const d = (...args: A) => {
    lastArgs = args;
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
  d.flush = () => {
    clearTimeout(timer);
    run();
  };
  return d;
}
