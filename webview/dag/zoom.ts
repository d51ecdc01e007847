// Pan and zoom of the DAG pane with d3-zoom on the host <div>: the scene <svg> is moved with a CSS
// transform on its own compositor layer, written once per animation frame however many wheel/drag
// events arrive, and re-rasterised sharp once the motion stops.
import { select } from 'd3-selection';
import { zoom, zoomIdentity, zoomTransform, type ZoomTransform } from 'd3-zoom';
import { SCALE_EXTENT, type Camera } from './geometry';

/** Below this scale labels are unreadable (and costly): the host gets class lod-low. */
const LOW_DETAIL_SCALE = 0.45;
/** How long the motion must have stopped before the layer is rasterised again at the new scale. */
const SHARPEN_AFTER_MS = 250;

export interface PanZoom {
  /** The current transform. */
  camera(): Camera;
  /** Moves there (programmatic: not the user's move unless `byUser`). */
  moveTo(t: Camera, byUser?: boolean): void;
  scaleBy(k: number): void;
  translateBy(dx: number, dy: number): void;
  /** True once the user panned or zoomed (then a late layout does not re-fit under them). */
  userMoved(): boolean;
}

interface ZoomState {
  /** The transform to write at the next frame (null: written). */
  pending: ZoomTransform | null;
  frame: number;
  moved: boolean;
  sharpenTimer: ReturnType<typeof setTimeout> | undefined;
}

export function createPanZoom(hostEl: HTMLElement, sceneEl: SVGSVGElement, onTransform?: (t: Camera) => void): PanZoom {
  const host = select(hostEl);
  const state: ZoomState = { pending: null, frame: 0, moved: false, sharpenTimer: undefined };
  const applyTransform = (): void => writeTransform(state, hostEl, sceneEl);
  const zoomer = zoom<HTMLElement, unknown>()
    .scaleExtent(SCALE_EXTENT)
    .on('zoom', (ev: { transform: ZoomTransform; sourceEvent: unknown }) => {
      if (ev.sourceEvent) state.moved = true; // a user gesture, not fit()/centerOn()
      state.pending = ev.transform;
      onTransform?.({ k: ev.transform.k, x: ev.transform.x, y: ev.transform.y });
      if (!state.frame) state.frame = requestAnimationFrame(applyTransform);
      sharpenLater(state, sceneEl);
    });
  host.call(zoomer).on('dblclick.zoom', null);
  return {
    camera() {
      const t = zoomTransform(hostEl);
      return { k: t.k, x: t.x, y: t.y };
    },
    moveTo(t, byUser = false) {
      if (byUser) state.moved = true;
      host.call(zoomer.transform, zoomIdentity.translate(t.x, t.y).scale(t.k));
    },
    scaleBy: (k) => host.call(zoomer.scaleBy, k),
    translateBy: (dx, dy) => host.call(zoomer.translateBy, dx, dy),
    userMoved: () => state.moved,
  };
}

/** One DOM write per frame: the scene's CSS transform, and the level of detail. */
function writeTransform(state: ZoomState, hostEl: HTMLElement, sceneEl: SVGSVGElement): void {
  state.frame = 0;
  const t = state.pending;
  if (!t) return;
  sceneEl.style.transform = `translate(${t.x}px,${t.y}px) scale(${t.k})`;
  const low = t.k < LOW_DETAIL_SCALE;
  if (hostEl.classList.contains('lod-low') !== low) hostEl.classList.toggle('lod-low', low);
  state.pending = null;
}

/**
 * The compositor scales the layer's old raster while moving (fast, but blurry after a zoom); once
 * the motion stops, recreate the layer so it is rasterised sharp at the new scale.
 */
function sharpenLater(state: ZoomState, sceneEl: SVGSVGElement): void {
  clearTimeout(state.sharpenTimer);
  state.sharpenTimer = setTimeout(() => {
    sceneEl.style.willChange = 'auto';
    requestAnimationFrame(() => requestAnimationFrame(() => (sceneEl.style.willChange = '')));
  }, SHARPEN_AFTER_MS);
}
