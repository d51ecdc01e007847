// Throughput mode's view model in Node (issue 14 item 6): stage colouring of the DAG, the memory
// bars of a pipeline plan, the microbatch × stage timeline layout with its idle gaps, the summary,
// the protocol's throughput messages and the state function's objective switch.
import { strict as assert } from 'node:assert';
import type { OpGraph } from '../../algorithms/graph';
import type { PlacementOptions } from '../../algorithms/plan';
import { whereLabel } from '../../webview/detailsPane';
import {
  idleGaps,
  pipelineMemoryBars,
  pipelineOptionsFrom,
  pipelineSummaryItems,
  pipelineTimelineLayout,
  pipelineView,
  stageOfNodes,
} from '../../webview/pipelineModel';
import { isHostToWebviewMessage, isWebviewToHostMessage, MAX_MICROBATCHES } from '../../webview/protocol';
import { initialView, reduceView } from '../../webview/viewReducer';
import { toyPlan, trainingGraph } from '../helpers/pipelineFixtures';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const OPTIONS: PlacementOptions = { algorithm: 'm-etf', devices: 2, memoryLimits: [GiB, 2 * GiB], comm: 'pcie4', grouping: 'coplace', fuse: true };

const idxOf = (g: OpGraph) => new Map(g.nodes.map((n, i) => [n.id, i] as [string, number]));

