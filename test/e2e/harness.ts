// Drives a real VS Code for the end-to-end tests: code-server 4.100.3 (installed by
// scripts/install-code-server.sh, recipe in docs/vscode-e2e.md) on a free loopback port,
// with a temp user-data dir, a temp extensions dir holding a copy of the built extension, and a temp
// workspace; Debian's Chromium driven by playwright-core.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Browser, Frame, Page, chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH as CHROMIUM } from '../browser/harness';
import { REPO } from '../helpers/paths';

export const CODE_SERVER_VERSION = '4.100.3';
export const ARTIFACTS = path.join(REPO, 'test-artifacts', 'e2e');

/** Where install-code-server.sh puts code-server (same rule as the script). */
export function codeServerHome(): string {
  const root = process.env.OPPLACE_CODE_SERVER_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'opplace');
  return path.join(root, `code-server-${CODE_SERVER_VERSION}`);
}

/** The build outputs the extension runs. */
export const BUILD_OUTPUTS = ['dist/extension.js', 'dist/placeWorker.js', 'dist/highs.wasm', 'media/webview.js', 'media/layout-worker.js'];

/** Fails (never skips) with the command that fixes it. */
export function requirePrerequisites(buildOutputs: string[] = BUILD_OUTPUTS): string {
  const home = codeServerHome();
  if (!fs.existsSync(path.join(home, '.opplace-installed')) || !fs.existsSync(path.join(home, 'out', 'node', 'entry.js'))) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed in ${home}: run scripts/install-code-server.sh (it takes a few minutes)`);
  }
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium`);
  for (const f of buildOutputs) {
    if (!fs.existsSync(path.join(REPO, f))) throw new Error(`${f} is missing: run \`npm run build\` before the end-to-end tests`);
  }
  return home;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The files VS Code loads from the extension: the manifest, the bundles and media/. */
export function copyExtension(targetRoot: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  const dir = path.join(targetRoot, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(REPO, 'dist'), path.join(dir, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });
  fs.cpSync(path.join(REPO, 'media'), path.join(dir, 'media'), { recursive: true });
  return dir;
}

export interface SessionOptions {
  /** Workspace-relative path → source file to copy. */
  files: Record<string, string>;
  /** Workspace settings (.vscode/settings.json). */
  workspaceSettings?: Record<string, unknown>;
  /** Build outputs that must exist (default BUILD_OUTPUTS). */
  buildOutputs?: string[];
}

export interface Session {
  page: Page;
  browser: Browser;
  port: number;
  root: string;
  workspace: string;
  serverLog: string[];
  close(): Promise<void>;
}

const USER_SETTINGS = {
  // Without it a modal trust dialog swallows every click.
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'window.commandCenter': false,
  'chat.commandCenter.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
};

async function waitForHttp(url: string, server: ChildProcess, log: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`code-server exited with code ${server.exitCode}:\n${log.join('')}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer ${url} within ${timeoutMs} ms:\n${log.join('')}`);
}

