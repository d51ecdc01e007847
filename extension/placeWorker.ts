// Placement worker (bundled to dist/placeWorker.js, started by engineClient.ts with
// worker_threads): one per open view, alive as long as the view, holding its prepared model.
import { parentPort } from 'node:worker_threads';
import { engineLoop } from './engine';
import type { WorkerJob, WorkerReply } from './workerProtocol';

if (parentPort) {
  const port = parentPort;
  const submit = engineLoop((r: WorkerReply) => port.postMessage(r));
  port.on('message', (job: WorkerJob) => submit(job));
}
