// What the viewer says about one op or one group: the HTML of the details pane and the tooltip
// (both the same table), and the tooltip that follows the pointer. The HTML builders are pure.
import type { OpBody, OpGraph, TensorDim } from '../algorithms/graph';
import type { Plan } from '../algorithms/plan';
import { formatBytes, formatFlops, formatUs } from '../algorithms/units';
import { escapeHtml as esc } from './html';
import { bodyItemOf, hasBodyOps, type BodyScope, type GroupTree, type PlanView, type VisibleGraph } from './model';
import type { ViewModel } from './viewReducer';

/** What the details pane says with no op selected (as the page starts: html.ts). */
export const DETAILS_HINT = 'Hover or click an operator.';

function shapeText(shape: TensorDim[] | null): string {
  return shape ? `[${shape.map((d) => (d === null ? '?' : String(d))).join('×')}]` : '?';
}

function table(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('')}</table>`;
}

/** Where an op (or a group's share) runs: "GPU 2", or in throughput mode "stage 1 · GPU 2". */
export function whereLabel(pv: PlanView, d: number): string {
  if (d < 0) return 'not placed';
  if (pv.colourBy !== 'stage') return `GPU ${d}`;
  const device = pv.stageDevice?.[d];
  return device === undefined ? `stage ${d}` : `stage ${d} · GPU ${device}`;
}

export function nodeHtml(graph: OpGraph, pv: PlanView, i: number): string {
  const n = graph.nodes[i];
  const d = pv.deviceOf[i];
  const outs = n.outputs.map((t) => `${esc(t.name)} ${shapeText(t.shape)} ${esc(t.dtype ?? '')} (${formatBytes(t.bytes)})`).join('<br>');
  const rows: [string, string][] = [
    ['op', esc(n.opType)],
    ['name', esc(n.name)],
    [pv.colourBy === 'stage' ? 'stage' : 'device', whereLabel(pv, d)],
    ['time', formatUs(n.computeUs)],
    ['start / end', Number.isFinite(pv.startUs[i]) ? `${formatUs(pv.startUs[i])} → ${formatUs(pv.endUs[i])}` : '—'],
    ['persistent', formatBytes(n.persistentBytes)],
    ['temporary', formatBytes(n.temporaryBytes)],
    ['outputs', outs || '—'],
  ];
  if (n.namespace.length) rows.push(['namespace', esc(n.namespace.join('/'))]);
  if (n.body) rows.push(['body', bodyText(n.body)]);
  // Shape plumbing folded away before placement (ONNX): part of this op, not placed on its own.
  if (n.foldedNodes?.length) rows.push(['absorbed', `<span class="absorbed">${n.foldedNodes.map(esc).join(', ')}</span>`]);
  if (pv.critical[i]) rows.push(['', '<b>on the critical path</b>']);
  if (pv.failed[i]) rows.push(['', `<b class="error">did not fit:</b> ${esc(pv.failureReason ?? '')}`]);
  else if (pv.failureReason !== null && d >= 0) rows.push(['', 'placed before the placer stopped']);
  return table(rows);
}

/** An If/Loop/Scan op's bodies in one cell: each branch's op count and FLOPs per run, the one counted, the trips. */
function bodyText(body: OpBody): string {
  const trips = body.trips === undefined ? '' : body.trips === null ? ' × trips unknown (counted once)' : ` × ${body.trips} trips`;
  const lines = body.branches.map((b, k) => {
    const ops = b.ops.length + (b.omittedOps ?? 0);
    return `${esc(b.name)}${body.countedBranch === k ? ' (counted)' : ''}: ${ops} op${ops === 1 ? '' : 's'}, ${formatFlops(b.flops)}${trips}`;
  });
  const hint = hasBodyOps(body) ? '<br><span class="hint">click ▸ body on the op to show its ops</span>' : '';
  return lines.join('<br>') + hint;
}

/** An op inside an expanded body: not placed on its own, it runs where its control-flow op runs. */
export function bodyOpHtml(graph: OpGraph, pv: PlanView, scope: BodyScope, k: number): string {
  const owner = graph.nodes[scope.owner];
  const branch = owner.body!.branches[scope.branch!];
  const op = branch.ops[k];
  const rows: [string, string][] = [
    ['op', esc(op.opType)],
    ['name', esc(op.name)],
    ['FLOPs', `${formatFlops(op.flops)} per run of the body`],
    ['inside', `${esc(owner.opType)} ${esc(owner.name)} · ${esc(branch.name)}`],
    [pv.colourBy === 'stage' ? 'stage' : 'device', `${whereLabel(pv, pv.deviceOf[scope.owner])} (with its ${esc(owner.opType)}: not placed on its own)`],
  ];
  return table(rows);
}

export function groupHtml(graph: OpGraph, tree: GroupTree, pv: PlanView, gid: string): string {
  const g = tree.groups.get(gid);
  if (!g) return '';
  const perDev = new Map<number, number>();
  let crit = 0;
  let time = 0;
  for (const m of g.members) {
    perDev.set(pv.deviceOf[m], (perDev.get(pv.deviceOf[m]) ?? 0) + 1);
    if (pv.critical[m]) crit++;
    time += graph.nodes[m].computeUs;
  }
  const mix = [...perDev.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([d, c]) => `${d >= 0 ? whereLabel(pv, d) : 'unplaced'}: ${c}`)
    .join(', ');
  const rows: [string, string][] = [
    ['ops', String(g.members.length)],
    [pv.colourBy === 'stage' ? 'stages' : 'devices', mix],
    ['compute', formatUs(time)],
    ['critical ops', String(crit)],
  ];
  return `<b>${esc(g.label)}</b> (click to expand)${table(rows)}`;
}

/** The tooltip of a drawn DAG item: an op inside an expanded body, a collapsed group, or an op. */
export function itemTipHtml(s: Pick<ViewModel, 'graph' | 'tree' | 'pv' | 'idx'>, vis: VisibleGraph, itemId: string): string {
  const inBody = bodyItemOf(vis, itemId);
  if (inBody) return bodyOpHtml(s.graph, s.pv, inBody.scope, inBody.op);
  return itemId.startsWith('group:') ? groupHtml(s.graph, s.tree, s.pv, itemId) : nodeHtml(s.graph, s.pv, s.idx.get(itemId)!);
}

/** The op a drawn DAG item is (the timeline marks it), or null for a group, a body op or nothing. */
export function itemNode(idx: Map<string, number>, itemId: string | null): number | null {
  return itemId && !itemId.startsWith('group:') ? (idx.get(itemId) ?? null) : null;
}

export function transferHtml(plan: Plan, k: number): string | null {
  const t = plan.transfers[k];
  if (!t) return null;
  return `<b>transfer</b> GPU ${t.srcDevice} → GPU ${t.dstDevice}<br>${esc(t.from)} → ${esc(t.to)}<br>${formatBytes(t.bytes)}, ${formatUs(t.startUs)} → ${formatUs(t.endUs)}`;
}

export type ShowTip = (html: string | null, ev: MouseEvent | null) => void;

/** The tooltip beside the pointer; moving within one item re-positions it without re-parsing. */
export function createTooltip(tooltip: HTMLElement): ShowTip {
  let tipHtml = '';
  return (html, ev) => {
    if (!html || !ev) {
      tooltip.style.display = 'none';
      return;
    }
    if (html !== tipHtml) {
      tooltip.innerHTML = html;
      tipHtml = html;
    }
    tooltip.style.display = 'block';
    const pad = 14;
    const r = tooltip.getBoundingClientRect();
    const x = ev.clientX + pad + r.width > window.innerWidth ? ev.clientX - r.width - pad : ev.clientX + pad;
    const y = ev.clientY + pad + r.height > window.innerHeight ? ev.clientY - r.height - pad : ev.clientY + pad;
    tooltip.style.left = `${Math.max(0, x)}px`;
    tooltip.style.top = `${Math.max(0, y)}px`;
  };
}

/** The details pane: the selected op's table, or the hint. */
export function renderDetails(el: HTMLElement, graph: OpGraph, pv: PlanView, selected: number | null): void {
  el.innerHTML = selected === null ? DETAILS_HINT : nodeHtml(graph, pv, selected);
}
