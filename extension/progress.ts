// Runs an engine job; when it takes longer than PROGRESS_DELAY_MS a progress notification with a
// Cancel button appears (Cancel abandons the job). Quick jobs never flash a notification.
import * as vscode from 'vscode';
import { JobError, ProgressListener, RunningJob } from './engineClient';

export const PROGRESS_DELAY_MS = 500;

export interface ProgressSink {
  (message: string, fraction?: number): void;
}

export function runWithProgress<T>(title: string, start: (onProgress: ProgressListener) => RunningJob<T>, onProgress?: ProgressSink): RunningJob<T> {
  let last = { message: '', fraction: undefined as number | undefined };
  let report: ((m: string, f?: number) => void) | undefined;
  const running = start((message, fraction) => {
    last = { message, fraction };
    onProgress?.(message, fraction);
    report?.(message, fraction);
  });
  const timer = setTimeout(() => {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      let reported = 0;
      report = (message, fraction) => {
        const increment = fraction !== undefined ? Math.max(0, fraction * 100 - reported) : undefined;
        if (fraction !== undefined) reported = fraction * 100;
        progress.report({ message, increment });
      };
      report(last.message, last.fraction);
      token.onCancellationRequested(() => running.cancel());
      await running.result.catch(() => undefined);
    });
  }, PROGRESS_DELAY_MS);
  running.result.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );
  return running;
}

export function isCancelled(e: unknown): boolean {
  return e instanceof JobError && e.cancelled;
}
