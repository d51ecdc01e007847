// The DAG overview: every drawn item as a dot-sized box in a small canvas in the pane's corner,
// and the part of the graph the pane shows as a rectangle. Click or drag in it to move there.
// Redrawn on a new layout, a recolour and every zoom/pan (one rAF per frame at most).
import type { DagView } from './dag';

export interface MinimapView {
  /** Draw again (call on every zoom/pan). */
  redraw(): void;
  /** New items or colours (after a layout or a recolour): re-read each item's colour, then draw. */
  recolour(): void;
}

const W = 180;
const H = 120;
const PAD = 4;

/** Scene → minimap: one scale for both axes, the scene centred. */
export function minimapScale(sceneW: number, sceneH: number, w = W, h = H): { k: number; ox: number; oy: number } {
  const k = Math.min((w - 2 * PAD) / Math.max(1, sceneW), (h - 2 * PAD) / Math.max(1, sceneH));
  return { k, ox: (w - sceneW * k) / 2, oy: (h - sceneH * k) / 2 };
}

type SceneBoxes = NonNullable<ReturnType<DagView['sceneBoxes']>>;
type MinimapScale = ReturnType<typeof minimapScale>;

/**
 * The pane's view in minimap pixels: the scene rectangle [-t.x/t.k, (vw - t.x)/t.k] ×
 * [-t.y/t.k, (vh - t.y)/t.k] through the minimap's scale, as [x, y, width, height].
 */
function viewRect(t: { k: number; x: number; y: number }, pane: { width: number; height: number }, m: MinimapScale): [number, number, number, number] {
  return [m.ox + (-t.x / t.k) * m.k, m.oy + (-t.y / t.k) * m.k, (pane.width / t.k) * m.k, (pane.height / t.k) * m.k];
}

/** What the overview changes after it is created. */
interface MinimapState {
  /** The pending animation frame (0: none). */
  frame: number;
  /** Item colours, read once per layout/recolour (reading styles on every pan frame is slow). */
  colours: Map<string, string | null>;
}

export function createMinimap(parent: HTMLElement, dag: DagView, colourOf: (itemId: string) => string | null): MinimapView {
  const canvas = document.createElement('canvas');
  canvas.id = 'minimap';
  canvas.title = 'overview: click or drag to move there';
  const dpr = window.devicePixelRatio || 1;
  canvas.width = W * dpr;
  canvas.height = H * dpr;
  parent.append(canvas);
  const ctx = canvas.getContext('2d')!;
  const state: MinimapState = { frame: 0, colours: new Map() };
  const draw = (): void => {
    state.frame = 0;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const s = dag.sceneBoxes();
    if (!s) return;
    const m = minimapScale(s.width, s.height);
    drawBoxes(ctx, s, state.colours, m);
    drawView(ctx, canvas, viewRect(dag.transform(), dag.viewportSize(), m));
  };
  listenToPointer(canvas, (ev) => {
    const s = dag.sceneBoxes();
    if (!s) return;
    const r = canvas.getBoundingClientRect();
    const { k, ox, oy } = minimapScale(s.width, s.height);
    dag.panTo((ev.clientX - r.left - ox) / k, (ev.clientY - r.top - oy) / k);
  });
  return {
    redraw() {
      if (!state.frame) state.frame = requestAnimationFrame(draw);
    },
    recolour() {
      const s = dag.sceneBoxes();
      state.colours = new Map();
      if (s) for (const id of s.boxes.keys()) state.colours.set(id, colourOf(id));
      if (!state.frame) state.frame = requestAnimationFrame(draw);
    },
  };
}

/** Expanded groups' frames (no colour) as outlines first, then the items (ops and collapsed groups) filled. */
function drawBoxes(ctx: CanvasRenderingContext2D, s: SceneBoxes, colours: Map<string, string | null>, m: MinimapScale): void {
  const { k, ox, oy } = m;
  ctx.strokeStyle = 'rgba(128,128,128,0.6)';
  ctx.lineWidth = 1;
  for (const [id, b] of s.boxes) if (!colours.get(id)) ctx.strokeRect(ox + b.x * k, oy + b.y * k, b.width * k, b.height * k);
  for (const [id, b] of s.boxes) {
    const c = colours.get(id);
    if (!c) continue;
    ctx.fillStyle = c;
    ctx.fillRect(ox + b.x * k, oy + b.y * k, Math.max(1, b.width * k), Math.max(1, b.height * k));
  }
}

/** The pane's view as a rectangle in the focus colour; its numbers also go to data-view for tests. */
function drawView(ctx: CanvasRenderingContext2D, canvas: HTMLCanvasElement, rect: [number, number, number, number]): void {
  ctx.strokeStyle = getComputedStyle(canvas).getPropertyValue('--vscode-focusBorder').trim() || '#3794ff';
  ctx.lineWidth = 1.5;
  ctx.strokeRect(...rect);
  canvas.dataset.view = rect.map((n) => n.toFixed(1)).join(',');
}

/** Click or drag in the overview moves the pane there; the DAG pane's own zoom and pan do not see these events. */
function listenToPointer(canvas: HTMLCanvasElement, moveTo: (ev: PointerEvent) => void): void {
  for (const type of ['wheel', 'mousedown', 'dblclick', 'click', 'touchstart']) canvas.addEventListener(type, (e) => e.stopPropagation());
  canvas.addEventListener('pointerdown', (ev) => {
    ev.stopPropagation();
    canvas.setPointerCapture(ev.pointerId);
    moveTo(ev);
    const move = (e: PointerEvent) => moveTo(e);
    const up = () => {
      canvas.removeEventListener('pointermove', move);
      canvas.removeEventListener('pointerup', up);
    };
    canvas.addEventListener('pointermove', move);
    canvas.addEventListener('pointerup', up);
  });
}
