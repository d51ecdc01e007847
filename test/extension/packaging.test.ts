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
    const r = spawnSync(path.join(REPO, 'node_modules', '.bin', 'vsce'), ['ls', '--no-dependencies', '--readme-path', 'EXTENSION-README.md'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    files = r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  });

  it('ships the manifest, the user README, licence, notices, changelog and icon, and every built bundle the extension loads', () => {
    for (const f of ['package.json', 'EXTENSION-README.md', 'LICENSE', 'THIRD-PARTY-NOTICES.md', 'CHANGELOG.md', 'media/icon.png', 'docs/screenshot.png'])
      assert.ok(files.includes(f), f);
    assert.ok(!files.includes('README.md'), 'the developer README is not the marketplace page');
    const expected = ['dist/extension.js', 'dist/placeWorker.js', 'dist/highs.wasm', 'media/webview.js', 'media/layout-worker.js'];
    for (const f of expected) {
      if (fs.existsSync(path.join(REPO, f))) assert.ok(files.includes(f), `${f} is built but would not be packaged`);
    }
  });

  it('ships no sources, tests, source maps, dev dependencies or data', () => {
    const forbidden = files.filter(
      (f) =>
        /^(node_modules|algorithms|cli|extension|webview|test|bench|tools|scripts|examples|schema|test-artifacts)\//.test(f) ||
        /\.(ts|map|onnx|vsix)$/.test(f) ||
        f.startsWith('.'),
    );
    assert.deepEqual(forbidden, []);
  });

  it('package.json points at the bundled entry and packages without dependencies', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    assert.equal(pkg.main, './dist/extension.js');
    assert.match(pkg.scripts.package, /vsce package --no-dependencies/);
    assert.match(pkg.scripts.package, /^npm run build && /);
  });

  it('the user README says what it does, shows it, and lists every command and setting (no developer instructions)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    assert.match(pkg.scripts.package, /--readme-path EXTENSION-README\.md/);
    const readme = fs.readFileSync(path.join(REPO, 'EXTENSION-README.md'), 'utf8');
    assert.doesNotMatch(readme, /npm (ci|run|test|install)|\.\.\/shared|mocha|\.ci\//, 'developer instructions');
    for (const m of readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) assert.ok(files.includes(m[1]), `image ${m[1]} ships in the .vsix`);
    assert.ok(/!\[/.test(readme), 'a screenshot');
    for (const c of pkg.contributes.commands) assert.ok(readme.includes(c.title), `command "${c.title}"`);
    const props = (Array.isArray(pkg.contributes.configuration) ? pkg.contributes.configuration[0] : pkg.contributes.configuration).properties;
    for (const key of Object.keys(props)) assert.ok(readme.includes(`\`${key}\``), `setting ${key}`);
  });

  it('package.json: MIT licence file, a PNG icon; the notices name every bundled package with its licence', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    assert.equal(pkg.license, 'MIT');
    assert.match(fs.readFileSync(path.join(REPO, 'LICENSE'), 'utf8'), /^MIT License/);
    const icon = fs.readFileSync(path.join(REPO, pkg.icon));
    assert.deepEqual([...icon.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${pkg.icon} is a PNG`);
    assert.ok(icon.readUInt32BE(16) >= 128 && icon.readUInt32BE(20) >= 128, 'at least 128×128');
    const bundled = JSON.parse(fs.readFileSync(path.join(REPO, 'dist', 'bundled-packages.json'), 'utf8')) as string[];
    assert.ok(bundled.includes('elkjs') && bundled.includes('highs') && bundled.includes('protobufjs'), bundled.join(', '));
    const notices = fs.readFileSync(path.join(REPO, 'THIRD-PARTY-NOTICES.md'), 'utf8');
    for (const name of bundled) {
      const dep = JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8'));
      assert.ok(
        notices.includes(`## ${name} ${dep.version}\n\nLicence: ${dep.license}`),
        `${name} ${dep.version} (${dep.license}) in THIRD-PARTY-NOTICES.md — run npm run notices`,
      );
    }
  });

  it('"Place on Devices…" is offered on a .json only when it is a recognised graph (context key, not a file-name list)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    const entries = Object.values(pkg.contributes.menus as Record<string, { command: string; when?: string }[]>)
      .flat()
      .filter((m) => m.command === 'opplace.placeOnDevices');
    assert.ok(entries.length >= 3);
    for (const e of entries) {
      for (const clause of (e.when ?? '').split('||').filter((c) => c.includes('resourceExtname == .json'))) {
        assert.ok(/resourcePath in opplace\.graphJsonFiles|\\\.opgraph\\\.json/.test(clause), `${e.when}: a .json clause without the graph check`);
      }
    }
    assert.ok(pkg.activationEvents.includes('onStartupFinished'), 'the key is set before the first right-click');
  });
});
