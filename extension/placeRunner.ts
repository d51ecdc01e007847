// Runs one placement job in a worker thread (dist/placeWorker.js) so the extension host's main
// thread stays responsive. Cancel = terminate the worker: the engine needs no cancellation hooks.
// No `vscode` import: unit-tested in plain Node (test/extension/placeRunner.test.ts).
import { Worker } from 'node:worker_threads';
import type { WorkerFailure, WorkerJob, WorkerReply } from './workerProtocol';

export type JobResult = Extract<WorkerReply, { kind: 'placed' | 'compared' | 'pipelined' }>;

/** Rejection value of a job: a failure from the engine, or `cancelled` when the user stopped it. */
export class JobError extends Error {
  constructor(readonly failure: WorkerFailure, readonly cancelled = false) {
    super(failure.message);
    this.name = cancelled ? 'JobCancelled' : 'JobError';
  }
}

export interface RunningJob {
  result: Promise<JobResult>;
  /** Stops the worker; `result` rejects with a cancelled JobError. Idempotent. */
  cancel(): void;
}

export function runJob(workerScript: string, job: WorkerJob, onProgress?: (message: string, fraction?: number) => void): RunningJob {
  const worker = new Worker(workerScript);
  let settled = false;
  let cancel: () => void = () => undefined;
  const result = new Promise<JobResult>((resolve, reject) => {
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'progress') {
        if (!settled) onProgress?.(reply.message, reply.fraction);
      } else if (reply.kind === 'failed') {
        finish(() => reject(new JobError(reply.error)));
      } else {
        finish(() => resolve(reply));
      }
    });
    worker.on('error', (e) => finish(() => reject(new JobError({ message: `placement worker crashed: ${e.message}`, userError: false, stack: e.stack }))));
    worker.on('exit', (code) => finish(() => reject(new JobError({ message: `placement worker exited unexpectedly (code ${code})`, userError: false }))));
    cancel = () => finish(() => reject(new JobError({ message: 'placement cancelled', userError: true }, true)));
  });
  // A copy of the bytes is sent (not transferred) so the caller's buffer stays usable for re-runs.
  worker.postMessage(job);
  return { result, cancel: () => cancel() };
}
