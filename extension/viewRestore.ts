// What a placement view needs to come back after a window reload, and where it comes from. Pure
// (no vscode): the serializer in extension.ts passes the webview's state in, tests call it directly.
import type { PlacementOptions } from '../algorithms/plan';
import type { ObjectiveChoice } from '../webview/placementHost';
import { parseViewerState } from '../webview/viewState';

/** A view's file and the choices made in its viewer. */
export interface SavedViewState {
  uri: string;
  viewerOptions?: PlacementOptions;
  viewerBatch?: number;
  /** Symbolic dims set in the viewer (NAME=VALUE, over opplace.dims). */
  viewerDims?: string[];
  /** Latency or throughput as chosen in the viewer (issue 14). */
  viewerChoice?: ObjectiveChoice;
}

/**
 * The restore state from the webview's own `setState` value, as VS Code hands it to
 * `deserializeWebviewPanel` (untrusted: validated field by field). Undefined when it names no file.
 */
export function savedStateFromWebview(state: unknown): SavedViewState | undefined {
  const parsed = parseViewerState(state);
  if (!parsed?.hostUri) return undefined;
  return {
    uri: parsed.hostUri,
    ...(parsed.options ? { viewerOptions: parsed.options } : {}),
    ...(parsed.batchSize !== undefined ? { viewerBatch: parsed.batchSize } : {}),
    ...(parsed.dims !== undefined ? { viewerDims: parsed.dims } : {}),
    ...(parsed.objective && parsed.pipelineControls ? { viewerChoice: { objective: parsed.objective, pipelineControls: parsed.pipelineControls } } : {}),
  };
}

/** The webview's state first (the primary source); the host's workspace-state copy as fallback. */
export function chooseRestoreState(fromWebview: unknown, fromWorkspace: SavedViewState | undefined): SavedViewState | undefined {
  return savedStateFromWebview(fromWebview) ?? fromWorkspace;
}
