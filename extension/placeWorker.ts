// Placement worker (bundled to dist/placeWorker.js, started by placeRunner with worker_threads).
// One job per worker: the host terminates the worker to cancel, so no cancellation checks here.
import { parentPort } from 'node:worker_threads';
import { pipeline, prepare, place } from './engine';
import { baseName } from './userMessages';
import { compareAlgorithms, compareSplits } from '../algorithms/compare';
import { pipelineOptionsFrom } from '../webview/pipelineModel';
import type { WorkerJob, WorkerReply } from './workerProtocol';
import { toFailure } from './workerProtocol';

async function runJob(job: WorkerJob, post: (r: WorkerReply) => void): Promise<WorkerReply> {
  post({ kind: 'progress', message: `loading ${baseName(job.fileName)}` });
  const graph = await prepare(job.bytes, job.fileName, job.load);
  if (job.kind === 'place') {
    post({ kind: 'progress', message: `placing ${graph.nodes.length} ops with ${job.options.algorithm} on ${job.options.devices} devices` });
    const plan = await place(graph, job.options);
    return { kind: 'placed', graph, plan };
  }
  if (job.kind === 'pipeline') {
    post({ kind: 'progress', message: `planning a ${job.options.split} pipeline of ${graph.nodes.length} ops on ${job.options.devices} devices` });
    return { kind: 'pipelined', graph, pipeline: await pipeline(graph, job.options, job.fileName) };
  }
  const { comparison } = await compareAlgorithms(graph, job.options, {
    file: job.fileName,
    algorithms: job.algorithms,
    onProgress: (algorithm, i, count) => post({ kind: 'progress', message: `${algorithm} (${i + 1}/${count})`, fraction: i / count }),
  });
  // The throughput section, as `opplace compare` adds it: every split on the same devices and link.
  if (job.pipeline && comparison.options.topology === undefined) {
    post({ kind: 'progress', message: 'pipeline splits', fraction: 1 });
    const { split: _split, ...base } = pipelineOptionsFrom(comparison.options, { ...job.pipeline, split: 'sequential' });
    comparison.throughput = await compareSplits(graph, base, { file: job.fileName });
  }
  return { kind: 'compared', graph, comparison };
}

if (parentPort) {
  const port = parentPort;
  port.once('message', (job: WorkerJob) => {
    const post = (r: WorkerReply) => port.postMessage(r);
    runJob(job, post).then(post, (e) => post({ kind: 'failed', error: toFailure(e) }));
  });
}
