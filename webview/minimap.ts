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

export function createMinimap(parent: HTMLElement, dag: DagView, colourOf: (itemId: string) => string | null): MinimapView {
  const canvas = document.createElement('canvas');
  canvas.id = 'minimap';
  canvas.title = 'overview: click or drag to move there';
  const dpr = window.devicePixelRatio || 1;
  canvas.width = W * dpr;
  canvas.height = H * dpr;
  parent.append(canvas);
  const ctx = canvas.getContext('2d')!;
  let frame = 0;
  /** Item colours, read once per layout/recolour (reading styles on every pan frame is slow). */
  let colours = new Map<string, string | null>();

  function draw(): void {
    frame = 0;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const s = dag.sceneBoxes();
    if (!s) return;
    const { k, ox, oy } = minimapScale(s.width, s.height);
    // Expanded groups' frames as outlines first, then the items (ops and collapsed groups) filled.
    ctx.strokeStyle = 'rgba(128,128,128,0.6)';
    ctx.lineWidth = 1;
    for (const [id, b] of s.boxes) if (!colours.get(id)) ctx.strokeRect(ox + b.x * k, oy + b.y * k, b.width * k, b.height * k);
    for (const [id, b] of s.boxes) {
      const c = colours.get(id);
      if (!c) continue;
      ctx.fillStyle = c;
      ctx.fillRect(ox + b.x * k, oy + b.y * k, Math.max(1, b.width * k), Math.max(1, b.height * k));
    }
    // The pane's view: scene rectangle [-t.x/t.k, (vw - t.x)/t.k] × [-t.y/t.k, (vh - t.y)/t.k].
    const t = dag.transform();
    const v = dag.viewportSize();
    const x0 = ox + (-t.x / t.k) * k;
    const y0 = oy + (-t.y / t.k) * k;
    ctx.strokeStyle = getComputedStyle(canvas).getPropertyValue('--vscode-focusBorder').trim() || '#3794ff';
    ctx.lineWidth = 1.5;
    ctx.strokeRect(x0, y0, (v.width / t.k) * k, (v.height / t.k) * k);
    canvas.dataset.view = [x0, y0, (v.width / t.k) * k, (v.height / t.k) * k].map((n) => n.toFixed(1)).join(',');
  }

  function moveTo(ev: PointerEvent): void {
    const s = dag.sceneBoxes();
    if (!s) return;
    const r = canvas.getBoundingClientRect();
    const { k, ox, oy } = minimapScale(s.width, s.height);
    dag.panTo((ev.clientX - r.left - ox) / k, (ev.clientY - r.top - oy) / k);
  }
  // The DAG pane zooms and pans on these events: the overview keeps them.
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

  return {
    redraw() {
      if (!frame) frame = requestAnimationFrame(draw);
    },
    recolour() {
      const s = dag.sceneBoxes();
      colours = new Map();
      if (s) for (const id of s.boxes.keys()) colours.set(id, colourOf(id));
      if (!frame) frame = requestAnimationFrame(draw);
    },
  };
}
