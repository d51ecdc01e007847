// Shape plumbing is not placed (issue 11 §6): constant-valued shape arithmetic and casts to the
// same type are folded away before placement, recorded on their consumers, counted by inspect.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { OpGraph } from '../../algorithms/graph';
import { parseOnnx } from '../../algorithms/loaders/onnx';
import { decodeOnnxModel } from '../../algorithms/onnx/proto';
import { placeGraph } from '../../algorithms/placement';
import { prepareGraphFromFile } from '../../algorithms/prepare';
import { formatInspect, inspectRecord } from '../../cli/commands/inspect';
import { REPO } from '../helpers/paths';
import { floatTensor, intTensor, modelBytes, node, valueInfo } from './build';

const GPT = path.join(REPO, 'test', 'fixtures', 'onnx-decoder', 'tiny_gpt_op17.onnx');
const parse = (spec: Parameters<typeof modelBytes>[0]) => parseOnnx(modelBytes(spec), 'm.onnx');
const byId = (g: OpGraph, id: string) => {
  const n = g.nodes.find((x) => x.id === id);
  assert.ok(n, `no node ${id}`);
  return n;
};

/** Edges carrying an int64 tensor of at most 1 KiB: the shape plumbing a plan should not move. */
function smallIntEdges(g: OpGraph): string[] {
  const dtype = new Map(g.nodes.flatMap((n) => n.outputs.map((t) => [t.name, t.dtype] as const)));
  return g.edges.filter((e) => dtype.get(e.tensor) === 'int64' && e.bytes <= 1024).map((e) => `${e.from}>${e.to}`);
}

