// The viewer's state function in Node: each event changes only what it should, and a field that
// did not change keeps its identity (app.ts redraws by comparing with !==).
import { strict as assert } from 'node:assert';
import type { OpGraph } from '../../algorithms/graph';
import { placeGraph } from '../../algorithms/placement/index';
import { ancestorsOf, bodyLayoutScope, visibleGraph } from '../../webview/model';
import { matchCountText } from '../../webview/toolbar';
import { drawnDevices, initialView, initialViewFrom, reduceView, viewChanges, type ViewEvent, type ViewModel } from '../../webview/viewReducer';
import { VIEWER_STATE_VERSION, type PersistedViewerState } from '../../webview/viewState';
import { PROTOCOL_VERSION, type InitMessage } from '../../webview/protocol';
import { GiB, VIEWER_OPTIONS as OPTIONS, viewerGraph, viewerNode as node } from '../helpers/viewerGraph';

/** a/x → a/y → b/inner/z → b/inner/w → c. */
function graph(): OpGraph {
  const nodes = [node('x', ['a']), node('y', ['a'], 'Relu'), node('z', ['b', 'inner']), node('w', ['b', 'inner'], 'Relu'), node('c', [], 'Add')];
  return viewerGraph('g', nodes, [
    ['x', 'y'],
    ['y', 'z'],
    ['z', 'w'],
    ['w', 'c'],
  ]);
}

function collapsed(): ViewModel {
  const s = initialView({ graph: graph(), plan: null, options: OPTIONS });
  return reduceView(s, { type: 'collapseAll' });
}

/** The 5-op graph with an If at c: a then branch of two ops (the second reads the first), an else of one. */
function withIf(): OpGraph {
  const g = graph();
  g.nodes[4] = {
    ...g.nodes[4],
    opType: 'If',
    body: {
      opType: 'If',
      countedBranch: 0,
      branches: [
        {
          name: 'then_branch',
          flops: 30,
          ops: [
            { name: 't1', opType: 'MatMul', flops: 20, inputs: [] },
            { name: 't2', opType: 'Relu', flops: 10, inputs: [0] },
          ],
        },
        { name: 'else_branch', flops: 5, ops: [{ name: 'e1', opType: 'Neg', flops: 5, inputs: [] }] },
      ],
    },
  };
  return g;
}

