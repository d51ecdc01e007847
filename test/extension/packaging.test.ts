// What `npm run package` puts in the .vsix: `vsce ls` applies .vscodeignore exactly as `vsce
// package` does. Everything is bundled by esbuild, so no source, tests or node_modules may ship.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from '../helpers/paths';

describe('extension packaging (.vsix content)', function () {
  this.timeout(30_000);
  let files: string[];
  before(() => {
    const r = spawnSync(path.join(REPO, 'node_modules', '.bin', 'vsce'), ['ls', '--no-dependencies'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    files = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  });

  it('ships the manifest and README, and every built bundle the extension loads', () => {
    for (const f of ['package.json', 'README.md']) assert.ok(files.includes(f), f);
    const expected = ['dist/extension.js', 'dist/placeWorker.js', 'dist/highs.wasm', 'media/webview.js', 'media/layout-worker.js'];
    for (const f of expected) {
      if (fs.existsSync(path.join(REPO, f))) assert.ok(files.includes(f), `${f} is built but would not be packaged`);
    }
  });

  it('ships no sources, tests, source maps, dev dependencies or data', () => {
    const forbidden = files.filter((f) => /^(node_modules|algorithms|cli|extension|webview|test|bench|tools|scripts|examples|schema|test-artifacts)\//.test(f) || /\.(ts|map|onnx|vsix)$/.test(f) || f.startsWith('.'));
    assert.deepEqual(forbidden, []);
  });

  it('package.json points at the bundled entry and packages without dependencies', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    assert.equal(pkg.main, './dist/extension.js');
    assert.match(pkg.scripts.package, /vsce package --no-dependencies/);
    assert.match(pkg.scripts.package, /^npm run build && /);
  });
});
