// Which .json files are models: "Place on Devices…" shows on a .json only when its first bytes look
// like a graph opplace loads (looksLikeGraphJson), not on package.json, settings or any other JSON.
// The menus' `when` clauses read the context key GRAPH_JSON_CONTEXT, the list of such files' paths,
// kept up to date from a workspace scan at start-up, a file watcher and every opened editor.
import { open } from 'node:fs/promises';
import * as vscode from 'vscode';
import { looksLikeGraphJson, SNIFF_BYTES } from '../algorithms/loaders/index';

export const GRAPH_JSON_CONTEXT = 'opplace.graphJsonFiles';
/** Files the start-up scan sniffs at most (a huge monorepo must not stall the extension host). */
const MAX_SCANNED = 5000;

/** The first bytes of a file (only those: a dnn-partitioning graph can be tens of MB). */
async function headOf(uri: vscode.Uri): Promise<Uint8Array> {
  if (uri.scheme !== 'file') return (await vscode.workspace.fs.readFile(uri)).subarray(0, SNIFF_BYTES);
  const handle = await open(uri.fsPath, 'r');
  try {
    const buf = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function trackGraphJsonFiles(context: vscode.ExtensionContext, log: (message: string) => void): void {
  const known = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const publish = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void vscode.commands.executeCommand('setContext', GRAPH_JSON_CONTEXT, [...known]);
    }, 50);
  };
  const sniff = async (uri: vscode.Uri): Promise<void> => {
    if (!uri.path.toLowerCase().endsWith('.json')) return;
    let graph = false;
    try {
      graph = looksLikeGraphJson(await headOf(uri));
    } catch {
      graph = false; // unreadable: no menu entry
    }
    const had = known.has(uri.fsPath);
    if (graph && !had) known.add(uri.fsPath);
    else if (!graph && had) known.delete(uri.fsPath);
    else return;
    publish();
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.json');
  context.subscriptions.push(
    watcher,
    watcher.onDidCreate(sniff),
    watcher.onDidChange(sniff),
    watcher.onDidDelete((uri) => {
      if (known.delete(uri.fsPath)) publish();
    }),
    vscode.window.onDidChangeActiveTextEditor((e) => e && void sniff(e.document.uri)),
    vscode.workspace.onDidOpenTextDocument((d) => void sniff(d.uri)),
    { dispose: () => timer && clearTimeout(timer) },
  );
  for (const d of vscode.workspace.textDocuments) void sniff(d.uri);
  void (async () => {
    const t0 = Date.now();
    const files = await vscode.workspace.findFiles('**/*.json', '**/node_modules/**', MAX_SCANNED);
    for (const f of files) await sniff(f);
    log(`recognised ${known.size} graph .json file(s) among ${files.length} in ${Date.now() - t0} ms`);
  })();
}
