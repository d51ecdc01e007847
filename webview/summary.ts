// The summary header: algorithm, makespan, speed-up over one device, lower bound and gap,
// placement time, feasible or not (with the reason and the minimum memory). Pure: plan → rows.
import type { Plan } from '../algorithms/plan';
import { formatBytesAtLeast, formatUs } from '../algorithms/units';
import { baseName } from '../algorithms/text';

export interface SummaryItem {
  key: string;
  label: string;
  value: string;
  /** 'ok' / 'error' styling. */
  tone?: 'ok' | 'error';
}

export function summaryItems(plan: Plan | null): SummaryItem[] {
  if (!plan) return [{ key: 'status', label: 'status', value: 'placing…' }];
  const items: SummaryItem[] = [{ key: 'algorithm', label: 'algorithm', value: plan.algorithm }];
  if (plan.feasible) {
    items.push({ key: 'feasible', label: '', value: 'feasible', tone: 'ok' });
    items.push({ key: 'makespan', label: 'makespan', value: formatUs(plan.makespanUs) });
    if (plan.singleDeviceUs && plan.makespanUs > 0) {
      items.push({ key: 'speedup', label: 'speed-up over 1 GPU', value: `${(plan.singleDeviceUs / plan.makespanUs).toFixed(2)}×` });
    }
    if (plan.lowerBoundUs > 0) {
      const gap = plan.makespanUs / plan.lowerBoundUs - 1;
      items.push({
        key: 'lowerBound',
        label: 'lower bound (ignores communication)',
        value: `${formatUs(plan.lowerBoundUs)} (gap ${(gap * 100).toFixed(1)} %)`,
      });
    }
    items.push({ key: 'transfers', label: 'transfers', value: String(plan.transfers.length) });
  } else {
    items.push({ key: 'feasible', label: '', value: 'infeasible', tone: 'error' });
    if (plan.reason) items.push({ key: 'reason', label: 'why', value: plan.reason, tone: 'error' });
    if (plan.minimumMemoryBytes !== undefined)
      items.push({ key: 'minimumMemory', label: 'fits with', value: `${formatBytesAtLeast(plan.minimumMemoryBytes)} per device` });
  }
  items.push({ key: 'placeTime', label: 'placed in', value: `${plan.placeMs.toFixed(plan.placeMs < 10 ? 2 : 0)} ms` });
  items.push({ key: 'devices', label: 'devices', value: String(plan.devices.length) });
  return items;
}

export function renderSummary(el: HTMLElement, modelFile: string, plan: Plan | null): void {
  renderSummaryItems(el, modelFile, summaryItems(plan));
}

/**
 * The header from items (a placement's summaryItems, or a pipeline's pipelineSummaryItems), under
 * the model's base name — as the page and panel titles show it — with the full path as its tooltip.
 */
export function renderSummaryItems(el: HTMLElement, modelFile: string, items: SummaryItem[]): void {
  el.replaceChildren();
  const h = document.createElement('h1');
  h.textContent = baseName(modelFile);
  if (h.textContent !== modelFile) h.title = modelFile;
  el.appendChild(h);
  for (const it of items) {
    const span = document.createElement('span');
    span.className = 'stat' + (it.tone === 'error' ? ' infeasible' : it.tone === 'ok' ? ' feasible' : '');
    span.dataset.key = it.key;
    if (it.label) {
      span.append(`${it.label} `);
      const b = document.createElement('b');
      b.textContent = it.value;
      span.appendChild(b);
    } else span.textContent = it.value;
    if (it.key === 'reason' || it.key.startsWith('warning')) span.style.whiteSpace = 'normal';
    el.appendChild(span);
  }
}
