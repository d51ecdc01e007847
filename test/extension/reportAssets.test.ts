// The standalone report embeds highs.wasm (m-SCT re-placing in the page). An installed .vsix ships
// dist/ (the bundles and the highs.wasm scripts/build.mjs copies there) but no node_modules, so the
// report code must find the wasm next to its bundle. Checked two ways: the lookup itself, and the
// real bundled CLI run from a copy of the installed layout (dist/ + media/, no node_modules).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { OpplaceError } from '../../algorithms/errors';
import { findHighsWasm, highsWasmCandidates } from '../../report/standalone';
import { buildViewerBundles } from '../browser/bundles';
import { REPO, dataPath } from '../helpers/paths';

const notResolvable = (id: string): string => {
  throw new Error(`Cannot find module '${id}'`);
};

describe('report: finding highs.wasm', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opplace-report-assets-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('looks next to the bundle (dist/) when the highs package is not resolvable', () => {
    const dist = path.join(tmp, 'ext', 'dist');
    const candidates = highsWasmCandidates(dist, notResolvable);
    assert.equal(candidates[0], path.join(dist, 'highs.wasm'));
    assert.ok(candidates.includes(path.join(tmp, 'ext', 'dist', 'highs.wasm')));
    assert.ok(candidates.includes(path.join(tmp, 'ext', 'node_modules', 'highs', 'build', 'highs.wasm')));
    // From cli/ (tsx in a built checkout) the dist/ copy is a candidate too.
    assert.ok(highsWasmCandidates(path.join(tmp, 'ext', 'cli'), notResolvable).includes(path.join(dist, 'highs.wasm')));
    fs.mkdirSync(dist, { recursive: true });
    fs.writeFileSync(path.join(dist, 'highs.wasm'), 'wasm');
    assert.equal(findHighsWasm(candidates), path.join(dist, 'highs.wasm'));
  });

  it('prefers the highs package when it resolves, and names every place looked at when nothing exists', () => {
    const fromPackage = highsWasmCandidates(path.join(tmp, 'x'), () => '/pkg/highs.wasm');
    assert.equal(fromPackage[0], '/pkg/highs.wasm');
    const none = highsWasmCandidates(path.join(tmp, 'nowhere', 'dist'), notResolvable);
    assert.throws(
      () => findHighsWasm(none),
      (e: unknown) => e instanceof OpplaceError && none.every((c) => e.message.includes(c)) && /highs\.wasm/.test(e.message),
    );
  });

  it("the bundled CLI writes a report with m-SCT's wasm from an installed layout without node_modules", async () => {
    const root = path.join(tmp, 'installed');
    fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
    fs.mkdirSync(path.join(root, 'media'), { recursive: true });
    await buildViewerBundles();
    await build({
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      bundle: true,
      logLevel: 'warning',
      absWorkingDir: REPO,
      entryPoints: ['cli/main.ts'],
      outfile: path.join(root, 'dist', 'cli.js'),
    });
    fs.copyFileSync(path.join(REPO, 'node_modules', 'highs', 'build', 'highs.wasm'), path.join(root, 'dist', 'highs.wasm'));
    for (const f of ['report.js', 'layout-worker.js']) fs.copyFileSync(path.join(REPO, 'media', f), path.join(root, 'media', f));
    const out = path.join(root, 'report.html');
    // cwd inside the copy: nothing above it (os.tmpdir()) holds node_modules/highs.
    const r = spawnSync(
      process.execPath,
      [path.join(root, 'dist', 'cli.js'), 'place', dataPath('onnx-light', 'light_squeezenet.onnx'), '--devices', '2', '--report', out],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const html = fs.readFileSync(out, 'utf8');
    const wasm = /<script type="text\/plain" id="opplace-highs-wasm">([A-Za-z0-9+/=\s]+)<\/script>/.exec(html);
    assert.ok(wasm, 'the report embeds highs.wasm');
    const bytes = Buffer.from(wasm[1], 'base64');
    assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'a wasm module (\\0asm)');
    assert.equal(bytes.length, fs.statSync(path.join(REPO, 'node_modules', 'highs', 'build', 'highs.wasm')).size);
  });
});
