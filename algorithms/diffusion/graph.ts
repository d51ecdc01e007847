// The parallel randomized-midpoint sampler as a placement workload: one node per score evaluation.
// Per step: layer 0 evaluates ŝ(y_n); layers 1…K+1 each evaluate ŝ at the R current midpoint values
// (layer L at the values after Picard round L−1), so node i of layer L needs the scores of nodes
// j ≤ i of layer L−1; the next step's layer 0 needs all of the last layer. 1 + (K+1)·R nodes and
// K+2 layers per step, depth N·(K+2).
import { OpplaceError } from '../errors';
import { checkGraphLimits, MAX_TIME_US, type OpEdge, type OpGraph, type OpNode } from '../graph';

export interface SamplerGraphOptions {
  steps: number;
  midpoints: number;
  rounds: number;
  /** Time of one score evaluation (µs). */
  scoreTimeUs: number;
  /** Bytes of one score vector (what flows along every edge). */
  scoreBytes: number;
  /** Weights of the score network held by every evaluation node (default 0). */
  weightBytes?: number;
  name?: string;
}

export const MAX_SAMPLER_GRAPH_NODES = 200_000;

export function samplerGraphNodeCount(o: Pick<SamplerGraphOptions, 'steps' | 'midpoints' | 'rounds'>): number {
  return o.steps * (1 + (o.rounds + 1) * o.midpoints);
}

/** Later layers are lower-triangular (midpoint i needs j ≤ i), so edges grow with R²: bounded too. */
export const MAX_SAMPLER_GRAPH_EDGES = 5_000_000;

export function samplerGraphEdgeCount(o: Pick<SamplerGraphOptions, 'steps' | 'midpoints' | 'rounds'>): number {
  const R = o.midpoints;
  const perStep = R + o.rounds * ((R * (R + 1)) / 2);
  return o.steps * perStep + (o.steps - 1) * R;
}

function checkOptions(o: SamplerGraphOptions): void {
  const int = (v: number, name: string, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new OpplaceError(`--${name} must be an integer ≥ ${min}, got ${String(v)}`);
  };
  int(o.steps, 'steps', 1);
  int(o.midpoints, 'midpoints', 1);
  int(o.rounds, 'rounds', 0);
  if (typeof o.scoreTimeUs !== 'number' || !Number.isFinite(o.scoreTimeUs) || o.scoreTimeUs < 0) {
    throw new OpplaceError(`--score-time-us must be a finite number ≥ 0, got ${String(o.scoreTimeUs)}`);
  }
  if (o.scoreTimeUs > MAX_TIME_US) throw new OpplaceError(`--score-time-us must be at most ${MAX_TIME_US} µs, got ${o.scoreTimeUs}`);
  for (const [v, name] of [
    [o.scoreBytes, 'score-bytes'],
    [o.weightBytes ?? 0, 'weight-bytes'],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new OpplaceError(`--${name} must be a number of bytes ≥ 0, got ${String(v)}`);
  }
  const n = samplerGraphNodeCount(o);
  if (n > MAX_SAMPLER_GRAPH_NODES) {
    throw new OpplaceError(`the sampler graph would have ${n} nodes; at most ${MAX_SAMPLER_GRAPH_NODES} (reduce --steps, --midpoints or --rounds)`);
  }
  const m = samplerGraphEdgeCount(o);
  if (m > MAX_SAMPLER_GRAPH_EDGES) {
    throw new OpplaceError(`the sampler graph would have ${m} edges; at most ${MAX_SAMPLER_GRAPH_EDGES} (reduce --midpoints or --rounds)`);
  }
}

/** Node id of midpoint i (0-based) in layer L (1…K+1) of step n, or of layer 0 when L = 0. */
export function samplerNodeId(step: number, layer: number, midpoint = 0): string {
  return layer === 0 ? `step${step}/layer0` : `step${step}/layer${layer}/mid${midpoint}`;
}

export function parallelSamplerGraph(options: SamplerGraphOptions): OpGraph {
  checkOptions(options);
  const { steps: N, midpoints: R, rounds: K, scoreTimeUs, scoreBytes } = options;
  const weightBytes = options.weightBytes ?? 0;
  const nodes: OpNode[] = [];
  const edges: OpEdge[] = [];
  const node = (n: number, layer: number, i: number, what: string): string => {
    const id = samplerNodeId(n, layer, i);
    nodes.push({
      id,
      name: what,
      opType: 'ScoreEval',
      namespace: [`step${n}`, `layer${layer}`],
      computeUs: scoreTimeUs,
      persistentBytes: weightBytes,
      temporaryBytes: 0,
      outputs: [{ name: `${id}:score`, bytes: scoreBytes, shape: null }],
    });
    return id;
  };
  const edge = (from: string, to: string) => edges.push({ from, to, tensor: `${from}:score`, bytes: scoreBytes });
  let previousLast: string[] = [];
  for (let n = 0; n < N; n++) {
    const base = node(n, 0, 0, `score at y_${n}`);
    for (const p of previousLast) edge(p, base);
    let previous = [base];
    for (let layer = 1; layer <= K + 1; layer++) {
      const current: string[] = [];
      for (let i = 0; i < R; i++) {
        const what = layer === K + 1 ? `final score at midpoint ${i + 1} of step ${n}` : `score at midpoint ${i + 1} of step ${n}, Picard round ${layer - 1}`;
        const id = node(n, layer, i, what);
        // layer 1 hangs off the single layer-0 node; later layers use midpoints j ≤ i of the layer before
        for (let j = 0; j <= Math.min(i, previous.length - 1); j++) edge(previous[j], id);
        current.push(id);
      }
      previous = current;
    }
    previousLast = previous;
  }
  const graph: OpGraph = { name: options.name ?? `parallel-rm-N${N}-R${R}-K${K}`, nodes, edges, warnings: [] };
  checkGraphLimits(graph); // N × T µs and N × bytes must stay as finite as a loaded graph's
  return graph;
}
