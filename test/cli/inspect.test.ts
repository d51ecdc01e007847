import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';
import { serializeOpgraph } from '../../algorithms/loaders/opgraph';
import { OpGraph } from '../../algorithms/graph';
import { dataPath, REPO } from '../helpers/paths';
import { INT64, floatTensor, modelBytes, node, valueInfo } from '../onnx/build';

const dnnLayer = dataPath('dnn-partitioning', 'throughput-inputs', 'LayerGraphs', 'resnet50_inference.json');
const stg = dataPath('stg', '50', 'rand0000.stg');

async function inspect(...argv: string[]) {
  const io = memoryIO();
  const code = await main(['inspect', ...argv], io);
  return { code, out: io.stdout, err: io.stderr };
}

/** A small opgraph with FLOPs on one node and a measured time on the other. */
function costedGraph(): OpGraph {
  return {
    name: 'mini',
    nodes: [
      {
        id: 'mm',
        name: 'mm',
        opType: 'MatMul',
        namespace: [],
        computeUs: 0,
        persistentBytes: 4000,
        temporaryBytes: 0,
        outputs: [{ name: 'y', bytes: 400, shape: [1, 100] }],
        flops: 2e9,
        memoryAccessBytes: 8000,
        parameterCount: 1000,
      },
      {
        id: 'relu',
        name: 'relu',
        opType: 'Relu',
        namespace: [],
        computeUs: 7,
        persistentBytes: 0,
        temporaryBytes: 0,
        outputs: [{ name: 'z', bytes: 400, shape: [1, null] }],
      },
    ],
    edges: [{ from: 'mm', to: 'relu', tensor: 'y', bytes: 400 }],
    warnings: ['op Foo: shapes unknown'],
  };
}