describe('viewer state function (reduceView)', () => {
  it('an If op expands in place: its body id toggles, its branches become scopes of its ops, and the expansion survives a new graph', async () => {
    const plan = await placeGraph(withIf(), OPTIONS);
    const s0 = initialView({ graph: withIf(), plan, options: OPTIONS });
    const s1 = reduceView(s0, { type: 'toggleGroup', id: 'body:c' });
    assert.ok(s1.expanded.has('body:c'));
    const vis = visibleGraph(s1.graph, s1.tree, s1.expanded);
    assert.equal(vis.repOf[4], 'body:c', 'the op is drawn as its frame');
    assert.deepEqual(
      vis.items.filter((it) => it.kind === 'body').map((it) => [it.id, it.node]),
      [
        ['body:c#0/0', 4],
        ['body:c#0/1', 4],
        ['body:c#1/0', 4],
      ],
    );
    assert.deepEqual(vis.scopes.slice(-3), ['body:c', 'body:c#0', 'body:c#1'], 'the op frame before its branches');
    const then = bodyLayoutScope(s1.graph, vis.bodyScopes.get('body:c#0')!, { width: 10, height: 5 });
    assert.deepEqual(
      then.edges.map((e) => [e.source, e.target]),
      [['body:c#0/0', 'body:c#0/1']],
    );
    // A branch's frame title collapses the whole body; a plain op or an unknown one has none.
    assert.ok(!reduceView(s1, { type: 'toggleGroup', id: 'body:c#1' }).expanded.has('body:c'));
    assert.equal(reduceView(s0, { type: 'toggleGroup', id: 'body:x' }), s0);
    assert.equal(reduceView(s0, { type: 'toggleGroup', id: 'body:nope' }), s0);
    // A re-loaded graph (another structure) keeps the body open; one whose op lost its body does not.
    const next = withIf();
    next.nodes.push(node('d', []));
    assert.ok(reduceView(s1, { type: 'plan', plan, options: OPTIONS, graph: next }).expanded.has('body:c'));
    const plain = graph();
    plain.nodes.push(node('d', []));
    assert.ok(!reduceView(s1, { type: 'plan', plan, options: OPTIONS, graph: plain }).expanded.has('body:c'));
  });

  it('collapsing a group collapses everything inside it; expanding adds only that group', () => {
    const s0 = initialView({ graph: graph(), plan: null, options: OPTIONS });
    const b = [...s0.tree.groups.values()].find((g) => g.label.startsWith('b'))!;
    assert.ok(s0.expanded.has(b.id), 'a 5-op graph opens fully');
    const s1 = reduceView(s0, { type: 'toggleGroup', id: b.id });
    for (const g of [b.id, ...b.groups]) assert.ok(!s1.expanded.has(g), `${g} collapsed`);
    assert.equal(s1.tree, s0.tree, 'the tree keeps its identity');
    const s2 = reduceView(s1, { type: 'toggleGroup', id: b.id });
    assert.ok(s2.expanded.has(b.id));
    assert.equal(reduceView(s2, { type: 'expand', id: b.id }), s2, 'expanding an expanded group changes nothing');
    assert.equal(reduceView(s2, { type: 'toggleGroup', id: 'group:nope' }), s2, 'an unknown group changes nothing');
  });

  it('search expands the groups hiding the first match; Enter (nextMatch) moves on and wraps', () => {
    const s0 = collapsed();
    const s1 = reduceView(s0, { type: 'search', query: 'relu' });
    assert.deepEqual(
      s1.matches.map((i) => s1.graph.nodes[i].id),
      ['y', 'w'],
    );
    assert.equal(s1.matchCursor, 0);
    for (const g of ancestorsOf(s1.tree, 1)) assert.ok(s1.expanded.has(g), `${g} expanded for y`);
    const s2 = reduceView(s1, { type: 'nextMatch' });
    assert.equal(s2.matchCursor, 1);
    for (const g of ancestorsOf(s2.tree, 3)) assert.ok(s2.expanded.has(g), `${g} expanded for w`);
    assert.equal(reduceView(s2, { type: 'nextMatch' }).matchCursor, 0, 'wraps to the first');
    const none = reduceView(s0, { type: 'search', query: 'softmax' });
    assert.deepEqual(none.matches, []);
    assert.equal(none.expanded, s0.expanded, 'no match: nothing expands');
    assert.equal(reduceView(none, { type: 'nextMatch' }), none);
  });

  it('a plan replaces the plan view and clears the error; a plan with fewer devices resets the memory device', async () => {
    const g = graph();
    let s = initialView({ graph: g, plan: null, options: OPTIONS });
    s = reduceView(s, { type: 'memDevice', device: 1 });
    s = reduceView(s, { type: 'error', message: 'boom' });
    const one = { ...OPTIONS, devices: 1, memoryLimits: [GiB] };
    const plan = await placeGraph(g, one);
    const s1 = reduceView(s, { type: 'plan', plan, options: one });
    assert.equal(s1.error, null);
    assert.equal(s1.memDevice, 0);
    assert.notEqual(s1.pv, s.pv);
    assert.ok([...s1.pv.deviceOf].every((d) => d === 0));
    assert.equal(s1.expanded, s.expanded, 'a plan alone does not re-layout');
    assert.deepEqual(s1.chosenOptions, one);
  });

  it('a graph with the same structure keeps the tree; another structure adopts a new tree and keeps the selection by id', async () => {
    const g = graph();
    let s = initialView({ graph: g, plan: null, options: OPTIONS, selectedId: 'w' });
    assert.equal(s.selected, 3);
    const plan = await placeGraph(g, OPTIONS);
    const recosted = { ...g, nodes: g.nodes.map((n) => ({ ...n, computeUs: n.computeUs * 2 })) };
    const s1 = reduceView(s, { type: 'plan', plan, options: OPTIONS, graph: recosted });
    assert.equal(s1.tree, s.tree);
    assert.equal(s1.graph, recosted);
    const smaller: OpGraph = { ...g, nodes: g.nodes.filter((n) => n.id !== 'x'), edges: g.edges.filter((e) => e.from !== 'x') };
    const plan2 = await placeGraph(smaller, OPTIONS);
    s = reduceView(s1, { type: 'plan', plan: plan2, options: OPTIONS, graph: smaller });
    assert.notEqual(s.tree, s1.tree);
    assert.equal(s.selected, 2, 'w is index 2 in the new graph');
  });

  it('the search count says which match is shown', () => {
    assert.equal(matchCountText(0, '', 200, 0), '');
    assert.equal(matchCountText(0, 'x', 200, 0), 'none found');
    assert.equal(matchCountText(1, 'x', 200, 0), '1 found');
    assert.equal(matchCountText(5, 'x', 200, 2), '3 of 5');
    assert.equal(matchCountText(200, 'x', 200, 0), '1 of 200+');
  });
});

