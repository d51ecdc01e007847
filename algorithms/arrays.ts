// Loops instead of argument spreads: `Math.min(...xs)` and `out.push(...xs)` pass every element as
// an argument, and V8 throws "Maximum call stack size exceeded" past ~120k of them — one weight
// consumed by 130,000 ONNX nodes did exactly that. Use these wherever the input sets the length.

/** Appends every item of `items` to `target` (in place) and returns `target`. */
export function pushAll<T>(target: T[], items: readonly T[]): T[] {
  for (const x of items) target.push(x);
  return target;
}

/** The largest value, or `empty` for an empty list. */
export function maxOf(values: Iterable<number>, empty = -Infinity): number {
  let best = empty;
  let any = false;
  for (const v of values) {
    if (!any || v > best) best = v;
    any = true;
  }
  return any ? best : empty;
}

/** The smallest value, or `empty` for an empty list. */
export function minOf(values: Iterable<number>, empty = Infinity): number {
  let best = empty;
  let any = false;
  for (const v of values) {
    if (!any || v < best) best = v;
    any = true;
  }
  return any ? best : empty;
}
