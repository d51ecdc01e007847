// If / Loop / Scan bodies (issue 11 §3): their weights and FLOPs count on the op, which stays one node.
// Tiny models built here: each body is a MatMul chain whose FLOPs are checked against the same ops
// parsed as a plain graph (and by hand), so a miscounted body or trip count shows.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { parseOnnx } from '../../algorithms/loaders/onnx';
import { prepareGraphFromFile } from '../../algorithms/prepare';
import { REPO } from '../helpers/paths';
import { OnnxGraph } from '../../algorithms/onnx/proto';
import { MAX_BODY_OPS } from '../../algorithms/onnx/subgraphs';
import { floatTensor, intTensor, modelBytes, node, valueInfo } from './build';

const parse = (spec: Parameters<typeof modelBytes>[0], options = {}) => parseOnnx(modelBytes(spec), 'm.onnx', options);
const byId = (g: ReturnType<typeof parse>, id: string) => {
  const n = g.nodes.find((x) => x.id === id);
  assert.ok(n, `no node ${id} in ${g.nodes.map((x) => x.id).join(', ')}`);
  return n;
};
const BOOL = 9;

// A [1,4] × [4,8] MatMul is 2·1·8·4 = 64 FLOPs; [1,8] × [8,8] is 128.
const thenBranch: OnnxGraph = {
  name: 'then',
  initializer: [floatTensor('wt', [4, 8])],
  node: [node('MatMul', ['x', 'wt'], ['t'])],
  output: [valueInfo('t', null)],
};
const elseBranch: OnnxGraph = {
  name: 'else',
  node: [
    node('Constant', [], ['we'], { value: floatTensor('we', [4, 8], new Array(32).fill(0.5)) }),
    node('Constant', [], ['we2'], { value: floatTensor('we2', [8, 8], new Array(64).fill(0.25)) }),
    node('MatMul', ['x', 'we'], ['e1']),
    node('MatMul', ['e1', 'we2'], ['e'], {}),
  ],
  output: [valueInfo('e', null)],
};

// Loop body: (iter, cond, h) → (cond, h · W) with W an outer initializer [4,4]: 32 FLOPs an iteration,
// and a scan output (h itself) stacked over the iterations.
const loopBody: OnnxGraph = {
  name: 'body',
  input: [valueInfo('iter', [], 7), valueInfo('c_in', [], BOOL), valueInfo('h', null)],
  node: [node('Identity', ['c_in'], ['c_out']), node('MatMul', ['h', 'W'], ['h2']), node('Identity', ['h2'], ['s'])],
  output: [valueInfo('c_out', [], BOOL), valueInfo('h2', null), valueInfo('s', null)],
};

