// The viewer's persisted state (webview/viewState.ts) in plain Node: what a stored value may hold
// (it is untrusted: another version, another model), which expanded groups apply to a new graph,
// and the debounce that keeps setState from running on every zoom event.
import { strict as assert } from 'node:assert';
import type { PlacementOptions } from '../../algorithms/plan';
import { buildGroupTree } from '../../webview/model';
import {
  debounce,
  parseViewerState,
  persistedStateOf,
  restoredPlacement,
  restoreExpanded,
  sameChosenOptions,
  stateMatches,
  VIEWER_STATE_VERSION,
} from '../../webview/viewState';
import { initialView, initialViewFrom } from '../../webview/viewReducer';
import { PROTOCOL_VERSION, type InitMessage } from '../../webview/protocol';
import type { OpGraph } from '../../algorithms/graph';

const options: PlacementOptions = { algorithm: 'm-sct', devices: 2, memoryLimits: [2 ** 30, 2 ** 31], comm: 'nvlink4', grouping: 'colocation', fuse: true };

function nsGraph(namespaces: string[][]): OpGraph {
  return {
    name: 'g',
    nodes: namespaces.map((namespace, i) => ({
      id: `n${i}`,
      name: `n${i}`,
      opType: 'Op',
      namespace,
      computeUs: 1,
      persistentBytes: 0,
      temporaryBytes: 0,
      outputs: [],
    })),
    edges: [],
    warnings: [],
  };
}

/** The host's first message for `graph` with no plan yet, plus `extra`. */
function initOf(graph: OpGraph, extra: Partial<InitMessage>): InitMessage {
  return { type: 'init', protocolVersion: PROTOCOL_VERSION, graph, plan: null, options, presets: [], ...extra };
}

