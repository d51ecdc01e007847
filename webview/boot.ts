// Shared start-up for both entry points: find the layout worker source, create the layout client,
// start the viewer, expose a small handle for tests and benchmarks, report uncaught errors.
import { startViewer, type ViewerHandle } from './app';
import { createLayoutClient, type EarlyWorker, type LayoutClient, type WorkerSource } from './layoutClient';
import type { PlacementHost } from './placementHost';
import type { InitMessage } from './protocol';

declare global {
  interface Window {
    opplaceViewer?: ViewerHandle;
    /** Set by the report's early bootstrap script (html.ts). */
    opplaceEarlyWorker?: EarlyWorker | null;
  }
}

/** The nonce of the script that is running, for the in-page layout fallback. */
export function pageNonce(): string | undefined {
  const s = document.querySelector<HTMLScriptElement>('script[nonce]');
  return s?.nonce || undefined;
}

export function workerSourceFromPage(): WorkerSource {
  const inline = document.getElementById('opplace-layout-worker-src');
  if (inline) return { text: inline.textContent ?? '' };
  const meta = document.querySelector('meta[name="opplace-layout-worker"]');
  const url = meta?.getAttribute('content');
  if (!url) throw new Error('the page names no layout worker (meta opplace-layout-worker)');
  return { url };
}

/** Starts the layout worker (compiling ELK on its own thread) as early as possible. */
export function startLayoutClient(): Promise<LayoutClient> {
  const forcePage = new URLSearchParams(location.search).has('noWorker');
  return createLayoutClient(workerSourceFromPage(), pageNonce(), forcePage, window.opplaceEarlyWorker);
}

export async function boot(init: InitMessage, host: PlacementHost, clientPromise: Promise<LayoutClient> = startLayoutClient()): Promise<ViewerHandle> {
  const client = await clientPromise;
  const viewer = startViewer(init, host, client);
  window.opplaceViewer = viewer;
  await viewer.ready;
  // readyAt: ELK layout drawn (firstPaintAt, set earlier, is the quick provisional layout).
  document.body.dataset.readyAt = String(Math.round(performance.now()));
  document.body.dataset.ready = 'true';
  return viewer;
}

export function showFatal(message: string): void {
  const status = document.getElementById('status');
  if (status) {
    status.className = 'error';
    status.textContent = message;
  }
}
