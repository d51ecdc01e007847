// The panes around the DAG, drawn from the state: the status line, the summary header, the memory
// panel, the timeline pane (its height, and the splitter that resizes it) and the legend. The page's
// elements are looked up once (`panelElements`), not on every plan.
import { MEMORY_PANEL_TEXT } from './html';
import { renderBars, renderMemoryBars, renderMemoryOverTime, type MemoryPanelCallbacks } from './memoryPanel';
import { pipelineMemoryBars, pipelineSummaryItems, stageLabel } from './pipelineModel';
import { renderStageLoads, type PipelineTimelineView } from './pipelineTimeline';
import { renderSummary, renderSummaryItems } from './summary';
import { LANE_PAIR_H, type TimelineView } from './timeline';
import { renderLegend } from './toolbar';
import { drawnDevices, type ViewModel } from './viewReducer';

export function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`viewer page is missing #${id}`);
  return e;
}

export interface PanelElements {
  header: HTMLElement;
  status: HTMLElement;
  details: HTMLElement;
  legend: HTMLElement;
  memory: SVGSVGElement;
  memoryTitle: HTMLElement;
  memoryLegend: HTMLElement;
  memTime: SVGSVGElement;
  memTimeTitle: HTMLElement;
  timeline: HTMLCanvasElement;
  timelineWrap: HTMLElement;
}

export function panelElements(): PanelElements {
  return {
    header: $('header'),
    status: $('status'),
    details: $('details'),
    legend: $('legend'),
    memory: $('memory') as unknown as SVGSVGElement,
    memoryTitle: $('memory-title'),
    memoryLegend: $('memory-legend'),
    memTime: $('memtime') as unknown as SVGSVGElement,
    memTimeTitle: $('memtime-title'),
    timeline: $('timeline') as HTMLCanvasElement,
    timelineWrap: $('timeline-wrap'),
  };
}

/** The panels and what they draw with: the op timeline or, in throughput mode, the pipeline's. */
export interface Panels {
  els: PanelElements;
  /** The model's name in the header. */
  title: string;
  timeline: TimelineView;
  pipelineTimeline: PipelineTimelineView;
  memory: MemoryPanelCallbacks;
}

export function renderStatus(el: HTMLElement, text: string, kind: 'info' | 'error' = 'info', fraction?: number): void {
  el.replaceChildren();
  el.className = kind === 'error' ? 'error' : '';
  if (text) el.append(text);
  if (fraction !== undefined) {
    const p = document.createElement('progress');
    p.max = 1;
    p.value = fraction;
    el.append(p);
  }
}

/** Summary, memory, timeline and legend of what is drawn: the placement, or the pipeline. */
export function drawPanels(p: Panels, s: ViewModel): void {
  const t = s.objective === 'throughput';
  if (t) renderSummaryItems(p.els.header, p.title, pipelineSummaryItems(s.pipeline));
  else renderSummary(p.els.header, p.title, s.plan);
  drawMemory(p, s);
  p.els.timeline.style.display = t ? 'none' : '';
  p.pipelineTimeline.element.style.display = t ? '' : 'none';
  if (t) p.pipelineTimeline.setPlan(s.pipeline);
  else p.timeline.setPlan(s.plan, s.idx, s.pv.critical);
  sizeTimeline(p, s);
  renderLegend(p.els.legend, drawnDevices(s), t && s.pipeline ? s.pipeline.stages.map((st) => stageLabel(s.pipeline!, st.index)) : undefined);
  document.body.dataset.objective = s.objective;
}

export function drawMemory(p: Panels, s: ViewModel): void {
  const { els } = p;
  els.memoryTitle.textContent = MEMORY_PANEL_TEXT[s.objective].title;
  els.memoryLegend.textContent = MEMORY_PANEL_TEXT[s.objective].legend;
  if (s.objective === 'throughput') {
    // Per stage: persistent + activations stashed for the in-flight microbatches, against the limit.
    const whenEmpty = s.pipeline ? 'no stages: the pipeline does not fit (see why above)' : 'planning…';
    renderBars(els.memory, pipelineMemoryBars(s.pipeline), s.memDevice, p.memory, whenEmpty);
    els.memTimeTitle.textContent = 'Load per stage (per sample)';
    renderStageLoads(els.memTime, s.pipeline);
    return;
  }
  renderMemoryBars(els.memory, s.plan, s.memDevice, p.memory);
  els.memTimeTitle.textContent = `Memory over time — GPU ${s.memDevice}`;
  renderMemoryOverTime(els.memTime, s.plan, s.memDevice);
}

/**
 * The timeline pane's height when the user has not dragged it: one lane pair per device (or the
 * pipeline's lanes), one line of text when there is no schedule to draw (infeasible, not placed yet).
 */
function naturalTimelineHeight(s: ViewModel, pipelineLanesPx: () => number): number {
  const throughput = s.objective === 'throughput';
  const drawn = throughput ? s.pipeline : s.plan;
  if (!drawn?.feasible) return 40;
  return throughput ? Math.min(320, pipelineLanesPx()) : Math.min(320, Math.max(70, drawnDevices(s) * LANE_PAIR_H + 30));
}

/** The user's height (dragged with the splitter) or the natural one; CSS caps it (max-height) so the DAG pane keeps its share. */
export function sizeTimeline(p: Panels, s: ViewModel): void {
  const natural = naturalTimelineHeight(s, () => p.pipelineTimeline.naturalHeight());
  p.els.timelineWrap.style.height = `${Math.round(s.timelineHeight ?? natural)}px`;
}

/** Dragging the bar between the DAG and the timeline resizes both panes; a double click resets (undefined). */
export function installSplitter(bar: HTMLElement | null, wrap: HTMLElement, onHeight: (px: number | undefined) => void): void {
  if (!bar) return;
  bar.addEventListener('pointerdown', (down: PointerEvent) => {
    down.preventDefault();
    bar.setPointerCapture(down.pointerId);
    const startY = down.clientY;
    const startH = wrap.getBoundingClientRect().height;
    const move = (ev: PointerEvent) => onHeight(Math.max(40, startH - (ev.clientY - startY)));
    const up = () => {
      bar.removeEventListener('pointermove', move);
      bar.removeEventListener('pointerup', up);
      bar.removeEventListener('pointercancel', up);
      // What the CSS cap let it become, so a restore does not ask for more than fits.
      onHeight(Math.round(wrap.getBoundingClientRect().height));
    };
    bar.addEventListener('pointermove', move);
    bar.addEventListener('pointerup', up);
    bar.addEventListener('pointercancel', up);
  });
  bar.addEventListener('dblclick', () => onHeight(undefined));
}
