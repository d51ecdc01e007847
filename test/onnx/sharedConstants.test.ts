// Issue 11 §2 on a torch export (tools/make_onnx_fixtures.py TinyGPT: 4 layers, one causal mask
// read by every layer, fresh LayerNorms that torch dedups into one shared scale and one shared
// bias): shared small or non-float constants are replicated, not a reason to colocate.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { OpGraph } from '../../algorithms/graph';
import { placeGraph } from '../../algorithms/placement';
import { prepareGraphFromFile } from '../../algorithms/prepare';
import { replicationNote } from '../../algorithms/loaders/onnx';
import { REPO } from '../helpers/paths';

const FILE = path.join(REPO, 'test', 'fixtures', 'onnx', 'tiny_gpt.onnx');

/** The old grouping: every reader of the shared scale, bias and mask in one group (what the loader did). */
function glue(g: OpGraph): OpGraph {
  const reader = (id: string) => /^\/ln[^/]*\/(Mul|Add_1)$|^\/Where/.test(id);
  return { ...g, nodes: g.nodes.map((n) => (reader(n.id) ? { ...n, colocationGroup: 'glued' } : n)) };
}

describe('ONNX shared constants (tiny_gpt fixture)', () => {
  const g = prepareGraphFromFile(FILE);

  it('the mask, the LayerNorm scale and bias are replicated: no colocation group, every copy counted', () => {
    assert.deepEqual(
      g.nodes.filter((n) => n.colocationGroup !== undefined).map((n) => n.id),
      [],
    );
    // 2 × 64 fp32 read by 9 LayerNorms' Mul/Add each, one bool 16×16 mask read by 4 Where
    assert.deepEqual(g.meta?.replicatedConstants, { tensors: 3, bytes: 2 * 256 + 256, copiedBytes: 9 * 2 * 256 + 4 * 256, consumers: 22 });
    assert.match(replicationNote(g)!, /^replicated 3 shared constants \(768 B\) to each of their 22 consumers instead of colocating them/);
    const persistent = g.nodes.reduce((a, n) => a + n.persistentBytes, 0);
    // the int64 mask and shapes are not parameters; parameter bytes count each tensor once
    assert.ok(persistent >= g.stats!.parameterBytes! + (9 - 1) * 2 * 256, `${persistent} vs ${g.stats!.parameterBytes}`);
  });

  it('4 devices at 600 KiB: replicating beats gluing the layers into one group', async () => {
    const opts = { devices: 4, memoryLimits: Array(4).fill(600 * 1024), comm: 'baechi', grouping: 'colocation', fuse: false, algorithm: 'm-etf' } as const;
    const glued = glue(g);
    assert.equal(glued.nodes.filter((n) => n.colocationGroup).length, 22, 'the 22 readers');
    const before = await placeGraph(glued, opts);
    const after = await placeGraph(g, opts);
    assert.ok(after.makespanUs < 0.8 * before.makespanUs, `makespan ${after.makespanUs} µs vs ${before.makespanUs} µs glued`);
  });
});
