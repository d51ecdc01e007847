// The layout worker: runs ELK (elkjs' bundled build, no eval) off the UI thread. Loaded from a
// blob: URL (VS Code webviews only allow blob:/data: workers). When workers are unavailable the
// page injects this same script (with its CSP nonce) and calls `self.opplaceLayout` in-page.
import ELK from 'elkjs/lib/elk.bundled.js';
import { ELK_OPTIONS, layoutScopes, type ElkLayoutFn, type LayoutProgress, type LayoutRequest, type ScopeCache } from './layoutCore';

const elk = new ELK();
const elkLayout = elk.layout.bind(elk) as unknown as ElkLayoutFn;
const cache: ScopeCache = new Map();

export type WorkerIn = { type: 'layout'; request: LayoutRequest };
export type WorkerOut =
  | { type: 'progress'; progress: LayoutProgress }
  | { type: 'result'; response: import('./layoutCore').LayoutResponse }
  | { type: 'error'; requestId: number; message: string };

/** In-page entry (fallback): same code path as the worker. */
function runLayout(request: LayoutRequest, onProgress?: (p: LayoutProgress) => void) {
  return layoutScopes(request, elkLayout, cache, onProgress);
}

const g = self as unknown as { document?: unknown; opplaceLayout?: typeof runLayout; onmessage: unknown; postMessage: (m: WorkerOut) => void };
if (typeof g.document === 'undefined') {
  // Worker context. elkjs' bundled build registers itself as `self.onmessage` when it sees a worker
  // scope; we drive ELK through its in-thread FakeWorker instead, so take the handler back.
  g.onmessage = (ev: MessageEvent<WorkerIn>) => {
    const msg = ev.data;
    if (!msg || msg.type !== 'layout') return;
    runLayout(msg.request, (progress) => g.postMessage({ type: 'progress', progress })).then(
      (response) => g.postMessage({ type: 'result', response }),
      (e: unknown) => g.postMessage({ type: 'error', requestId: msg.request.requestId, message: e instanceof Error ? e.message : String(e) }),
    );
  };
} else {
  g.opplaceLayout = runLayout;
}

// Warm-up: ELK's first call initialises its (large) GWT runtime; do it while the page is still
// parsing its data, not when the user is waiting for the first paint.
void elkLayout({
  id: 'warm',
  layoutOptions: ELK_OPTIONS,
  children: [
    { id: 'a', width: 10, height: 10 },
    { id: 'b', width: 10, height: 10 },
  ],
  edges: [{ id: 'e', sources: ['a'], targets: ['b'] }],
}).catch(() => undefined);
