// Gantt chart on a canvas (tens of thousands of bars stay cheap): per device a compute lane and a
// channel lane (outgoing transfers), ops in their device colour, critical ops outlined. Horizontal
// zoom/pan with the wheel and drag; hover reports the op so the DAG highlights it, and the DAG's
// hover is drawn here as an outline.
import { select } from 'd3-selection';
import { zoom, type ZoomTransform, zoomIdentity } from 'd3-zoom';
import type { Plan } from '../algorithms/plan';
import { tickCount, timeAxisMarks } from './axes';
import { deviceColour } from './styles';

export interface Bar {
  start: number;
  end: number;
  /** Node index for compute bars, -1 for transfers. */
  node: number;
  /** Transfer index for channel bars. */
  transfer: number;
  device: number;
}

export interface Lane {
  device: number;
  kind: 'compute' | 'channel';
  bars: Bar[];
}

/** Lanes sorted by start time (binary search on hover). Pure. */
export function buildLanes(plan: Plan, idx: Map<string, number>): Lane[] {
  const lanes: Lane[] = [];
  for (const d of plan.devices) {
    lanes.push({ device: d.index, kind: 'compute', bars: [] });
    lanes.push({ device: d.index, kind: 'channel', bars: [] });
  }
  const laneOf = (device: number, kind: 'compute' | 'channel') => lanes[device * 2 + (kind === 'channel' ? 1 : 0)];
  for (const s of plan.schedule) {
    const i = idx.get(s.node);
    const lane = laneOf(s.device, 'compute');
    if (i === undefined || !lane) continue;
    lane.bars.push({ start: s.startUs, end: s.endUs, node: i, transfer: -1, device: s.device });
  }
  plan.transfers.forEach((t, k) => {
    const lane = laneOf(t.srcDevice, 'channel');
    if (lane) lane.bars.push({ start: t.startUs, end: t.endUs, node: -1, transfer: k, device: t.dstDevice });
  });
  for (const l of lanes) l.bars.sort((a, b) => a.start - b.start || a.end - b.end);
  return lanes;
}

/** The bar under time t in a lane (the latest-starting bar that covers t, within `slack`). */
export function barAt(lane: Lane, t: number, slack: number): Bar | null {
  const bars = lane.bars;
  let lo = 0;
  let hi = bars.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (bars[mid].start <= t + slack) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (let k = found; k >= 0 && k > found - 50; k--) if (bars[k].end >= t - slack) return bars[k];
  return null;
}

export interface TimelineCallbacks {
  onHoverNode(node: number | null, ev: MouseEvent | null): void;
  onHoverTransfer(transfer: number | null, ev: MouseEvent | null): void;
  onClickNode(node: number): void;
}

export interface TimelineView {
  setPlan(plan: Plan | null, idx: Map<string, number>, critical: Uint8Array): void;
  setHover(node: number | null): void;
  redraw(): void;
}

const LANE_H = 16;
const CHANNEL_H = 9;
const LEFT = 70;
/** Room right of the bars, so the last one and its axis label are not at the canvas edge. */
const RIGHT = 8;
const TOP = 6;
/** Height of one device's compute + channel lanes; the app sizes the panel with it. */
export const LANE_PAIR_H = LANE_H + CHANNEL_H + 8;
const AXIS_H = 16;

/** What the timeline changes after it is created. */
interface TimelineState {
  plan: Plan | null;
  lanes: Lane[];
  critical: Uint8Array;
  hoverNode: number | null;
  /** The horizontal zoom/pan (d3-zoom on the canvas). */
  transform: ZoomTransform;
  /** The pending animation frame (0: none). */
  frame: number;
}

/** Lane k's top and height: even lanes are a device's compute lane, odd ones its channel lane. */
const laneTop = (k: number): number => TOP + Math.floor(k / 2) * LANE_PAIR_H + (k % 2 ? LANE_H + 1 : 0);
const laneHeight = (k: number): number => (k % 2 ? CHANNEL_H : LANE_H);