describe('opplace inspect', () => {
  let dir: string;
  const file = (name: string, content: string | Uint8Array) => {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'opplace-inspect-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a readable summary of a dnn-partitioning graph', async () => {
    const r = await inspect(dnnLayer);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.match(r.out, /resnet50_inference\.json {2}\(dnn-partitioning, "resnet50_inference"\)/);
    assert.match(r.out, /nodes {12}177\n/);
    assert.match(r.out, /edges {12}193\n/);
    assert.match(r.out, /parameters {7}unknown/);
    assert.match(r.out, /single device {4}[\d.]+ ms \(times from the file\)/);
    assert.match(r.out, /op types {9}Layer 177/);
  });

  it('--json gives one object per file per line with the documented fields', async () => {
    const r = await inspect(dnnLayer, stg, '--json');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.equal(lines.length, 2);
    const [a, b] = lines.map((l) => JSON.parse(l));
    for (const k of ['file', 'nodes', 'edges', 'parameterCount', 'parameterBytes', 'flops', 'opTypes', 'warnings', 'tensors']) assert.ok(k in a && k in b, k);
    assert.equal(a.file, dnnLayer);
    assert.equal(a.nodes, 177);
    assert.equal(b.nodes, 52);
    assert.equal(b.edges, 119);
    assert.deepEqual(b.opTypes, { Task: 50, Entry: 1, Exit: 1 });
    // STG: the single-device time is the sum of the task times (262 = 50 tasks × 5.24 average)
    assert.equal(b.estimatedSingleDeviceUs, 262);
  });

  it('inspects an ONNX model end to end: parameters, FLOPs and shapes from the loader, times from the cost model', async () => {
    const f = dataPath('onnx-light', 'light_squeezenet.onnx');
    const r = await inspect(f, '--json', '--device-type', 'v100-16gb');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.parameterCount, 1235496); // data/README.md
    assert.equal(j.nodes, 66);
    assert.ok(j.flops > 1e8);
    assert.equal(j.device, 'v100-16gb');
    // every op costs at least nothing and a GPU step of SqueezeNet is well under a second
    assert.ok(j.estimatedSingleDeviceUs > 0 && j.estimatedSingleDeviceUs < 1e6);
    const shapes = Object.values<(number | null)[] | null>(j.tensors);
    assert.ok(shapes.some((s) => Array.isArray(s) && s.length === 4 && s[0] === 1));
  });

  it('--dim and --input-shape size symbolic ONNX dims; with dims left free FLOPs print at 1, not 0', async () => {
    // GPT-2-like: ids [batch, seq] → Gather of a [50, 8] embedding → MatMul with [8, 8]
    const f = file(
      'gpt_like.onnx',
      modelBytes({
        inputs: [valueInfo('ids', ['batch', 'seq'], INT64)],
        initializers: [floatTensor('emb', [50, 8]), floatTensor('w', [8, 8])],
        nodes: [node('Gather', ['emb', 'ids'], ['h'], {}, 'embed'), node('MatMul', ['h', 'w'], ['y'], {}, 'mm')],
      }),
    );
    const free = await inspect(f);
    assert.equal(free.code, 0, free.err);
    assert.match(free.out, /FLOPs +128 FLOP at seq = 1 \(grows with it; see the warnings\)\n/); // 2 · 1 · 8 · 8 at batch 1, seq 1
    assert.match(free.out, /symbolic dims left free: "seq" \(input "ids"\)/);
    const j = async (...extra: string[]) => JSON.parse((await inspect(f, '--json', ...extra)).out);
    assert.equal((await j('--batch', '8', '--dim', 'seq=128')).flops, 2 * 8 * 128 * 8 * 8);
    assert.equal((await j('--input-shape', 'ids=1x64')).flops, 2 * 64 * 8 * 8);
    const bad = await inspect(f, '--dim', 'seq');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--dim must be NAME=VALUE/);
    assert.match((await inspect(f, '--input-shape', 'ids=1x0')).err, /--input-shape ids must be an integer ≥ 1, got "0"/);
  });

  it('costs unmeasured ops with the chosen device and dtype', async () => {
    const f = file('mini.opgraph.json', serializeOpgraph(costedGraph()));
    const j = async (...extra: string[]) => JSON.parse((await inspect(f, '--json', ...extra)).out);
    const h100 = await j();
    const t4 = await j('--device-type', 't4');
    const t4half = await j('--device-type', 't4', '--dtype', 'fp16');
    assert.equal(h100.device, 'h100-sxm');
    // 2 GFLOP: H100 fp32 67 TFLOPS → 29.85 µs + 5 launch; T4 fp32 8.1 → 246.9 + 5; T4 fp16 65 → 30.8 + 5. Relu keeps 7 µs.
    assert.ok(Math.abs(h100.estimatedSingleDeviceUs - ((2e9 / 67e12) * 1e6 + 5 + 7)) < 1e-6);
    assert.ok(Math.abs(t4.estimatedSingleDeviceUs - ((2e9 / 8.1e12) * 1e6 + 5 + 7)) < 1e-6);
    assert.ok(Math.abs(t4half.estimatedSingleDeviceUs - ((2e9 / 65e12) * 1e6 + 5 + 7)) < 1e-6);
    assert.equal(h100.flops, 2e9);
    assert.equal(h100.parameterCount, 1000);
    assert.deepEqual(h100.tensors, { y: [1, 100], z: [1, null] });
    assert.deepEqual(h100.warnings, ['op Foo: shapes unknown']);
    const text = (await inspect(f)).out;
    assert.match(text, /FLOPs {12}2\.00 GFLOP/);
    assert.match(text, /1 op\(s\) estimated by the roofline model, 1 measured/);
    assert.match(text, /warnings {9}1\n {4}- op Foo: shapes unknown/);
  });

  it('--help lists the options and the device presets, exit 0', async () => {
    const r = await inspect('--help');
    assert.equal(r.code, 0);
    for (const opt of ['--format', '--batch', '--dtype', '--device-type', '--json', 'h100-sxm', 'rtx4090']) assert.ok(r.out.includes(opt), opt);
  });

  it('rejects bad options with exit code 2', async () => {
    for (const [argv, re] of [
      [[dnnLayer, '--device-type', 'tpu'], /unknown device type "tpu"/],
      [[dnnLayer, '--dtype', 'int4'], /unknown dtype "int4"/],
      [[dnnLayer, '--format', 'caffe'], /--format must be one of onnx, opgraph, dnn-partitioning, stg, got "caffe"/],
      [[dnnLayer, '--batch', '0'], /--batch must be an integer ≥ 1/],
      [[], /no model file given/],
      [[dnnLayer, '--bogus'], /Unknown option '--bogus'/],
    ] as [string[], RegExp][]) {
      const r = await inspect(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.err, re);
      assert.equal(r.out, '');
    }
  });

  describe('bad input: one clear message naming the file, exit code 2, no stack trace', () => {
    const cases: [string, () => string, RegExp][] = [
      ['an empty file', () => file('empty.json', ''), /empty\.json: the file is empty/],
      ['an empty .stg', () => file('empty.stg', ''), /empty\.stg: the file is empty/],
      [
        'random bytes named .json',
        () =>
          file(
            'random.json',
            Uint8Array.from({ length: 256 }, (_, i) => (i * 73 + 11) % 256),
          ),
        /random\.json: not valid JSON \(the file contains binary data\)/,
      ],
      [
        'random bytes named .stg',
        () =>
          file(
            'random.stg',
            Uint8Array.from({ length: 256 }, (_, i) => (i * 73 + 11) % 256),
          ),
        /random\.stg: not an STG text file/,
      ],
      [
        'random bytes named .opgraph.json',
        () =>
          file(
            'random.opgraph.json',
            Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 5) % 256),
          ),
        /random\.opgraph\.json: not valid JSON/,
      ],
      [
        'JSON with wrong types',
        () => file('types.json', JSON.stringify({ nodes: [{ id: 1, fpgaLatency: '3ms', size: 1 }], edges: [] })),
        /types\.json: node "1": node #0 \(id 1\): field "fpgaLatency" must be a number ≥ 0, got the string "3ms"/,
      ],
      [
        'an opgraph with wrong types',
        () => file('types.opgraph.json', JSON.stringify({ format: 'opgraph', version: 1, nodes: [{ id: 'a', outputs: 'y' }], edges: [] })),
        /types\.opgraph\.json: node "a": node #0: field "outputs" must be an array, got the string "y"/,
      ],
      [
        'a cycle',
        () =>
          file(
            'cycle.opgraph.json',
            JSON.stringify({
              format: 'opgraph',
              version: 1,
              nodes: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
              edges: [
                { from: 'a', to: 'b' },
                { from: 'b', to: 'c' },
                { from: 'c', to: 'a' },
              ],
            }),
          ),
        /cycle\.opgraph\.json: node "a": the graph has a cycle: a → b → c → a/,
      ],
      [
        'an edge to a missing node',
        () => file('dangling.json', JSON.stringify({ nodes: [{ id: 1, fpgaLatency: 1, size: 1 }], edges: [{ sourceId: 1, destId: 2, cost: 0, size: 4 }] })),
        /dangling\.json: edge #0 \(1 → 2\): destId 2 is not the id of any node/,
      ],
      ['a 0-node graph', () => file('zero.json', JSON.stringify({ nodes: [], edges: [] })), /zero\.json: the graph has no nodes/],
      [
        'a 0-node opgraph',
        () => file('zero.opgraph.json', JSON.stringify({ format: 'opgraph', version: 1, nodes: [], edges: [] })),
        /zero\.opgraph\.json: the graph has no nodes/,
      ],
      ['a file that does not exist', () => path.join(dir, 'nope.onnx'), /nope\.onnx: no such file/],
      [
        'a directory',
        () => {
          const d = path.join(dir, 'model.json');
          mkdirSync(d, { recursive: true });
          return d;
        },
        /model\.json: is a directory, not a model file/,
      ],
      ['an unknown extension', () => file('model.pt', 'x'), /model\.pt: unknown model format/],
    ];
    for (const [what, make, re] of cases) {
      it(what, async () => {
        const f = make();
        const r = await inspect(f);
        assert.equal(r.code, 2, r.err);
        assert.match(r.err, re);
        assert.ok(r.err.includes(f), 'names the file');
        assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
        assert.doesNotMatch(r.err, /\n\s+at /);
        assert.equal(r.out, '');
      });
    }
  });

  it('reports each bad file and still inspects the good ones, exit 2', async () => {
    const bad = file('bad.json', '{');
    const r = await inspect(dnnLayer, bad, stg, path.join(dir, 'missing.stg'), '--json');
    assert.equal(r.code, 2);
    assert.deepEqual(
      r.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).nodes),
      [177, 52],
    );
    const errs = r.err.trim().split('\n');
    assert.equal(errs.length, 2);
    assert.match(errs[0], /bad\.json: not valid JSON/);
    assert.match(errs[1], /missing\.stg: no such file/);
  });

  it('works as a real process: summary on stdout, errors on stderr, exit codes 0 and 2', () => {
    const good = file('proc.opgraph.json', serializeOpgraph(costedGraph()));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'cli', 'main.ts'), 'inspect', ...args], { cwd: REPO, encoding: 'utf8', timeout: 60000 });
    const ok = run(good, '--json');
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).nodes, 2);
    const cyc = file(
      'proc-cycle.opgraph.json',
      JSON.stringify({
        format: 'opgraph',
        version: 1,
        nodes: [{ id: 'a' }, { id: 'b' }],
        edges: [
          { from: 'a', to: 'b' },
          { from: 'b', to: 'a' },
        ],
      }),
    );
    const bad = run(cyc);
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^opplace inspect: .*proc-cycle\.opgraph\.json: node "a": the graph has a cycle: a → b → a\n$/);
  });

  it('does not modify the model file', async () => {
    const f = file('keep.opgraph.json', serializeOpgraph(costedGraph()));
    const before = readFileSync(f);
    await inspect(f, '--json');
    assert.deepEqual(readFileSync(f), before);
  });
});
