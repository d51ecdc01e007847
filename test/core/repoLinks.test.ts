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

  it("the README's commands read only files that exist or an earlier command wrote, and what they write is git-ignored", () => {
    const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((m) => m[1].split('\n'))
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter(Boolean);
    assert.ok(
      commands.some((c) => c.includes(' export ')),
      'the README has export commands',
    );
    const written = new Set<string>();
    const problems: string[] = [];
    for (const c of commands) {
      const words = c.split(/\s+/);
      const sub = words.findIndex((w) => /opplace(\.js)?$|opplace_(apply|profile)\.py$/.test(w));
      if (sub < 0) continue;
      // The input files: arguments ending in a model or plan extension that are not an option's value.
      for (let i = sub + 1; i < words.length; i++) {
        const w = words[i];
        const prev = words[i - 1];
        if (/^--(out|report)$/.test(prev)) {
          written.add(w);
          continue;
        }
        if (/\.(json|onnx|stg|csv)$/.test(w) && !w.startsWith('-') && !written.has(w) && !existsSync(path.join(REPO, w)))
          problems.push(`${c}: reads ${w}, which nothing before it writes`);
      }
    }
    written.add('resnet50.placed.onnx'); // export --to onnx's default output
    assert.deepEqual(problems, []);
    const ignored = execFileSync('git', ['check-ignore', '--no-index', ...written], { cwd: REPO, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    assert.deepEqual(
      [...written].filter((f) => !ignored.includes(f)),
      [],
      'outputs of the README commands not in .gitignore',
    );
  });
});
