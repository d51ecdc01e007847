// Bundles the CLI, the extension host code, its worker and the webview with esbuild.
// Type-checking is `npm run typecheck` (tsc --noEmit); esbuild only strips types.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';

const node = { platform: 'node', target: 'node20', format: 'cjs', bundle: true, sourcemap: true, logLevel: 'warning' };
const browser = { platform: 'browser', target: 'es2022', format: 'iife', bundle: true, sourcemap: false, logLevel: 'warning' };

const entries = [
  { ...node, entryPoints: ['cli/main.ts'], outfile: 'dist/cli.js' },
  { ...node, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...node, entryPoints: ['extension/placeWorker.ts'], outfile: 'dist/placeWorker.js' },
  { ...browser, entryPoints: ['webview/main.ts'], outfile: 'media/webview.js' },
  { ...browser, entryPoints: ['webview/layoutWorker.ts'], outfile: 'media/layout-worker.js', minify: true },
  // Standalone HTML report: the viewer plus the engine (re-places in the page); highs.js has a
  // Node-only `require("node:fs")` branch that never runs in a browser.
  { ...browser, entryPoints: ['webview/reportMain.ts'], outfile: 'media/report.js', external: ['node:fs', 'node:crypto'] },
];

mkdirSync('dist', { recursive: true });
mkdirSync('media', { recursive: true });
// m-SCT's LP solver: the bundled `highs` loader reads highs.wasm next to the bundle (dist/cli.js,
// dist/placeWorker.js), so the wasm ships in dist/ (and in the .vsix).
copyFileSync('node_modules/highs/build/highs.wasm', 'dist/highs.wasm');
const started = Date.now();
const results = await Promise.all(entries.filter((e) => existsSync(e.entryPoints[0])).map((e) => build({ ...e, metafile: true })));
// Which npm packages the bundles hold (THIRD-PARTY-NOTICES.md must name each; test/extension/packaging.test.ts).
const bundled = new Set();
for (const r of results) {
  for (const input of Object.keys(r.metafile.inputs)) {
    const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) bundled.add(m[1]);
  }
}
writeFileSync('dist/bundled-packages.json', JSON.stringify([...bundled].sort(), null, 1) + '\n');
console.log(
  `built ${entries
    .filter((e) => existsSync(e.entryPoints[0]))
    .map((e) => e.outfile)
    .join(', ')} in ${Date.now() - started} ms`,
);
