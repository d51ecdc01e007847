// The host's gate for messages from the webview (untrusted: a webview runs arbitrary content).
// Pure: validation is the protocol's; this adds the log line for what gets dropped.
import { WebviewToHostMessage, isWebviewToHostMessage } from '../webview/protocol';

/** The message when it is valid; otherwise undefined, after telling `warn` what was dropped. */
export function acceptMessage(raw: unknown, source: string, warn: (text: string) => void): WebviewToHostMessage | undefined {
  if (isWebviewToHostMessage(raw)) return raw;
  warn(`ignored an invalid message from the viewer of ${source}: ${preview(raw)}`);
  return undefined;
}

export function preview(x: unknown, max = 300): string {
  let s: string;
  try {
    s = JSON.stringify(x) ?? String(x);
  } catch {
    s = String(x);
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