describe('throughput mode view model (pipelineModel)', () => {
  it('colours ops by stage (not device), marks edges between stages and no critical path', () => {
    const g = trainingGraph();
    const pv = pipelineView(g, toyPlan(), idxOf(g));
    assert.equal(pv.colourBy, 'stage');
    assert.deepEqual([...pv.deviceOf], [0, 1, 1, 0], 'f1,b1 in stage 0 (device 1); f2,b2 in stage 1 (device 0)');
    assert.deepEqual(pv.stageDevice, [1, 0]);
    // Edges f1→f2 and f2→b2… : f1→f2 crosses (0→1), f2→b2 does not, b2→b1 crosses, f1→b1 does not.
    assert.deepEqual([...pv.crossEdge], [1, 0, 1, 0]);
    assert.ok(pv.critical.every((c) => c === 0));
    assert.equal(whereLabel(pv, 0), 'stage 0 · GPU 1');
    assert.equal(whereLabel(pv, -1), 'not placed');
  });

  it('an infeasible plan with no stages leaves every op unplaced; assignment-only nodes take their device’s stage', () => {
    const g = trainingGraph();
    const none = { ...toyPlan(), feasible: false, stages: [], tasks: [], assignment: {}, reason: 'op f2 does not fit' };
    assert.deepEqual([...stageOfNodes(g, none, idxOf(g))], [-1, -1, -1, -1]);
    const partial = toyPlan();
    partial.stages[0] = { ...partial.stages[0], nodes: ['f1'] };
    assert.deepEqual([...stageOfNodes(g, partial, idxOf(g))], [0, 1, 1, 0], 'b1 found through assignment (device 1 = stage 0)');
  });

  it('memory bars: one per stage, persistent + stashed = the plan’s memoryBytes, against the limit', () => {
    const p = toyPlan();
    const bars = pipelineMemoryBars(p);
    assert.equal(bars.length, 2);
    bars.forEach((b, k) => {
      const s = p.stages[k];
      assert.equal(b.colourClass, `stage-${k}`);
      assert.equal(b.totalBytes, s.memoryBytes);
      assert.equal(
        b.segments.reduce((a, x) => a + x.bytes, 0),
        s.memoryBytes,
      );
      assert.deepEqual(
        b.segments.map((x) => x.name),
        ['persistent', 'stashed'],
      );
      assert.equal(b.segments[0].bytes, s.persistentBytes);
      assert.equal(b.segments[1].bytes, s.stashedBytes);
      assert.equal(b.limitBytes, s.memoryLimitBytes);
      assert.equal(b.attrs['data-device'], String(s.device));
    });
    assert.match(bars[0].rows.find(([k]) => k === 'stashed activations')![1], /2 ×/, 'in-flight count = stashed / per-microbatch');
    assert.deepEqual(pipelineMemoryBars(null), []);
  });

  it('idle gaps: what the spans leave free in [0, step]', () => {
    assert.deepEqual(
      idleGaps(
        [
          [10, 20],
          [0, 5],
        ],
        30,
      ),
      [
        [5, 10],
        [20, 30],
      ],
    );
    assert.deepEqual(
      idleGaps(
        [
          [0, 10],
          [5, 30],
        ],
        30,
      ),
      [],
      'overlaps and a full lane leave nothing',
    );
    assert.deepEqual(idleGaps([], 7), [[0, 7]]);
  });

  it('timeline layout: one bar per task in its stage lane, idle boxes = the bubble, time scale linear', () => {
    const p = toyPlan();
    const L = pipelineTimelineLayout(p, { width: 400, left: 100, right: 0, top: 0, laneHeight: 20 });
    assert.equal(L.tasks.length, p.tasks.length);
    assert.equal(L.tasks.filter((t) => t.kind === 'forward').length, p.microbatches * p.stages.length);
    assert.equal(L.tasks.filter((t) => t.kind === 'backward').length, p.microbatches * p.stages.length);
    assert.equal(L.scale, 300 / 150);
    for (const b of L.tasks) {
      const t = p.tasks[b.task];
      assert.equal(b.x, 100 + t.startUs * 2);
      assert.equal(b.w, (t.endUs - t.startUs) * 2);
      assert.ok(b.y >= b.stage * 20 && b.y + b.h <= (b.stage + 1) * 20, 'inside its lane');
      // Spans of one stage may overlap in time (interleaved ops): backward has its own row.
      const row = b.kind === 'forward' ? [b.stage * 20, b.stage * 20 + 10] : [b.stage * 20 + 10, b.stage * 20 + 20];
      assert.ok(b.y >= row[0] && b.y + b.h <= row[1], `${b.kind} bar in its row of the lane`);
    }
    // S0 idle: 20–90, 110–130; S1: 0–10, 130–150.
    const idleOf = (s: number) => L.idle.filter((b) => b.stage === s).map((b) => [b.startUs, b.endUs]);
    assert.deepEqual(idleOf(0), [
      [20, 90],
      [110, 130],
    ]);
    assert.deepEqual(idleOf(1), [
      [0, 10],
      [130, 150],
    ]);
    const idleUs = L.idle.reduce((a, b) => a + b.endUs - b.startUs, 0);
    assert.ok(Math.abs(idleUs / (p.stages.length * p.stepUs) - p.bubble) < 1e-12, 'drawn idle time = the plan’s bubble');
    assert.deepEqual(
      L.lanes.map((l) => l.label),
      ['S0 · GPU 1', 'S1 · GPU 0'],
    );
    assert.deepEqual(
      L.lanes.map((l) => l.busyUs),
      [60, 120],
    );
    assert.equal(L.tasks.find((b) => b.kind === 'backward' && b.stage === 1 && b.microbatch === 0)!.text, 'B0', 'an 80 px bar is labelled');
    assert.ok(L.ticks.length >= 2 && L.ticks[0].x === 100, 'axis starts at 0 on the lane edge');
  });

  it('summary: time per sample, speed-up, step and bubble; an infeasible plan says why and what would fit', () => {
    const ok = pipelineSummaryItems(toyPlan());
    const val = (items: ReturnType<typeof pipelineSummaryItems>, key: string) => items.find((i) => i.key === key)?.value;
    assert.equal(val(ok, 'timePerSample'), '60.0 µs');
    assert.equal(val(ok, 'throughputSpeedup'), '1.50×');
    assert.equal(val(ok, 'bubble'), '40.0 %');
    assert.equal(val(ok, 'schedule'), 'gpipe × 2 microbatches');
    const bad = pipelineSummaryItems({
      ...toyPlan(),
      feasible: false,
      reason: 'stage 1 (op f2) needs 5 MiB on GPU 0, limit 4 MiB',
      minimumMemoryBytes: 5 * MiB,
    });
    assert.equal(val(bad, 'feasible'), 'infeasible');
    assert.match(val(bad, 'reason')!, /op f2/);
    assert.equal(val(bad, 'minimumMemory'), '5.00 MiB per device');
    assert.equal(val(bad, 'timePerSample'), undefined);
    assert.equal(val(ok, 'warning'), undefined);
    // warnings as text, with the bidi controls displayText shows as escapes (a plan file may carry any)
    const warned = pipelineSummaryItems({ ...toyPlan(), warnings: ['the stage graph has a cycle', 'stage \u202e1'] });
    assert.equal(val(warned, 'warning'), 'the stage graph has a cycle');
    assert.equal(val(warned, 'warning-1'), 'stage \\u202e1');
  });

  it('planner options: the viewer’s devices, limits and link with the pipeline knobs; co-placement → colocation', () => {
    const o = pipelineOptionsFrom(OPTIONS, { split: 'any', microbatches: 4, schedule: '1f1b' });
    assert.deepEqual(o, { devices: 2, memoryLimits: [GiB, 2 * GiB], comm: 'pcie4', split: 'any', microbatches: 4, schedule: '1f1b', grouping: 'colocation' });
    assert.notEqual(o.memoryLimits, OPTIONS.memoryLimits, 'no aliasing');
    assert.equal(pipelineOptionsFrom({ ...OPTIONS, grouping: 'none' }, { split: 'any', microbatches: 4, schedule: '1f1b' }).grouping, 'none');
  });
});

