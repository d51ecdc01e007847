// The "opplace" output channel and error notifications. A user error shows exactly the CLI's text
// (OpplaceError.message); anything else is a bug: a short notification, the stack in the channel.
import * as vscode from 'vscode';
import { JobError } from './engineClient';
import { displayText } from '../algorithms/text';

export class Log {
  constructor(readonly channel: vscode.OutputChannel) {}

  /** One entry; each line escaped for display (a node name or a file's warning may hold escapes). */
  info(message: string): void {
    this.channel.appendLine(`[${new Date().toISOString()}] ${message.split('\n').map(displayText).join('\n')}`);
  }

  warn(message: string): void {
    this.info(`warning: ${message}`);
  }

  /** Logs the details and shows a notification; returns the text shown (also sent to the viewer). */
  showError(e: unknown, what: string): string {
    const text = userText(e);
    const internal = !(e instanceof JobError ? e.failure.userError : e instanceof Error && e.name === 'OpplaceError');
    const stack = e instanceof JobError ? e.failure.stack : internal && e instanceof Error ? e.stack : undefined;
    this.info(`${what} failed: ${text}${stack ? `\n${stack}` : ''}`);
    void vscode.window.showErrorMessage(
      displayText(internal ? `opplace: ${what} failed (internal error): ${text} — details in the "opplace" output channel` : text),
    );
    return text;
  }
}

export function userText(e: unknown): string {
  if (e instanceof JobError) return e.failure.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
