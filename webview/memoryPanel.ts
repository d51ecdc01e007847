// Memory panel: one bar per device stacked persistent / peak activations / temporary (per pipeline
// stage: persistent / stashed activations), the limit as a dashed line, over-limit in the error
// colour; plus the memory-over-time curve of one device.
// Each bar carries data-peak-bytes (= the plan's peakBytes) and data-limit-bytes for tests/tools.
import { select } from 'd3-selection';
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import type { DevicePlan, Plan } from '../algorithms/plan';
import { formatBytes, formatUs } from '../algorithms/units';
import { byteTicks, tickCount, timeAxisMarks } from './axes';
import { escapeHtml } from './html';
import { maxOf } from '../algorithms/arrays';

export interface MemorySegments {
  persistent: number;
  activations: number;
  temporary: number;
}

/**
 * The stacked parts of a device's peak. When the plan lacks the breakdown the whole peak is shown
 * as activations; when the parts do not add up to the peak the difference goes to activations,
 * so the bar's total is always exactly `peakBytes`.
 */
export function memorySegments(d: DevicePlan): MemorySegments {
  const persistent = Math.max(0, Math.min(d.peakBytes, d.persistentBytes ?? 0));
  const temporary = Math.max(0, Math.min(d.peakBytes - persistent, d.temporaryAtPeakBytes ?? 0));
  return { persistent, temporary, activations: Math.max(0, d.peakBytes - persistent - temporary) };
}

export interface MemoryPanelCallbacks {
  onSelectDevice(d: number): void;
  onHover(html: string | null, ev: MouseEvent | null): void;
}

/**
 * One bar of the memory panel as data: stacked segments (bottom up) whose sum is `totalBytes`,
 * the limit, what the tooltip lists. Placements give one per device, pipelines one per stage.
 */
export interface MemoryBar {
  index: number;
  /** Colour class: `device-K` or `stage-K`. */
  colourClass: string;
  /** Under the bar: "GPU 0", "S1". */
  label: string;
  /** Extra data-* attributes for tests and tools. */
  attrs: Record<string, string>;
  segments: { name: string; bytes: number }[];
  totalBytes: number;
  limitBytes: number;
  /** Tooltip heading and rows. */
  title: string;
  rows: [string, string][];
}

/** A placement's bars: one per device, persistent / peak activations / temporary at the peak. */
export function latencyMemoryBars(plan: Plan | null): MemoryBar[] {
  if (!plan) return [];
  // An infeasible plan's devices hold what was placed before the placer stopped.
  const partial = !plan.feasible && (plan.placedBeforeFailure?.length ?? 0) > 0;
  return plan.devices.map((d) => {
    const seg = memorySegments(d);
    return {
      index: d.index,
      colourClass: `device-${d.index}`,
      label: `GPU ${d.index}`,
      attrs: { 'data-device': String(d.index) },
      segments: [
        { name: 'persistent', bytes: seg.persistent },
        { name: 'activations', bytes: seg.activations },
        { name: 'temporary', bytes: seg.temporary },
      ],
      totalBytes: d.peakBytes,
      limitBytes: d.memoryLimitBytes,
      title: partial ? `GPU ${d.index}: the ops placed before the failure` : `GPU ${d.index}`,
      rows: [
        [partial ? 'peak so far' : 'peak', formatBytes(d.peakBytes)],
        ['limit', formatBytes(d.memoryLimitBytes)],
        ['persistent', formatBytes(seg.persistent)],
        ['peak activations', formatBytes(seg.activations)],
        ['temporary at peak', formatBytes(seg.temporary)],
        ['busy', formatUs(d.busyUs)],
      ],
    };
  });
}

export function renderMemoryBars(svgEl: SVGSVGElement, plan: Plan | null, selected: number, cb: MemoryPanelCallbacks): void {
  renderBars(svgEl, latencyMemoryBars(plan), selected, cb);
}

/** Where the bars go: the byte scale (bottom up) and each bar's left edge and width. */
interface BarsGeometry {
  y: ScaleLinear<number, number>;
  /** The axis' top (bytes): 5 % above the tallest bar or limit shown. */
  top: number;
  barW: number;
  xOf(k: number): number;
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
}

function barsGeometry(svgEl: SVGSVGElement, bars: MemoryBar[]): BarsGeometry {
  const width = svgEl.clientWidth || Number(svgEl.getAttribute('width')) || 300;
  const height = Number(svgEl.getAttribute('height')) || 180;
  const margin = { top: 14, right: 6, bottom: 30, left: 54 };
  const maxV = memoryScaleMax(
    bars.map((b) => b.totalBytes),
    bars.map((b) => b.limitBytes),
  );
  const y = scaleLinear()
    .domain([0, maxV * 1.05])
    .range([height - margin.bottom, margin.top]);
  const band = (width - margin.left - margin.right) / bars.length;
  const barW = Math.max(4, Math.min(46, band * 0.7));
  return { y, top: maxV * 1.05, barW, xOf: (k) => margin.left + k * band + (band - barW) / 2, width, height, margin };
}

