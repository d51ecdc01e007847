// Benches that time engine code bundle themselves with esbuild and run in a fresh node, as the
// CLI and the extension run bundled code: under tsx every cross-module call and constant goes
// through an export getter, which made the split core look up to 2× slower than what ships.
import { buildSync } from 'esbuild';

/** Bundles `entry` into `outfile`; the bundle, when run, prints what its `bench()` resolves to. */
export function bundleBench(entry: string, outfile: string, define: Record<string, string>): void {
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    outfile,
    external: ['highs', 'esbuild'],
    define,
    footer: { js: 'module.exports.bench().then((t) => process.stdout.write(t), (e) => { console.error(e); process.exitCode = 1; });' },
    logLevel: 'warning',
  });
}
