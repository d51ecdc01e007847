// Issue 11 §7: a large single-file model is held once in memory. Inspecting a 1.58 GB file took
// 3.13 GB of RSS (the read Buffer was copied into a new Uint8Array); the bound is 1.2× the file.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MAX_MODEL_FILE_BYTES, readModelBytes } from '../../algorithms/loaders/readFile';
import { decodeOnnxModel } from '../../algorithms/onnx/proto';
import { REPO } from '../helpers/paths';
import { LargeOnnx, writeLargeOnnx } from '../helpers/largeOnnx';

/**
 * Loads `file` in a fresh Node process and returns the growth of its peak RSS over the RSS just
 * before reading (modules already imported), in bytes. A fresh process so that this test's own
 * heap and earlier tests' garbage do not count.
 */
function loadRssGrowth(file: string): number {
  const script = `
    const { loadModel } = require(${JSON.stringify(path.join(REPO, 'algorithms/loaders/readFile.ts'))});
    const before = process.memoryUsage().rss;
    const graph = loadModel(${JSON.stringify(file)});
    const peak = process.resourceUsage().maxRSS * 1024;
    console.log(JSON.stringify({ before, peak, nodes: graph.nodes.length }));`;
  const run = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: REPO, encoding: 'utf8', timeout: 120000 });
  assert.equal(run.status, 0, run.stderr);
  const { before, peak, nodes } = JSON.parse(run.stdout.trim().split('\n').pop()!) as { before: number; peak: number; nodes: number };
  assert.ok(nodes > 0);
  return peak - before;
}

describe('ONNX: a large single-file model is held once (issue 11 §7)', function () {
  this.timeout(180000);
  let dir: string;
  let model: LargeOnnx;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'opplace-large-'));
    // ~200 MB: large enough that a second copy (+200 MB) is far outside the slack of the bound
    model = writeLargeOnnx(path.join(dir, 'large.onnx'), 200 * 2 ** 20);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes weights as views into the bytes read, not copies', () => {
    const bytes = readModelBytes(model.file);
    assert.equal(bytes.byteLength, model.bytes);
    const inits = decodeOnnxModel(bytes, model.file).graph!.initializer!;
    assert.equal(inits.length, model.layers);
    for (const t of inits) {
      assert.equal(t.raw_data!.byteLength, model.d * model.d * 4);
      assert.equal(t.raw_data!.buffer, bytes.buffer, `${t.name}'s raw_data is a copy`);
    }
  });

  it('a file over 2 GiB gets one message naming it and external data as the way out', () => {
    const huge = path.join(dir, 'huge.onnx');
    const fd = openSync(huge, 'w');
    ftruncateSync(fd, MAX_MODEL_FILE_BYTES + 1); // sparse: no disk space used
    closeSync(fd);
    assert.throws(
      () => readModelBytes(huge),
      (e: Error) => e.message.includes(huge) && /is 2\.00 GiB, more than the 2 GiB/.test(e.message) && e.message.includes('external data'),
    );
  });

  it('loading it grows the peak RSS by at most 1.2× the file', () => {
    const growth = loadRssGrowth(model.file);
    const ratio = growth / model.bytes;
    assert.ok(ratio <= 1.2, `peak RSS grew by ${(growth / 2 ** 20).toFixed(0)} MiB = ${ratio.toFixed(2)}× the ${(model.bytes / 2 ** 20).toFixed(0)} MiB file`);
  });
});
