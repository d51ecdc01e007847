// Gantt chart on a canvas (tens of thousands of bars stay cheap): per device a compute lane and a
// channel lane (outgoing transfers), ops in their device colour, critical ops outlined. Horizontal
// zoom/pan with the wheel and drag; hover reports the op so the DAG highlights it, and the DAG's
// hover is drawn here as an outline.
import { select } from 'd3-selection';
import { zoom, type ZoomTransform, zoomIdentity } from 'd3-zoom';
import type { Plan } from '../algorithms/plan';
import { fitLabels, timeTicks } from './axes';
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
const TOP = 6;
/** Height of one device's compute + channel lanes; the app sizes the panel with it. */
export const LANE_PAIR_H = LANE_H + CHANNEL_H + 8;
const AXIS_H = 16;

export function createTimeline(canvas: HTMLCanvasElement, cb: TimelineCallbacks): TimelineView {
  let plan: Plan | null = null;
  let lanes: Lane[] = [];
  let critical: Uint8Array = new Uint8Array(0);
  let hoverNode: number | null = null;
  let transform: ZoomTransform = zoomIdentity;
  let frame = 0;

  const laneTop = (k: number) => TOP + Math.floor(k / 2) * LANE_PAIR_H + (k % 2 ? LANE_H + 1 : 0);
  const laneHeight = (k: number) => (k % 2 ? CHANNEL_H : LANE_H);
  const span = () => Math.max(1, plan?.makespanUs ?? 1);
  const xOf = (t: number, w: number) => LEFT + transform.applyX((t / span()) * (w - LEFT - 8));
  const tOf = (x: number, w: number) => (transform.invertX(x - LEFT) / (w - LEFT - 8)) * span();

  const z = zoom<HTMLCanvasElement, unknown>()
    .scaleExtent([1, 5000])
    .on('zoom', (ev: { transform: ZoomTransform }) => {
      transform = ev.transform;
      schedule();
    });
  select(canvas).call(z);

  function schedule(): void {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      draw();
    });
  }

  function css(name: string, fallback: string): string {
    return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
  }

  function draw(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const fg = css('--vscode-foreground', '#333');
    const muted = css('--vscode-descriptionForeground', '#777');
    const focus = css('--vscode-focusBorder', '#005fb8');
    const border = css('--vscode-panel-border', '#ccc');
    ctx.font = `11px ${css('--vscode-font-family', 'sans-serif')}`;
    if (!plan || !plan.feasible) {
      ctx.fillStyle = muted;
      ctx.fillText(plan ? 'no timeline: the placement is infeasible' : 'placing…', LEFT, 20);
      return;
    }
    lanes.forEach((lane, k) => {
      const y = laneTop(k);
      const lh = laneHeight(k);
      ctx.fillStyle = muted;
      ctx.fillText(lane.kind === 'compute' ? `GPU ${lane.device}` : '  channel', 4, y + lh - 3);
      ctx.strokeStyle = border;
      ctx.beginPath();
      ctx.moveTo(LEFT, y + lh + 0.5);
      ctx.lineTo(w, y + lh + 0.5);
      ctx.stroke();
      const c = deviceColour(lane.device);
      for (const b of lane.bars) {
        const x1 = xOf(b.start, w);
        const x2 = xOf(b.end, w);
        if (x2 < LEFT || x1 > w) continue;
        const bw = Math.max(1, x2 - x1);
        ctx.fillStyle = lane.kind === 'compute' ? c.fill : deviceColour(b.device).fill;
        ctx.globalAlpha = lane.kind === 'compute' ? 1 : 0.7;
        ctx.fillRect(Math.max(LEFT, x1), y, bw, lh);
        ctx.globalAlpha = 1;
        if (b.node >= 0 && critical[b.node]) {
          // Critical ops: a strip just above the bar (an outline on every bar would drown the colours).
          ctx.fillStyle = focus;
          ctx.fillRect(Math.max(LEFT, x1), y - 3, bw, 3);
        }
      }
    });
    // Hovered op (from the DAG or here): a strong outline.
    if (hoverNode !== null) {
      lanes.forEach((lane, k) => {
        if (lane.kind !== 'compute') return;
        for (const b of lane.bars)
          if (b.node === hoverNode) {
            const x1 = xOf(b.start, w);
            ctx.strokeStyle = fg;
            ctx.lineWidth = 2;
            ctx.strokeRect(x1 - 2, laneTop(k) - 2, Math.max(3, xOf(b.end, w) - x1) + 4, LANE_H + 4);
            ctx.lineWidth = 1;
          }
      });
    }
    drawTimeAxis(ctx, w, h, muted, border);
  }

  /**
   * Round times in one unit for the visible window (timeTicks), a short mark at each, labels centred
   * on their tick but inset at the canvas edges and dropped where they would overlap (fitLabels).
   */
  function drawTimeAxis(ctx: CanvasRenderingContext2D, w: number, h: number, muted: string, border: string): void {
    const t0 = Math.max(0, tOf(LEFT, w));
    const t1 = Math.min(span(), tOf(w - 8, w));
    const ticks = timeTicks(t1, Math.max(2, Math.min(12, Math.floor((w - LEFT) / 90))), t0);
    const xs = ticks.values.map((t) => xOf(t, w));
    const lefts = fitLabels(
      xs,
      ticks.labels.map((l) => ctx.measureText(l).width),
      2,
      w - 2,
    );
    const axisTop = h - AXIS_H;
    ctx.strokeStyle = border;
    ctx.fillStyle = muted;
    ctx.beginPath();
    for (const x of xs) {
      ctx.moveTo(Math.round(x) + 0.5, axisTop);
      ctx.lineTo(Math.round(x) + 0.5, axisTop + 3);
    }
    ctx.stroke();
    lefts.forEach((left, i) => {
      if (left !== null) ctx.fillText(ticks.labels[i], left, axisTop + 13);
    });
  }

  function hit(ev: MouseEvent): { bar: Bar; lane: Lane } | null {
    const r = canvas.getBoundingClientRect();
    const x = ev.clientX - r.left;
    const y = ev.clientY - r.top;
    if (x < LEFT) return null;
    for (let k = 0; k < lanes.length; k++) {
      const top = laneTop(k);
      if (y >= top && y <= top + laneHeight(k)) {
        const w = canvas.clientWidth;
        const slack = Math.abs(tOf(x + 2, w) - tOf(x, w));
        const bar = barAt(lanes[k], tOf(x, w), slack);
        return bar ? { bar, lane: lanes[k] } : null;
      }
    }
    return null;
  }

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
  new ResizeObserver(() => schedule()).observe(canvas);

  return {
    setPlan(p, idx, crit) {
      plan = p;
      critical = crit;
      lanes = p && p.feasible ? buildLanes(p, idx) : [];
      schedule();
    },
    setHover(node) {
      if (node === hoverNode) return;
      hoverNode = node;
      schedule();
    },
    redraw: draw,
  };
}
