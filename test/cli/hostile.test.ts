// The minimal reproductions of issue 12 (hostile and extreme inputs), one test each: every one of
// them crashed with a stack trace, printed NaN/Infinity, injected terminal text or wrote the
// user's model before the fix. Each asserts one OpplaceError line (exit 2), or a correct result.
import { strict as assert } from 'node:assert';
import { copyFileSync, linkSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../cli/main';
import { memoryIO } from '../../cli/io';
import { displayText, hasUnsafeText, quoteInput } from '../../algorithms/text';
import { modelBytes, node, floatTensor, valueInfo } from '../onnx/build';
import { REPO } from '../helpers/paths';
import { buildProblem, problemOptionsOf } from '../../algorithms/placement/problem';
import { runPlacer } from '../../algorithms/placement/placers';
import { clockNow, refinePlacement } from '../../algorithms/placement/refine/index';

const squeezenet = path.join(REPO, 'test', 'fixtures', 'onnx', 'squeezenet1_0.onnx');

async function cli(...argv: string[]) {
  const io = memoryIO();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

/** One line on stderr, no stack trace, exit code 2, matching `re`. */
export function assertOneLineError(r: { code: number; err: string }, re: RegExp): void {
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err.trim().split('\n').length, 1, r.err);
  assert.doesNotMatch(r.err, /internal error|\n\s+at /);
  assert.match(r.err, re);
}

const opgraph = (nodes: object[], edges: object[] = [], extra: object = {}) => JSON.stringify({ format: 'opgraph', version: 1, nodes, edges, ...extra });
const twoOps = (a: object = {}) =>
  opgraph(
    [
      { id: 'a', computeUs: 10, outputs: [{ name: 't', bytes: 100 }], ...a },
      { id: 'b', computeUs: 10 },
    ],
    [{ from: 'a', to: 'b' }],
  );

describe('issue 12: hostile and extreme inputs (minimal reproductions)', function () {
  this.timeout(120000);
  let dir: string;
  const file = (name: string, text: string | Uint8Array) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'opplace-hostile-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('1. the model is never written', () => {
    it('export --to onnx --out a hard link of the model is refused and the model is unchanged', async () => {
      const model = path.join(dir, 'm.onnx');
      copyFileSync(squeezenet, model);
      const hard = path.join(dir, 'hard.onnx');
      linkSync(model, hard);
      const before = readFileSync(model);
      assertOneLineError(await cli('export', model, '--to', 'onnx', '--out', hard, '--devices', '2'), /is an input file; opplace never overwrites its inputs/);
      assertOneLineError(await cli('place', model, '--devices', '2', '--out', hard), /is an input file/);
      assertOneLineError(await cli('place', hard, '--devices', '2', '--report', model), /is an input file/);
      assert.deepEqual(readFileSync(model), before);
    });

    it('an output that is a link to another file replaces the link, not that file (temporary file + rename)', async () => {
      const other = file('other.txt', 'keep me');
      const out = path.join(dir, 'plan.json');
      symlinkSync(other, out);
      const g = file('g.opgraph.json', twoOps());
      const r = await cli('place', g, '--devices', '2', '--out', out);
      assert.equal(r.code, 0, r.err);
      assert.equal(readFileSync(other, 'utf8'), 'keep me');
      assert.equal(JSON.parse(readFileSync(out, 'utf8')).feasible, true);
      assert.ok(!statSync(out).isSymbolicLink());
    });

    it('diffusion graph --out refuses an existing file (an ONNX model) unless --force', async () => {
      const model = path.join(dir, 'm.onnx');
      copyFileSync(squeezenet, model);
      const before = readFileSync(model);
      const args = ['diffusion', 'graph', '--steps', '2', '--midpoints', '2', '--rounds', '1', '--score-time-us', '1', '--score-bytes', '8', '--out', model];
      assertOneLineError(await cli(...args), /m\.onnx already exists; pass --force to replace it/);
      assert.deepEqual(readFileSync(model), before);
      const forced = await cli(...args, '--force');
      assert.equal(forced.code, 0, forced.err);
      assert.match(readFileSync(model, 'utf8'), /"format": "opgraph"/);
    });
  });

  describe('2. prototype keys are names, never presets', () => {
    it('--comm constructor / __proto__ / toString, --device-type __proto__, --memory 1constructor: one line each', async () => {
      const g = file('g.opgraph.json', twoOps());
      for (const comm of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        assertOneLineError(await cli('place', g, '--comm', comm), new RegExp(`unknown interconnect "${comm}"`));
      }
      for (const type of ['__proto__', 'constructor', 'valueOf']) {
        assertOneLineError(await cli('inspect', g, '--device-type', type), new RegExp(`unknown device type "${type}"`));
      }
      assertOneLineError(await cli('place', g, '--memory', '1constructor'), /unknown unit "constructor"/);
      const r = await cli('constructor');
      assert.equal(r.code, 2);
      assert.match(r.err, /unknown command "constructor"/);
    });

    it('a tensors entry named "__proto__" and a node named "__proto__" are kept as data', async () => {
      const g = file(
        'p.opgraph.json',
        opgraph(
          [
            { id: '__proto__', opType: 'constructor', computeUs: 5, outputs: [{ name: '__proto__', bytes: 4, shape: [1] }] },
            { id: 'b', computeUs: 1 },
          ],
          [{ from: '__proto__', to: 'b' }],
          { tensors: JSON.parse('{"__proto__": [1, 2], "x": [3]}') },
        ),
      );
      const r = await cli('inspect', g, '--json');
      assert.equal(r.code, 0, r.err);
      const rec = JSON.parse(r.out);
      assert.ok(Object.hasOwn(rec.tensors, '__proto__'));
      assert.deepEqual(rec.tensors.__proto__, [1, 2]);
      assert.ok(Object.hasOwn(rec.opTypes, 'constructor'));
      const csv = await cli('export', g, '--to', 'csv', '--devices', '2');
      assert.equal(csv.code, 0, csv.err);
      assert.match(csv.out, /^__proto__,constructor,\d,0,5,4\r$/m);
    });
  });

  describe('3. no stack overflow on wide or deep input', () => {
    it('one initializer consumed by 130,000 nodes loads and places', async () => {
      const nodes = [];
      for (let i = 0; i < 130000; i++) nodes.push(node('Add', ['x', 'w'], [`y${i}`], {}, `n${i}`));
      const m = file('fan.onnx', modelBytes({ nodes, inputs: [valueInfo('x', [4])], initializers: [floatTensor('w', [4])] }));
      const r = await cli('inspect', m, '--json');
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).nodes, 130000);
    });

    it('a 5,000-deep meta object is refused at load (it overflowed the report)', async () => {
      const deep = '{"a":'.repeat(5000) + '{}' + '}'.repeat(5000);
      const g = file('deep.opgraph.json', `{"format":"opgraph","version":1,"nodes":[{"id":"a","computeUs":1}],"edges":[],"meta":${deep}}`);
      assertOneLineError(await cli('place', g, '--report', path.join(dir, 'r.html')), /field "meta" is nested more than 64 levels deep/);
    });
  });

  describe('4. huge finite numbers are refused at load, naming file, node and field', () => {
    const cases: [string, object, RegExp][] = [
      ['computeUs 1e308', { computeUs: 1e308 }, /c\.opgraph\.json: node "a": computeUs is 1e\+308 µs, more than the 1e15 µs opplace accepts/],
      ['persistentBytes 1e308', { persistentBytes: 1e308 }, /node "a": persistentBytes is 1e\+308 bytes, more than the 2\^60 bytes/],
      ['temporaryBytes 2^61', { temporaryBytes: 2 ** 61 }, /node "a": temporaryBytes is .* more than the 2\^60 bytes/],
      ['flops 1e300', { flops: 1e300 }, /node "a": flops is 1e\+300, more than the 1e24/],
    ];
    for (const [what, fields, re] of cases) {
      it(what, async () => {
        const g = file('c.opgraph.json', twoOps(fields));
        for (const cmd of ['place', 'fit', 'inspect']) assertOneLineError(await cli(cmd, g), re);
        assertOneLineError(await cli('place', g, '--algorithm', 'm-sct'), re);
      });
    }

    it('times that are each allowed but add up past the maximum', async () => {
      const g = file('sum.opgraph.json', twoOps({ computeUs: 9e14 }).replace('"computeUs":10}', '"computeUs":9e14}'));
      assertOneLineError(await cli('place', g), /the computeUs values of the graph add up to more than the 1e15 µs/);
    });

    it('an STG task of 1e308 µs', async () => {
      const stg = file('big.stg', `1\n0 0 0\n1 1${'0'.repeat(308)} 1 0\n2 0 1 1\n`);
      assertOneLineError(await cli('export', stg, '--to', 'csv'), /big\.stg: node "1": computeUs is 1e\+308 µs/);
    });

    it('dims [2^53−1 ×40, 0] are 0 bytes, dims [2 ×200000] too large: never NaN', async () => {
      const zero = file(
        'zero.onnx',
        modelBytes({ nodes: [node('Relu', ['x'], ['y'], {}, 'r')], inputs: [valueInfo('x', [...Array(40).fill(2 ** 53 - 1), 0])] }),
      );
      const r = await cli('inspect', zero, '--json');
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).activationBytes, 0);
      const big = file('big.onnx', modelBytes({ nodes: [node('Relu', ['w'], ['y'], {}, 'r')], initializers: [floatTensor('w', Array(60).fill(2))] }));
      assertOneLineError(await cli('inspect', big), /node "r": persistentBytes is .* more than the 2\^60 bytes/);
    });
  });

  describe('5. options are checked before anything is allocated', () => {
    it('--devices 1e8 and 4294967296 fail at once', async () => {
      const g = file('g.opgraph.json', twoOps());
      for (const n of ['1e8', '4294967296', '1e300']) {
        const started = Date.now();
        assertOneLineError(await cli('place', g, '--devices', n), new RegExp(`--devices must be at most 1024, got "${n}"`));
        assert.ok(Date.now() - started < 2000);
      }
    });

    it('huge --memory, --batch, --seed, custom links and sampler shapes are refused in one line', async () => {
      const g = file('g.opgraph.json', twoOps());
      assertOneLineError(await cli('place', g, '--memory', '1e300'), /invalid memory limit "1e300": at most 2\^60 bytes/);
      assertOneLineError(await cli('place', g, '--batch', '1e300'), /--batch must be at most/);
      assertOneLineError(await cli('place', g, '--refine', '--seed', '1e300'), /--seed must be at most 4294967295/);
      assertOneLineError(await cli('place', g, '--comm', `${'9'.repeat(12)}:1`), /latency must be at most/);
      assertOneLineError(await cli('place', g, '--comm', '1:0.0000000001'), /bandwidth must be in/);
      const graph = [
        'diffusion',
        'graph',
        '--steps',
        '1',
        '--rounds',
        '1',
        '--score-time-us',
        '1',
        '--score-bytes',
        '8',
        '--out',
        path.join(dir, 'd.opgraph.json'),
      ];
      assertOneLineError(await cli(...graph, '--midpoints', '90000'), /the sampler graph would have \d+ edges; at most 5000000/);
      assertOneLineError(await cli('diffusion', 'bench', '--draws', '1e15'), /--draws must be at most 1000000/);
    });
  });

  describe('6. no terminal injection', () => {
    it("names and a file's warnings with escapes, CR LF and bidi overrides are printed escaped", async () => {
      const evil = 'a\u001b[2Jb\r\nopplace place: all good \u202egnp.exe\u0085';
      const g = file('ctl.opgraph.json', opgraph([{ id: evil, opType: evil, computeUs: 10 }], [], { name: evil, warnings: [evil] }));
      const runs = [
        await cli('place', g, '--devices', '2'),
        await cli('place', g, '--devices', '2', '--json'),
        await cli('inspect', g),
        await cli('inspect', g, '--json'),
        await cli('fit', g, '--devices', '2'),
        await cli('compare', g, '--devices', '2', '--only', 'm-etf'),
        await cli('export', g, '--to', 'csv', '--devices', '2'),
      ];
      for (const r of runs) {
        assert.equal(r.code, 0, r.err);
        for (const text of [r.out, r.err]) {
          assert.ok(!hasUnsafeText(text.replace(/\r?\n/g, '')), JSON.stringify(text));
          assert.doesNotMatch(text, /^opplace place: all good/m);
        }
      }
      assert.match(runs[2].out, /a\\x1b\[2Jb\\r\\nopplace place: all good \\u202egnp\.exe\\x85/);
      // an error naming such a node is escaped too
      const bad = file('bad.opgraph.json', opgraph([{ id: evil, computeUs: -1 }]));
      assertOneLineError(await cli('place', bad), /node "a\\x1b\[2Jb\\r\\n/);
    });

    it('displayText escapes C0, C1, DEL and bidi controls and nothing else', () => {
      assert.equal(displayText('plain ünïcödé → 名前'), 'plain ünïcödé → 名前');
      assert.equal(
        displayText('\u0000\u0007\t\n\r\u001b\u007f\u009b\u202a\u202e\u2066\u2069\u200f\u2028\ufeff'),
        '\\x00\\x07\\t\\n\\r\\x1b\\x7f\\x9b\\u202a\\u202e\\u2066\\u2069\\u200f\\u2028\\ufeff',
      );
    });
  });

  describe('7. quoted input is capped', () => {
    it('a one-line JSON read as STG quotes at most 200 characters; a 200,000-dim initializer at most 200', async () => {
      const one = file('one.json', JSON.stringify({ nodes: Array.from({ length: 5000 }, (_, i) => ({ id: i })) }));
      const r = await cli('inspect', one, '--format', 'stg');
      assertOneLineError(r, /number of tasks must be a non-negative integer, got "\{"nodes".{0,200}…"\n$/);
      const dims = file(
        'dims.onnx',
        modelBytes({ nodes: [node('Relu', ['w'], ['y'], {}, 'r')], initializers: [floatTensor('w', [...Array(199999).fill(1), -1])] }),
      );
      const d = await cli('inspect', dims);
      assert.equal(d.code, 2);
      assert.ok(d.err.length < 400, `${d.err.length} characters`);
      assert.match(d.err, /initializer "w" has invalid dims \[1, 1, .*…\]/);
      assert.equal(quoteInput('x'.repeat(500)).length, 201);
    });
  });

  describe('8. nothing to place is an error', () => {
    it('an ONNX graph of one unknown op without inputs or outputs', async () => {
      const m = file('unknown.onnx', modelBytes({ nodes: [node('FooBar', [], [], {}, 'f')] }));
      for (const cmd of ['place', 'fit'])
        assertOneLineError(
          await cli(cmd, m, '--devices', '2'),
          /unknown\.onnx: nothing to place: none of the 1 op\(s\) \(FooBar\) has a compute time, memory or a non-empty output/,
        );
      // inspect still describes it
      assert.equal((await cli('inspect', m)).code, 0);
    });
  });
});