describe('ONNX If/Loop/Scan bodies', () => {
  it('If: the larger branch FLOPs, both branches weights (initializers and Constant nodes); the output shape both agree on', () => {
    const g = parse({
      inputs: [valueInfo('x', [1, 4]), valueInfo('cond', [], BOOL)],
      nodes: [node('If', ['cond'], ['y'], { then_branch: thenBranch, else_branch: elseBranch }, 'branch')],
    });
    const plain = parse({
      inputs: [valueInfo('x', [1, 4])],
      initializers: [floatTensor('we', [4, 8]), floatTensor('we2', [8, 8])],
      nodes: [node('MatMul', ['x', 'we'], ['e1'], {}, 'm1'), node('MatMul', ['e1', 'we2'], ['e'], {}, 'm2')],
    });
    const branch = byId(g, 'branch');
    assert.equal(g.nodes.length, 1); // one node: the bodies are not expanded
    const elseFlops = plain.nodes.reduce((s, n) => s + (n.flops ?? 0), 0);
    assert.equal(elseFlops, 64 + 128);
    assert.equal(branch.flops, elseFlops); // else (192) beats then (64)
    assert.equal(branch.parameterCount, 32 + 32 + 64);
    assert.equal(g.stats!.parameterCount, 128);
    assert.equal(branch.persistentBytes, 128 * 4);
    assert.deepEqual(branch.outputs[0].shape, [1, 8]);
    assert.equal(branch.outputs[0].bytes, 32);
    assert.equal(g.warnings.filter((w) => /opaque|unknown/.test(w)).length, 0, g.warnings.join('\n'));
  });

  it('Loop with a constant trip count: one iteration × the count; scan outputs stacked; outer weights stay edges/owners', () => {
    const spec = (trip: string, extraInputs: ReturnType<typeof valueInfo>[] = []) => ({
      inputs: [valueInfo('h0', [1, 4]), ...extraInputs],
      initializers: [floatTensor('W', [4, 4]), intTensor('three', [3], []), { name: 'yes', dims: [], data_type: BOOL, int32_data: [1] }],
      nodes: [node('Loop', [trip, 'yes', 'h0'], ['hN', 'hs'], { body: loopBody }, 'loop'), node('Relu', ['hN'], ['out'], {}, 'relu')],
    });
    const g = parse(spec('three'));
    const loop = byId(g, 'loop');
    assert.equal(loop.flops, 3 * 32);
    assert.deepEqual(loop.outputs[0].shape, [1, 4]);
    assert.deepEqual(loop.outputs[1].shape, [3, 1, 4]);
    assert.deepEqual(byId(g, 'relu').outputs[0].shape, [1, 4]); // shapes flow on past the Loop
    assert.equal(loop.parameterCount, 16); // W, read by the body from the outer graph, owned by the Loop
    assert.equal(g.stats!.parameterCount, 16);
    assert.ok(!g.warnings.some((w) => /iteration count/.test(w)), g.warnings.join('\n'));

    // The trip count from a graph input: unknown, so one iteration and a warning naming the node.
    const u = parse(spec('M', [valueInfo('M', [], 7)]));
    const uloop = byId(u, 'loop');
    assert.equal(uloop.flops, 32);
    assert.deepEqual(uloop.outputs[1].shape, [null, 1, 4]);
    const w = u.warnings.filter((x) => /iteration count/.test(x));
    assert.deepEqual(w, ['the iteration count of Loop/Scan "loop" is not a constant: the FLOPs and bytes of its body are counted for one iteration']);
  });

  it('Loop inside an If branch multiplies; Scan counts per its sequence length', () => {
    const inner: OnnxGraph = {
      name: 'then',
      initializer: [intTensor('five', [5], []), { name: 'yes', dims: [], data_type: BOOL, int32_data: [1] }],
      node: [node('Loop', ['five', 'yes', 'h0'], ['hN'], { body: { ...loopBody, output: loopBody.output!.slice(0, 2) } }, 'inner_loop')],
      output: [valueInfo('hN', null)],
    };
    const g = parse({
      inputs: [valueInfo('h0', [1, 4]), valueInfo('cond', [], BOOL)],
      initializers: [floatTensor('W', [4, 4])],
      nodes: [
        node(
          'If',
          ['cond'],
          ['y'],
          { then_branch: inner, else_branch: { name: 'else', node: [node('Identity', ['h0'], ['z'])], output: [valueInfo('z', null)] } },
          'branch',
        ),
      ],
    });
    assert.equal(byId(g, 'branch').flops, 5 * 32);
    assert.deepEqual(byId(g, 'branch').outputs[0].shape, [1, 4]);

    // Scan over a [6, 4] sequence (axis 0): state s [1,4] += x_t [4] · W … here MatMul of the slice.
    const scanBody: OnnxGraph = {
      name: 'scan',
      input: [valueInfo('s', null), valueInfo('xt', null)],
      node: [node('MatMul', ['xt', 'W'], ['yt']), node('Add', ['s', 'yt'], ['s2'])],
      output: [valueInfo('s2', null), valueInfo('yt', null)],
    };
    const sg = parse({
      inputs: [valueInfo('s0', [1, 4]), valueInfo('seq', [6, 4])],
      initializers: [floatTensor('W', [4, 4])],
      nodes: [node('Scan', ['s0', 'seq'], ['sN', 'ys'], { body: scanBody, num_scan_inputs: 1 }, 'scan')],
    });
    const scan = byId(sg, 'scan');
    const perStep = 2 * 4 * 4 + 4; // MatMul [4]×[4,4] and an Add of 4 (broadcast to [1,4])
    assert.equal(scan.flops, 6 * perStep);
    assert.deepEqual(scan.outputs[0].shape, [1, 4]);
    assert.deepEqual(scan.outputs[1].shape, [6, 4]);
  });

  it('each body op is summarised on the control-flow op (name, type, FLOPs per run, inputs); If names its counted branch, Loop its trips', () => {
    const g = parse({
      inputs: [valueInfo('x', [1, 4]), valueInfo('cond', [], BOOL)],
      nodes: [node('If', ['cond'], ['y'], { then_branch: thenBranch, else_branch: elseBranch }, 'branch')],
    });
    const body = byId(g, 'branch').body!;
    assert.equal(body.opType, 'If');
    assert.deepEqual(
      body.branches.map((b) => [b.name, b.flops, b.ops.map((o) => [o.name, o.opType, o.flops, o.inputs])]),
      [
        ['then_branch', 64, [['MatMul_0', 'MatMul', 64, []]]],
        // The Constant weights are not ops of the summary; the second MatMul reads the first.
        [
          'else_branch',
          192,
          [
            ['MatMul_2', 'MatMul', 64, []],
            ['MatMul_3', 'MatMul', 128, [0]],
          ],
        ],
      ],
    );
    assert.equal(body.countedBranch, 1, 'else (192 FLOPs) is the branch the op counts');
    assert.equal(byId(g, 'branch').flops, body.branches[body.countedBranch].flops);

    const loop = (trip: string, extra: ReturnType<typeof valueInfo>[] = []) =>
      byId(
        parse({
          inputs: [valueInfo('h0', [1, 4]), ...extra],
          initializers: [floatTensor('W', [4, 4]), intTensor('three', [3], []), { name: 'yes', dims: [], data_type: BOOL, int32_data: [1] }],
          nodes: [node('Loop', [trip, 'yes', 'h0'], ['hN', 'hs'], { body: loopBody }, 'loop')],
        }),
        'loop',
      );
    const known = loop('three');
    assert.deepEqual(
      known.body!.branches[0].ops.map((o) => [o.opType, o.flops, o.inputs]),
      [
        ['Identity', 0, []],
        ['MatMul', 32, []],
        ['Identity', 0, [1]],
      ],
    );
    assert.equal(known.body!.trips, 3);
    assert.equal(known.flops, known.body!.trips * known.body!.branches[0].flops);
    assert.equal(loop('M', [valueInfo('M', [], 7)]).body!.trips, null, 'a trip count from a graph input is unknown');
    // A plain op has no body.
    assert.equal(parse({ inputs: [valueInfo('x', [1, 4])], nodes: [node('Relu', ['x'], ['r'], {}, 'relu')] }).nodes[0].body, undefined);
  });

  it('a body summary lists at most MAX_BODY_OPS ops and counts the rest', () => {
    const n = MAX_BODY_OPS + 5;
    const chain = Array.from({ length: n }, (_, k) => node('Relu', [k ? `r${k - 1}` : 'x'], [`r${k}`], {}, `relu${k}`));
    const g = parse({
      inputs: [valueInfo('x', [1, 4]), valueInfo('cond', [], BOOL)],
      nodes: [
        node('If', ['cond'], ['y'], { then_branch: { name: 't', node: chain, output: [valueInfo(`r${n - 1}`, null)] }, else_branch: elseBranch }, 'branch'),
      ],
    });
    const then = byId(g, 'branch').body!.branches[0];
    assert.equal(then.ops.length, MAX_BODY_OPS);
    assert.equal(then.omittedOps, 5);
    assert.equal(then.flops, n * 4, 'the branch FLOPs still count every op');
    assert.deepEqual(then.ops[1].inputs, [0]);
  });

  it('a real torch.jit.script export (GatedNet): each branch summary adds up to its FLOPs; the op counts the larger branch, the Loop its trips', () => {
    const g = prepareGraphFromFile(path.join(REPO, 'test', 'fixtures', 'onnx-bench', 'gated_if_loop.onnx'));
    const withBody = g.nodes.filter((n) => n.body);
    assert.deepEqual(
      withBody.map((n) => n.opType),
      ['If', 'Loop'],
    );
    for (const n of withBody)
      for (const b of n.body!.branches)
        assert.equal(
          b.ops.reduce((sum, o) => sum + o.flops, 0),
          b.flops,
          `${n.id} ${b.name}`,
        );
    const [gate, loop] = withBody;
    assert.deepEqual(
      gate.body!.branches.map((b) => [b.name, b.ops.length]),
      [
        ['then_branch', 8],
        ['else_branch', 1],
      ],
    );
    assert.equal(gate.flops, gate.body!.branches[gate.body!.countedBranch!].flops);
    assert.equal(loop.flops, loop.body!.trips! * loop.body!.branches[0].flops);
  });
});
