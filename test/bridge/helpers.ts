// Shared helpers for the bridge tests: hand-made graphs and plans, and running /usr/bin/python3
// (Debian's interpreter with torch, torchvision and onnx; the `python3` on PATH lacks them).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OpGraph, OpNode } from '../../algorithms/graph';
import { Plan } from '../../algorithms/plan';
import type { PipelineOptions, PipelinePlan, PipelineStage } from '../../algorithms/pipeline/types';
import { REPO } from '../helpers/paths';

export const PYTHON = '/usr/bin/python3';
export const TOOLS = path.join(REPO, 'tools');
export const FIXTURES = path.join(__dirname, 'fixtures');

/** Fixtures importable, one thread per torch process (2 shared cores), no __pycache__ in the repo. */
const PYTHON_ENV = { ...process.env, PYTHONPATH: FIXTURES, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' };

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'opplace-bridge-'));
}

/** Runs /usr/bin/python3 with the fixtures folder importable, 2 minutes at most; throws on a non-zero exit. */
function execPython(args: string[], cwd: string): string {
  return execFileSync(PYTHON, args, { cwd, encoding: 'utf-8', env: PYTHON_ENV, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

/** Runs a Python script; returns stdout (throws with stderr on failure). */
export function python(args: string[], cwd = FIXTURES): string {
  try {
    return execPython(args, cwd);
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    throw new Error(`python ${args.join(' ')} exited ${err.status}: ${err.stderr ?? ''}${err.stdout ?? ''}`);
  }
}

/** Runs a Python script expecting failure; returns {status, stderr}. */
export function pythonFails(args: string[], cwd = FIXTURES): { status: number; stderr: string } {
  try {
    execPython(args, cwd);
  } catch (e) {
    const err = e as { status: number; stderr: string };
    return { status: err.status, stderr: err.stderr };
  }
  throw new Error(`python ${args.join(' ')} succeeded but was expected to fail`);
}

export function node(id: string, extra: Partial<OpNode> = {}): OpNode {
  return {
    id,
    name: id,
    opType: 'Op',
    namespace: [],
    computeUs: 1,
    persistentBytes: 0,
    temporaryBytes: 0,
    outputs: [{ name: id, bytes: 4, shape: [1] }],
    ...extra,
  };
}

/** A chain graph a → b → c … in the given node order. */
export function chain(nodes: OpNode[], name = 'g'): OpGraph {
  const edges = nodes.slice(1).map((n, i) => ({ from: nodes[i].id, to: n.id, tensor: nodes[i].id, bytes: 4 }));
  return { name, nodes, edges, warnings: [], source: { file: `${name}.opgraph.json`, format: 'opgraph' } };
}

/** A feasible plan giving node i the device `deviceOf(node, i)`, one time unit per node. */
export function planFor(graph: OpGraph, deviceOf: (n: OpNode, i: number) => number, file = graph.source?.file ?? 'g'): Plan {
  const schedule = graph.nodes.map((n, i) => ({ node: n.id, device: deviceOf(n, i), startUs: i, endUs: i + 1 }));
  const devices = Math.max(...schedule.map((s) => s.device)) + 1;
  return {
    file,
    algorithm: 'sequential',
    feasible: true,
    makespanUs: graph.nodes.length,
    lowerBoundUs: 0,
    placeMs: 0,
    devices: Array.from({ length: devices }, (_, index) => ({ index, memoryLimitBytes: 2 ** 30, peakBytes: 0, busyUs: 0 })),
    schedule,
    transfers: [],
    criticalPath: [],
  };
}

/**
 * A feasible pipeline plan giving node i the device `deviceOf(node, i)`: one stage per device used,
 * in order of first use along the nodes, one time unit per node (a hand-made plan for the exporters).
 */
export function pipelinePlanFor(graph: OpGraph, deviceOf: (n: OpNode, i: number) => number, extra: Partial<PipelinePlan> = {}): PipelinePlan {
  const assignment: Record<string, number> = {};
  graph.nodes.forEach((n, i) => (assignment[n.id] = deviceOf(n, i)));
  const devices = [...new Set(Object.values(assignment))];
  const stages: PipelineStage[] = devices.map((device, index) => {
    const nodes = graph.nodes.filter((n) => assignment[n.id] === device).map((n) => n.id);
    return {
      index,
      device,
      nodes,
      loadUs: nodes.length,
      computeUs: nodes.length,
      commUs: 0,
      forwardUs: nodes.length,
      backwardUs: 0,
      memoryBytes: 0,
      persistentBytes: 0,
      stashedBytes: 0,
      activationBytesPerMicrobatch: 0,
      peakBytes: 0,
      memoryLimitBytes: 2 ** 30,
      busyUs: 0,
    };
  });
  const count = Math.max(...devices) + 1;
  const options: PipelineOptions = {
    devices: count,
    memoryLimits: Array(count).fill(2 ** 30),
    comm: 'none',
    split: 'sequential',
    microbatches: 4,
    schedule: '1f1b',
  };
  const timePerSampleUs = Math.max(...stages.map((s) => s.loadUs));
  return {
    file: graph.source?.file ?? 'g',
    objective: 'throughput',
    split: 'sequential',
    schedule: '1f1b',
    microbatches: 4,
    feasible: true,
    timePerSampleUs,
    singleDeviceUs: graph.nodes.length,
    throughputSpeedup: graph.nodes.length / timePerSampleUs,
    stepUs: 0,
    bubble: 0,
    stages,
    tasks: [],
    assignment,
    options,
    placeMs: 0,
    ...extra,
  };
}
