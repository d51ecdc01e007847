// A fresh clone stands alone: no file points outside the repository (the old ../shared folder),
// and every docs/ page that code, tests or the READMEs name exists.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { REPO } from '../helpers/paths';

/** Text files under version control (git ls-files), this test itself excluded. */
function trackedTextFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' });
  const self = path.relative(REPO, __filename);
  return out
    .split('\0')
    .filter((f) => f && f !== self && /\.(ts|mjs|js|md|json|sh|py|yml|yaml)$|(^|\/)run$/.test(f) && !f.startsWith('data/') && !f.startsWith('examples/'));
}

describe('the repository stands alone', () => {
  const files = trackedTextFiles();

  it('no file points at ../shared (notes and data live in docs/ and data/)', () => {
    assert.ok(files.length > 100, `git ls-files found ${files.length} files`);
    const bad: string[] = [];
    for (const f of files) {
      const text = readFileSync(path.join(REPO, f), 'utf8');
      text.split('\n').forEach((line, i) => {
        if (/\.\.\/shared\b|shared\/(notes|data)\b/.test(line)) bad.push(`${f}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(bad, []);
  });

  it('every docs/*.md page named anywhere exists', () => {
    const missing = new Set<string>();
    for (const f of files) {
      for (const m of readFileSync(path.join(REPO, f), 'utf8').matchAll(/\bdocs\/([\w.-]+\.md)\b/g)) {
        if (!existsSync(path.join(REPO, 'docs', m[1]))) missing.add(`${m[0]} (named in ${f})`);
      }
    }
    assert.deepEqual([...missing], []);
  });
});
