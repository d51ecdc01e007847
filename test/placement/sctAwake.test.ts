// m-SCT's awake device against Baechi's reference (m_sct.py, SCTDevice): hand-computed schedules
// for the two rules the core once differed on.
//   1. An awake device runs the most urgent ready op it may run (smallest urgent time = latest
//      start over the devices that may run it, ties to the lower topological rank) once that time
//      has passed — not only the op plain ETF would pick next.
//   2. It is awake only for a favourite child that is not placed yet: with colocation, Baechi
//      places a whole group when its first op runs, so a child whose group is pinned (to this
//      device or another) gives no reason to wait.
// Link "0:1": 1000 bytes take 1 µs. Favourites are given, so the LP does not enter.
import assert from 'node:assert/strict';
import { makeGraph, runSctWithFavourites as runSct } from './helpers';

describe("placement: m-SCT's awake device follows Baechi", () => {
  it('runs the most urgent ready op, not only the one plain ETF picks next', () => {
    // i (device 0, 0–1) has favourite child c; c also needs q (device 1, 0–1, 2 µs to move), so c
    // can start at 3 on device 0 and at 11 on device 1 (i's tensor takes 10 µs): device 0 is
    // awake for c from 1. ETF's next op on device 0 is v (rank below u), which is not urgent
    // (11 on device 1). u, a source, could start at 1 on both devices: its urgent time 1 ≤ 3, so
    // Baechi's awake device 0 runs u (1–2); then, its last op u having no favourite, plain ETF:
    // v (2–4), c (4–9). Before, device 0 only asked whether v was urgent, waited for c (3–8),
    // device 1 took u (1–2) and v ran last (8–10).
    const g = makeGraph(
      [
        { id: 'i', us: 1 },
        { id: 'q', us: 1 },
        { id: 'v', us: 2 },
        { id: 'u', us: 1 },
        { id: 'c', us: 5 },
      ],
      [
        ['i', 'v', 10000],
        ['i', 'c', 10000],
        ['q', 'c', 2000],
      ],
      'urgentOp',
    );
    const at = runSct(g, 2, [['i', 'c']]);
    assert.deepEqual(['i', 'q', 'u', 'v', 'c'].map(at), [
      [0, 0, 1],
      [1, 0, 1],
      [0, 1, 2],
      [0, 2, 4],
      [0, 4, 9],
    ]);
  });

  it('among urgent ops takes the smallest urgent time, not the lowest rank', () => {
    // As above, plus w (rank below u), which needs q's tensor: w can start at 1 on device 1 and
    // at 3 on device 0, urgent time 3. Both u (1) and w (3) are urgent by c's start on device 0
    // (3); Baechi's awake device 0 takes u. Device 1 takes w (1–2) first (same start, lower
    // rank), then device 0 still takes u (urgent time now 2, device 1 being busy until 2).
    const g = makeGraph(
      [
        { id: 'i', us: 1 },
        { id: 'q', us: 1 },
        { id: 'v', us: 2 },
        { id: 'w', us: 1 },
        { id: 'u', us: 1 },
        { id: 'c', us: 5 },
      ],
      [
        ['i', 'v', 10000],
        ['i', 'c', 10000],
        ['q', 'c', 2000],
        ['q', 'w', 2000],
      ],
      'urgentOrder',
    );
    const at = runSct(g, 2, [['i', 'c']]);
    assert.deepEqual(['i', 'q', 'u', 'w', 'v', 'c'].map(at), [
      [0, 0, 1],
      [1, 0, 1],
      [0, 1, 2],
      [1, 1, 2],
      [0, 2, 4],
      [0, 4, 9],
    ]);
  });

  it('does not wait for a favourite child whose group is pinned to this device', () => {
    // g1 (device 0, 0–1) pins group G = {g1, c} to device 0; i (0, 1–2) has favourite child c,
    // which needs q's tensor from device 1 (there at 3). c is placed already (its group is), so
    // Baechi's device 0 is not awake: plain ETF runs v at 2 (2–4), then c (4–9). Before, device 0
    // waited for c (3–8) and ran v after it (8–10).
    const g = makeGraph(
      [
        { id: 'g1', us: 1, group: 'G' },
        { id: 'i', us: 1 },
        { id: 'q', us: 1 },
        { id: 'v', us: 2 },
        { id: 'c', us: 5, group: 'G' },
      ],
      [
        ['g1', 'i', 1000],
        ['i', 'v', 10000],
        ['i', 'c', 10000],
        ['q', 'c', 2000],
      ],
      'pinnedHere',
    );
    const at = runSct(g, 2, [['i', 'c']], 'colocation');
    assert.deepEqual(['g1', 'q', 'i', 'v', 'c'].map(at), [
      [0, 0, 1],
      [1, 0, 1],
      [0, 1, 2],
      [0, 2, 4],
      [0, 4, 9],
    ]);
  });

  it('does not wait for a favourite child whose group is pinned to another device', () => {
    // g1 (device 1, 0–1) pins G = {g1, c} to device 1; i runs on device 0 (0–1) with favourite
    // child c, which can only run on device 1 (i's tensor there at 11). Device 0 must not hold
    // back for it: v runs there at 1 (1–3); c runs on device 1 at 11 (11–16).
    const g = makeGraph(
      [
        { id: 'i', us: 1 },
        { id: 'g1', us: 1, group: 'G' },
        { id: 'v', us: 2 },
        { id: 'c', us: 5, group: 'G' },
      ],
      [
        ['i', 'v', 10000],
        ['i', 'c', 10000],
      ],
      'pinnedThere',
    );
    const at = runSct(g, 2, [['i', 'c']], 'colocation');
    assert.deepEqual(['i', 'g1', 'v', 'c'].map(at), [
      [0, 0, 1],
      [1, 0, 1],
      [0, 1, 3],
      [1, 11, 16],
    ]);
  });
});
