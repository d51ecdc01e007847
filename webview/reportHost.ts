// The standalone report's PlacementHost: the engine (pure TypeScript) runs in the page, so
// re-placing works offline from file://. m-SCT and refine need HiGHS: its wasm bytes are inlined as base64.
// Throughput mode plans the pipeline here too (planPipeline: pure, no wasm).
import type { OpGraph } from '../algorithms/graph';
import { usesLp } from '../algorithms/plan';
import { placeGraph } from '../algorithms/placement/index';
import { setHighsLoaderOptions } from '../algorithms/placement/sctLp';
import { planPipeline } from '../algorithms/pipeline/index';
import { pipelineOptionsFrom } from './pipelineModel';
import type { HostEvents, PipelineResult, PlacementHost, PlaceResult } from './placementHost';
import { SupersededError } from './placementHost';

/** Decodes the inlined highs.wasm once, on the first run of a placer that solves the LP. */
function installHighsWasm(base64: string | null): void {
  if (!base64) return;
  const bin = atob(base64.trim());
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  setHighsLoaderOptions({ wasmBinary: bytes });
}

export function createInPageHost(graph: OpGraph, highsWasmBase64: () => string | null): PlacementHost {
  let events: HostEvents = {};
  let generation = 0;
  let highsReady = false;
  return {
    kind: 'standalone',
    async replace(options, _batchSize, choice) {
      const mine = ++generation;
      const throughput = choice?.objective === 'throughput';
      if (!throughput && usesLp(options.algorithm) && !highsReady) {
        installHighsWasm(highsWasmBase64());
        highsReady = true;
      }
      events.onBusy?.(true, throughput ? `planning a ${choice.pipelineControls.split} pipeline…` : `placing with ${options.algorithm}…`);
      // Let the browser paint the busy state before the (synchronous) placer runs.
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      if (mine !== generation) throw new SupersededError();
      try {
        if (throughput) {
          const pipeline = await planPipeline(graph, pipelineOptionsFrom(options, choice.pipelineControls), graph.source?.file);
          if (mine !== generation) throw new SupersededError();
          return { pipeline, options, pipelineControls: { ...choice.pipelineControls } } satisfies PipelineResult;
        }
        const plan = await placeGraph(graph, options, graph.source?.file);
        if (mine !== generation) throw new SupersededError();
        return { plan, options: plan.options ?? options } satisfies PlaceResult;
      } finally {
        if (mine === generation) events.onBusy?.(false);
      }
    },
    select() {},
    log(level, message) {
      if (level === 'error') console.warn(message); // console.error would count as a page error in tests
    },
    setEvents(e) {
      events = e;
    },
  };
}
