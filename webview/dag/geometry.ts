// The DAG's sizes and the pure geometry it draws with: labels that fit a box, node shapes by op
// kind, edge paths through the layout, and the zoom transforms of fit / centre / pan (data in →
// data out, no DOM, so the camera maths is testable without a browser).
import { displayText } from '../../algorithms/text';
import type { Box } from '../layoutCore';
import type { DagScene } from './types';

export const NODE_SIZE = { width: 150, height: 32 };
export const GROUP_SIZE = { width: 176, height: 56 };
/** Below this scale labels are hidden; fit never zooms further out than this unless the graph fits. */
export const MIN_FIT_SCALE = 0.3;
/** How far the DAG zooms out and in (also the clamp for a restored transform). */
export const SCALE_EXTENT: [number, number] = [0.02, 4];

/** A zoom/pan transform: scene point p is drawn at p × k + (x, y). */
export interface Camera {
  k: number;
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

type Pt = [number, number];

/** Middle-ellipsis so both the start and the distinctive end of long names stay visible. */
export function truncate(text: string, max: number): string {
  const s = displayText(text); // an op name with a bidi override must not reorder the label
  if (s.length <= max) return s;
  const head = Math.ceil((max - 1) / 2);
  return s.slice(0, head) + '…' + s.slice(s.length - (max - 1 - head));
}

const HEAVY_OPS = /^(conv|convtranspose|matmul|gemm|lstm|gru|rnn|attention|multiheadattention|einsum|linear|dense)/i;
const MOVE_OPS = /^(concat|split|reshape|transpose|flatten|squeeze|unsqueeze|gather|slice|pad|expand|identity|shape|cast|tile)/i;

/** Shape by op kind: square = compute-heavy (conv/matmul), pill = data movement, rounded = the rest. */
export function cornerRadius(opType: string): number {
  if (HEAVY_OPS.test(opType)) return 0;
  if (MOVE_OPS.test(opType)) return NODE_SIZE.height / 2;
  return 4;
}

/** Polyline through points, or a vertical cubic from the source's bottom to the target's top. */
function edgePath(points: Pt[]): string {
  if (points.length === 2) {
    const [[x1, y1], [x2, y2]] = points;
    const my = (y1 + y2) / 2;
    return `M${x1.toFixed(1)},${y1.toFixed(1)}C${x1.toFixed(1)},${my.toFixed(1)} ${x2.toFixed(1)},${my.toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}`;
  }
  return 'M' + points.map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join('L');
}

/**
 * Path data of each drawn edge (scene.edges order; '' when an end is not laid out): the ELK route
 * when both ends are siblings of one scope, else a curve from the source's bottom to the target's top.
 */
export function sceneEdgePaths(s: DagScene): string[] {
  const scopeOfItem = new Map<string, string>();
  for (const sc of s.scopes) for (const c of sc.children) scopeOfItem.set(c.id, sc.scope);
  return s.edges.map((e) => {
    const a = s.layout.boxes.get(e.source);
    const b = s.layout.boxes.get(e.target);
    if (!a || !b) return '';
    const sa = scopeOfItem.get(e.source);
    if (sa && sa === scopeOfItem.get(e.target)) {
      const route = s.results[sa]?.routes[e.source + '\u0000' + e.target];
      const o = s.layout.origins.get(sa);
      if (route && o) return edgePath(route.map((p) => [p[0] + o.x, p[1] + o.y] as Pt));
    }
    return edgePath([
      [a.x + a.width / 2, a.y + a.height],
      [b.x + b.width / 2, b.y],
    ]);
  });
}

/** The scale at which the whole layout fits the pane (10 px margins). */
export function wholeScale(layout: Size, pane: Size): number {
  return Math.min((pane.width - 20) / Math.max(1, layout.width), (pane.height - 20) / Math.max(1, layout.height));
}

/**
 * The opening view: the whole graph when it is readable that way; otherwise fit the width (at least
 * MIN_FIT_SCALE) and start at the top: a 200-op chain shrunk to a hairline helps nobody.
 */
export function fitCamera(layout: Size, pane: Size): Camera {
  const { width, height } = layout;
  const whole = wholeScale(layout, pane);
  const k = Math.min(1.5, whole >= MIN_FIT_SCALE ? whole : Math.max(MIN_FIT_SCALE, Math.min(1, (pane.width - 20) / Math.max(1, width))));
  // Centred when it fits; otherwise start at the top-left (where the graph's inputs are).
  const x = width * k <= pane.width - 20 ? (pane.width - width * k) / 2 : 10;
  // The tools and the legend sit above and below the DAG pane (not over it): a small margin only.
  const y = 10 + Math.max(0, (pane.height - 20 - height * k) / 2);
  return { k, x, y };
}

/** The whole drawn graph centred in the pane, however small (the Fit button, after collapsing). */
export function fitWholeCamera(layout: Size, pane: Size): Camera {
  const k = Math.max(SCALE_EXTENT[0], Math.min(1.5, wholeScale(layout, pane)));
  return { k, x: (pane.width - layout.width * k) / 2, y: (pane.height - layout.height * k) / 2 };
}

/** At scale 1, the box in the middle of the pane: the item and its neighbours readable, whatever the zoom was. */
export function centreOnBoxCamera(b: Box, pane: Size): Camera {
  return { k: 1, x: pane.width / 2 - (b.x + b.width / 2), y: pane.height / 2 - (b.y + b.height / 2) };
}

/** The scene point (x, y) in the middle of the pane at scale k. */
export function panToCamera(x: number, y: number, k: number, pane: Size): Camera {
  return { k, x: pane.width / 2 - x * k, y: pane.height / 2 - y * k };
}

/** A saved transform with its scale clamped to SCALE_EXTENT. */
export function clampCamera(t: Camera): Camera {
  return { k: Math.min(SCALE_EXTENT[1], Math.max(SCALE_EXTENT[0], t.k)), x: t.x, y: t.y };
}
