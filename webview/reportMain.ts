// Standalone report entry (media/report.js): data inlined in the page, the engine runs here.
import { boot, showFatal, startLayoutClient } from './boot';
import { isHostToWebviewMessage, type InitMessage } from './protocol';
import { createInPageHost } from './reportHost';

function readInit(): InitMessage {
  const el = document.getElementById('opplace-init');
  if (!el) throw new Error('this report has no data (missing #opplace-init)');
  const msg: unknown = JSON.parse(el.textContent ?? '');
  if (!isHostToWebviewMessage(msg) || msg.type !== 'init') throw new Error('this report’s data is not a viewer init message');
  return msg;
}

try {
  // Worker first: it compiles ELK in parallel with parsing the (possibly large) inline data.
  performance.mark('opplace:start');
  const client = startLayoutClient();
  const init = readInit();
  performance.mark('opplace:data-parsed');
  const host = createInPageHost(init.graph, () => document.getElementById('opplace-highs-wasm')?.textContent ?? null);
  boot(init, host, client).catch((e: unknown) => showFatal(e instanceof Error ? e.message : String(e)));
} catch (e) {
  showFatal(e instanceof Error ? e.message : String(e));
}
