// The scheduler's per-device memory timeline: frees before allocations at equal times, the
// largest usage from a time on, and the earliest time more memory fits.
import assert from 'node:assert/strict';
import { MemoryLine } from '../../algorithms/placement/memoryLine';

describe('placement: MemoryLine', () => {
  const line = () => {
    const m = new MemoryLine();
    m.insert(0, 100); // [0, 10): 100
    m.insert(10, -60); // [10, 20): 40 …
    m.insert(5, 30); // … inserted out of order: [5, 10): 130, [10, 20): 70
    m.insert(20, -70); // 0 from 20
    return m;
  };

  it('keeps a running total in time order, frees first at equal times', () => {
    const m = line();
    assert.deepEqual(m.times, [0, 5, 10, 20]);
    assert.deepEqual(m.cum, [100, 130, 70, 0]);
    m.insert(10, 5);
    m.insert(10, -1);
    assert.deepEqual(m.kinds, [1, 1, 0, 0, 1, 0]);
    assert.deepEqual(m.cum, [100, 130, 70, 69, 74, 4]);
    assert.equal(m.maxDynamic, 130);
  });

  it('maxFrom: the largest usage at or after a time', () => {
    const m = line();
    assert.equal(m.maxFrom(0), 130);
    assert.equal(m.maxFrom(7), 130);
    assert.equal(m.maxFrom(10), 70);
    assert.equal(m.maxFrom(15), 70);
    assert.equal(m.maxFrom(25), 0);
    assert.equal(new MemoryLine().maxFrom(3), 0);
  });

  it('earliestFit: now if it fits, else after the frees that make room, else never', () => {
    const m = line();
    assert.equal(m.earliestFit(0, 20, 150), 0);
    assert.equal(m.earliestFit(0, 50, 150), 10); // 130 + 50 > 150 until 10; 70 + 50 ≤ 150
    assert.equal(m.earliestFit(12, 100, 150), 20);
    assert.equal(m.earliestFit(0, 151, 150), Infinity);
  });
});
