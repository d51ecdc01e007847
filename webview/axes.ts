// Axis ticks for the memory panel and the timeline, as pure functions (data in → ticks out).
// d3's scale.ticks() picks round *decimal* values; applied to bytes and printed in binary units they
// land on 1.91 / 3.81 / 5.72 MiB. Here a unit is chosen first (from the domain), then d3-style nice
// steps of 1/2/5×10^k are taken *in that unit*, and every label of an axis uses that one unit with
// the same number of decimals — exactly as many as the step needs.

export interface AxisTicks {
  /** Tick positions in the axis' base unit (bytes or µs), ascending. */
  values: number[];
  /** One label per value, all in `unit`. */
  labels: string[];
  /** The unit every label is written in (e.g. 'MiB', 'ms'). */
  unit: string;
  /** Distance between ticks, in the base unit. */
  step: number;
}

/**
 * d3's tickIncrement rule: the step of 1, 2 or 5 × 10^k that gives about `count` intervals over
 * `span`. Same thresholds (√50, √10, √2) as d3-array, so axes look like the rest of d3.
 */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = Math.floor(Math.log10(raw));
  const error = raw / 10 ** power;
  const factor = error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1;
  return factor * 10 ** power;
}

/** Decimals a label needs so that consecutive ticks `step` apart print differently (0 for steps ≥ 1). */
export function decimalsFor(step: number): number {
  if (!(step > 0) || step >= 1) return 0;
  // Round first: 0.1 * 3 style noise must not ask for 17 decimals.
  return Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
}

interface Unit {
  name: string;
  size: number;
}

const BYTE_UNITS: Unit[] = [
  { name: 'B', size: 1 },
  { name: 'KiB', size: 2 ** 10 },
  { name: 'MiB', size: 2 ** 20 },
  { name: 'GiB', size: 2 ** 30 },
  { name: 'TiB', size: 2 ** 40 },
  { name: 'PiB', size: 2 ** 50 },
];

const TIME_UNITS: Unit[] = [
  { name: 'µs', size: 1 },
  { name: 'ms', size: 1e3 },
  { name: 's', size: 1e6 },
];

/** The largest unit the value reaches at least once of (so the axis top reads 1 … 999.x of it). */
function unitFor(units: Unit[], value: number): Unit {
  let unit = units[0];
  for (const u of units) if (Math.abs(value) >= u.size) unit = u;
  return unit;
}

/**
 * Ticks over [lo, hi] (base units) at nice steps in `unit`. Values are computed as integer
 * multiples of the step so they never accumulate floating-point drift; `minStep` (in unit) stops
 * steps finer than the quantity allows (no 0.5 B ticks).
 */
function ticksIn(lo: number, hi: number, count: number, unit: Unit, minStep: number): AxisTicks {
  const a = lo / unit.size;
  const b = hi / unit.size;
  let step = Math.max(minStep, niceStep(b - a, count));
  // d3 with a small count may pick a step longer than the axis (only the 0 tick): an axis needs
  // at least its start and one value past the middle, so ask for more intervals until one fits.
  for (let more = count + 1; step > b - a && step > minStep && more < count + 20; more++) step = Math.max(minStep, niceStep(b - a, more));
  const decimals = decimalsFor(step);
  // Integer multiples of the step within [a, b] (with a hair of tolerance for rounding at the ends).
  const first = Math.ceil(a / step - 1e-9);
  const last = Math.floor(b / step + 1e-9);
  const values: number[] = [];
  const labels: string[] = [];
  for (let i = first; i <= last && values.length < 1000; i++) {
    const inUnit = Number((i * step).toFixed(decimals));
    values.push(inUnit * unit.size);
    labels.push(`${inUnit.toFixed(decimals)} ${unit.name}`);
  }
  return { values, labels, unit: unit.name, step: step * unit.size };
}

/** Validated finite, non-negative number (bad values → 0, so a broken plan still draws an axis). */
function finiteNonNegative(v: number): number {
  return Number.isFinite(v) && v > 0 ? v : 0;
}

/**
 * Ticks for a byte axis from 0 to `maxBytes`: the unit is the binary unit of `maxBytes`
 * (9.5 MiB → MiB), the step a nice 1/2/5×10^k of that unit (0, 2, 4, 6, 8 MiB).
 * Never returns ticks above `maxBytes`; an empty or invalid domain gives the single tick 0.
 */