describe('issue 12 item 5: the refinement clock cap bounds every phase', () => {
  it('past the deadline, the seeding and the search stop at once: the best start is kept, stoppedByClock', () => {
    const nodes = [];
    const edges = [];
    for (let i = 0; i < 40; i++) {
      nodes.push({
        id: `n${i}`,
        name: `n${i}`,
        opType: 'Op',
        namespace: [],
        computeUs: 1 + (i % 5),
        persistentBytes: 0,
        temporaryBytes: 0,
        outputs: [{ name: 't', bytes: 1000, shape: null }],
      });
      if (i) edges.push({ from: `n${i - 1}`, to: `n${i}`, tensor: 't', bytes: 1000 });
    }
    const graph = { name: 'chain', nodes, edges, warnings: [] };
    const problem = buildProblem(graph, problemOptionsOf({ grouping: 'none', fuse: false, comm: 'baechi', devices: 2 }));
    const limits = [2 ** 40, 2 ** 40];
    const start = runPlacer(problem, 'm-etf', limits);
    assert.ok(start.feasible);
    const capped = refinePlacement(problem, limits, [{ algorithm: 'm-etf', result: start }], { budgetMs: 1000, seed: 1, deadline: clockNow() - 1 });
    assert.equal(capped.stoppedByClock, true);
    assert.equal(capped.evaluations, 1, 'only the start itself was charged: no re-decode, split, HEFT or search move ran');
    const free = refinePlacement(problem, limits, [{ algorithm: 'm-etf', result: start }], { budgetMs: 50, seed: 1 });
    assert.equal(free.stoppedByClock, false);
    assert.ok(free.evaluations > 5, `${free.evaluations} evaluations without the cap`);
  });
});
