// Throughput mode's timeline (issue 14): the simulated step of a PipelinePlan, one lane per stage,
// one bar per (stage, microbatch, forward|backward) task — forward solid in the stage's colour,
// backward lighter and hatched — and each lane's idle time (the pipeline bubble) hatched grey.
// Rendering only: the geometry comes from pipelineTimelineLayout (pipelineModel.ts). A step has
// M × S × 2 tasks at most (64 × 16 × 2 = 2k), few enough for plain SVG elements, which tests query.
import { select, type Selection } from 'd3-selection';
import type { PipelinePlan } from '../algorithms/pipeline/types';
import { formatUs } from '../algorithms/units';
import { escapeHtml } from './html';
import { pipelineTimelineLayout, PIPELINE_TIMELINE_GEOMETRY, type PipelineTimelineLayout } from './pipelineModel';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Room above the lanes for the key (forward / backward / idle). */
const KEY_H = 18;

export interface PipelineTimelineCallbacks {
  onHover(html: string | null, ev: MouseEvent | null): void;
}

export interface PipelineTimelineView {
  readonly element: SVGSVGElement;
  setPlan(plan: PipelinePlan | null): void;
  redraw(): void;
  /** Height the lanes need (px), for sizing the pane. */
  naturalHeight(): number;
  /** The last layout drawn (tests and tools). */
  layout(): PipelineTimelineLayout | null;
}

type Svg = Selection<SVGSVGElement, unknown, null, undefined>;
type G = Selection<SVGGElement, unknown, null, undefined>;

/** What the view changes after it is created. */
interface PipelineTimelineState {
  plan: PipelinePlan | null;
  /** The layout last drawn (null while a message is shown instead). */
  last: PipelineTimelineLayout | null;
}

export function createPipelineTimeline(container: HTMLElement, cb: PipelineTimelineCallbacks): PipelineTimelineView {
  const svgEl = document.createElementNS(SVG_NS, 'svg');
  svgEl.id = 'pipeline-timeline';
  svgEl.setAttribute('role', 'img');
  svgEl.setAttribute('aria-label', 'pipeline schedule: microbatches × stages');
  container.appendChild(svgEl);
  const state: PipelineTimelineState = { plan: null, last: null };
  const draw = (): void => {
    state.last = drawTimeline(svgEl, state.plan, container.clientWidth || 800, cb);
  };
  new ResizeObserver(() => {
    if (svgEl.isConnected && svgEl.style.display !== 'none') draw();
  }).observe(container);
  return {
    element: svgEl,
    setPlan(p) {
      state.plan = p;
      draw();
    },
    redraw: draw,
    naturalHeight: () =>
      KEY_H + 4 + Math.max(1, state.plan?.stages.length ?? 1) * PIPELINE_TIMELINE_GEOMETRY.laneHeight + PIPELINE_TIMELINE_GEOMETRY.bottom + 4,
    layout: () => state.last,
  };
}

/** Why there is no schedule to draw, or null when there is one. */
function messageFor(plan: PipelinePlan | null): string | null {
  if (!plan) return 'planning the pipeline…';
  if (plan.feasible && plan.tasks.length > 0) return null;
  return plan.feasible ? 'no schedule in this plan' : `no schedule: ${plan.reason ?? 'the pipeline does not fit'}`;
}

/** The whole chart drawn afresh (≤ 2k tasks: cheap); returns the layout drawn, null for a message. */
function drawTimeline(svgEl: SVGSVGElement, plan: PipelinePlan | null, width: number, cb: PipelineTimelineCallbacks): PipelineTimelineLayout | null {
  const svg = select(svgEl);
  svg.selectAll('*').remove();
  const message = messageFor(plan);
  if (message !== null || !plan) {
    svg
      .append('text')
      .attr('class', 'message')
      .attr('x', 8)
      .attr('y', 18)
      .text(message ?? '');
    return null;
  }
  const L = pipelineTimelineLayout(plan, { width, top: KEY_H + 4 });
  svgEl.setAttribute('height', String(L.height));
  drawPatterns(svg);
  drawKey(svg.append('g').attr('class', 'key'), plan, width);
  drawLaneLabels(svg.append('g').attr('class', 'lanes'), L, plan);
  drawIdle(svg, L);
  drawTasks(svg.append('g').attr('class', 'tasks'), L, plan, cb);
  drawAxis(svg.append('g').attr('class', 'axis'), L, width);
  return L;
}

/** The hatching of backward bars and of idle time, referenced by url(#pl-hatch) / url(#pl-idle). */
function drawPatterns(svg: Svg): void {
  const defs = svg.append('defs');
  for (const [id, size, angle, cls] of [
    ['pl-hatch', 6, 45, 'hatch-line'],
    ['pl-idle', 5, -45, 'idle-line'],
  ] as const) {
    defs
      .append('pattern')
      .attr('id', id)
      .attr('patternUnits', 'userSpaceOnUse')
      .attr('width', size)
      .attr('height', size)
      .attr('patternTransform', `rotate(${angle})`)
      .append('line')
      .attr('class', cls)
      .attr('x1', 0)
      .attr('y1', 0)
      .attr('x2', 0)
      .attr('y2', size);
  }
}