describe('viewer persisted state', () => {
  it('keeps every valid field and drops the bad ones one by one', () => {
    const full = {
      v: VIEWER_STATE_VERSION,
      hostUri: 'file:///w/m.onnx',
      file: 'm.onnx',
      options,
      batchSize: 8,
      dims: ['seq=128'],
      view: {
        transform: { k: 1.5, x: -20, y: 7 },
        expanded: ['group:', 'group:a'],
        groupBy: 'colocation',
        showCritical: false,
        selected: 'n1',
        timelineHeight: 210,
      },
    };
    assert.deepEqual(parseViewerState(JSON.parse(JSON.stringify(full))), full);
    const bad = parseViewerState({
      ...full,
      options: { ...options, memoryLimits: [1] }, // length ≠ devices
      batchSize: 0,
      dims: ['seq'], // not NAME=VALUE
      view: { transform: { k: 0, x: 0, y: 0 }, expanded: ['group:', 3], groupBy: 'layers', showCritical: 'no', selected: 5, timelineHeight: -1 },
    });
    assert.deepEqual(bad, { v: VIEWER_STATE_VERSION, hostUri: full.hostUri, file: full.file, view: {} });
    for (const foreign of [null, undefined, 'x', [], { v: 2, hostUri: 'a' }, { hostUri: 'a' }])
      assert.equal(parseViewerState(foreign), null, JSON.stringify(foreign));
  });

  it('applies only to the model it was saved for', () => {
    const s = { v: VIEWER_STATE_VERSION, hostUri: 'file:///w/a.onnx', file: 'a.onnx' } as const;
    assert.equal(stateMatches(s, { hostUri: 'file:///w/a.onnx', file: 'a.onnx' }), true);
    assert.equal(stateMatches(s, { hostUri: 'file:///other/a.onnx', file: 'a.onnx' }), false, 'same name, other folder');
    assert.equal(stateMatches(s, { file: 'a.onnx' }), true, 'a host that sends no URI: by file name');
    assert.equal(stateMatches(s, { file: 'b.onnx' }), false);
    assert.equal(stateMatches({ v: VIEWER_STATE_VERSION }, { hostUri: 'file:///w/a.onnx' }), false, "a state naming no model is not this one's");
  });

  it('what it persists of a view parses back whole, and restores the same view', () => {
    const graph = nsGraph([['a'], ['a'], ['b']]);
    const init = initOf(graph, { file: 'g.onnx', hostUri: 'file:///w/g.onnx' });
    const s = initialView({ ...initialViewFrom(init, null), selectedId: 'n2', timelineHeight: 120 });
    const stored = persistedStateOf(s, init, { k: 2, x: 3, y: 4 });
    assert.deepEqual(parseViewerState(JSON.parse(JSON.stringify(stored))), stored);
    assert.deepEqual([stored.hostUri, stored.file, stored.view?.selected, stored.view?.timelineHeight], ['file:///w/g.onnx', 'g.onnx', 'n2', 120]);
    const again = initialView(initialViewFrom(init, stored));
    assert.deepEqual([again.selected, [...again.expanded], again.timelineHeight], [s.selected, [...s.expanded], 120]);
  });

  it('re-places a restored view only when the user had chosen other options, batch size or objective', () => {
    const graph = nsGraph([['a'], ['b']]);
    const init = initOf(graph, { batchSize: 8, capabilities: { batchSize: true } });
    const restore = (saved: Parameters<typeof initialViewFrom>[1]) => restoredPlacement(init, saved, initialView(initialViewFrom(init, saved)));
    assert.equal(restore(null), null);
    assert.equal(restore({ v: VIEWER_STATE_VERSION, options: { ...options } }), null, "the same options: the host's plan stands");
    const etf = { ...options, algorithm: 'm-etf' as const };
    assert.deepEqual(restore({ v: VIEWER_STATE_VERSION, options: etf }), { options: etf, batchSize: undefined });
    assert.deepEqual(restore({ v: VIEWER_STATE_VERSION, options, batchSize: 4 }), { options, batchSize: 4 });
    const throughput = restore({
      v: VIEWER_STATE_VERSION,
      objective: 'throughput',
      pipelineControls: { split: 'contiguous', microbatches: 4, schedule: '1f1b' },
    });
    assert.deepEqual(throughput, { options, batchSize: undefined }, "another objective: placed again with the host's options");
  });

  it('compares the options the controls set', () => {
    assert.equal(sameChosenOptions(options, { ...options, memoryLimits: [...options.memoryLimits], seed: 3 }), true);
    assert.equal(sameChosenOptions(options, { ...options, memoryLimits: [2 ** 30, 2 ** 30] }), false);
    assert.equal(sameChosenOptions(options, { ...options, algorithm: 'm-etf' }), false);
    assert.equal(sameChosenOptions(options, { ...options, fuse: false }), false);
  });

  it('restores the expanded groups that still exist, with their ancestors', () => {
    const tree = buildGroupTree(nsGraph([['a', 'x'], ['a', 'x'], ['a', 'y'], ['a', 'y'], ['b'], ['b']]));
    const ids = [...tree.groups.keys()];
    const inner = ids.find((id) => id.endsWith('/x'))!;
    assert.ok(inner, `a nested group among ${ids.join(', ')}`);
    const parent = tree.groups.get(inner)!.parent!;
    const restored = restoreExpanded([inner, 'group:gone'], tree.groups, tree.root)!;
    assert.deepEqual([...restored].sort(), [tree.root, parent, inner].sort());
    assert.equal(restoreExpanded(['group:gone'], tree.groups, tree.root), null, 'nothing applies: use the default');
    assert.equal(restoreExpanded(undefined, tree.groups, tree.root), null);
    assert.deepEqual([...restoreExpanded([tree.root], tree.groups, tree.root)!], [tree.root], 'all collapsed stays collapsed');
  });

  it('debounces: one call with the last arguments after a pause; flush runs it now', async () => {
    const calls: number[] = [];
    const d = debounce((n: number) => calls.push(n), 30);
    for (let i = 0; i < 20; i++) d(i);
    assert.deepEqual(calls, []);
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(calls, [19]);
    d(42);
    d.flush();
    assert.deepEqual(calls, [19, 42]);
    d.flush();
    assert.deepEqual(calls, [19, 42], 'nothing pending: flush does nothing');
  });
});