describe('throughput messages and state', () => {
  const controls = { split: 'contiguous', microbatches: 8, schedule: '1f1b' };
  it('protocol: a throughput replace needs valid knobs; pipelinePlan replies are checked', () => {
    assert.ok(isWebviewToHostMessage({ type: 'replace', requestId: 1, options: OPTIONS, objective: 'throughput', pipelineControls: controls }));
    assert.ok(isWebviewToHostMessage({ type: 'replace', requestId: 1, options: OPTIONS, objective: 'latency', pipelineControls: controls }));
    assert.ok(isWebviewToHostMessage({ type: 'replace', requestId: 1, options: OPTIONS }), 'older viewers: latency');
    for (const bad of [
      { objective: 'throughput' },
      { objective: 'speed', pipelineControls: controls },
      { objective: 'throughput', pipelineControls: { ...controls, microbatches: 0 } },
      { objective: 'throughput', pipelineControls: { ...controls, microbatches: MAX_MICROBATCHES + 1 } },
      { objective: 'throughput', pipelineControls: { ...controls, microbatches: 2.5 } },
      { objective: 'throughput', pipelineControls: { ...controls, split: 'diagonal' } },
      { objective: 'throughput', pipelineControls: { ...controls, schedule: 'interleaved' } },
    ])
      assert.ok(!isWebviewToHostMessage({ type: 'replace', requestId: 1, options: OPTIONS, ...bad }), JSON.stringify(bad));
    assert.ok(isHostToWebviewMessage({ type: 'pipelinePlan', requestId: 2, pipelinePlan: toyPlan(), options: OPTIONS, pipelineControls: controls }));
    assert.ok(!isHostToWebviewMessage({ type: 'pipelinePlan', pipelinePlan: toyPlan(), options: OPTIONS }), 'knobs required');
    assert.ok(!isHostToWebviewMessage({ type: 'init', graph: { nodes: [] }, plan: null, options: OPTIONS, presets: [], objective: 'fast' }));
    assert.ok(
      isHostToWebviewMessage({
        type: 'init',
        graph: { nodes: [] },
        plan: null,
        options: OPTIONS,
        presets: [],
        objective: 'throughput',
        pipelineControls: controls,
        pipelinePlan: null,
      }),
    );
  });

  it('state function: a pipeline plan switches to throughput (stage colours), a placement back to latency', () => {
    const g = trainingGraph();
    const s0 = initialView({ graph: g, plan: null, options: OPTIONS });
    assert.equal(s0.objective, 'latency');
    const s1 = reduceView(s0, {
      type: 'pipeline',
      pipeline: toyPlan(),
      options: OPTIONS,
      pipelineControls: { split: 'sequential', microbatches: 2, schedule: 'gpipe' },
    });
    assert.equal(s1.objective, 'throughput');
    assert.equal(s1.pv.colourBy, 'stage');
    assert.equal(s1.chosenChoice.objective, 'throughput');
    assert.equal(s1.tree, s0.tree, 'no new layout');
    const plan = {
      file: 'toy',
      algorithm: 'm-etf' as const,
      feasible: true,
      makespanUs: 90,
      lowerBoundUs: 90,
      placeMs: 1,
      devices: [],
      schedule: g.nodes.map((n) => ({ node: n.id, device: 0, startUs: 0, endUs: 1 })),
      transfers: [],
      criticalPath: [],
    };
    const s2 = reduceView(s1, { type: 'plan', plan, options: OPTIONS });
    assert.equal(s2.objective, 'latency');
    assert.equal(s2.pv.colourBy, undefined);
    assert.equal(s2.pipeline, s1.pipeline, 'the pipeline plan is kept for a switch back');
    assert.deepEqual(s2.chosenChoice.pipelineControls, s1.chosenChoice.pipelineControls, 'the knobs are kept too');
    // A report opened with a pipeline plan starts in throughput mode with its knobs.
    const r = initialView({ graph: g, plan: null, options: OPTIONS, pipeline: toyPlan() });
    assert.equal(r.objective, 'throughput');
    assert.deepEqual(r.chosenChoice.pipelineControls, { split: 'sequential', microbatches: 2, schedule: 'gpipe' });
  });
});
