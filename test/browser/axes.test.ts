// Axis ticks (webview/axes.ts) in plain Node: byte axes tick at round binary-unit values, time axes
// at round values in one unit, and labels are never clipped or overlapping.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { byteTicks, decimalsFor, fitLabels, niceStep, tickCount, timeAxisMarks, timeTicks } from '../../webview/axes';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

describe('axis ticks', () => {
  it('takes d3-style 1/2/5×10^k steps', () => {
    assert.equal(niceStep(10, 4), 2);
    assert.equal(niceStep(15, 4), 5);
    assert.equal(niceStep(300, 3), 100);
    assert.equal(niceStep(0.9, 4), 0.2);
    assert.equal(niceStep(100, 2), 50);
    assert.equal(niceStep(0, 4), 1, 'empty span still gives a step');
    assert.equal(decimalsFor(5), 0);
    assert.equal(decimalsFor(0.5), 1);
    assert.equal(decimalsFor(0.02), 2);
    assert.equal(decimalsFor(0.1 * 3 - 0.1), 1, 'float noise does not ask for 17 decimals');
  });

  it('puts byte ticks on round MiB / GiB values (the screenshot cases)', () => {
    // Peak 9.32 MiB, axis to 9.32 × 1.05: was 1.91 / 3.81 / 5.72 MiB with d3's decimal ticks.
    const mem = byteTicks(9.32 * MiB * 1.05, 4);
    assert.equal(mem.unit, 'MiB');
    assert.deepEqual(mem.labels, ['0 MiB', '2 MiB', '4 MiB', '6 MiB', '8 MiB']);
    assert.deepEqual(
      mem.values,
      [0, 2, 4, 6, 8].map((v) => v * MiB),
    );
    // 16 GiB-ish devices: was 4.66 / 9.31 / 14.0 GiB.
    const gpu = byteTicks(15.5 * GiB, 4);
    assert.deepEqual(gpu.labels, ['0 GiB', '5 GiB', '10 GiB', '15 GiB']);
    assert.equal(gpu.step, 5 * GiB);
    const small = byteTicks(1.5 * 1024, 3);
    assert.deepEqual(small.labels, ['0.0 KiB', '0.5 KiB', '1.0 KiB', '1.5 KiB']);
    assert.deepEqual(byteTicks(7, 4).labels, ['0 B', '2 B', '4 B', '6 B']);
    assert.deepEqual(byteTicks(3, 10).values, [0, 1, 2, 3], 'no fractional-byte steps');
  });

  it('gives one zero tick for an empty or broken byte domain', () => {
    for (const bad of [0, -5, NaN, Infinity]) assert.deepEqual(byteTicks(bad, 4).values, [0], String(bad));
  });

  it('puts time ticks in one unit with no needless decimals', () => {
    const us = timeTicks(301.3, 6);
    assert.equal(us.unit, 'µs');
    assert.deepEqual(us.labels, ['0 µs', '50 µs', '100 µs', '150 µs', '200 µs', '250 µs', '300 µs']);
    const ms = timeTicks(201_000, 4); // was "0.0 µs … 200.00 ms"
    assert.deepEqual(ms.labels, ['0 ms', '50 ms', '100 ms', '150 ms', '200 ms']);
    assert.deepEqual(ms.values, [0, 50_000, 100_000, 150_000, 200_000]);
    const s = timeTicks(2.4e6, 5);
    assert.deepEqual(s.labels, ['0.0 s', '0.5 s', '1.0 s', '1.5 s', '2.0 s']);
    assert.equal(timeTicks(999, 3).unit, 'µs');
    assert.equal(timeTicks(1000, 3).unit, 'ms');
  });

  it('ticks a zoomed window [min, max] in the unit of its end', () => {
    const w = timeTicks(1_260, 4, 1_020);
    assert.equal(w.unit, 'ms');
    assert.deepEqual(w.labels, ['1.05 ms', '1.10 ms', '1.15 ms', '1.20 ms', '1.25 ms']);
    assert.ok(w.values.every((v) => v >= 1_020 && v <= 1_260));
    assert.deepEqual(timeTicks(0, 4).labels, ['0 µs']);
    assert.deepEqual(timeTicks(NaN, 4).values, [0]);
    assert.deepEqual(timeTicks(5, 4, 5).values, [5], 'empty window: one tick at its start');
  });

  it('always returns ascending in-domain ticks at whole multiples of the step, labels distinct', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 2 ** 52, noNaN: true }), fc.integer({ min: 1, max: 12 }), fc.boolean(), (max, count, bytes) => {
        const t = bytes ? byteTicks(max, count) : timeTicks(max, count);
        assert.equal(t.values[0], 0);
        assert.ok(t.values.length >= 1 && t.values.length <= count * 3 + 2, `${t.values.length} ticks for count ${count}`);
        for (let i = 0; i < t.values.length; i++) {
          assert.ok(t.values[i] <= max * (1 + 1e-9), `tick ${t.values[i]} above ${max}`);
          assert.ok(t.labels[i].endsWith(` ${t.unit}`), t.labels[i]);
          const k = t.values[i] / t.step;
          assert.ok(Math.abs(k - Math.round(k)) < 1e-6, `${t.values[i]} not a multiple of ${t.step}`);
        }
        assert.equal(new Set(t.labels).size, t.labels.length, t.labels.join(','));
        // The largest tick is past the middle of the axis: the ticks cover the data, not a corner of it.
        assert.ok(t.values[t.values.length - 1] >= max / 2 - 1, `${t.labels} over ${max}`);
      }),
      { numRuns: 400, seed: 4 },
    );
  });
});

