// Writes THIRD-PARTY-NOTICES.md: every npm package the bundles hold (dist/bundled-packages.json,
// written by `npm run build`), with its version, licence and licence text from node_modules.
// Run `npm run notices` after a dependency changes; test/extension/packaging.test.ts checks the file.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const packages = JSON.parse(readFileSync('dist/bundled-packages.json', 'utf8'));
const parts = [
  '# Third-party notices',
  '',
  'The opplace extension and CLI bundle the npm packages below (esbuild puts them into `dist/` and',
  '`media/`). `dist/highs.wasm` is HiGHS (https://highs.dev, MIT licence) compiled to WebAssembly by',
  'the `highs` package. elkjs is offered under EPL-2.0 or GPL-3.0-or-later; opplace uses it under',
  'EPL-2.0, unmodified, and its source is at https://github.com/kieler/elkjs.',
  '',
];
for (const name of packages) {
  const dir = path.join('node_modules', name);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const licenceFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.md|\.txt)?$/i.test(f));
  const repo = typeof pkg.repository === 'string' ? pkg.repository : (pkg.repository?.url ?? pkg.homepage ?? '');
  parts.push(`## ${name} ${pkg.version}`, '', `Licence: ${pkg.license}${repo ? ` — ${repo.replace(/^git\+/, '')}` : ''}`, '');
  if (licenceFile && existsSync(path.join(dir, licenceFile))) {
    parts.push('```', readFileSync(path.join(dir, licenceFile), 'utf8').trim(), '```', '');
  }
}
writeFileSync('THIRD-PARTY-NOTICES.md', parts.join('\n'));
console.log(`THIRD-PARTY-NOTICES.md: ${packages.length} packages`);
