// Randomized-midpoint diffusion sampling: samplers, closed-form scores, exact TV, the parallel
// sampler's computation DAG. See docs/randomized-midpoint.md.
export * from './rng';
export * from './scores';
export * from './samplers';
export * from './tv';
export * from './experiments';
export * from './graph';
export * from './speedup';