/** Each stage's name left of its lane, the slowest stage (the one that sets the step) marked. */
function drawLaneLabels(lanes: G, L: PipelineTimelineLayout, p: PipelinePlan): void {
  const slowest = Math.max(...p.stages.map((s) => s.loadUs));
  for (const lane of L.lanes) {
    const g = lanes.append('g').attr('class', `lane-row stage-${lane.stage}`).attr('data-stage', lane.stage);
    g.append('text')
      .attr('class', `lane${p.stages[lane.stage].loadUs >= slowest - 1e-9 ? ' slowest' : ''}`)
      .attr('x', 6)
      .attr('y', lane.y + lane.h / 2 + 4)
      .text(lane.label);
  }
}

/** Each lane's idle time (the bubble), data-us = its length so tests can add it up. */
function drawIdle(svg: Svg, L: PipelineTimelineLayout): void {
  svg
    .append('g')
    .attr('class', 'idle-boxes')
    .selectAll('rect')
    .data(L.idle)
    .join('rect')
    .attr('class', 'idle')
    .attr('data-stage', (b) => b.stage)
    .attr('data-us', (b) => b.endUs - b.startUs)
    .attr('x', (b) => b.x)
    .attr('y', (b) => b.y)
    .attr('width', (b) => Math.max(0, b.w))
    .attr('height', (b) => b.h);
}

/** One bar per task (backward hatched over), its label when it fits, a tooltip on hover. */
function drawTasks(tasks: G, L: PipelineTimelineLayout, p: PipelinePlan, cb: PipelineTimelineCallbacks): void {
  for (const b of L.tasks) {
    const g = tasks.append('g').attr('class', `task-box stage-${b.stage}`);
    const r = g
      .append('rect')
      .attr('class', `task ${b.kind}`)
      .attr('data-stage', b.stage)
      .attr('data-microbatch', b.microbatch)
      .attr('data-kind', b.kind)
      .attr('x', b.x)
      .attr('y', b.y)
      .attr('width', Math.max(0.5, b.w))
      .attr('height', b.h);
    if (b.kind === 'backward')
      g.append('rect')
        .attr('class', 'hatch')
        .attr('x', b.x)
        .attr('y', b.y)
        .attr('width', Math.max(0.5, b.w))
        .attr('height', b.h)
        .style('fill', 'url(#pl-hatch)')
        .style('pointer-events', 'none');
    if (b.text)
      g.append('text')
        .attr('class', 'task-label')
        .attr('x', b.x + b.w / 2)
        .attr('y', b.y + b.h / 2 + 3.5)
        .attr('text-anchor', 'middle')
        .text(b.text);
    hoverTips(r.node()!, () => tipFor(p, b.task), cb);
  }
}

function hoverTips(el: SVGRectElement, tip: () => string, cb: PipelineTimelineCallbacks): void {
  el.addEventListener('mousemove', (ev) => {
    el.classList.add('hover');
    cb.onHover(tip(), ev);
  });
  el.addEventListener('mouseleave', () => {
    el.classList.remove('hover');
    cb.onHover(null, null);
  });
}

function tipFor(p: PipelinePlan, k: number): string {
  const t = p.tasks[k];
  const s = p.stages[t.stage];
  return `<b>${t.kind} of microbatch ${t.microbatch}</b><table><tr><td>stage</td><td>${t.stage}${s ? ` · GPU ${s.device}` : ''}</td></tr><tr><td>time</td><td>${escapeHtml(formatUs(t.startUs))} → ${escapeHtml(formatUs(t.endUs))} (${escapeHtml(formatUs(t.endUs - t.startUs))})</td></tr></table>`;
}

/**
 * The step's time axis under the lanes: the layout's ticks (timeTicks from 0 to the step), the
 * first label starting at its tick and the last ending at its tick near the edge, so neither is clipped.
 */
function drawAxis(axis: G, L: PipelineTimelineLayout, width: number): void {
  const axisY = L.height - PIPELINE_TIMELINE_GEOMETRY.bottom + 2;
  axis
    .append('line')
    .attr('x1', L.left)
    .attr('x2', width - PIPELINE_TIMELINE_GEOMETRY.right)
    .attr('y1', axisY)
    .attr('y2', axisY);
  L.ticks.forEach((t, i) => {
    axis
      .append('line')
      .attr('x1', t.x)
      .attr('x2', t.x)
      .attr('y1', axisY)
      .attr('y2', axisY + 4);
    const anchor = i === 0 ? 'start' : i === L.ticks.length - 1 && t.x > width - 40 ? 'end' : 'middle';
    axis
      .append('text')
      .attr('x', t.x)
      .attr('y', axisY + 14)
      .attr('text-anchor', anchor)
      .text(t.label);
  });
}

