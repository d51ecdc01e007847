// Pure parts of the viewer, in Node: the protocol validators, the group tree / visibility model,
// scoped layout (with ELK in-process), memory segments, the HTML builders and the report file.
import { strict as assert } from 'node:assert';
import ELK from 'elkjs/lib/elk.bundled.js';
import type { OpGraph, OpNode } from '../../algorithms/graph';
import type { DevicePlan } from '../../algorithms/plan';
import { generateDnnDag } from '../helpers/generateDag';
import { placeGraph } from '../../algorithms/placement/index';
import { buildReportHtml } from '../../report/standalone';
import { escapeScriptText, buildWebviewHtml, jsonForScript } from '../../webview/html';
import { absoluteLayout, layoutScopes, type ElkLayoutFn, type LayoutScope } from '../../webview/layoutCore';
import { memorySegments, memoryScaleMax } from '../../webview/memoryPanel';
import { nodeHtml } from '../../webview/detailsPane';
import {
  autoExpand,
  buildGroupTree,
  drawnEdges,
  narrowCuts,
  planView,
  resizeLimits,
  scopeLayoutEdges,
  searchNodes,
  visibleGraph,
  ancestorsOf,
} from '../../webview/model';
import { isHostToWebviewMessage, isWebviewToHostMessage, PROTOCOL_VERSION } from '../../webview/protocol';
import { ensureBundles } from './harness';
import { GiB, VIEWER_OPTIONS as OPTIONS, viewerGraph, viewerNode as node } from '../helpers/viewerGraph';

/** a/x → a/y → b/z → c (no namespace), plus a skip edge a/x → c. */
function smallGraph(): OpGraph {
  const nodes = [node('x', ['a']), node('y', ['a']), node('z', ['b', 'inner']), node('w', ['b', 'inner']), node('c', [], 'Add')];
  return viewerGraph('small', nodes, [
    ['x', 'y'],
    ['y', 'z'],
    ['z', 'w'],
    ['w', 'c'],
    ['x', 'c'],
  ]);
}

describe('viewer protocol validators', () => {
  it('accepts every well-formed webview → host message', () => {
    const ok: unknown[] = [
      { type: 'ready', protocolVersion: PROTOCOL_VERSION },
      { type: 'replace', requestId: 3, options: OPTIONS },
      { type: 'replace', requestId: 4, options: OPTIONS, batchSize: 8 },
      { type: 'replace', requestId: 5, options: OPTIONS, dims: ['seq=128', 'past=3'] },
      { type: 'replace', requestId: 6, options: OPTIONS, dims: [] },
      { type: 'saveLimits', memoryLimits: [GiB, 2 * GiB] },
      { type: 'export', format: 'csv' },
      { type: 'openInBrowser' },
      { type: 'select', nodeId: 'conv1' },
      { type: 'select', nodeId: null },
      { type: 'log', level: 'error', message: 'x' },
    ];
    for (const m of ok) assert.ok(isWebviewToHostMessage(m), JSON.stringify(m));
  });

  it('rejects malformed or hostile messages', () => {
    const bad: unknown[] = [
      null,
      'ready',
      [],
      { type: 'nope' },
      { type: 'replace', requestId: 1 },
      { type: 'replace', requestId: 1.5, options: OPTIONS },
      { type: 'replace', requestId: 1, options: { ...OPTIONS, devices: 3 } }, // limits length ≠ devices
      { type: 'replace', requestId: 1, options: { ...OPTIONS, algorithm: 'magic' } },
      { type: 'replace', requestId: 1, options: { ...OPTIONS, memoryLimits: [-1, GiB] } },
      { type: 'replace', requestId: 1, options: { ...OPTIONS, memoryLimits: [Infinity, GiB] } },
      { type: 'replace', requestId: 1, options: { ...OPTIONS, grouping: 'all' } },
      { type: 'replace', requestId: 1, options: OPTIONS, batchSize: 0 },
      // dims: what --dim would refuse
      { type: 'replace', requestId: 1, options: OPTIONS, dims: 'seq=128' },
      { type: 'replace', requestId: 1, options: OPTIONS, dims: ['seq'] },
      { type: 'replace', requestId: 1, options: OPTIONS, dims: ['seq=0'] },
      { type: 'replace', requestId: 1, options: OPTIONS, dims: [128] },
      { type: 'saveLimits', memoryLimits: [] },
      { type: 'saveLimits', memoryLimits: ['1GiB'] },
      { type: 'export', format: 'exe' },
      { type: 'select', nodeId: 5 },
      { type: 'log', level: 'debug', message: 'x' },
    ];
    for (const m of bad) assert.ok(!isWebviewToHostMessage(m), JSON.stringify(m));
  });

  it('checks host → webview messages by shape', () => {
    assert.ok(isHostToWebviewMessage({ type: 'init', graph: { nodes: [] }, plan: null, options: OPTIONS, presets: [] }));
    assert.ok(!isHostToWebviewMessage({ type: 'plan', plan: {}, options: OPTIONS, requestId: 2 }), 'a plan message carries the wire form (planWire.test.ts)');
    assert.ok(isHostToWebviewMessage({ type: 'busy', busy: true }));
    assert.ok(isHostToWebviewMessage({ type: 'theme', theme: 'dark' }));
    assert.ok(!isHostToWebviewMessage({ type: 'init', graph: {}, plan: null, options: OPTIONS, presets: [] }));
    assert.ok(!isHostToWebviewMessage({ type: 'theme', theme: 'pink' }));
    assert.ok(!isHostToWebviewMessage({ type: 'ready', protocolVersion: 1 }), 'a webview message is not a host message');
  });
});

