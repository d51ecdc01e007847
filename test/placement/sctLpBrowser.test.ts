// The favourite-child LP bundled for the browser (as the viewer runs the engine in-page) with the
// wasm supplied as bytes: same answers as in Node.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { favouriteChildren } from '../../algorithms/placement/sctLp';
import { generateDnnDag } from '../helpers/generateDag';

const REPO = path.resolve(__dirname, '..', '..');

const ENTRY = `
import { favouriteChildren, setHighsLoaderOptions } from './algorithms/placement/sctLp';
globalThis.solveInPage = async (wasmBase64, inp, method) => {
  setHighsLoaderOptions({ wasmBinary: Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0)) });
  const r = await favouriteChildren({ n: inp.n, p: Float64Array.from(inp.p), edges: inp.edges }, 0.5, { method });
  return { favChild: Array.from(r.favChild), lpObjective: r.lpObjective, method: r.method };
};
`;

describe('m-SCT LP in a browser bundle', function () {
  this.timeout(120_000);

  it('bundles with esbuild for the browser and gives the Node results in Chromium', async () => {
    const bundle = await build({
      stdin: { contents: ENTRY, resolveDir: REPO, loader: 'ts' },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
      // only reached in highs.js' Node branch
      external: ['node:fs', 'node:crypto'],
    });
    const code = bundle.outputFiles[0].text;
    const g = generateDnnDag({ nodes: 120, seed: 4, training: true });
    const index = new Map(g.nodes.map((node, i) => [node.id, i] as const));
    const inp = {
      n: g.nodes.length,
      p: g.nodes.map((node) => node.computeUs),
      edges: g.edges.map((e) => ({ from: index.get(e.from)!, to: index.get(e.to)!, c: 134 + 0.0001754 * e.bytes })),
    };
    const wasm = readFileSync(require.resolve('highs/runtime')).toString('base64');
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.setContent('<!doctype html><html><body></body></html>');
      await page.addScriptTag({ content: code });
      for (const method of ['fast', 'exact'] as const) {
        const inPage = await page.evaluate(
          ([w, i, m]) =>
            (
              globalThis as unknown as {
                solveInPage: (a: string, b: unknown, c: string) => Promise<{ favChild: number[]; lpObjective: number; method: string }>;
              }
            ).solveInPage(w, i, m),
          [wasm, inp, method] as const,
        );
        const inNode = await favouriteChildren({ ...inp, p: Float64Array.from(inp.p) }, 0.5, { method });
        assert.equal(inPage.method, inNode.method);
        assert.ok(Math.abs(inPage.lpObjective - inNode.lpObjective) <= 1e-9 * inNode.lpObjective, `${inPage.lpObjective} vs ${inNode.lpObjective}`);
        assert.deepEqual(inPage.favChild, [...inNode.favChild]);
      }
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
