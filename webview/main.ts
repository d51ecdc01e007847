// VS Code webview entry (media/webview.js): the extension host places; we draw.
import { boot, showFatal } from './boot';
import { connectVsCodeHost } from './placementHost';

const { host, init } = connectVsCodeHost();
window.addEventListener('error', (ev) => host.log('error', `webview: ${ev.message}`));
window.addEventListener('unhandledrejection', (ev) => host.log('error', `webview: ${String(ev.reason)}`));
init
  .then((m) => boot(m, host))
  .catch((e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    showFatal(message);
    host.log('error', message);
  });