describe('viewer model', () => {
  it('builds the namespace tree, merging single-child chains and hoisting single ops', () => {
    const g = smallGraph();
    const t = buildGroupTree(g);
    const root = t.groups.get(t.root)!;
    assert.deepEqual(root.groups, ['group:a', 'group:b/inner'], 'b/inner merged into one box');
    assert.equal(t.groups.get('group:b/inner')!.label, 'b/inner');
    assert.deepEqual(
      root.nodes.map((i) => g.nodes[i].id),
      ['c'],
    );
    assert.deepEqual(ancestorsOf(t, 2), ['group:', 'group:b/inner']);
  });

  it('visibility, scope edges and drawn edges follow the expanded set', () => {
    const g = smallGraph();
    const idx = new Map(g.nodes.map((n, i) => [n.id, i]));
    const t = buildGroupTree(g);
    const collapsed = visibleGraph(g, t, new Set([t.root]));
    assert.deepEqual(
      collapsed.items.map((i) => i.id),
      ['group:a', 'group:b/inner', 'c'],
    );
    const edges = scopeLayoutEdges(g, t, collapsed, idx).get(t.root)!;
    assert.deepEqual(edges.map((e) => `${e.source}>${e.target}`).sort(), ['group:a>c', 'group:a>group:b/inner', 'group:b/inner>c']);
    const open = visibleGraph(g, t, new Set([t.root, 'group:a']));
    const byScope = scopeLayoutEdges(g, t, open, idx);
    assert.deepEqual(
      byScope.get('group:a')!.map((e) => `${e.source}>${e.target}`),
      ['x>y'],
    );
    assert.deepEqual(
      byScope
        .get(t.root)!
        .map((e) => `${e.source}>${e.target}`)
        .sort(),
      ['group:a>c', 'group:a>group:b/inner', 'group:b/inner>c'],
    );
    const drawn = drawnEdges(g, open, idx)
      .map((d) => `${d.source}>${d.target}`)
      .sort();
    assert.deepEqual(drawn, ['group:b/inner>c', 'x>c', 'x>y', 'y>group:b/inner']);
  });

  it('splits wide flat graphs into topological chunks and auto-expands within a budget', () => {
    const g = generateDnnDag({ nodes: 1500, seed: 5 });
    const t = buildGroupTree(g, { groupBy: 'namespace', maxChildren: 40 });
    for (const grp of t.groups.values()) assert.ok(grp.groups.length + grp.nodes.length <= 40, `${grp.id} has ≤ 40 children`);
    const covered = new Set<number>();
    for (const grp of t.groups.values())
      for (const i of grp.nodes) {
        assert.ok(!covered.has(i), 'every node in exactly one group');
        covered.add(i);
      }
    assert.equal(covered.size, g.nodes.length);
    const ex = autoExpand(t, 150);
    const vis = visibleGraph(g, t, ex);
    assert.ok(vis.items.length <= 150 && vis.items.length > 20, `${vis.items.length} visible`);
    assert.ok(
      vis.repOf.every((r) => typeof r === 'string'),
      'every node has a visible representative',
    );
  });

  it('a graph without namespaces is cut into stages at narrow points, each named after its first and last op', () => {
    // Two chains of 100 joined by one edge, then a diamond-rich part: the cut falls on the join.
    const nodes: OpNode[] = [];
    const edges: OpGraph['edges'] = [];
    const add = (id: string) => nodes.push(node(id, [], 'Relu'));
    const link = (a: string, b: string) => edges.push({ from: a, to: b, tensor: `${a}:0`, bytes: 1 });
    for (let i = 0; i < 100; i++) {
      add(`a${i}`);
      add(`b${i}`);
      if (i > 0) {
        link(`a${i - 1}`, `a${i}`);
        link(`b${i - 1}`, `b${i}`);
        link(`a${i - 1}`, `b${i}`); // a wide band: two edges cross every point inside
      }
    }
    add('join');
    link('a99', 'join');
    link('b99', 'join');
    for (let i = 0; i < 40; i++) {
      add(`c${i}`);
      link(i === 0 ? 'join' : `c${i - 1}`, `c${i}`);
    }
    const g: OpGraph = { name: 'flat', nodes, edges, warnings: [] };
    const t = buildGroupTree(g, { groupBy: 'namespace', maxChildren: 250 });
    const root = t.groups.get(t.root)!;
    assert.ok(root.groups.length >= 3, `${root.groups.length} stages`);
    for (const gid of root.groups) {
      const grp = t.groups.get(gid)!;
      assert.ok(grp.members.length <= 64 || grp.groups.length > 0, `${grp.label}: ${grp.members.length} ops in one flat box`);
      const first = g.nodes[grp.members[0]].name;
      const last = g.nodes[grp.members[grp.members.length - 1]].name;
      assert.equal(grp.label, `${first} … ${last}`);
      assert.doesNotMatch(grp.label, /^ops \d/);
    }
    // The chain after the join is one-edge-wide: some stage boundary sits inside it or at the join,
    // never where the band is two edges wide if a narrower point is within reach.
    assert.deepEqual(narrowCuts([3, 3, 1, 3, 3, 3, 2, 3, 3], 10, 2), [3], 'the single narrow point near the middle');
    assert.deepEqual(narrowCuts([2, 2, 2, 2, 2, 2, 2, 2, 2], 10, 2), [5], 'even width: the even split');
  });

  it('a flat box of more than 64 × maxChildren ops is cut twice into a tree, not a cycle (17k ops at the default 250 overflowed the stack)', () => {
    /** Every box reachable once from the root, each listing its parent, and every op in exactly one box. */
    const assertTree = (g: OpGraph, t: ReturnType<typeof buildGroupTree>) => {
      const seen = new Set<string>();
      const ops = new Set<number>();
      const walk = (id: string) => {
        assert.ok(!seen.has(id), `${id} reached twice`);
        seen.add(id);
        const grp = t.groups.get(id)!;
        for (const c of grp.groups) {
          assert.equal(t.groups.get(c)!.parent, id, `${c}'s parent`);
          walk(c);
        }
        for (const i of grp.nodes) {
          assert.ok(!ops.has(i), `op ${i} in two boxes`);
          ops.add(i);
        }
      };
      walk(t.root);
      assert.equal(seen.size, t.groups.size, 'no box outside the tree');
      assert.equal(ops.size, g.nodes.length);
    };
    const chain = (n: number, namespace: (i: number) => string[] = () => []) =>
      viewerGraph(
        'flat',
        Array.from({ length: n }, (_, i) => node(`op${i}`, namespace(i), 'Relu')),
        Array.from({ length: n - 1 }, (_, i): [string, string] => [`op${i}`, `op${i + 1}`]),
      );
    for (const [n, maxChildren] of [
      [700, 4],
      [2000, 8],
      [17_000, 250],
    ]) {
      const g = chain(n);
      const t = buildGroupTree(g, { groupBy: 'namespace', maxChildren });
      assertTree(g, t);
      assert.ok(t.groups.get(t.root)!.groups.length <= maxChildren, `${n} ops, maxChildren ${maxChildren}: the root fits`);
    }
    // a namespace named like a chunk ("a#1") does not take chunk 1 of namespace "a"
    const g = chain(300, (i) => [i < 200 ? 'a' : 'a#1']);
    assertTree(g, buildGroupTree(g, { groupBy: 'namespace', maxChildren: 250 }));
  });

  it('details pane: the nodes folded into an op (ONNX shape plumbing) are listed, escaped', async () => {
    const g = smallGraph();
    g.nodes[2].foldedNodes = ['/h.0/Shape', '/h.0/Cast<1>'];
    const idx = new Map(g.nodes.map((n, i) => [n.id, i]));
    const pv = planView(g, await placeGraph(g, { ...OPTIONS }), idx);
    assert.match(nodeHtml(g, pv, 2), /<td>absorbed<\/td><td><span class="absorbed">\/h\.0\/Shape, \/h\.0\/Cast&lt;1&gt;<\/span><\/td>/);
    assert.doesNotMatch(nodeHtml(g, pv, 1), /absorbed/);
    // Search finds an absorbed node by its name and answers with its consumer.
    assert.deepEqual(searchNodes(g, 'h.0/shape'), [2]);
  });

  it('plan view: devices, critical ops and edges, cross-device edges', async () => {
    const g = smallGraph();
    const idx = new Map(g.nodes.map((n, i) => [n.id, i]));
    const plan = await placeGraph(g, { ...OPTIONS });
    const pv = planView(g, plan, idx);
    for (const s of plan.schedule) assert.equal(pv.deviceOf[idx.get(s.node)!], s.device);
    assert.equal([...pv.critical].filter(Boolean).length, new Set(plan.criticalPath).size);
    g.edges.forEach((e, k) => assert.equal(pv.crossEdge[k] === 1, pv.deviceOf[idx.get(e.from)!] !== pv.deviceOf[idx.get(e.to)!]));
    assert.deepEqual(
      searchNodes(g, 'ADD').map((i) => g.nodes[i].id),
      ['c'],
    );
  });

  it('memory segments always add up to the peak', () => {
    const d = (extra: Partial<DevicePlan>): DevicePlan => ({ index: 0, memoryLimitBytes: GiB, peakBytes: 1000, busyUs: 0, ...extra });
    for (const dev of [
      d({}),
      d({ persistentBytes: 300, temporaryAtPeakBytes: 100 }),
      d({ persistentBytes: 5000 }),
      d({ persistentBytes: 600, temporaryAtPeakBytes: 900 }),
    ]) {
      const s = memorySegments(dev);
      assert.equal(s.persistent + s.activations + s.temporary, dev.peakBytes);
      assert.ok(s.persistent >= 0 && s.activations >= 0 && s.temporary >= 0);
    }
    assert.equal(memoryScaleMax([60e6, 59e6], [16 * GiB, 16 * GiB]), 60e6, 'far-away limits do not squash the bars');
    assert.equal(memoryScaleMax([10e9], [12e9]), 12e9, 'a near limit is on the axis');
    assert.equal(memoryScaleMax([0, 0], [GiB]), GiB, 'infeasible: scale to the limit');
    assert.deepEqual(resizeLimits([1, 2], 4, 9), [1, 2, 2, 2]);
    assert.deepEqual(resizeLimits([1, 2, 3], 1, 9), [1]);
  });
});

