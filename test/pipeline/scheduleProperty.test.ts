// Property tests: every simulated step of a random DAG (inference or training), random stage
// assignment (any shape: cyclic stage graphs included), random transfer times, microbatches and
// schedule passes the independent checker.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { OpEdge, OpGraph, OpNode } from '../../algorithms/graph';
import { trainingGraph } from '../../algorithms/training';
import { op, simulateChecked } from './scheduleHelpers';

interface Case {
  graph: OpGraph;
  stageOf: number[];
  stages: number;
  microbatches: number;
  schedule: 'gpipe' | '1f1b';
  transfer: number[];
  activation: number[];
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    n: fc.integer({ min: 1, max: 14 }),
    density: fc.double({ min: 0, max: 0.5, noNaN: true }),
    training: fc.boolean(),
    stages: fc.integer({ min: 1, max: 5 }),
    microbatches: fc.integer({ min: 1, max: 6 }),
    schedule: fc.constantFrom('gpipe' as const, '1f1b' as const),
    fractional: fc.boolean(),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ n, density, training, stages, microbatches, schedule, fractional, seed }) => {
    let x = seed;
    const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const time = () => (fractional ? rand() * 10 : Math.floor(rand() * 6)); // zero-time ops included
    const nodes: OpNode[] = Array.from({ length: n }, (_, i) => op(`n${i}`, time()));
    const edges: OpEdge[] = [];
    for (let j = 1; j < n; j++) for (let i = 0; i < j; i++) if (rand() < density) edges.push({ from: `n${i}`, to: `n${j}`, tensor: `n${i}:0`, bytes: 4 });
    let graph: OpGraph = { name: 'random', nodes, edges, warnings: [] };
    if (training) graph = trainingGraph(graph, { optimizer: 'sgd' });
    return {
      graph,
      stageOf: graph.nodes.map(() => Math.floor(rand() * stages)),
      stages,
      microbatches,
      schedule,
      transfer: graph.edges.map(() => (fractional ? rand() * 3 : Math.floor(rand() * 3))),
      activation: Array.from({ length: stages }, () => Math.floor(rand() * 100)),
    };
  });

describe('pipeline schedule: random DAGs and assignments pass the checker', () => {
  it('every simulated step (gpipe and 1f1b, training and inference, any split) is valid', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const sim = simulateChecked({
          graph: c.graph,
          stageOf: c.stageOf,
          stages: c.stages,
          microbatches: c.microbatches,
          schedule: c.schedule,
          transferUs: (k) => c.transfer[k],
          activationBytesPerMicrobatch: c.activation,
        });
        // a step is never shorter than the busiest stage, and M microbatches on one stage each
        assert.ok(sim.busyUs.every((b) => b <= sim.stepUs + 1e-9));
        if (sim.training && c.schedule === '1f1b') assert.ok(sim.peakInFlight.every((k, s) => k <= c.stages - s));
      }),
      { numRuns: 400, seed: 14 },
    );
  });

  it('with one stage and no transfers the step is the sum of all work (no bubble)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const sim = simulateChecked({ graph: c.graph, stageOf: c.graph.nodes.map(() => 0), stages: 1, microbatches: c.microbatches, schedule: c.schedule });
        const work = c.graph.nodes.reduce((a, v) => a + v.computeUs, 0) * c.microbatches;
        assert.ok(Math.abs(sim.stepUs - work) <= 1e-9 * Math.max(1, work), `${sim.stepUs} vs ${work}`);
      }),
      { numRuns: 100, seed: 15 },
    );
  });
});