describe('fitting tick labels', () => {
  it('insets the end labels instead of clipping them', () => {
    // Labels 40 px wide centred on ticks at 0 and 300 of an axis [0, 300].
    const xs = fitLabels([0, 150, 300], [40, 40, 40], 0, 300);
    assert.deepEqual(xs, [0, 130, 260]);
  });

  it('drops the label before the last one when they collide, keeping the axis end', () => {
    const xs = fitLabels([0, 100, 200, 290, 300], [40, 40, 40, 40, 40], 0, 300);
    assert.equal(xs[4], 260, 'end label kept and inset');
    assert.equal(xs[3], null, 'its neighbour dropped');
    assert.deepEqual(xs.slice(0, 3), [0, 80, 180]);
  });

  it('drops middle labels that would overlap, and labels wider than the axis', () => {
    const xs = fitLabels([0, 10, 20, 100], [30, 30, 30, 30], 0, 200, 4);
    assert.deepEqual(xs, [0, null, null, 85]);
    assert.deepEqual(fitLabels([50], [500], 0, 100), [null]);
  });

  it('never returns a label outside the axis or overlapping another', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -50, max: 450, noNaN: true }), fc.double({ min: 1, max: 80, noNaN: true })), { maxLength: 20 }),
        (pairs) => {
          const sorted = pairs.sort((a, b) => a[0] - b[0]);
          const widths = sorted.map((p) => p[1]);
          const xs = fitLabels(
            sorted.map((p) => p[0]),
            widths,
            0,
            400,
            4,
          );
          let end = -Infinity;
          xs.forEach((x, i) => {
            if (x === null) return;
            assert.ok(x >= 0 && x + widths[i] <= 400 + 1e-9, `label ${i} at ${x} outside`);
            assert.ok(x >= end + 4 - 1e-9, `label ${i} overlaps`);
            end = x + widths[i];
          });
        },
      ),
      { numRuns: 300, seed: 4 },
    );
  });

  it('lays out a time axis window: ticks of timeTicks at xOf, labels fitted, the overlapping ones dropped', () => {
    assert.deepEqual([tickCount(500, 90, 12), tickCount(50, 90, 12), tickCount(5000, 90, 12)], [5, 2, 12]);
    const xOf = (t: number) => 10 + t / 10;
    const marks = timeAxisMarks({ t0: 0, t1: 2000 }, 4, xOf, (ls) => ls.map((l) => l.length * 6), { left: 2, right: 300 });
    const ticks = timeTicks(2000, 4);
    assert.deepEqual(
      marks.map((m) => [m.x, m.label]),
      ticks.values.map((t, i) => [xOf(t), ticks.labels[i]]),
    );
    assert.equal(marks[0].labelLeft, 2, 'the first label is inset at the left edge');
    // 40 px labels on ticks 5 px apart in a 60 px axis: some are kept, the overlapping rest dropped.
    const crowded = timeAxisMarks(
      { t0: 0, t1: 2000 },
      8,
      (t) => t / 40,
      (ls) => ls.map(() => 40),
      { left: 0, right: 60 },
    );
    assert.ok(crowded.some((m) => m.labelLeft === null) && crowded.some((m) => m.labelLeft !== null));
  });
});
