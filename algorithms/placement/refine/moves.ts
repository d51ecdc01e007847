// The refinement search's moves: each turns the walk's current candidate into a proposal and
// decodes it. Assignment moves (a unit to a neighbour's device, which removes a transfer; a block
// of ops across a device boundary; a unit to another device; a swap of two units) go through the
// assignment decoder, priority moves (a swap in the list, a lift of critical ops, a reorder of ops
// that started close together) through the list decoder. The draws from the random stream are
// part of every refined plan (pinned by test/placement/planHashes.test.ts): their order matters.
import type { Candidate } from './candidate';
import { evaluateAssignment, evaluateKeys, randomInt, Search } from './search';

/** Move kinds; the walk picks each with a weight that grows with its successes. */
export const MOVES = ['neighbour', 'block', 'other', 'swap', 'keys', 'keysCritical', 'keysAdjacent'] as const;
export type Move = (typeof MOVES)[number];

/** Priority moves change the list, not the devices: the only moves left on one device. */
export const isPriorityMove = (move: Move): boolean => move === 'keys' || move === 'keysCritical' || move === 'keysAdjacent';

/** A device other than `d`, uniformly (d itself when there is no other). */
export function otherDevice(search: Search, d: number): number {
  const D = search.devices;
  return D < 2 ? d : (d + 1 + randomInt(search, D - 1)) % D;
}

/** A coarse node to move: on the critical path three times in four, else any. */
function pickNode(search: Search, critical: number[]): number {
  return critical.length && search.random() < 0.75 ? critical[randomInt(search, critical.length)] : randomInt(search, search.problem.n);
}

/** The proposal of `move` from `current`, decoded; null when it is infeasible or already seen. */
export function propose(search: Search, current: Candidate, move: Move): Candidate | null {
  if (isPriorityMove(move)) return evaluateKeys(search, priorityProposal(search, current, move));
  if (search.devices < 2) return null;
  return evaluateAssignment(search, assignmentProposal(search, current, move));
}

function priorityProposal(search: Search, current: Candidate, move: Move): Float64Array {
  const keys = current.keys.slice();
  if (move === 'keysAdjacent') {
    // exchange a critical op with one that started close to it (a local reorder)
    const a = pickNode(search, current.critical);
    const b = startedNear(search, current, a);
    if (b >= 0) [keys[a], keys[b]] = [keys[b], keys[a]];
  } else if (move === 'keys') {
    // exchange the priorities of two ops (a swap in the list)
    const a = pickNode(search, current.critical);
    const b = randomInt(search, search.problem.n);
    [keys[a], keys[b]] = [keys[b], keys[a]];
  } else liftCritical(search, current.critical, keys);
  return keys;
}

/** Of a few random ops, the one whose start is nearest a's (with noise of about one op); −1 if none. */
function startedNear(search: Search, current: Candidate, a: number): number {
  const { n } = search.problem;
  const s = current.result.start[a];
  let b = -1;
  let bestDist = Infinity;
  const tries = 1 + randomInt(search, 6);
  for (let t = 0; t < 24; t++) {
    const c = randomInt(search, n);
    if (c === a) continue;
    const dist = Math.abs(current.result.start[c] - s) + search.random() * search.meanCompute;
    if (dist < bestDist) {
      bestDist = dist;
      b = c;
    }
    if (t >= tries * 4) break;
  }
  return b;
}

/** Raises a critical op (and up to two critical predecessors) ahead of its competitors. */
function liftCritical(search: Search, critical: number[], keys: Float64Array): void {
  const at = critical.length ? randomInt(search, critical.length) : 0;
  const lift = search.meanCompute * (0.5 + 4 * search.random());
  for (let i = Math.max(0, at - randomInt(search, 3)); i <= at && i < critical.length; i++) keys[critical[i]] += lift;
}

function assignmentProposal(search: Search, current: Candidate, move: Move): Int32Array {
  const { problem, units } = search;
  const assign = current.assign.slice();
  const c = pickNode(search, current.critical);
  const u = units.of[c];
  const from = assign[u];
  // a neighbour's device when c has a neighbour elsewhere (drawn for every move: the stream stays aligned)
  const near = problem.pred[c].concat(problem.succ[c]).filter((w) => assign[units.of[w]] !== from);
  const to = near.length ? assign[units.of[near[randomInt(search, near.length)]]] : otherDevice(search, from);
  if (move === 'neighbour') assign[u] = to;
  else if (move === 'other') assign[u] = otherDevice(search, from);
  else if (move === 'block') shiftBoundary(search, assign, c, from, to);
  else {
    const w = units.of[randomInt(search, problem.n)];
    if (assign[w] === from) assign[u] = otherDevice(search, from);
    else [assign[u], assign[w]] = [assign[w], assign[u]];
  }
  return assign;
}

/** Shifts a boundary: c and the ops around it in topological order that share its device go to `to`. */
function shiftBoundary(search: Search, assign: Int32Array, c: number, from: number, to: number): void {
  const { problem, units } = search;
  const { n } = problem;
  const r = problem.topoRank[c];
  const width = 1 + randomInt(search, Math.max(1, Math.min(16, n >> 3)));
  const lo = Math.max(0, r - (search.random() < 0.5 ? width : 0));
  const hi = Math.min(n - 1, r + width);
  for (let i = lo; i <= hi; i++) {
    const w = units.of[problem.topo[i]];
    if (assign[w] === from) assign[w] = to;
  }
}