describe('ONNX shape plumbing folded before placement', () => {
  it('GPT-2-like decoder with seq given: no Shape chain, no no-op Cast, no int64 edge is placed', () => {
    const g = prepareGraphFromFile(GPT, { batch: 2, dims: { seq: 16 } });
    const ops = new Set(g.nodes.map((n) => n.opType));
    for (const op of ['Shape', 'Unsqueeze', 'Concat', 'Range', 'Cast', 'Constant']) assert.ok(!ops.has(op), `${op} placed`);
    assert.deepEqual(smallIntEdges(g), []);
    const onnxNodes = decodeOnnxModel(new Uint8Array(readFileSync(GPT))).graph!.node!.length;
    const f = g.stats!.folded!;
    assert.equal(f.weights + f.constants + f.casts + g.nodes.length, onnxNodes);
    assert.equal(f.casts, 4); // the softmax in float and the cast back, per layer: float → float
    // the cast's consumer reads the Softmax output itself, and shows the cast as part of it
    const soft = g.nodes.filter((n) => n.opType === 'Softmax')[0];
    const out = g.edges.filter((e) => e.from === soft.id);
    assert.equal(out.length, 1);
    assert.equal(out[0].tensor, soft.outputs[0].name);
    assert.ok(
      byId(g, out[0].to).foldedNodes?.some((x) => x.startsWith('/Cast')),
      JSON.stringify(byId(g, out[0].to).foldedNodes),
    );
    // the Reshapes of the head split list the Shape → Gather → Unsqueeze → Concat chain they read
    const reshape = g.nodes.find((n) => n.opType === 'Reshape')!;
    assert.ok(
      ['Shape', 'Gather', 'Unsqueeze', 'Concat'].every((op) => reshape.foldedNodes!.some((x) => x.includes(op))),
      JSON.stringify(reshape.foldedNodes),
    );
  });

  it('GPT-2-like decoder: parameters do not depend on the folding; with seq free only ops whose values depend on seq stay placed', () => {
    const model = decodeOnnxModel(new Uint8Array(readFileSync(GPT)));
    const floats = (model.graph!.initializer ?? []).filter((t) => t.data_type === 1);
    const numel = (dims: unknown[] | undefined) => (dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
    // float weights: initializers and Constant nodes (the scalars of the attention: the scale, the mask fill)
    const constants = (model.graph!.node ?? []).filter((n) => n.op_type === 'Constant').map((n) => n.attribute![0].t);
    const expected = [...floats, ...constants.filter((t) => t?.data_type === 1)].reduce((s, t) => s + numel(t!.dims), 0);
    const fixed = prepareGraphFromFile(GPT, { batch: 2, dims: { seq: 16 } });
    const free = prepareGraphFromFile(GPT, { batch: 2 });
    assert.equal(fixed.stats!.parameterCount, expected);
    assert.equal(free.stats!.parameterCount, expected);
    assert.equal(
      fixed.nodes.reduce((s, n) => s + (n.parameterCount ?? 0), 0),
      expected,
    );
    // Shape(input) is [batch, seq] before the step runs: the Shape chains fold with seq free too; what
    // stays is what holds seq elements: arange(seq) (Range, its Unsqueeze) and the mask slices
    const fixedIds = new Set(fixed.nodes.map((n) => n.id));
    assert.deepEqual(
      free.nodes.filter((n) => !fixedIds.has(n.id)).map((n) => n.id),
      ['/Range', '/Unsqueeze', '/Slice_1', '/Slice_2'],
    );
    assert.ok(!free.nodes.some((n) => n.opType === 'Shape'));
  });

  it('GPT-2-like decoder on 4 devices: every transfer of the plan carries activations', async () => {
    const g = prepareGraphFromFile(GPT, { batch: 8, dims: { seq: 64 } });
    const plan = await placeGraph(g, {
      algorithm: 'm-etf',
      devices: 4,
      memoryLimits: Array(4).fill(2 ** 34),
      comm: 'baechi',
      grouping: 'colocation',
      fuse: false,
    });
    assert.ok(plan.feasible);
    const dtype = new Map(g.nodes.flatMap((n) => n.outputs.map((t) => [t.name, t.dtype] as const)));
    for (const t of plan.transfers) assert.notEqual(dtype.get(t.tensor ?? ''), 'int64', JSON.stringify(t));
  });

  it('a Cast to the same type is the same tensor; a real Cast stays; CastLike too', () => {
    const g = parse({
      inputs: [valueInfo('x', [4, 8])],
      nodes: [
        node('Relu', ['x'], ['r'], {}, 'relu'),
        node('Cast', ['r'], ['c1'], { to: 1 }, 'same'),
        node('Cast', ['c1'], ['c2'], { to: 1 }, 'same2'),
        node('CastLike', ['c2', 'x'], ['c3'], {}, 'like'),
        node('Add', ['c3', 'r'], ['y'], {}, 'add'),
        node('Cast', ['y'], ['h'], { to: 10 }, 'half'),
      ],
    });
    assert.deepEqual(
      g.nodes.map((n) => n.id),
      ['relu', 'add', 'half'],
    );
    // add reads r twice (through the casts and directly): one edge
    assert.deepEqual(
      g.edges.map((e) => `${e.from}>${e.to}:${e.tensor}:${e.bytes}`),
      ['relu>add:r:128', 'add>half:y:128'],
    );
    assert.deepEqual(byId(g, 'add').foldedNodes, ['like', 'same2', 'same']);
    assert.deepEqual(g.stats!.folded, { weights: 0, constants: 0, casts: 3 });
  });

  it('an Identity of an activation or a graph input is free: folded, its consumers read its input and list it', () => {
    const g = parse({
      inputs: [valueInfo('x', [4, 8])],
      outputs: [valueInfo('y', [4, 8])],
      nodes: [
        node('Identity', ['x'], ['xi'], {}, 'idIn'),
        node('Relu', ['xi'], ['r'], {}, 'relu'),
        node('Identity', ['r'], ['ri'], {}, 'id1'),
        node('Identity', ['ri'], ['rii'], {}, 'id2'),
        node('Add', ['rii', 'xi'], ['y'], {}, 'add'),
      ],
    });
    assert.deepEqual(
      g.nodes.map((n) => n.id),
      ['relu', 'add'],
    );
    assert.deepEqual(
      g.edges.map((e) => `${e.from}>${e.to}:${e.tensor}:${e.bytes}`),
      ['relu>add:r:128'],
      'one edge, carrying the Relu output itself',
    );
    assert.deepEqual(byId(g, 'relu').foldedNodes, ['idIn']);
    assert.deepEqual(byId(g, 'add').foldedNodes, ['id2', 'id1', 'idIn']);
    assert.deepEqual(g.stats!.folded, { weights: 0, constants: 0, casts: 3 });
    assert.deepEqual(g.tensors!['rii'], [4, 8]);
  });

  it('a folded shape read by two nodes is a replica on each, not a colocation tie; its source weight counts once', () => {
    const g = parse({
      inputs: [valueInfo('x', [2, 6]), valueInfo('z', [2, 6])],
      initializers: [floatTensor('scale', [4], [1, 2, 3, 4]), intTensor('axes', [0])],
      nodes: [
        node('Shape', ['x'], ['s'], {}, 'shape'),
        node('Mul', ['scale', 'scale'], ['ns'], {}, 'sq'), // a float weight folded through
        node('Unsqueeze', ['ns', 'axes'], ['ns2'], {}, 'unsq'),
        node('Reshape', ['x', 's'], ['a'], {}, 'ra'),
        node('Reshape', ['z', 's'], ['b'], {}, 'rb'),
        node('Add', ['a', 'ns2'], ['c'], {}, 'addA'),
        node('Add', ['b', 'ns2'], ['d'], {}, 'addB'),
      ],
    });
    assert.deepEqual(
      g.nodes.map((n) => n.id),
      ['ra', 'rb', 'addA', 'addB'],
    );
    for (const n of g.nodes) assert.equal(n.colocationGroup, undefined, n.id);
    assert.equal(byId(g, 'ra').persistentBytes, 16); // int64 [2]
    assert.equal(byId(g, 'rb').persistentBytes, 16);
    assert.deepEqual(byId(g, 'rb').foldedNodes, ['shape']);
    // scale: 4 parameters, owned by the first graph node that reads it through the fold
    assert.equal(g.stats!.parameterCount, 4);
    assert.equal(byId(g, 'addA').parameterCount, 4);
    assert.equal(byId(g, 'addA').persistentBytes, 16); // the folded [1, 4]: scale and axes are only read through it
    assert.equal(byId(g, 'addB').parameterCount, 0);
    assert.deepEqual(byId(g, 'addB').foldedNodes, ['unsq', 'sq']);
    assert.deepEqual(g.stats!.folded, { weights: 0, constants: 3, casts: 0 });
  });

  it('opplace inspect says how many ONNX nodes were folded away, by kind', () => {
    const g = prepareGraphFromFile(GPT, { batch: 2, dims: { seq: 16 } });
    const r = inspectRecord(GPT, g);
    const f = g.stats!.folded!;
    assert.deepEqual(r.folded, f);
    const text = formatInspect(r, g);
    assert.match(
      text,
      new RegExp(
        `folded away +${f.weights + f.constants + f.casts} ONNX nodes \\(${f.weights} weight producers, ${f.constants} constant shape arithmetic, ${f.casts} no-op casts/Identity\\)`,
      ),
    );
  });
});