export async function startSession(options: SessionOptions): Promise<Session> {
  const home = requirePrerequisites(options.buildOutputs);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'opplace-e2e-'));
  const userData = path.join(root, 'user-data');
  const extensions = path.join(root, 'extensions');
  const workspace = path.join(root, 'workspace');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  copyExtension(extensions);
  fs.mkdirSync(workspace, { recursive: true });
  for (const [rel, src] of Object.entries(options.files)) {
    fs.mkdirSync(path.dirname(path.join(workspace, rel)), { recursive: true });
    fs.copyFileSync(src, path.join(workspace, rel));
  }
  if (options.workspaceSettings) {
    fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(options.workspaceSettings, null, 2));
  }
  const port = await freePort();
  const serverLog: string[] = [];
  const server = spawn(
    process.execPath,
    [
      path.join(home, 'out', 'node', 'entry.js'),
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--extensions-dir',
      extensions,
      '--user-data-dir',
      userData,
      workspace,
    ],
    { cwd: root, env: { ...process.env, VSCODE_PROXY_URI: '' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  server.stdout?.on('data', (d) => serverLog.push(String(d)));
  server.stderr?.on('data', (d) => serverLog.push(String(d)));
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    if (server.exitCode === null && server.pid) {
      try {
        process.kill(-server.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise((r) => {
        const t = setTimeout(r, 3000);
        server.once('exit', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
      if (server.exitCode === null) {
        try {
          process.kill(-server.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, server, serverLog, 30_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1500, height: 950 } });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    return { page, browser, port, root, workspace, serverLog, close };
  } catch (e) {
    await close();
    throw e;
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Keeps the code-server log as test-artifacts/e2e/<logName> (what to read when a test fails), then closes the session. */
export async function saveLogAndClose(session: Session | undefined, logName: string): Promise<void> {
  if (!session) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, logName), session.serverLog.join(''));
  await session.close();
}

/** After a failed test, a best-effort screenshot named FAILED-<prefix><the test's title, slugged>. */
export async function screenshotIfFailed(test: Mocha.Test | undefined, page: Page | undefined, prefix: string, titleChars: number): Promise<void> {
  if (test?.state !== 'failed' || !page) return;
  await screenshot(page, `FAILED-${prefix}${test.title.replace(/[^a-z0-9]+/gi, '-').slice(0, titleChars)}`).catch(() => undefined);
}

/** Runs a palette command by its title (e.g. "opplace: Compare Algorithms"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click();
}

/**
 * Right-clicks a file in the Explorer and clicks a context-menu entry. Extension menus appear only
 * once the extension host has registered its contributions, so re-open the menu until it is there.
 */
export async function explorerMenu(page: Page, fileName: string, entry: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const item = page.locator('.explorer-item', { hasText: fileName }).first();
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  for (;;) {
    await item.click({ button: 'right' });
    const action = page.locator('.context-view .action-label, .monaco-menu .action-label', { hasText: entry }).first();
    try {
      await action.waitFor({ state: 'visible', timeout: 2_000 });
    } catch {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`the Explorer context menu of ${fileName} has no "${entry}" after ${timeoutMs} ms`);
      continue;
    }
    // Menus ignore a mouse-up right after they open (so the right-click's release selects nothing).
    await action.hover();
    await page.waitForTimeout(300);
    await action.click();
    // A click swallowed by the menu leaves it open: click once more (never press Enter, which
    // would open the file itself if the menu had just closed).
    await page.waitForTimeout(200);
    if (await action.isVisible().catch(() => false)) await action.click().catch(() => undefined);
    return;
  }
}

/**
 * The innermost webview frame whose document has `selector` (VS Code nests each webview's content
 * in iframe.webview > iframe#active-frame), optionally one whose text includes `bodyText`. Polls,
 * since webviews load asynchronously.
 */
export async function webviewFrame(page: Page, selector: string, timeoutMs = 60_000, bodyText?: string): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      try {
        if (!(await frame.$(selector))) continue;
        if (bodyText === undefined || (await frame.evaluate(() => document.body.innerText)).includes(bodyText)) return frame;
      } catch {
        // frame navigating or detached
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no webview shows "${selector}"${bodyText ? ` with "${bodyText}"` : ''} after ${timeoutMs} ms`);
}

/** Texts of the notifications currently shown (toasts and the notification center). */
export async function notificationTexts(page: Page): Promise<string[]> {
  return (await page.locator('.notification-list-item-message').allInnerTexts()).map((t) => t.trim());
}

export async function waitForNotification(page: Page, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let seen: string[] = [];
  while (Date.now() < deadline) {
    seen = await notificationTexts(page);
    const hit = seen.find((t) => pattern.test(t));
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no notification matching ${pattern} within ${timeoutMs} ms; shown: ${JSON.stringify(seen)}`);
}

export async function closeAllEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
}

/** Polls `probe` until `ok` holds (a webview reloading in between is retried), else fails saying what it last saw. */
export async function waitFor<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch {
      // frame reloading
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)?.slice(0, 800)}`);
}
