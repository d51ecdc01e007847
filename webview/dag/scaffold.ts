// The DAG pane's fixed DOM: the scene <svg> in the host <div> with its layers (frames under edges
// under items, the edges as three combined paths), and one delegated listener per event kind for
// any number of items.
import { select, type Selection } from 'd3-selection';
import { bodyId } from '../model';
import type { DagCallbacks } from './types';
import type { EdgePaths } from './colour';

export interface DagLayers {
  sceneSvg: Selection<SVGSVGElement, unknown, null, undefined>;
  frames: Selection<SVGGElement, unknown, null, undefined>;
  items: Selection<SVGGElement, unknown, null, undefined>;
  edges: EdgePaths;
}

export function createLayers(hostEl: HTMLElement): DagLayers {
  const sceneSvg = select(hostEl).append('svg').attr('class', 'scene').attr('width', 1).attr('height', 1);
  const viewport = sceneSvg.append('g').attr('class', 'viewport');
  const frames = viewport.append('g').attr('class', 'frames');
  const edgeLayer = viewport.append('g').attr('class', 'edge-layer');
  const edges = {
    same: edgeLayer.append('path').attr('class', 'edges same').node()!,
    cross: edgeLayer.append('path').attr('class', 'edges cross').node()!,
    critical: edgeLayer.append('path').attr('class', 'edges critical').node()!,
  };
  const items = viewport.append('g').attr('class', 'items');
  return { sceneSvg, frames, items, edges };
}

const itemOf = (t: EventTarget | null): SVGGElement | null => (t instanceof Element ? t.closest<SVGGElement>('g.item') : null);

function idOf(g: Element): string {
  return g.getAttribute('data-node-id') ?? g.getAttribute('data-group-id') ?? g.getAttribute('data-body-op')!;
}

export function listenToItems(hostEl: HTMLElement, cb: DagCallbacks): void {
  hostEl.addEventListener('mouseover', (ev) => {
    const g = itemOf(ev.target);
    cb.onHover(g ? idOf(g) : null, ev);
  });
  hostEl.addEventListener('mousemove', (ev) => {
    const g = itemOf(ev.target);
    if (g) cb.onHover(idOf(g), ev);
  });
  hostEl.addEventListener('mouseleave', () => cb.onHover(null, null));
  hostEl.addEventListener('click', (ev) => onClick(ev.target as Element, cb));
}

function onClick(t: Element, cb: DagCallbacks): void {
  // "▸ body" on an If/Loop/Scan op: expand it in place (the op's own click selects it).
  const bodyToggle = t.closest?.('text.body-toggle');
  if (bodyToggle) return cb.onToggleGroup(bodyId(itemOf(bodyToggle)!.getAttribute('data-node-id')!));
  const frameTitle = t.closest?.('.scope-frame text');
  if (frameTitle) return cb.onToggleGroup((frameTitle.parentNode as Element).getAttribute('data-scope-id')!);
  const g = itemOf(t);
  if (!g) return cb.onBackground();
  const gid = g.getAttribute('data-group-id');
  if (gid) cb.onToggleGroup(gid);
  else cb.onClickNode(Number(g.getAttribute('data-index')));
}
