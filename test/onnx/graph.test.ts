// How an ONNX graph becomes an OpGraph: ids, namespaces, folded weight producers, parameters,
// shared weights, subgraph ops, unknown ops, edges.
import { strict as assert } from 'node:assert';
import { parseOnnx, replicationNote, shareWeight } from '../../algorithms/loaders/onnx';
import { namespaceOf, modulePathOf } from '../../algorithms/onnx/naming';
import { OnnxGraph } from '../../algorithms/onnx/proto';
import { externalTensor, floatTensor, intTensor, modelBytes, node, valueInfo } from './build';

const parse = (spec: Parameters<typeof modelBytes>[0], options = {}) => parseOnnx(modelBytes(spec), 'm.onnx', options);
const byId = (g: ReturnType<typeof parse>, id: string) => {
  const n = g.nodes.find((x) => x.id === id);
  assert.ok(n, `no node ${id} in ${g.nodes.map((x) => x.id).join(', ')}`);
  return n;
};

describe('ONNX → OpGraph', () => {
  it('ids: node name, else OpType_index; clashes get deterministic suffixes', () => {
    const g = parse({
      inputs: [valueInfo('x', [1, 4])],
      nodes: [
        node('Relu', ['x'], ['a'], {}, 'act'),
        node('Relu', ['a'], ['b']),
        node('Relu', ['b'], ['c'], {}, 'act'),
        node('Sigmoid', ['c'], ['d'], {}, 'Relu_1'),
      ],
    });
    assert.deepEqual(
      g.nodes.map((n) => n.id),
      ['act', 'Relu_1_2', 'act_2', 'Relu_1'],
    );
    assert.deepEqual(
      g.edges.map((e) => [e.from, e.to, e.tensor, e.bytes]),
      [
        ['act', 'Relu_1_2', 'a', 16],
        ['Relu_1_2', 'act_2', 'b', 16],
        ['act_2', 'Relu_1', 'c', 16],
      ],
    );
  });

  it('namespaces from PyTorch, Caffe2 and dotted names; module path for PyTorch names', () => {
    assert.deepEqual(namespaceOf('/layer1/layer1.0/conv1/Conv'), ['layer1', '0', 'conv1']);
    assert.equal(modulePathOf('/layer1/layer1.0/conv1/Conv'), 'layer1.0.conv1');
    assert.deepEqual(namespaceOf('/encoder/layers.0/self_attn/MatMul'), ['encoder', 'layers', '0', 'self_attn']);
    assert.deepEqual(namespaceOf('gpu_0/res2_0_branch2a_1'), ['gpu_0']);
    assert.deepEqual(namespaceOf('features.3.conv'), ['features', '3']);
    assert.deepEqual(namespaceOf('Conv_12'), []);
    assert.equal(modulePathOf('Conv_12'), undefined);
  });

  it('folds Constant and ConstantOfShape(shape initializer) producers into the consumer; parameters count initializer, ConstantOfShape and Constant weights but not shapes', () => {
    const g = parse(
      {
        inputs: [valueInfo('x', ['batch', 8])],
        initializers: [intTensor('w__SHAPE', [16, 8]), floatTensor('unused', [1000]), intTensor('shape', [-1, 4])],
        nodes: [
          node('ConstantOfShape', ['w__SHAPE'], ['w'], { value: floatTensor('', [1], [0.5]) }),
          node('Constant', [], ['scale'], { value: floatTensor('', [16], new Array(16).fill(2)) }),
          node('MatMul', ['x', 'wt'], ['y'], {}, 'mm'),
          node('Transpose', ['w'], ['wt'], {}, 'tw'),
          node('Mul', ['y', 'scale'], ['z'], {}, 'mul'),
          node('Reshape', ['z', 'shape'], ['r'], {}, 'rs'),
        ],
      },
      { batch: 3 },
    );
    assert.deepEqual(
      g.nodes.map((n) => n.id),
      ['mm', 'tw', 'mul', 'rs'],
    ); // file order, producers folded
    assert.equal(g.stats!.parameterCount, 128 + 16); // w and the Constant: not the int64 shapes, not 'unused'
    assert.equal(byId(g, 'tw').parameterCount, 128);
    assert.equal(byId(g, 'tw').persistentBytes, 512);
    assert.equal(byId(g, 'mul').persistentBytes, 64); // the Constant's bytes
    assert.equal(byId(g, 'mul').parameterCount, 16);
    assert.equal(byId(g, 'rs').parameterCount, 0);
    assert.equal(byId(g, 'rs').persistentBytes, 16); // int64 shape vector
    assert.deepEqual(g.tensors!['r'], [12, 4]);
    assert.deepEqual(g.tensors!['w'], [16, 8]);
    // edges only between graph nodes; tw → mm although mm comes first in the file
    assert.deepEqual(
      g.edges.map((e) => `${e.from}>${e.to}:${e.tensor}`),
      ['tw>mm:wt', 'mm>mul:y', 'mul>rs:z'],
    );
    assert.equal(byId(g, 'mm').flops, 2 * 3 * 16 * 8);
  });

  it('ConstantOfShape fed by a computed shape too large to fold stays a node; the Shape folds into it', () => {
    const g = parse({
      inputs: [valueInfo('x', [64, 128])], // 8192 elements: more than MAX_FOLDED_ELEMENTS
      nodes: [node('Shape', ['x'], ['s'], {}, 'shape'), node('ConstantOfShape', ['s'], ['zeros'], {}, 'zeros'), node('Add', ['x', 'zeros'], ['y'], {}, 'add')],
    });
    assert.deepEqual(
      g.nodes.map((n) => n.id),
      ['zeros', 'add'],
    );
    assert.deepEqual(byId(g, 'zeros').outputs[0].shape, [64, 128]);
    assert.deepEqual(byId(g, 'zeros').foldedNodes, ['shape']);
    assert.equal(byId(g, 'zeros').persistentBytes, 16); // the folded shape vector, a replica
    assert.deepEqual(g.stats!.folded, { weights: 0, constants: 1, casts: 0 });
    assert.equal(g.stats!.parameterCount, 0);
  });

  it('ConstantOfShape of an unknown shape stays a node with its Shape; of a symbolic shape the Shape folds', () => {
    const nodes = [
      node('Shape', ['x'], ['s'], {}, 'shape'),
      node('ConstantOfShape', ['s'], ['zeros'], {}, 'zeros'),
      node('Add', ['x', 'zeros'], ['y'], {}, 'add'),
    ];
    // a dim with neither a value nor a name: the Shape's value is only known when the step runs
    const noName = valueInfo('x', [2, 'n']);
    noName.type!.tensor_type!.shape!.dim![1] = {};
    const unknownDim = parse({ inputs: [noName], nodes });
    assert.deepEqual(
      unknownDim.nodes.map((n) => n.id),
      ['shape', 'zeros', 'add'],
    );
    assert.deepEqual(unknownDim.tensors!['zeros'], [2, null], 'the known part of a partly known shape value is kept');
    // a free symbolic dim: Shape(x) is [2, n] whatever n is, so the Shape is plumbing
    const symbolic = parse({ inputs: [valueInfo('x', [2, 'n'])], nodes });
    assert.deepEqual(
      symbolic.nodes.map((n) => n.id),
      ['zeros', 'add'],
    );
    assert.deepEqual(symbolic.tensors!['zeros'], [2, 'n']);
    assert.deepEqual(symbolic.tensors!['y'], [2, 'n']);
    assert.deepEqual(byId(symbolic, 'zeros').foldedNodes, ['shape']);
  });

  it('a large float weight shared by several nodes forms one colocation group and counts once', () => {
    // 160×160 fp32 = 100 KiB each: above REPLICATE_MAX_BYTES, so sharing one keeps its readers together
    const spec = (link: boolean) => ({
      inputs: [valueInfo('a', [1, 160]), valueInfo('b', [1, 160])],
      initializers: [externalTensor('w', [160, 160]), externalTensor('v', [160, 160]), externalTensor('u', [160, 160])],
      nodes: [
        node('MatMul', ['a', 'w'], ['a1'], {}, 'first'),
        node('MatMul', ['b', 'w'], ['b1'], {}, 'second'),
        node('MatMul', ['b1', 'v'], ['b2'], {}, 'third'),
        node('MatMul', ['a1', 'v'], ['a2'], {}, 'fourth'),
        node('MatMul', ['a2', 'u'], ['a3'], {}, 'alone'),
        ...(link ? [node('Add', ['w', 'v'], ['wv'], {}, 'link')] : []),
      ],
    });
    const w = 160 * 160 * 4;
    const g = parse(spec(false));
    assert.equal(g.stats!.parameterCount, 3 * 160 * 160);
    assert.deepEqual(
      g.nodes.map((n) => n.persistentBytes),
      [w, 0, w, 0, w],
    );
    assert.deepEqual(
      g.nodes.map((n) => n.colocationGroup),
      ['weights:w', 'weights:w', 'weights:v', 'weights:v', undefined],
    );
    assert.equal(g.meta, undefined, 'nothing replicated');
    // a node reading both shared weights joins the two groups into one
    const linked = parse(spec(true));
    assert.equal(linked.stats!.parameterCount, 3 * 160 * 160);
    assert.deepEqual(
      linked.nodes.map((n) => n.colocationGroup),
      ['weights:w', 'weights:w', 'weights:w', 'weights:w', undefined, 'weights:w'],
    );
    assert.equal(byId(linked, 'link').persistentBytes, 0);
  });

  it('small or non-float shared constants are replicated to each consumer, not colocated; each copy counts', () => {
    // Two "layers" reading a shared LayerNorm-sized scale (768 fp32 = 3 KiB), a shared causal mask
    // (bool 1024×768 = 768 KiB: big but not floating) and a shared int64 shape; each also has its own
    // weight. Before, the three shared tensors glued both layers into one group.
    const layer = (k: number, x: string) => [
      node('Mul', [x, 'scale'], [`s${k}`], {}, `scale${k}`),
      node('Where', ['mask', `s${k}`, 'neg'], [`m${k}`], {}, `mask${k}`),
      node('Reshape', [`m${k}`, 'shape'], [`r${k}`], {}, `reshape${k}`),
      node('MatMul', [`r${k}`, `w${k}`], [`y${k}`], {}, `proj${k}`),
    ];
    const g = parse({
      inputs: [valueInfo('x', [1024, 768])],
      initializers: [
        externalTensor('scale', [768]),
        { name: 'mask', dims: [1024, 768], data_type: 9, data_location: 1, external_data: [{ key: 'location', value: 'missing.bin' }] },
        floatTensor('neg', [], [-1e9]),
        intTensor('shape', [1024, 768]),
        externalTensor('w0', [768, 768]),
        externalTensor('w1', [768, 768]),
      ],
      nodes: [...layer(0, 'x'), ...layer(1, 'y0')],
    });
    assert.deepEqual(
      g.nodes.map((n) => n.colocationGroup),
      g.nodes.map(() => undefined),
    );
    const scale = 768 * 4;
    const mask = 1024 * 768;
    assert.deepEqual(
      g.nodes.map((n) => [n.id, n.persistentBytes]),
      [
        ['scale0', scale],
        ['mask0', mask + 4],
        ['reshape0', 16],
        ['proj0', 768 * 768 * 4],
        ['scale1', scale],
        ['mask1', mask + 4],
        ['reshape1', 16],
        ['proj1', 768 * 768 * 4],
      ],
    );
    // parameters count once (the scale, the -1e9, the two projections; the bool mask and int64 shape are not parameters)
    assert.equal(g.stats!.parameterCount, 768 + 1 + 2 * 768 * 768);
    assert.equal(byId(g, 'scale1').parameterCount, 0);
    const once = scale + mask + 4 + 16;
    assert.deepEqual(g.meta?.replicatedConstants, { tensors: 4, bytes: once, copiedBytes: 2 * once, consumers: 6 });
    assert.equal(
      replicationNote(g),
      'replicated 4 shared constants (771 KiB) to each of their 6 consumers instead of colocating them; persistent bytes count every copy (1.51 MiB)',
    );
    assert.deepEqual(g.warnings, [], 'a note, not a warning');
  });

  it('what a shared weight does: float above 64 KiB colocates, the rest replicates', () => {
    assert.equal(shareWeight({ shape: [128, 128], dtype: 1 }), 'replicate'); // exactly 64 KiB
    assert.equal(shareWeight({ shape: [128, 129], dtype: 1 }), 'colocate');
    assert.equal(shareWeight({ shape: [128, 257], dtype: 10 }), 'colocate'); // fp16 at its stored width
    assert.equal(shareWeight({ shape: [4096, 4096], dtype: 7 }), 'replicate'); // int64
    assert.equal(shareWeight({ shape: [4096, 4096], dtype: 3 }), 'replicate'); // int8: not trainable
    assert.equal(shareWeight({ shape: null, dtype: 1 }), 'colocate'); // unknown size: the memory-safe answer
  });

  it('weights with external data use dims only (the data file need not exist)', () => {
    const g = parse({
      inputs: [valueInfo('x', [1, 3, 8, 8])],
      initializers: [externalTensor('w', [16, 3, 3, 3]), externalTensor('b', [16])],
      nodes: [node('Conv', ['x', 'w', 'b'], ['y'], { pads: [1, 1, 1, 1] }, 'conv')],
    });
    assert.equal(g.stats!.parameterCount, 16 * 27 + 16);
    assert.deepEqual(g.nodes[0].outputs[0].shape, [1, 16, 8, 8]);
  });

  it('If/Loop/Scan stay single nodes; outer tensors their bodies read become edges; shapes flow through', () => {
    const body: OnnxGraph = { name: 'then', node: [node('Add', ['h', 'h'], ['o'])], output: [valueInfo('o', null)] };
    const g = parse({
      inputs: [valueInfo('x', [2]), valueInfo('cond', [], 9)],
      nodes: [
        node('Relu', ['x'], ['h'], {}, 'relu'),
        node('If', ['cond'], ['out'], { then_branch: body, else_branch: body }, 'branch'),
        node('Neg', ['out'], ['y'], {}, 'neg'),
      ],
    });
    assert.deepEqual(
      g.nodes.map((n) => n.id),
      ['relu', 'branch', 'neg'],
    ); // body nodes are not expanded
    assert.deepEqual(
      g.edges.map((e) => `${e.from}>${e.to}:${e.tensor}`),
      ['relu>branch:h', 'branch>neg:out'],
    );
    assert.deepEqual(byId(g, 'branch').outputs[0].shape, [2]); // the branches' output (h + h)
    assert.equal(byId(g, 'branch').flops, 2);
    assert.deepEqual(byId(g, 'neg').outputs[0].shape, [2]);
    assert.deepEqual(g.warnings, []);
  });

  it('unknown ops: kept, shapes unknown, one warning per op type; declared shapes are used', () => {
    const g = parse({
      inputs: [valueInfo('x', [2, 3])],
      outputs: [valueInfo('z', [2, 7])],
      nodes: [node('Mystery', ['x'], ['y']), node('Mystery', ['y'], ['z']), node('Custom', ['z'], ['w'], {}, undefined, 'com.example')],
    });
    assert.deepEqual(
      g.nodes.map((n) => n.id),
      ['Mystery_0', 'Mystery_1', 'Custom_2'],
    );
    assert.equal(g.nodes[0].outputs[0].shape, null);
    assert.deepEqual(g.nodes[1].outputs[0].shape, [2, 7]); // from the graph output declaration
    assert.deepEqual(g.warnings, [
      'unknown op type "Mystery" (2 nodes): kept as nodes with unknown output shapes',
      'unknown op type "com.example::Custom" (1 node): kept as nodes with unknown output shapes',
      // Mystery_1's output is declared, so Custom_2's input is known again: 2 nodes lost shapes, not 3
      'shapes stay unknown past node "Mystery_0" (Mystery), whose input shapes are known: 2 of 3 nodes (67%) have an output of unknown shape, and their FLOPs and bytes count as 0',
    ]);
    assert.equal(g.tensors!['y'], null);
  });

  it('symbolic batch dims (by name, everywhere) and missing leading dims take the batch option', () => {
    const g = parse(
      {
        inputs: [valueInfo('x', ['N', 'seq', 4]), { name: 'm', type: { tensor_type: { elem_type: 1, shape: { dim: [{}, { dim_value: 4 }] } } } }],
        outputs: [valueInfo('y', ['N', 'seq', 4])],
        nodes: [node('Relu', ['x'], ['y'], {}, 'r'), node('Relu', ['m'], ['n'], {}, 's')],
      },
      { batch: 5 },
    );
    assert.deepEqual(g.tensors!['x'], [5, 'seq', 4]);
    assert.deepEqual(g.tensors!['y'], [5, 'seq', 4]);
    assert.deepEqual(g.tensors!['m'], [5, 4]);
    assert.equal(byId(g, 'r').outputs[0].bytes, 5 * 1 * 4 * 4); // a free dim counts 1 in bytes
  });

  it('warns when --batch cannot apply: every input has a fixed leading dim', () => {
    const spec = { inputs: [valueInfo('x', [1, 4])], nodes: [node('Relu', ['x'], ['y'], {}, 'r')] };
    const fixed = parse(spec, { batch: 32 });
    assert.deepEqual(fixed.tensors!['y'], [1, 4], 'a fixed batch stays as exported');
    assert.equal(fixed.warnings.length, 1);
    assert.match(fixed.warnings[0], /--batch 32 has no effect: every graph input has a fixed leading dim \(1\)/);
    assert.deepEqual(parse(spec, { batch: 1 }).warnings, [], 'batch 1 is the exported batch: nothing to say');
    const symbolic = parse({ inputs: [valueInfo('x', ['N', 4])], nodes: [node('Relu', ['x'], ['y'], {}, 'r')] }, { batch: 32 });
    assert.deepEqual(symbolic.warnings, []);
    assert.deepEqual(symbolic.tensors!['y'], [32, 4]);
  });

  it('symbolic dims other than batch: named with dims / inputShapes, else one warning naming them and the share lost', () => {
    // GPT-2-like: ids [batch, seq] → Gather of a [50, 8] embedding → MatMul with an [8, 8] weight
    const spec = {
      inputs: [valueInfo('ids', ['batch', 'seq'], 7)],
      initializers: [floatTensor('emb', [50, 8]), floatTensor('w', [8, 8])],
      nodes: [node('Gather', ['emb', 'ids'], ['h'], {}, 'embed'), node('MatMul', ['h', 'w'], ['y'], {}, 'mm')],
    };
    const free = parse(spec, { batch: 2 });
    assert.deepEqual(free.tensors!['y'], [2, 'seq', 8]);
    assert.equal(byId(free, 'mm').flops, 2 * 2 * 1 * 8 * 8, 'counted at seq = 1, never 0');
    // at seq = 1: 256 FLOPs (the Gather counts none), activations 2·8 + 2·8 floats = 128 B, all of them [2, seq, 8]
    assert.deepEqual(free.warnings, [
      'symbolic dims left free: "seq" (input "ids"); shapes keep them as symbols and FLOPs and bytes are counted at seq = 1 (256 FLOP, 128 B of activations); 100% of those FLOPs and 100% of those bytes grow with them (give them a value with --dim NAME=VALUE or --input-shape INPUT=AxBx…)',
    ]);
    const named = parse(spec, { batch: 2, dims: { seq: 16 } });
    assert.deepEqual(named.tensors!['y'], [2, 16, 8]);
    assert.equal(byId(named, 'mm').flops, 2 * 2 * 16 * 8 * 8);
    assert.deepEqual(named.warnings, []);
    const shaped = parse(spec, { batch: 2, dims: { seq: 16 }, inputShapes: { ids: [1, 64] } });
    assert.deepEqual(shaped.tensors!['y'], [1, 64, 8], 'an input shape wins over dims and batch');
    const typo = parse(spec, { dims: { sequence: 16 }, inputShapes: { input_ids: [1, 4] } });
    assert.match(typo.warnings[0], /^--dim "sequence": no graph input has a symbolic dim of that name \(the model's: "batch", "seq"\)$/);
    assert.match(typo.warnings[1], /^--input-shape "input_ids": no graph input of that name \(the model's: "ids"\)$/);
    assert.throws(
      () => parse(spec, { inputShapes: { ids: [1, 2, 3] } }),
      /input shape 1x2x3 given for graph input "ids" has rank 3, the model declares rank 2/,
    );
  });
});
