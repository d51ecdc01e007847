// The DAG's drawn things: one <g class="item"> per visible op, body op or collapsed group, and a
// dashed frame per expanded group, joined with d3 by id. An item's content depends only on the
// item, so it is built once and a new layout only moves it: children carry absolute x/y (no
// `transform` in the scene, see createDagView) and the placer remembers each child's position
// inside its item's box.
import { select, type Selection } from 'd3-selection';
import type { OpGraph } from '../../algorithms/graph';
import { formatBytes } from '../../algorithms/units';
import type { Box } from '../layoutCore';
import { bodyItemOf, groupMemoryBytes, hasBodyOps, type VisibleItem } from '../model';
import { cornerRadius, GROUP_SIZE, NODE_SIZE, truncate } from './geometry';
import type { DagScene } from './types';

type G = Selection<SVGGElement, unknown, null, undefined>;

/** Where each item's box is and where each child sits inside it, so a moved box moves its children. */
export interface ItemPlacer {
  /** Puts a child at (lx, ly) inside its item's box. */
  putAt<E extends Element>(el: E, item: SVGGElement, lx: number, ly: number): E;
  /** Moves an item's drawn content to its box. */
  placeItem(item: SVGGElement, b: Box): void;
  /** A rebuilt item: its children are drawn from the origin until placed. */
  reset(item: SVGGElement): void;
}

export function createItemPlacer(): ItemPlacer {
  const origin = new WeakMap<SVGGElement, { x: number; y: number }>();
  const local = new WeakMap<Element, readonly [number, number]>();
  return {
    putAt(el, item, lx, ly) {
      const o = origin.get(item) ?? { x: 0, y: 0 };
      local.set(el, [lx, ly]);
      el.setAttribute('x', String(o.x + lx));
      el.setAttribute('y', String(o.y + ly));
      return el;
    },
    placeItem(item, b) {
      const o = origin.get(item);
      if (o && o.x === b.x && o.y === b.y) return;
      origin.set(item, { x: b.x, y: b.y });
      for (const el of item.querySelectorAll('rect, text')) {
        const p = local.get(el);
        if (!p) continue;
        el.setAttribute('x', String(b.x + p[0]));
        el.setAttribute('y', String(b.y + p[1]));
      }
    },
    reset(item) {
      origin.set(item, { x: 0, y: 0 });
    },
  };
}

/** Frames of expanded (non-root) groups, with a clickable title that collapses them. */
export function drawFrames(layer: G, s: DagScene): void {
  const boxOf = (id: string) => s.layout.boxes.get(id)!;
  const frames = s.vis.scopes.filter((id) => id !== s.tree.root && s.layout.boxes.has(id));
  layer
    .selectAll<SVGGElement, string>('g.scope-frame')
    .data(frames, (d) => d)
    .join((enter) => {
      const g = enter.append('g');
      g.append('rect').attr('rx', 4);
      g.append('text');
      return g;
    })
    .attr('class', (d) => (s.vis.bodyScopes.has(d) ? 'scope-frame body-frame' : 'scope-frame'))
    .attr('data-scope-id', (d) => d)
    .call((g) => {
      g.select('rect')
        .attr('x', (d) => boxOf(d).x)
        .attr('y', (d) => boxOf(d).y)
        .attr('width', (d) => boxOf(d).width)
        .attr('height', (d) => boxOf(d).height);
      g.select('text')
        .attr('x', (d) => boxOf(d).x + 6)
        .attr('y', (d) => boxOf(d).y + 15)
        .text((d) => `▾ ${truncate(s.tree.groups.get(d)?.label ?? s.vis.bodyScopes.get(d)?.label ?? d, Math.floor(boxOf(d).width / 6.5))}`);
    });
}

/** The laid-out items, each built when new (or of another kind) and moved to its box; fills `elements`. */
export function drawItems(layer: G, s: DagScene, elements: Map<string, SVGGElement>, placer: ItemPlacer): void {
  const items = s.vis.items.filter((it) => s.layout.boxes.has(it.id));
  layer
    .selectAll<SVGGElement, VisibleItem>('g.item')
    .data(items, (d) => d.id)
    .join((enter) => enter.append('g'))
    .each(function (d) {
      elements.set(d.id, this);
      const g = select(this);
      if (g.attr('data-built') !== d.kind) {
        g.selectAll('*').remove();
        g.attr('data-built', d.kind);
        placer.reset(this);
        buildItem(g, s, d, placer);
      }
      placer.placeItem(this, s.layout.boxes.get(d.id)!);
    });
}

function buildItem(g: G, s: DagScene, d: VisibleItem, placer: ItemPlacer): void {
  if (d.kind === 'node') buildNode(g, s.graph, d.node!, d.id, placer);
  else if (d.kind === 'body') buildBodyOp(g, s, d.id, placer);
  else buildGroup(g, s, d.id, placer);
}

