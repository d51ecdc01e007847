// A real torch.jit.script export (tools/make_bench_models.py GatedNet, torch 1.13, opset 13): If and
// Loop bodies are counted on their op (issue 11 §3), checked against hand counts.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { loadModel } from '../../algorithms/loaders/readFile';
import { REPO } from '../helpers/paths';

const FILE = path.join(REPO, 'test/fixtures/onnx-bench/gated_if_loop.onnx');

/** FLOPs of a conv with bias as the cost model counts them: 2 MACs per weight use, 1 per bias add. */
const conv = (cin: number, k: number, cout: number, hw: number) => 2 * cin * k * k * cout * hw + cout * hw;
const convParams = (cin: number, k: number, cout: number) => cin * k * k * cout + cout;

describe('ONNX: scripted If/Loop export (GatedNet, 1×3×128×128)', () => {
  const g = loadModel(FILE);
  const byOp = (op: string) => g.nodes.filter((n) => n.opType === op);
  const act = 64 * 64 * 64; // the 64-channel 64×64 feature map after the stride-2 stem

  it('the If counts its larger branch (4 × conv 3×3 + ReLU, not the 1×1 conv)', () => {
    const [ifNode] = byOp('If');
    assert.equal(ifNode.flops, 4 * (conv(64, 3, 64, 64 * 64) + act));
    // weights of both branches are held by the op
    assert.equal(ifNode.parameterCount, 4 * convParams(64, 3, 64) + convParams(64, 1, 64));
  });

  it('the Loop counts one iteration × its constant trip count (the batch, 1)', () => {
    const [loop] = byOp('Loop');
    assert.equal(loop.flops, conv(64, 3, 64, 64 * 64) + 2 * act); // conv + ReLU + the residual add
    assert.equal(loop.parameterCount, convParams(64, 3, 64));
  });

  it('the model total is the hand count', () => {
    const top = conv(3, 3, 64, 64 * 64) + act /* ReLU */ + act /* mean */ + 1 /* > 0 */ + act /* final mean */ + (2 * 64 * 10 + 10); /* Gemm */
    const total = g.nodes.reduce((s, n) => s + (n.flops ?? 0), 0);
    assert.equal(total, top + 4 * (conv(64, 3, 64, 64 * 64) + act) + conv(64, 3, 64, 64 * 64) + 2 * act);
    // the module's parameters, plus the float scalar 0 of `mean() > 0` (a Constant counts like any weight)
    const moduleParams = convParams(3, 3, 64) + 4 * convParams(64, 3, 64) + convParams(64, 1, 64) + convParams(64, 3, 64) + 64 * 10 + 10;
    assert.equal(g.stats?.parameterCount, moduleParams + 1);
    assert.deepEqual(g.warnings, []);
  });
});