/** Draws bars (data-peak-bytes = a bar's total, data-limit-bytes = its limit) on a byte axis. */
export function renderBars(svgEl: SVGSVGElement, bars: MemoryBar[], selected: number, cb: MemoryPanelCallbacks, whenEmpty?: string): void {
  const svg = select(svgEl);
  svg.selectAll('*').remove();
  if (bars.length === 0) {
    if (whenEmpty) svg.append('g').attr('class', 'axis').append('text').attr('x', 4).attr('y', 20).text(whenEmpty);
    return;
  }
  const geo = barsGeometry(svgEl, bars);
  const axis = svg.append('g').attr('class', 'axis');
  // Round binary-unit ticks (0, 2, 4, 6, 8 MiB), not d3's decimal ticks printed in MiB.
  const yTicks = byteTicks(geo.y.domain()[1], 4);
  yTicks.values.forEach((t, i) => {
    axis
      .append('line')
      .attr('x1', geo.margin.left - 4)
      .attr('x2', geo.width - geo.margin.right)
      .attr('y1', geo.y(t))
      .attr('y2', geo.y(t))
      .style('opacity', 0.4);
    appendByteLabel(axis.node()!, yTicks.labels[i], geo.margin.left - 6, geo.y(t));
  });
  bars.forEach((b, k) => {
    const g = drawBar(svg.append('g').node()!, b, geo.xOf(k), b.index === selected, geo, bars.length <= 6);
    const tip = barTipHtml(b);
    g.addEventListener('mousemove', (ev) => cb.onHover(tip, ev));
    g.addEventListener('mouseleave', () => cb.onHover(null, null));
    g.addEventListener('click', () => cb.onSelectDevice(b.index));
  });
}

/** A byte axis label, right-aligned at x, on the tick at height y. */
function appendByteLabel(axisEl: SVGGElement, label: string, x: number, y: number): void {
  select(axisEl)
    .append('text')
    .attr('x', x)
    .attr('y', y + 3)
    .attr('text-anchor', 'end')
    .text(label);
}

const overLimit = (b: MemoryBar): boolean => Number.isFinite(b.limitBytes) && b.totalBytes > b.limitBytes;

/** One bar into `el`: its stacked segments, frame, limit mark and the labels under it. */
function drawBar(el: SVGGElement, b: MemoryBar, x: number, isSelected: boolean, geo: BarsGeometry, withTotal: boolean): SVGGElement {
  const { y, barW } = geo;
  const g = select(el)
    .attr('class', `mem-bar ${b.colourClass}${overLimit(b) ? ' over' : ''}${isSelected ? ' selected' : ''}`)
    .attr('data-peak-bytes', b.totalBytes)
    .attr('data-limit-bytes', b.limitBytes);
  for (const [name, v] of Object.entries(b.attrs)) g.attr(name, v);
  let base = 0;
  for (const { name, bytes: v } of b.segments) {
    if (v <= 0) continue;
    g.append('rect')
      .attr('class', `seg-${name}`)
      .attr('data-bytes', v)
      .attr('x', x)
      .attr('width', barW)
      .attr('y', y(base + v))
      .attr('height', Math.max(0.5, y(base) - y(base + v)));
    base += v;
  }
  g.append('rect')
    .attr('class', 'frame')
    .attr('x', x)
    .attr('width', barW)
    .attr('y', y(b.totalBytes))
    .attr('height', Math.max(0, y(0) - y(b.totalBytes)));
  drawLimit(el, b, x, geo);
  const under = geo.height - geo.margin.bottom;
  for (const [dy, text] of [
    [12, b.label],
    [24, withTotal ? formatBytes(b.totalBytes) : ''],
  ] as const)
    g.append('text')
      .attr('class', 'val')
      .attr('x', x + barW / 2)
      .attr('y', under + dy)
      .attr('text-anchor', 'middle')
      .text(text);
  return el;
}

/** The bar's limit: a line across it, or, far above the peak, a note at the top instead of squashing the bars. */
function drawLimit(el: SVGGElement, b: MemoryBar, x: number, geo: BarsGeometry): void {
  if (!(Number.isFinite(b.limitBytes) && b.limitBytes > 0)) return;
  const g = select(el);
  if (b.limitBytes <= geo.top) {
    g.append('line')
      .attr('class', 'limit')
      .attr('x1', x - 4)
      .attr('x2', x + geo.barW + 4)
      .attr('y1', geo.y(b.limitBytes))
      .attr('y2', geo.y(b.limitBytes));
    return;
  }
  g.append('text')
    .attr('class', 'limit-off')
    .attr('x', x + geo.barW / 2)
    .attr('y', geo.margin.top - 3)
    .attr('text-anchor', 'middle')
    .text(`↑ ${formatBytes(b.limitBytes)}`);
}

/** The bar's tooltip: its title (and whether it is over its limit), then its rows. */
function barTipHtml(b: MemoryBar): string {
  return [
    `<b>${escapeHtml(b.title)}</b>${overLimit(b) ? ' — <b>over its limit</b>' : ''}<table>`,
    ...b.rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
  ].join('');
}

