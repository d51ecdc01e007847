// Colouring the drawn DAG by a plan: each item's classes (device-K / stage-K, critical, failed, and
// the hover/selection/search marks over them), each collapsed group's device-mix bar, and the edges
// sorted into the three combined paths. A re-place often leaves most items as they were: writing
// only what changed keeps the browser's style recalc to those (bench/README.md, "Re-place in the
// extension").
import { deviceMix, type DrawnEdge, type PlanView, type VisibleItem } from '../model';
import { drawMix, type ItemPlacer } from './items';
import type { DagScene, DagState, ItemMarks } from './types';

/** The three edge paths: critical wins over cross-device, cross over same-device. */
export interface EdgePaths {
  same: SVGPathElement;
  cross: SVGPathElement;
  critical: SVGPathElement;
}

/** The mark classes of one item (each with its leading space). */
function markClasses(marks: ItemMarks, id: string): string {
  return (
    (id === marks.hover ? ' hover' : '') +
    (id === marks.selected ? ' selected' : '') +
    (marks.matches.has(id) ? ' match' : '') +
    (id === marks.current ? ' match-current' : '')
  );
}

function colourClass(pv: PlanView, node: number): string {
  const d = pv.deviceOf[node];
  return d >= 0 ? `${pv.colourBy ?? 'device'}-${d}` : 'unplaced';
}

/** An item's classes under a plan, without the marks. */
function itemClass(s: DagScene, it: VisibleItem, pv: PlanView, showCritical: boolean): string {
  // A body op is read-only: it runs where its control-flow op runs.
  if (it.kind === 'body') return `item node body-op ${colourClass(pv, it.node!)}`;
  if (it.kind === 'node') return `item node ${colourClass(pv, it.node!)}${pv.critical[it.node!] ? ' critical' : ''}${pv.failed[it.node!] ? ' failed' : ''}`;
  const members = s.tree.groups.get(it.id)!.members;
  const crit = showCritical && members.some((m) => pv.critical[m]);
  const failed = members.some((m) => pv.failed[m]);
  return `item group${crit ? ' critical' : ''}${failed ? ' failed' : ''}`;
}

/** Every drawn item's classes, and each collapsed group's mix bar, for the plan. */
export function recolourItems(state: DagState, s: DagScene, pv: PlanView, devices: number, placer: ItemPlacer): void {
  for (const it of s.vis.items) {
    const el = state.elements.get(it.id);
    if (!el) continue;
    setClass(el, itemClass(s, it, pv, state.showCritical) + markClasses(state.marks, it.id));
    if (it.kind === 'group') {
      const members = s.tree.groups.get(it.id)!.members;
      drawMix(el, deviceMix(members, pv.deviceOf, devices), members.length, pv.colourBy ?? 'device', placer);
    }
  }
}

/** The drawn edges' path data joined per category. */
export function edgeCategories(edges: DrawnEdge[], paths: string[], pv: PlanView, showCritical: boolean): Record<keyof EdgePaths, string> {
  const same: string[] = [];
  const cross: string[] = [];
  const critical: string[] = [];
  edges.forEach((e, k) => {
    const p = paths[k];
    if (!p) return;
    if (showCritical && e.edges.some((ge) => pv.criticalEdge[ge])) critical.push(p);
    else if (e.edges.some((ge) => pv.crossEdge[ge])) cross.push(p);
    else same.push(p);
  });
  return { same: same.join(''), cross: cross.join(''), critical: critical.join('') };
}

export function drawEdges(els: EdgePaths, d: Record<keyof EdgePaths, string>): void {
  setPath(els.same, d.same);
  setPath(els.cross, d.cross);
  setPath(els.critical, d.critical);
}

/** Re-applies the marks of one item over its plan classes. */
export function restyle(marks: ItemMarks, id: string, el: SVGGElement): void {
  const base = (el.getAttribute('class') ?? '').replace(/ (hover|selected|match-current|match)\b/g, '');
  el.setAttribute('class', base + markClasses(marks, id));
}

function setClass(el: Element, cls: string): void {
  if (el.getAttribute('class') !== cls) el.setAttribute('class', cls);
}

function setPath(el: SVGPathElement, d: string): void {
  if (el.getAttribute('d') !== d) el.setAttribute('d', d);
}
