import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { parseStg } from '../../algorithms/loaders/stg';
import { loadModel } from '../../algorithms/loaders/readFile';
import { parseModel } from '../../algorithms/loaders/index';
import { OpplaceError } from '../../algorithms/errors';
import { dataPath } from '../helpers/paths';

const enc = (s: string) => new TextEncoder().encode(s);

/** Counts read straight from the text: n + 2 tasks, one edge per listed predecessor. */
function countsFromText(text: string): { tasks: number; edges: number } {
  const rows = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const n = Number(rows[0]);
  let edges = 0;
  for (const r of rows.slice(1)) edges += Number(r.split(/\s+/)[2]);
  return { tasks: n + 2, edges };
}

describe('STG loader', () => {
  // Every 9th file of both sizes: a sample that stays quick.
  for (const size of ['50', '100']) {
    const files = readdirSync(dataPath('stg', size))
      .filter((f) => f.endsWith('.stg'))
      .sort()
      .filter((_, i) => i % 9 === 0);
    it(`loads a sample of ${files.length} ${size}-task graphs with counts matching the files`, () => {
      assert.ok(files.length >= 10);
      for (const f of files) {
        const file = dataPath('stg', size, f);
        const g = loadModel(file);
        const want = countsFromText(readFileSync(file, 'utf8'));
        assert.equal(g.nodes.length, want.tasks, f);
        assert.equal(g.edges.length, want.edges, f);
        assert.equal(g.nodes.length, Number(size) + 2, f);
        assert.equal(g.source?.format, 'stg');
        for (const n of g.nodes) assert.equal(n.persistentBytes + n.temporaryBytes, 0);
        for (const e of g.edges) assert.equal(e.bytes, 0);
      }
    });
  }

  it('maps ids, times and predecessors of rand0000 exactly', () => {
    const g = loadModel(dataPath('stg', '50', 'rand0000.stg'));
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    assert.equal(byId.get('1')!.computeUs, 9);
    assert.equal(byId.get('12')!.computeUs, 10);
    // task 10 has predecessors 2, 6, 8
    assert.deepEqual(
      g.edges.filter((e) => e.to === '10').map((e) => e.from),
      ['2', '6', '8'],
    );
    assert.equal(g.edges.find((e) => e.from === '6')!.tensor, 't6');
    assert.ok(byId.get('6')!.outputs.some((t) => t.name === 't6'));
    // dummy entry and exit kept as zero-time nodes
    assert.equal(byId.get('0')!.computeUs, 0);
    assert.equal(byId.get('0')!.opType, 'Entry');
    assert.equal(byId.get('51')!.computeUs, 0);
    assert.equal(byId.get('51')!.opType, 'Exit');
    assert.equal(g.name, 'rand0000');
  });

  it('ignores trailing comments and blank lines', () => {
    const g = parseStg(enc('1\n0 0 0\n1 5 1 0\n2 0 1 1\n\n# CP Length : 5\n# x\n'), 'a.stg');
    assert.deepEqual(
      g.nodes.map((n) => n.computeUs),
      [0, 5, 0],
    );
    assert.equal(g.edges.length, 2);
  });

  const bad: [string, string, RegExp][] = [
    ['a wrong predecessor count', '1\n0 0 0\n1 5 2 0\n2 0 1 1\n', /bad\.stg: node "1": line 3 \(task 1\): declares 2 predecessor\(s\) but lists 1/],
    ['a non-numeric time', '1\n0 0 0\n1 abc 1 0\n2 0 1 1\n', /bad\.stg: node "1": line 3 \(task 1\): processing time must be a number ≥ 0, got "abc"/],
    ['a missing predecessor', '1\n0 0 0\n1 5 1 7\n2 0 1 1\n', /line 3 \(task 1\): predecessor 7 is not a task/],
    ['too few task lines', '3\n0 0 0\n1 5 1 0\n2 0 1 1\n', /declares 3 tasks, so 5 task lines .* found 3/],
    ['a duplicate task', '1\n0 0 0\n1 5 1 0\n1 0 1 1\n', /line 4 \(task 1\): duplicate task id \(first on line 3\)/],
    ['a non-numeric task count', 'abc\n0 0 0\n', /bad\.stg: line 1: number of tasks must be a non-negative integer/],
    ['only comments', '# nothing\n', /bad\.stg: no task count found/],
    ['a cycle', '2\n0 0 0\n1 1 2 0 2\n2 1 1 1\n3 0 1 2\n', /cycle: 1 → 2 → 1|cycle: 2 → 1 → 2/],
  ];
  for (const [what, text, re] of bad) {
    it(`rejects ${what} with a message naming file, line and task`, () => {
      assert.throws(
        () => parseModel(enc(text), 'bad.stg'),
        (e: unknown) => e instanceof OpplaceError && re.test(e.message),
      );
    });
  }
});