/** An op's box: shaped by its kind, its type above its name; `nameChars` may depend on the label inset. */
function buildOpBox(g: G, placer: ItemPlacer, opType: string, name: string, nameChars: (labelX: number) => number): void {
  const rx = cornerRadius(opType);
  const x = rx > 8 ? 12 : 6; // keep labels inside a pill's rounded ends
  const el = g.node()!;
  placer.putAt(g.append('rect').attr('width', NODE_SIZE.width).attr('height', NODE_SIZE.height).attr('rx', rx).node()!, el, 0, 0);
  placer.putAt(g.append('text').attr('class', 'op').text(truncate(opType, 22)).node()!, el, x, 13);
  placer.putAt(
    g
      .append('text')
      .attr('class', 'name')
      .text(truncate(name, nameChars(x)))
      .node()!,
    el,
    x,
    26,
  );
}

function buildNode(g: G, graph: OpGraph, i: number, id: string, placer: ItemPlacer): void {
  const n = graph.nodes[i];
  g.attr('data-node-id', id).attr('data-index', i).attr('data-group-id', null);
  buildOpBox(g, placer, n.opType, n.name, (x) => 24 - (x > 6 ? 1 : 0));
  // An If/Loop/Scan op: its body can be shown in place (a frame of its ops; still one placed op).
  if (hasBodyOps(n.body)) {
    const ops = n.body.branches.reduce((sum, b) => sum + b.ops.length, 0);
    const toggle = g.append('text').attr('class', 'body-toggle').attr('text-anchor', 'end').text(`▸ body (${ops})`);
    placer.putAt(toggle.node()!, g.node()!, NODE_SIZE.width - 6, 13);
  }
}

/** An op inside an expanded body: drawn like an op, in its control-flow op's colour; a click selects that op. */
function buildBodyOp(g: G, s: DagScene, id: string, placer: ItemPlacer): void {
  const { scope, op: k } = bodyItemOf(s.vis, id)!;
  const op = s.graph.nodes[scope.owner].body!.branches[scope.branch!].ops[k];
  g.attr('data-body-op', id).attr('data-index', scope.owner).attr('data-node-id', null).attr('data-group-id', null);
  buildOpBox(g, placer, op.opType, op.name, () => 23);
}

function buildGroup(g: G, s: DagScene, gid: string, placer: ItemPlacer): void {
  const grp = s.tree.groups.get(gid)!;
  g.attr('data-group-id', gid).attr('data-node-id', null).attr('data-members', grp.members.length);
  const el = g.node()!;
  placer.putAt(g.append('rect').attr('class', 'box').attr('width', GROUP_SIZE.width).attr('height', GROUP_SIZE.height).attr('rx', 5).node()!, el, 0, 0);
  // "first … last": both ends stay readable (truncating the whole would drop the last op).
  const [a, b] = grp.label.split(' … ');
  const label = b === undefined ? truncate(grp.label, 25) : `${truncate(a, 11)} … ${truncate(b, 11)}`;
  placer.putAt(g.append('text').text(`▸ ${label}`).node()!, el, 8, 15);
  g.append('title').text(grp.label);
  const sub = g
    .append('text')
    .attr('class', 'sub')
    .text(`${grp.members.length} ops · ${formatBytes(groupMemoryBytes(s.graph, grp.members))}`);
  placer.putAt(sub.node()!, el, 8, 30);
  g.append('g').attr('class', 'mix'); // its bar segments are placed by drawMix
}

/** A collapsed group's stacked bar: one segment per device (or stage) its members run on, unplaced last. */
export function drawMix(el: SVGGElement, mix: number[], total: number, colourBy: 'device' | 'stage', placer: ItemPlacer): void {
  const bar = select(el).select<SVGGElement>('g.mix');
  // The bar's data, kept on it: a rebuilt item has a new, unmarked bar.
  const key = `${colourBy} ${mix.join(' ')}`;
  if (bar.attr('data-mix') === key) return;
  bar.attr('data-mix', key);
  bar
    .selectAll<SVGRectElement, MixSegment>('rect')
    .data(mixSegments(mix, total, GROUP_SIZE.width - 16))
    .join('rect')
    .attr('class', (s) => (s.d >= 0 ? `${colourBy}-${s.d}` : 'unplaced'))
    .each(function (s) {
      placer.putAt(this, el, 8 + s.x, GROUP_SIZE.height - 16);
    })
    .attr('width', (s) => Math.max(0.5, s.w))
    .attr('height', 8)
    .style('fill', (s) => (s.d >= 0 ? 'var(--dev-fill)' : 'var(--vscode-disabledForeground, #888)'));
}

interface MixSegment {
  /** Device (or stage); -1 for the unplaced members (the mix's last count). */
  d: number;
  x: number;
  w: number;
}

/** The bar's segments, left to right over `width`, for the non-zero counts of `mix`. */
function mixSegments(mix: number[], total: number, width: number): MixSegment[] {
  const segs: MixSegment[] = [];
  let x = 0;
  mix.forEach((c, d) => {
    if (!c) return;
    const w = (c / Math.max(1, total)) * width;
    segs.push({ d: d === mix.length - 1 ? -1 : d, x, w });
    x += w;
  });
  return segs;
}
