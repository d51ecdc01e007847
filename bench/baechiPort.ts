// A straightforward port of Baechi's placer event loop (placer/m_etf.py, m_topo.py, m_sct.py),
// written for the side-by-side in speed.bench.ts: at every step every ready op is costed on every
// device it may use (a fresh copy of the channel state per trial, Python-style dicts and lists)
// and the earliest (op, device) pair runs. Same channel model as ours (one channel per device for
// sends and receives, a tensor sent to a device once), no memory checks (the bench uses ample
// memory), one uniform link. m-TOPO: devices fixed by the topological fill; m-SCT: a device whose
// last op's favourite child is ready runs it when it can start that child no later than anywhere
// else (Baechi's awake state), else as m-ETF. Not part of the engine.
import type { Problem } from '../algorithms/placement/problem';

export interface PortResult {
  makespanUs: number;
  device: number[];
}

interface Options {
  devices: number;
  fixed?: Int32Array;
  favChild?: Int32Array;
}

export function baechiEventLoop(problem: Problem, options: Options): PortResult {
  const D = options.devices;
  const n = problem.n;
  const placedOn = new Map<number, number>();
  const endOf = new Map<number, number>();
  const devFree: number[] = Array(D).fill(0);
  const chanFree: number[] = Array(D).fill(0);
  const arrival = new Map<string, number>(); // "tensor,device" → time
  const lastOp: number[] = Array(D).fill(-1);
  const waiting = problem.pred.map((p) => p.length);
  let ready: number[] = [];
  for (let v = 0; v < n; v++) if (waiting[v] === 0) ready.push(v);

  const trial = (v: number, d: number, commit: boolean): number => {
    const chan = commit ? chanFree : chanFree.slice();
    let at = 0;
    for (const k of problem.inTensors[v]) {
      const p = problem.tProducer[k];
      const pd = placedOn.get(p)!;
      let t: number;
      if (pd === d) t = endOf.get(p)!;
      else if (arrival.has(`${k},${d}`)) t = arrival.get(`${k},${d}`)!;
      else {
        const cost = problem.tCommUs[k];
        const send = Math.max(endOf.get(p)!, chan[pd]);
        const recv = Math.max(send, chan[d]);
        t = recv + cost;
        chan[pd] = send + cost;
        chan[d] = t;
        if (commit) arrival.set(`${k},${d}`, t);
      }
      at = Math.max(at, t);
    }
    return Math.max(at, devFree[d]);
  };

  while (ready.length > 0) {
    let best: { v: number; d: number; start: number } | undefined;
    for (const v of ready) {
      for (let d = 0; d < D; d++) {
        if (options.fixed && options.fixed[v] !== d) continue;
        const start = trial(v, d, false);
        if (!best || start < best.start || (start === best.start && problem.topoRank[v] < problem.topoRank[best.v])) best = { v, d, start };
      }
    }
    if (options.favChild) {
      // awake devices: the favourite child of the op each device ran last
      for (let d = 0; d < D; d++) {
        const c = lastOp[d] >= 0 ? options.favChild[lastOp[d]] : -1;
        if (c < 0 || !ready.includes(c)) continue;
        const here = trial(c, d, false);
        let elsewhere = Infinity;
        for (let x = 0; x < D; x++) if (x !== d) elsewhere = Math.min(elsewhere, trial(c, x, false));
        if (here <= elsewhere && here <= best!.start) {
          best = { v: c, d, start: here };
          break;
        }
      }
    }
    const { v, d } = best!;
    const start = trial(v, d, true);
    const end = start + problem.compute[v];
    placedOn.set(v, d);
    endOf.set(v, end);
    devFree[d] = end;
    lastOp[d] = v;
    ready = ready.filter((x) => x !== v);
    for (const s of problem.succ[v]) if (--waiting[s] === 0) ready.push(s);
  }
  let makespanUs = 0;
  for (const e of endOf.values()) makespanUs = Math.max(makespanUs, e);
  for (const t of arrival.values()) makespanUs = Math.max(makespanUs, t);
  return { makespanUs, device: Array.from({ length: n }, (_, v) => placedOn.get(v)!) };
}