/** Time ↔ canvas x for a canvas `w` px wide: the makespan over the bars' width, then the zoom. */
function timeScale(s: TimelineState, w: number): { xOf(t: number): number; tOf(x: number): number; span: number } {
  const span = Math.max(1, s.plan?.makespanUs ?? 1);
  const inner = w - LEFT - RIGHT;
  return {
    xOf: (t) => LEFT + s.transform.applyX((t / span) * inner),
    tOf: (x) => (s.transform.invertX(x - LEFT) / inner) * span,
    span,
  };
}

/** The theme's colours, read per draw (the theme may change while the view is open). */
interface Theme {
  fg: string;
  muted: string;
  focus: string;
  border: string;
}

function css(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function readTheme(): Theme {
  return {
    fg: css('--vscode-foreground', '#333'),
    muted: css('--vscode-descriptionForeground', '#777'),
    focus: css('--vscode-focusBorder', '#005fb8'),
    border: css('--vscode-panel-border', '#ccc'),
  };
}

/** The 2-d context, the canvas sized to its box at the device pixel ratio and cleared; null without one. */
function prepareCanvas(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } | null {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

function draw(canvas: HTMLCanvasElement, s: TimelineState): void {
  const c = prepareCanvas(canvas);
  if (!c) return;
  const { ctx, w, h } = c;
  const theme = readTheme();
  ctx.font = `11px ${css('--vscode-font-family', 'sans-serif')}`;
  if (!s.plan || !s.plan.feasible) {
    ctx.fillStyle = theme.muted;
    ctx.fillText(s.plan ? 'no timeline: the placement is infeasible' : 'placing…', LEFT, 20);
    return;
  }
  const scale = timeScale(s, w);
  s.lanes.forEach((lane, k) => drawLane(ctx, lane, k, s.critical, scale.xOf, w, theme));
  if (s.hoverNode !== null) drawHover(ctx, s.lanes, s.hoverNode, scale.xOf, theme);
  drawTimeAxis(ctx, scale, w, h, theme);
}

/** A lane's label and bottom rule, and its bars: ops in their device's colour, transfers in the receiver's. */
function drawLane(ctx: CanvasRenderingContext2D, lane: Lane, k: number, critical: Uint8Array, xOf: (t: number) => number, w: number, theme: Theme): void {
  const y = laneTop(k);
  const lh = laneHeight(k);
  ctx.fillStyle = theme.muted;
  ctx.fillText(lane.kind === 'compute' ? `GPU ${lane.device}` : '  channel', 4, y + lh - 3);
  ctx.strokeStyle = theme.border;
  ctx.beginPath();
  ctx.moveTo(LEFT, y + lh + 0.5);
  ctx.lineTo(w, y + lh + 0.5);
  ctx.stroke();
  const c = deviceColour(lane.device);
  for (const b of lane.bars) {
    const x1 = xOf(b.start);
    const x2 = xOf(b.end);
    if (x2 < LEFT || x1 > w) continue;
    const bw = Math.max(1, x2 - x1);
    ctx.fillStyle = lane.kind === 'compute' ? c.fill : deviceColour(b.device).fill;
    ctx.globalAlpha = lane.kind === 'compute' ? 1 : 0.7;
    ctx.fillRect(Math.max(LEFT, x1), y, bw, lh);
    ctx.globalAlpha = 1;
    if (b.node >= 0 && critical[b.node]) {
      // Critical ops: a strip just above the bar (an outline on every bar would drown the colours).
      ctx.fillStyle = theme.focus;
      ctx.fillRect(Math.max(LEFT, x1), y - 3, bw, 3);
    }
  }
}

/** The hovered op (from the DAG or here): a strong outline round its bars. */
function drawHover(ctx: CanvasRenderingContext2D, lanes: Lane[], node: number, xOf: (t: number) => number, theme: Theme): void {
  lanes.forEach((lane, k) => {
    if (lane.kind !== 'compute') return;
    for (const b of lane.bars)
      if (b.node === node) {
        const x1 = xOf(b.start);
        ctx.strokeStyle = theme.fg;
        ctx.lineWidth = 2;
        ctx.strokeRect(x1 - 2, laneTop(k) - 2, Math.max(3, xOf(b.end) - x1) + 4, LANE_H + 4);
        ctx.lineWidth = 1;
      }
  });
}

/** The visible window's time axis (timeAxisMarks): a short mark at each tick, the labels that fit. */
function drawTimeAxis(ctx: CanvasRenderingContext2D, scale: ReturnType<typeof timeScale>, w: number, h: number, theme: Theme): void {
  const window = { t0: Math.max(0, scale.tOf(LEFT)), t1: Math.min(scale.span, scale.tOf(w - RIGHT)) };
  const marks = timeAxisMarks(window, tickCount(w - LEFT, 90, 12), scale.xOf, (ls) => ls.map((l) => ctx.measureText(l).width), { left: 2, right: w - 2 });
  const axisTop = h - AXIS_H;
  ctx.strokeStyle = theme.border;
  ctx.fillStyle = theme.muted;
  ctx.beginPath();
  for (const { x } of marks) {
    ctx.moveTo(Math.round(x) + 0.5, axisTop);
    ctx.lineTo(Math.round(x) + 0.5, axisTop + 3);
  }
  ctx.stroke();
  for (const m of marks) if (m.labelLeft !== null) ctx.fillText(m.label, m.labelLeft, axisTop + 13);
}

/** The bar under canvas point (x, y), with a slack of 2 px so thin bars can be hovered. */
function hitAt(s: TimelineState, x: number, y: number, w: number): { bar: Bar; lane: Lane } | null {
  if (x < LEFT) return null;
  const k = s.lanes.findIndex((_, i) => y >= laneTop(i) && y <= laneTop(i) + laneHeight(i));
  if (k < 0) return null;
  const { tOf } = timeScale(s, w);
  const bar = barAt(s.lanes[k], tOf(x), Math.abs(tOf(x + 2) - tOf(x)));
  return bar ? { bar, lane: s.lanes[k] } : null;
}

function listen(canvas: HTMLCanvasElement, s: TimelineState, cb: TimelineCallbacks): void {
  const hit = (ev: MouseEvent) => {
    const r = canvas.getBoundingClientRect();
    return hitAt(s, ev.clientX - r.left, ev.clientY - r.top, canvas.clientWidth);
  };
  canvas.addEventListener('mousemove', (ev) => {
    const h = hit(ev);
    if (h && h.bar.node >= 0) cb.onHoverNode(h.bar.node, ev);
    else if (h && h.bar.transfer >= 0) cb.onHoverTransfer(h.bar.transfer, ev);
    else cb.onHoverNode(null, null);
  });
  canvas.addEventListener('mouseleave', () => cb.onHoverNode(null, null));
  canvas.addEventListener('click', (ev) => {
    const h = hit(ev);
    if (h && h.bar.node >= 0) cb.onClickNode(h.bar.node);
  });
}

export function createTimeline(canvas: HTMLCanvasElement, cb: TimelineCallbacks): TimelineView {
  const s: TimelineState = { plan: null, lanes: [], critical: new Uint8Array(0), hoverNode: null, transform: zoomIdentity, frame: 0 };
  // One draw per animation frame however many zoom, hover and resize events arrive.
  const schedule = (): void => {
    if (!s.frame)
      s.frame = requestAnimationFrame(() => {
        s.frame = 0;
        draw(canvas, s);
      });
  };
  const z = zoom<HTMLCanvasElement, unknown>()
    .scaleExtent([1, 5000])
    .on('zoom', (ev: { transform: ZoomTransform }) => {
      s.transform = ev.transform;
      schedule();
    });
  select(canvas).call(z);
  listen(canvas, s, cb);
  new ResizeObserver(schedule).observe(canvas);
  return {
    setPlan(p, idx, crit) {
      s.plan = p;
      s.critical = crit;
      s.lanes = p && p.feasible ? buildLanes(p, idx) : [];
      schedule();
    },
    setHover(node) {
      if (node === s.hoverNode) return;
      s.hoverNode = node;
      schedule();
    },
    redraw: () => draw(canvas, s),
  };
}