describe('viewer scoped layout (ELK in Node)', () => {
  it('lays out nested scopes bottom-up, caches unchanged scopes, and places children inside their frame', async () => {
    const elk = new ELK();
    const run = elk.layout.bind(elk) as unknown as ElkLayoutFn;
    const scopes: LayoutScope[] = [
      {
        scope: 'group:',
        children: [
          { id: 'group:a', isScope: true },
          { id: 'c', width: 100, height: 30 },
        ],
        edges: [{ id: 'e1', source: 'group:a', target: 'c' }],
      },
      {
        scope: 'group:a',
        children: [
          { id: 'x', width: 100, height: 30 },
          { id: 'y', width: 100, height: 30 },
        ],
        edges: [{ id: 'e2', source: 'x', target: 'y' }],
      },
    ];
    const cache = new Map();
    const r1 = await layoutScopes({ requestId: 1, scopes }, run, cache);
    assert.equal(r1.computed, 2);
    const abs = absoluteLayout('group:', scopes, r1.results);
    const frame = abs.boxes.get('group:a')!;
    for (const id of ['x', 'y']) {
      const b = abs.boxes.get(id)!;
      assert.ok(
        b.x >= frame.x && b.y >= frame.y && b.x + b.width <= frame.x + frame.width && b.y + b.height <= frame.y + frame.height,
        `${id} inside its group's frame`,
      );
    }
    assert.ok(abs.boxes.get('y')!.y > abs.boxes.get('x')!.y, 'layered top-down');
    assert.ok(abs.boxes.get('c')!.y >= frame.y + frame.height, 'c below the group it depends on');
    const r2 = await layoutScopes({ requestId: 2, scopes }, run, cache);
    assert.equal(r2.computed, 0, 'second layout of the same scopes is all cache hits');
  });
});

