// Runs layouts in a Web Worker made from a blob: URL of the worker's source text (inlined in the
// standalone report, fetched from the extension's media folder in VS Code). Falls back to running
// the same script in the page only when workers are unavailable.
import type { LayoutProgress, LayoutRequest, LayoutResponse } from './layoutCore';
import type { WorkerIn, WorkerOut } from './layoutWorker';

export interface LayoutClient {
  layout(request: LayoutRequest, onProgress?: (p: LayoutProgress) => void): Promise<LayoutResponse>;
  /** 'worker' or 'page' (fallback), for diagnostics and tests. */
  readonly mode: 'worker' | 'page';
  dispose(): void;
}

type Pending = { resolve: (r: LayoutResponse) => void; reject: (e: Error) => void; onProgress?: (p: LayoutProgress) => void };

/** Where the worker script comes from. */
export type WorkerSource = { text: string } | { url: string };

async function sourceText(src: WorkerSource): Promise<string> {
  if ('text' in src) return src.text;
  const res = await fetch(src.url);
  if (!res.ok) throw new Error(`cannot load the layout worker (${res.status} ${res.statusText})`);
  return res.text();
}

/** A worker the page started early (standalone report), adopted instead of creating another. */
export interface EarlyWorker {
  worker: Worker;
  url: string;
}

export async function createLayoutClient(src: WorkerSource, nonce: string | undefined, forcePage = false, early?: EarlyWorker | null): Promise<LayoutClient> {
  if (early && !forcePage) return workerClient(early);
  early?.worker.terminate();
  const text = await sourceText(src);
  if (!forcePage && typeof Worker !== 'undefined' && typeof Blob !== 'undefined' && typeof URL.createObjectURL === 'function') {
    try {
      const url = URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
      return workerClient({ worker: new Worker(url), url });
    } catch {
      // CSP without worker-src blob:, or workers disabled: use the page.
    }
  }
  return pageClient(text, nonce);
}

function workerClient({ worker, url }: EarlyWorker): LayoutClient {
  const pending = new Map<number, Pending>();
  worker.onmessage = (ev: MessageEvent<WorkerOut>) => {
    const m = ev.data;
    if (m.type === 'progress') pending.get(m.progress.requestId)?.onProgress?.(m.progress);
    else if (m.type === 'result') {
      pending.get(m.response.requestId)?.resolve(m.response);
      pending.delete(m.response.requestId);
    } else if (m.type === 'error') {
      pending.get(m.requestId)?.reject(new Error(`layout failed: ${m.message}`));
      pending.delete(m.requestId);
    }
  };
  worker.onerror = (ev) => {
    for (const p of pending.values()) p.reject(new Error(`layout worker error: ${ev.message}`));
    pending.clear();
  };
  return {
    mode: 'worker',
    layout(request, onProgress) {
      return new Promise((resolve, reject) => {
        pending.set(request.requestId, { resolve, reject, onProgress });
        worker.postMessage({ type: 'layout', request } satisfies WorkerIn);
      });
    },
    dispose() {
      worker.terminate();
      URL.revokeObjectURL(url);
    },
  };
}

type PageLayout = (r: LayoutRequest, p?: (x: LayoutProgress) => void) => Promise<LayoutResponse>;

function pageClient(text: string, nonce: string | undefined): LayoutClient {
  const w = window as unknown as { opplaceLayout?: PageLayout };
  if (!w.opplaceLayout) {
    const s = document.createElement('script');
    if (nonce) s.nonce = nonce;
    s.textContent = text;
    document.head.appendChild(s);
  }
  const run = w.opplaceLayout;
  if (!run) throw new Error('the layout script could not run in the page (check the CSP nonce)');
  return { mode: 'page', layout: (r, p) => run(r, p), dispose() {} };
}
