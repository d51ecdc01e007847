// Bundles the CLI, the extension host code, its worker and the webview with esbuild.
// Type-checking is `npm run typecheck` (tsc --noEmit); esbuild only strips types.
import { build } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';

const node = { platform: 'node', target: 'node20', format: 'cjs', bundle: true, sourcemap: true, logLevel: 'warning' };
const browser = { platform: 'browser', target: 'es2022', format: 'iife', bundle: true, sourcemap: false, logLevel: 'warning' };

const entries = [
  { ...node, entryPoints: ['cli/main.ts'], outfile: 'dist/cli.js' },
  { ...node, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...node, entryPoints: ['extension/placeWorker.ts'], outfile: 'dist/placeWorker.js' },
  { ...browser, entryPoints: ['webview/main.ts'], outfile: 'media/webview.js' },
  { ...browser, entryPoints: ['webview/layoutWorker.ts'], outfile: 'media/layout-worker.js' },
];

mkdirSync('dist', { recursive: true });
mkdirSync('media', { recursive: true });
const started = Date.now();
await Promise.all(entries.filter((e) => existsSync(e.entryPoints[0])).map((e) => build(e)));
console.log(`built ${entries.filter((e) => existsSync(e.entryPoints[0])).map((e) => e.outfile).join(', ')} in ${Date.now() - started} ms`);
