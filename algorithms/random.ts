// One small seeded PRNG for the placement code (the DAG generator, the refinement search): the same
// seed gives the same numbers on every platform. (The diffusion samplers keep their own
// xoshiro128** in diffusion/rng.ts: they need normals and 53-bit uniforms.)

/** mulberry32 on a 32-bit state (`seed >>> 0`): uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
