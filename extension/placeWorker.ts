// Placement worker (bundled to dist/placeWorker.js, started by engineClient.ts with
// worker_threads): one per open view, alive as long as the view, holding its prepared model.
import { parentPort } from 'node:worker_threads';
import { engineLoop } from './engine';
import { transferablesOf, type WorkerJob, type WorkerReply } from './workerProtocol';

if (parentPort) {
  const port = parentPort;
  // A plan's column buffers move to the host instead of being copied; the worker keeps no reference.
  const submit = engineLoop((r: WorkerReply) => port.postMessage(r, transferablesOf(r)));
  port.on('message', (job: WorkerJob) => submit(job));
}