export function byteTicks(maxBytes: number, count: number): AxisTicks {
  const max = finiteNonNegative(maxBytes);
  const unit = unitFor(BYTE_UNITS, max);
  if (max === 0) return { values: [0], labels: ['0 B'], unit: 'B', step: 1 };
  return ticksIn(0, max, count, unit, unit.size === 1 ? 1 : 0);
}

/**
 * Ticks for a time axis over [minUs, maxUs] (µs): ONE unit, chosen from the domain's end
 * (µs below 1 ms, ms below 1 s, else s), nice steps in that unit, no needless decimals
 * (0 µs, 50 µs, 100 µs; 0, 0.5, 1.0 … ms). minUs defaults to 0; a zoomed timeline passes its
 * visible window. An empty or invalid domain gives the single tick at minUs (or 0).
 */
export function timeTicks(maxUs: number, count: number, minUs = 0): AxisTicks {
  const lo = Number.isFinite(minUs) && minUs > 0 ? minUs : 0;
  const hi = Number.isFinite(maxUs) ? maxUs : 0;
  if (!(hi > lo)) {
    // Nothing to span (a zero-length schedule): one tick at the start, printed without noise.
    const unit = unitFor(TIME_UNITS, lo);
    const label = `${Number((lo / unit.size).toFixed(3))} ${unit.name}`;
    return { values: [lo], labels: [label], unit: unit.name, step: unit.size };
  }
  return ticksIn(lo, hi, count, unitFor(TIME_UNITS, hi), 0);
}

/**
 * Horizontal placement of tick labels so none is clipped at either edge and none overlaps its
 * neighbour: each label is centred on its tick, then shifted inside [left, right]; a label that
 * would still overlap the one before it (by less than `gap` px) is dropped. Returns the left x of
 * each label, or null for a dropped one. The last label is preferred over the one before it only
 * when dropping that one frees the room — ends of the axis are the values readers look for.
 */
export function fitLabels(centres: number[], widths: number[], left: number, right: number, gap = 4): (number | null)[] {
  const xs: (number | null)[] = centres.map((c, i) => {
    const w = widths[i] ?? 0;
    if (w > right - left) return null;
    return Math.min(Math.max(c - w / 2, left), right - w);
  });
  let prevEnd = -Infinity;
  let prevIndex = -1;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x === null) continue;
    if (x < prevEnd + gap) {
      // Keep the final label (the axis' end value) by giving up its neighbour, if that suffices.
      const isLast = i === xs.length - 1;
      if (isLast && prevIndex >= 0) {
        const beforePrev = lastKeptEnd(xs, widths, prevIndex);
        if (x >= beforePrev + gap) {
          xs[prevIndex] = null;
          prevEnd = x + (widths[i] ?? 0);
          prevIndex = i;
          continue;
        }
      }
      xs[i] = null;
      continue;
    }
    prevEnd = x + (widths[i] ?? 0);
    prevIndex = i;
  }
  return xs;
}

/** Right end of the last kept label before index `before` (−∞ when none). */
function lastKeptEnd(xs: (number | null)[], widths: number[], before: number): number {
  for (let k = before - 1; k >= 0; k--) {
    const x = xs[k];
    if (x !== null) return x + (widths[k] ?? 0);
  }
  return -Infinity;
}

/** How many ticks an axis `spanPx` long asks for: one per `pxPerTick`, at least 2, at most `most`. */
export function tickCount(spanPx: number, pxPerTick: number, most: number): number {
  return Math.max(2, Math.min(most, Math.floor(spanPx / pxPerTick)));
}

/** One tick of a drawn axis: where it is, its label, and where that label starts (null: dropped). */
export interface AxisMark {
  x: number;
  label: string;
  labelLeft: number | null;
}

/**
 * A time axis over the visible window [t0, t1] (µs) — the op timeline's and the memory curve's:
 * round ticks in one unit (timeTicks) at `xOf(t)`, labels as wide as `labelWidths` measures them (all
 * at once: an svg measures them in one layout), centred on their tick,
 * kept inside [left, right] and dropped where they would overlap (fitLabels).
 */
export function timeAxisMarks(
  window: { t0: number; t1: number },
  count: number,
  xOf: (t: number) => number,
  labelWidths: (labels: string[]) => number[],
  bounds: { left: number; right: number },
): AxisMark[] {
  const ticks = timeTicks(window.t1, count, window.t0);
  const xs = ticks.values.map((t) => xOf(t));
  const lefts = fitLabels(xs, labelWidths(ticks.labels), bounds.left, bounds.right);
  return xs.map((x, i) => ({ x, label: ticks.labels[i], labelLeft: lefts[i] }));
}
