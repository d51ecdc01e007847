// Builds just the viewer bundles (same esbuild options as scripts/build.mjs) so the browser tests
// and the viewer benchmark do not depend on the rest of the tree building.
import { build, type BuildOptions } from 'esbuild';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');

const browser: BuildOptions = {
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  bundle: true,
  sourcemap: false,
  logLevel: 'warning',
  absWorkingDir: REPO_ROOT,
};

export async function buildViewerBundles(): Promise<void> {
  await Promise.all([
    build({ ...browser, entryPoints: ['webview/main.ts'], outfile: 'media/webview.js' }),
    build({ ...browser, entryPoints: ['webview/layoutWorker.ts'], outfile: 'media/layout-worker.js', minify: true }),
    build({ ...browser, entryPoints: ['webview/reportMain.ts'], outfile: 'media/report.js', external: ['node:fs', 'node:crypto'] }),
  ]);
}

if (require.main === module) {
  const t = Date.now();
  void buildViewerBundles().then(() => console.log(`viewer bundles built in ${Date.now() - t} ms`));
}