/** Above the lanes: what the bar styles mean, the bubble's share, and the step's time. */
function drawKey(g: G, p: PipelinePlan, width: number): void {
  const training = p.tasks.some((t) => t.kind === 'backward');
  const items: [string, string][] = [['forward', 'forward']];
  if (training) items.push(['backward', 'backward']);
  items.push(['idle', `idle: bubble ${(p.bubble * 100).toFixed(1)} %`]);
  let x = PIPELINE_TIMELINE_GEOMETRY.left;
  for (const [kind, text] of items) {
    const k = g.append('g').attr('class', `key-item stage-0`);
    // Styled like the bars (classes `key-swatch forward`…) but not counted as tasks.
    k.append('rect').attr('class', `key-swatch ${kind}`).attr('x', x).attr('y', 4).attr('width', 14).attr('height', 10);
    if (kind === 'backward') k.append('rect').attr('x', x).attr('y', 4).attr('width', 14).attr('height', 10).style('fill', 'url(#pl-hatch)');
    k.append('text')
      .attr('class', 'lane')
      .attr('x', x + 18)
      .attr('y', 13)
      .text(text);
    x += 18 + text.length * 6.5 + 16;
  }
  g.append('text')
    .attr('class', 'lane')
    .attr('x', Math.max(x, width - 330))
    .attr('y', 13)
    .text(`step ${formatUs(p.stepUs)} for ${p.microbatches} microbatches (${p.schedule})`);
}

/**
 * Throughput mode's second side chart: each stage's load per sample (compute + communication),
 * the slowest stage's load being the time per sample, so an unbalanced split shows at a glance.
 */
export function renderStageLoads(svgEl: SVGSVGElement, plan: PipelinePlan | null): void {
  const svg = select(svgEl);
  svg.selectAll('*').remove();
  if (!plan || plan.stages.length === 0) {
    svg
      .append('g')
      .attr('class', 'axis')
      .append('text')
      .attr('x', 4)
      .attr('y', 20)
      .text(plan ? 'no stages (infeasible)' : 'planning…');
    return;
  }
  const width = svgEl.clientWidth || Number(svgEl.getAttribute('width')) || 300;
  const height = Number(svgEl.getAttribute('height')) || 130;
  const left = 64;
  const right = 8;
  const rowH = Math.max(8, Math.min(20, (height - 24) / plan.stages.length));
  const maxLoad = Math.max(1e-9, ...plan.stages.map((s) => s.loadUs));
  const x = (us: number) => left + (us / maxLoad) * (width - left - right - 56);
  plan.stages.forEach((s, k) => {
    const y = 4 + k * rowH;
    const g = svg.append('g').attr('class', `stage-load stage-${s.index}`).attr('data-stage', s.index).attr('data-load-us', s.loadUs);
    g.append('text')
      .attr('class', 'lane')
      .attr('x', 4)
      .attr('y', y + rowH / 2 + 3.5)
      .style('font-size', '10px')
      .style('fill', 'var(--vscode-foreground)')
      .text(`S${s.index} · GPU ${s.device}`);
    g.append('rect')
      .attr('class', 'seg-compute')
      .attr('x', left)
      .attr('y', y + 2)
      .attr('width', Math.max(0.5, x(s.computeUs) - left))
      .attr('height', rowH - 4)
      .style('fill', 'var(--dev-fill)');
    if (s.commUs > 0)
      g.append('rect')
        .attr('class', 'seg-comm')
        .attr('x', x(s.computeUs))
        .attr('y', y + 2)
        .attr('width', Math.max(0.5, x(s.loadUs) - x(s.computeUs)))
        .attr('height', rowH - 4)
        .style('fill', 'var(--dev-fill)')
        .style('opacity', '0.45');
    g.append('text')
      .attr('x', x(s.loadUs) + 4)
      .attr('y', y + rowH / 2 + 3.5)
      .style('font-size', '10px')
      .style('fill', 'var(--vscode-foreground)')
      .style('font-weight', s.loadUs >= maxLoad - 1e-9 ? '700' : '400')
      .text(formatUs(s.loadUs));
  });
  const noteY = Math.min(height - 16, 4 + plan.stages.length * rowH + 12);
  const note = svg.append('g').attr('class', 'axis');
  note.append('text').attr('x', 4).attr('y', noteY).text('compute ▮ + communication ▮ (lighter)');
  note
    .append('text')
    .attr('x', 4)
    .attr('y', noteY + 12)
    .text(`slowest stage = time per sample, ${formatUs(plan.timePerSampleUs)}`);
}
