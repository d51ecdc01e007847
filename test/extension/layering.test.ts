// The rooms' import rules that the restructure (issue 15) set up, checked on the sources.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from '../helpers/paths';

const sources = (dir: string) =>
  fs
    .readdirSync(path.join(REPO, dir))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [`${dir}/${f}`, fs.readFileSync(path.join(REPO, dir, f), 'utf8')] as const);
const imports = (text: string) => [...text.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]);

describe('layering', () => {
  it('extension/ imports nothing from cli/ (the report builder is report/standalone.ts)', () => {
    for (const [file, text] of sources('extension'))
      assert.deepEqual(
        imports(text).filter((i) => i.startsWith('../cli/')),
        [],
        file,
      );
  });
  it('the loaders never import their dispatch (loaders/index.ts), and nothing in algorithms/ calls require()', () => {
    const formatLoaders = ['onnx', 'opgraph', 'stg', 'dnnPartitioning'].map((f) => `algorithms/loaders/${f}.ts`);
    for (const [file, text] of sources('algorithms/loaders')) {
      if (!formatLoaders.includes(file)) continue;
      assert.deepEqual(
        imports(text).filter((i) => i === './index' || i === '.'),
        [],
        file,
      );
    }
    for (const [file, text] of [...sources('algorithms/loaders'), ...sources('algorithms'), ...sources('cli')]) {
      const calls = text.split('\n').filter((l) => /\brequire\(/.test(l) && !/require\.(main|resolve)/.test(l) && !l.trim().startsWith('//'));
      assert.deepEqual(calls, [], file);
    }
  });
  it('the webview protocol and the options module import no loader or placer (the webview bundles them)', () => {
    for (const file of ['webview/protocol.ts', 'algorithms/options.ts']) {
      const bad = imports(fs.readFileSync(path.join(REPO, file), 'utf8')).filter(
        (i) => /loaders\/(index|onnx|opgraph|stg|dnnPartitioning)|placement\//.test(i) && !i.endsWith('/types'),
      );
      assert.deepEqual(bad, [], file);
    }
  });
});