describe('viewer HTML builders', () => {
  it('escapes script text and JSON so data cannot close the script element', () => {
    assert.equal(escapeScriptText('a</script>b<!--c'), 'a<\\/script>b<\\!--c');
    const json = jsonForScript({ s: '</script><img src=x onerror=alert(1)>' });
    assert.ok(!json.includes('<'));
    assert.deepEqual(JSON.parse(json), { s: '</script><img src=x onerror=alert(1)>' });
  });

  it('webview page: strict CSP with nonce scripts and blob: workers only', () => {
    const html = buildWebviewHtml({
      cspSource: 'https://x.vscode-cdn.net',
      nonce: 'abc123',
      scriptUri: 'https://x/webview.js',
      workerUri: 'https://x/layout-worker.js',
    });
    const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)![1];
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-abc123'(;|$)/);
    assert.match(csp, /worker-src blob:/);
    assert.ok(!/unsafe-eval|unsafe-inline/.test(csp));
    assert.ok(!/ on[a-z]+=/i.test(html), 'no inline event handlers');
    for (const tag of html.match(/<script[^>]*>/g)!) assert.match(tag, /nonce="abc123"/);
  });

  it('report: one deterministic self-contained file', async function () {
    this.timeout(60_000);
    await ensureBundles();
    const g = smallGraph();
    const plan = await placeGraph(g, OPTIONS);
    const a = buildReportHtml({ graph: g, plan, options: OPTIONS, file: 'small.onnx' });
    const b = buildReportHtml({ graph: g, plan, options: OPTIONS, file: 'small.onnx' });
    assert.equal(a, b, 'byte for byte the same');
    assert.ok(!/\b(src|href)="(https?:|\/\/)/.test(a), 'no network references');
    assert.match(a, /id="opplace-highs-wasm">[A-Za-z0-9+/=]{1000,}/, 'highs.wasm inlined');
    const init = JSON.parse(/<script type="application\/json" id="opplace-init">([\s\S]*?)<\/script>/.exec(a)![1]);
    assert.deepEqual(init.plan, plan);
    assert.ok(isHostToWebviewMessage(init));
  });
});