/**
 * Top of the memory axis: the largest peak, and the limits too unless they are far above the peaks
 * (16 GiB limits over 60 MiB peaks would flatten every bar); then limits are only labelled.
 */
export function memoryScaleMax(peaks: number[], limits: number[]): number {
  const peak = Math.max(1, maxOf(peaks));
  const finite = limits.filter((l) => Number.isFinite(l) && l > 0);
  const limit = maxOf(finite, 0);
  // No usage at all (an infeasible plan that placed nothing): scale to the limits so their lines show.
  if (peak <= 1) return limit > 0 ? limit : 1;
  return limit > 0 && limit <= peak * 3 ? Math.max(peak, limit) : peak;
}

/** Step curve of bytes in use over the step, with the limit line. */
export function renderMemoryOverTime(svgEl: SVGSVGElement, plan: Plan | null, device: number): void {
  const svg = select(svgEl);
  svg.selectAll('*').remove();
  const d = plan?.devices.find((x) => x.index === device);
  const width = svgEl.clientWidth || Number(svgEl.getAttribute('width')) || 300;
  const height = Number(svgEl.getAttribute('height')) || 130;
  if (!plan || !d || !d.memoryTimeline || d.memoryTimeline.length === 0) {
    svg
      .append('text')
      .attr('x', 4)
      .attr('y', 20)
      .attr('class', 'axis')
      .append('tspan')
      .text(plan && !plan.feasible ? 'no schedule (infeasible)' : 'no memory timeline in this plan');
    return;
  }
  const tl = d.memoryTimeline;
  const margin = { top: 8, right: 8, bottom: 18, left: 54 };
  const tMax = Math.max(plan.makespanUs, tl[tl.length - 1][0], 1);
  const vMax = memoryScaleMax([d.peakBytes, ...tl.map((p) => p[1])], [d.memoryLimitBytes]);
  const x = scaleLinear()
    .domain([0, tMax])
    .range([margin.left, width - margin.right]);
  const y = scaleLinear()
    .domain([0, vMax * 1.05])
    .range([height - margin.bottom, margin.top]);
  let path = `M${x(0)},${y(0)}`;
  let prev = 0;
  for (const [t, v] of tl) {
    path += `L${x(t).toFixed(1)},${y(prev).toFixed(1)}L${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    prev = v;
  }
  path += `L${x(tMax)},${y(prev)}L${x(tMax)},${y(0)}Z`;
  const axis = svg.append('g').attr('class', 'axis');
  const yTicks = byteTicks(y.domain()[1], 3);
  yTicks.values.forEach((t, i) => appendByteLabel(axis.node()!, yTicks.labels[i], margin.left - 6, y(t)));
  drawTimeAxis(axis.node()!, x, tMax, height, width);
  axis
    .append('line')
    .attr('x1', margin.left)
    .attr('x2', width - margin.right)
    .attr('y1', y(0))
    .attr('y2', y(0));
  svg.append('g').attr('class', `device-${device}`).append('path').attr('class', 'mem-curve').attr('d', path);
  if (Number.isFinite(d.memoryLimitBytes) && d.memoryLimitBytes > 0 && d.memoryLimitBytes <= vMax * 1.05) {
    svg
      .append('line')
      .attr('class', 'limit')
      .attr('x1', margin.left)
      .attr('x2', width - margin.right)
      .attr('y1', y(d.memoryLimitBytes))
      .attr('y2', y(d.memoryLimitBytes));
  }
}

/**
 * Time labels under the memory curve (timeAxisMarks), each with a short tick mark, labels inset so
 * the end ones are not clipped by the svg and dropped where they would overlap.
 */
function drawTimeAxis(axisEl: SVGGElement, x: (t: number) => number, tMax: number, height: number, width: number): void {
  const axis = select(axisEl);
  const marks = timeAxisMarks({ t0: 0, t1: tMax }, tickCount(Math.abs(x(tMax) - x(0)), 70, 6), x, (ls) => svgTextWidths(axisEl, ls), {
    left: 2,
    right: width - 2,
  });
  const labelY = height - 4;
  for (const m of marks) {
    axis
      .append('line')
      .attr('x1', m.x)
      .attr('x2', m.x)
      .attr('y1', labelY - 13)
      .attr('y2', labelY - 10);
    if (m.labelLeft !== null) axis.append('text').attr('y', labelY).attr('text-anchor', 'start').text(m.label).attr('x', m.labelLeft.toFixed(1));
  }
}

/**
 * The labels' widths as drawn in `parent` (their font comes from there): all probes added, then all
 * read — one forced layout for the axis, not one a label — measured when the svg is rendered, an
 * estimate (≈ 6 px a character at 10 px) otherwise.
 */
function svgTextWidths(parent: SVGGElement, labels: string[]): number[] {
  const probes = labels.map((label) => select(parent).append('text').text(label));
  const widths = probes.map((probe, i) => {
    const el = probe.node()!;
    const measured = typeof el.getComputedTextLength === 'function' ? el.getComputedTextLength() : 0;
    return measured > 0 ? measured : labels[i].length * 6;
  });
  for (const probe of probes) probe.remove();
  return widths;
}
