// `any` split (issue 14): no shape constraint, the paper's non-contiguous case. Starts from the
// better of the sequential and contiguous splits and moves single units (colocation groups stay
// whole) wherever they lower the time per sample (search.ts). Its stage graph may have cycles; the
// schedule simulator runs those at op granularity.
import type { ThroughputModel } from './model';
import type { MemoryRule } from './memory';
import { localSearch, SearchOptions, SearchResult, SearchSpace } from './search';

export function anySpace(model: ThroughputModel): SearchSpace {
  const U = model.units.length;
  return {
    items: Array.from({ length: U }, (_, u) => [u]),
    itemOf: Int32Array.from({ length: U }, (_, u) => u),
    allowed: () => true,
  };
}

export function anySearch(model: ThroughputModel, start: Int32Array, rule: MemoryRule, options: SearchOptions): SearchResult {
  return localSearch(model, start, anySpace(model), rule, options);
}