describe('what an event changed (viewChanges)', () => {
  /** The flags that are set, by name: what the wiring redraws after `ev`. */
  function changed(s: ViewModel, ev: ViewEvent): string[] {
    const c = viewChanges(s, reduceView(s, ev), ev);
    return Object.entries(c)
      .filter(([, on]) => on)
      .map(([k]) => k)
      .sort();
  }

  it('a selection redraws the selection only; a toggle lays out without fitting; collapse all fits', () => {
    const s = collapsed();
    assert.deepEqual(changed(s, { type: 'select', node: 2 }), ['recolourDag', 'selection']);
    assert.deepEqual(changed(s, { type: 'toggleGroup', id: [...s.tree.groups.keys()].find((g) => g !== s.tree.root)! }), ['recolourDag', 'relayout']);
    const open = reduceView(s, { type: 'expandAll', maxVisible: Infinity });
    assert.deepEqual(changed(open, { type: 'collapseAll' }), ['fit', 'recolourDag', 'relayout']);
  });

  it('a plan redraws the panels and recolours in place; a new grouping lays out and fits, the next layout colours', async () => {
    const s = collapsed();
    const plan = await placeGraph(s.graph, OPTIONS);
    assert.deepEqual(changed(s, { type: 'plan', plan, options: OPTIONS }), ['plan', 'recolourDag']);
    const regrouped = viewChanges(s, reduceView(s, { type: 'groupBy', groupBy: 'colocation' }), { type: 'groupBy', groupBy: 'colocation' });
    assert.equal(regrouped.relayout && regrouped.fit, true);
    assert.equal(regrouped.recolourDag, false, 'a new tree: the layout draws the colours');
  });

  it('a search centres its match; a new graph drops the matches and redraws the selection', async () => {
    const s = reduceView(collapsed(), { type: 'search', query: 'Relu' });
    assert.ok(s.matches.length > 0);
    assert.ok(viewChanges(collapsed(), s, { type: 'search', query: 'Relu' }).showMatch);
    const smaller: OpGraph = { ...s.graph, nodes: s.graph.nodes.filter((n) => n.id !== 'x'), edges: s.graph.edges.filter((e) => e.from !== 'x') };
    const plan = await placeGraph(smaller, OPTIONS);
    const ev: ViewEvent = { type: 'plan', plan, options: OPTIONS, graph: smaller };
    const c = viewChanges(s, reduceView(s, ev), ev);
    assert.deepEqual([c.graph, c.selection, c.matchesCleared, c.matchCount, c.showMatch], [true, true, true, true, false]);
  });

  it("the drawn devices: the plan's, else the options' count", async () => {
    const s = collapsed();
    assert.equal(drawnDevices(s), OPTIONS.devices);
    const one = { ...OPTIONS, devices: 1, memoryLimits: [OPTIONS.memoryLimits[0]] };
    const plan = await placeGraph(s.graph, one);
    assert.equal(drawnDevices(reduceView(s, { type: 'plan', plan, options: one })), 1);
  });

  it("the first state: what the user chose before a reload wins over the host's defaults", () => {
    const g = graph();
    const init: InitMessage = { type: 'init', protocolVersion: PROTOCOL_VERSION, graph: g, plan: null, options: OPTIONS, presets: [], batchSize: 8 };
    const fresh = initialView(initialViewFrom(init, null));
    assert.equal(fresh.chosenBatch, 8);
    assert.equal(fresh.showCritical, true);
    const chosen = { ...OPTIONS, algorithm: 'm-etf' as const };
    const saved: PersistedViewerState = {
      v: VIEWER_STATE_VERSION,
      options: chosen,
      batchSize: 4,
      view: { showCritical: false, selected: 'w', groupBy: 'colocation' as const },
    };
    const s = initialView(initialViewFrom(init, saved));
    assert.deepEqual([s.chosenOptions, s.options, s.chosenBatch, s.showCritical, s.selected, s.groupBy], [chosen, OPTIONS, 4, false, 3, 'colocation']);
  });
});
