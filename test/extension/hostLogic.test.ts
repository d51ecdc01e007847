// Host logic that needs no VS Code: message gate, webview HTML/CSP, compare table, user texts,
// export names, and the menus/editors package.json contributes.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acceptMessage } from '../../extension/messages';
import { buildWebviewHtml, makeNonce } from '../../webview/html';
import { compareCells, compareHtml, compareMarkdown, loadErrorHtml } from '../../extension/compareTable';
import { compareRow, CompareRow } from '../../algorithms/compare';
import { infeasibleText } from '../../extension/userMessages';
import { baseName } from '../../algorithms/text';
import { exportFileName, renderExport, availableExportFormats } from '../../extension/exports';
import { isPlaceableFile } from '../../extension/settings';
import type { Plan } from '../../algorithms/plan';
import type { OpGraph } from '../../algorithms/graph';
import { REPO } from '../helpers/paths';

const options = { algorithm: 'm-etf' as const, devices: 2, memoryLimits: [1e9, 1e9], comm: 'pcie4', grouping: 'coplace' as const, fuse: true };

function plan(over: Partial<Plan> = {}): Plan {
  return {
    file: '/ws/model.onnx',
    algorithm: 'm-etf',
    feasible: true,
    makespanUs: 1000,
    lowerBoundUs: 800,
    placeMs: 12,
    devices: [
      { index: 0, memoryLimitBytes: 1e9, peakBytes: 3 * 2 ** 20, busyUs: 900 },
      { index: 1, memoryLimitBytes: 1e9, peakBytes: 2 ** 20, busyUs: 400 },
    ],
    schedule: [
      { node: 'a', device: 0, startUs: 0, endUs: 600 },
      { node: 'b', device: 1, startUs: 700, endUs: 1000 },
    ],
    transfers: [{ from: 'a', to: 'b', bytes: 10, srcDevice: 0, dstDevice: 1, startUs: 600, endUs: 700 }],
    criticalPath: ['a', 'b'],
    options,
    ...over,
  };
}

const graph: OpGraph = {
  name: 'tiny',
  nodes: [
    {
      id: 'a',
      name: 'a',
      opType: 'Conv',
      namespace: [],
      computeUs: 600,
      persistentBytes: 100,
      temporaryBytes: 0,
      outputs: [{ name: 'a:0', bytes: 10, shape: [10] }],
    },
    {
      id: 'b',
      name: 'b',
      opType: 'Relu',
      namespace: [],
      computeUs: 300,
      persistentBytes: 0,
      temporaryBytes: 0,
      outputs: [{ name: 'b:0', bytes: 10, shape: [10] }],
    },
  ],
  edges: [{ from: 'a', to: 'b', tensor: 'a:0', bytes: 10 }],
  warnings: [],
};

describe('extension host: webview message gate', () => {
  const valid: unknown[] = [
    { type: 'ready', protocolVersion: 1 },
    { type: 'replace', requestId: 3, options },
    { type: 'replace', requestId: 4, options, batchSize: 8 },
    { type: 'saveLimits', memoryLimits: [1e9, 2e9] },
    { type: 'export', format: 'csv' },
    { type: 'openInBrowser' },
    { type: 'select', nodeId: null },
    { type: 'log', level: 'warn', message: 'x' },
  ];
  const invalid: unknown[] = [
    null,
    'ready',
    [],
    { type: 'eval', code: 'process.exit()' },
    { type: 'replace', requestId: 1, options: { ...options, memoryLimits: [1] } },
    { type: 'replace', requestId: 1, options: { ...options, memoryLimits: [-1, 1] } },
    { type: 'replace', requestId: 1, options: { ...options, algorithm: 'rm -rf' } },
    { type: 'replace', requestId: 1.5, options },
    { type: 'saveLimits', memoryLimits: [] },
    { type: 'saveLimits', memoryLimits: [Infinity] },
    { type: 'export', format: '../../etc/passwd' },
    { type: 'log', level: 'fatal', message: 'x' },
  ];
  it('passes every valid message through unchanged and logs nothing', () => {
    const logged: string[] = [];
    for (const m of valid)
      assert.equal(
        acceptMessage(m, 'model.onnx', (t) => logged.push(t)),
        m,
      );
    assert.deepEqual(logged, []);
  });
  it('drops every invalid message and logs one line naming the view and the message', () => {
    for (const m of invalid) {
      const logged: string[] = [];
      assert.equal(
        acceptMessage(m, 'model.onnx', (t) => logged.push(t)),
        undefined,
        JSON.stringify(m),
      );
      assert.equal(logged.length, 1);
      assert.match(logged[0], /ignored an invalid message from the viewer of model\.onnx/);
    }
  });
  it('truncates huge invalid messages in the log', () => {
    const logged: string[] = [];
    acceptMessage({ type: 'nope', blob: 'x'.repeat(1e6) }, 'm', (t) => logged.push(t));
    assert.ok(logged[0].length < 500);
  });
});

describe('extension host: viewer HTML and CSP (the page the host sets as webview.html)', () => {
  const nonce = makeNonce();
  const html = buildWebviewHtml({
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
    nonce,
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/webview.js',
    workerUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/layout-worker.js',
    title: 'Placement: <model>.onnx',
  });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1].replace(/&#39;/g, "'") ?? '';
  const directives = Object.fromEntries(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([k, ...v]) => [k, v]),
  );
  it('nonces are fresh, long and safe inside attributes', () => {
    assert.match(nonce, /^[A-Za-z0-9_-]{24,}$/);
    assert.notEqual(makeNonce(), nonce);
  });
  it('the CSP allows nothing by default, scripts by nonce only, workers from blob:, fetch from the media origin', () => {
    assert.deepEqual(directives['default-src'], ["'none'"]);
    assert.deepEqual(directives['script-src'], [`'nonce-${nonce}'`]);
    assert.deepEqual(directives['worker-src'], ['blob:']);
    assert.deepEqual(directives['connect-src'], ['https://file+.vscode-resource.vscode-cdn.net']);
    assert.deepEqual(directives['style-src'], ['https://file+.vscode-resource.vscode-cdn.net', `'nonce-${nonce}'`]);
    assert.ok(!csp.includes('unsafe'), csp);
  });
  it('every script and style element carries the nonce; the title is escaped; the worker URL is in a meta tag', () => {
    const tags = [...html.matchAll(/<(script|style)\b[^>]*>/g)].map((m) => m[0]);
    assert.ok(tags.length >= 2);
    assert.ok(
      tags.every((s) => s.includes(`nonce="${nonce}"`)),
      tags.join(),
    );
    assert.ok(html.includes('Placement: &lt;model&gt;.onnx'));
    assert.ok(!html.includes('<model>'));
    assert.match(html, /<meta name="opplace-layout-worker" content="https:\/\/[^"]+layout-worker\.js">/);
  });
});

describe('extension host: Compare Algorithms table', () => {
  const singleDeviceUs = 4000;
  const rows: CompareRow[] = [
    compareRow(plan({ algorithm: 'm-topo', makespanUs: 2000, singleDeviceUs })),
    compareRow(plan({ singleDeviceUs })),
    compareRow(
      plan({
        algorithm: 'm-sct',
        feasible: false,
        reason: 'op "conv1" (12 MiB) fits on no device',
        minimumMemoryBytes: 12 * 2 ** 20,
        schedule: [],
        transfers: [],
        singleDeviceUs,
      }),
    ),
    compareRow(plan({ algorithm: 'single', makespanUs: 4000, transfers: [], singleDeviceUs })),
    { ...compareRow(plan({ algorithm: 'sequential', feasible: false, schedule: [], transfers: [] })), error: 'x.onnx: something broke' },
  ];
  it('one row per algorithm, in order, with speed-up against the single-device time', () => {
    const cells = compareCells(rows);
    assert.deepEqual(
      cells.map((c) => c.algorithm),
      ['m-topo', 'm-etf', 'm-sct', 'single', 'sequential'],
    );
    assert.equal(cells[0].speedup, '2.00×');
    assert.equal(cells[1].speedup, '4.00×');
    assert.equal(cells[3].speedup, '1.00×');
    assert.equal(cells[2].status, 'infeasible');
    assert.match(cells[2].note, /conv1.*needs ≥ 12\.0 MiB per device/);
    assert.equal(cells[4].status, 'error');
    assert.equal(cells[4].note, 'x.onnx: something broke');
    assert.equal(cells[1].transfers, '1');
    assert.equal(cells[1].maxPeak, '3.00 MiB');
  });
  it('HTML: a script-less page with one body row per algorithm and escaped text', () => {
    const html = compareHtml('Compare <x>', 'sub', rows, 'NONCE');
    assert.equal((html.match(/<tr data-algorithm=/g) ?? []).length, rows.length);
    assert.ok(!/<script/i.test(html));
    assert.ok(html.includes('Compare &lt;x&gt;'));
    assert.match(html, /content="default-src 'none'; style-src 'nonce-NONCE';"/);
  });
  it('Markdown: header, rule and one line per algorithm', () => {
    const md = compareMarkdown('T', rows).trim().split('\n');
    assert.equal(md.filter((l) => l.startsWith('| ')).length, rows.length + 1);
  });
});

describe('extension host: load-error page', () => {
  it('shows the message escaped, in a script-less page with a nonce-only CSP', () => {
    const html = loadErrorHtml('Placement: <x>.onnx', '/w/x.onnx: bad <tag> & "quote"', 'N1');
    assert.ok(html.includes('/w/x.onnx: bad &lt;tag&gt; &amp; &quot;quote&quot;'));
    assert.ok(!/<script/i.test(html));
    assert.match(html, /content="default-src 'none'; style-src 'nonce-N1';"/);
    assert.ok(html.includes('id="load-error"'));
  });
});

describe('extension host: user messages and exports', () => {
  it('an infeasible plan names the op and the minimum memory; a feasible one gives no message', () => {
    assert.equal(infeasibleText(plan()), null);
    const text = infeasibleText(plan({ feasible: false, reason: 'op "fc6" needs 144 MiB but device 1 has 64 MiB free', minimumMemoryBytes: 150994944 }));
    assert.equal(
      text,
      'model.onnx (m-etf): over the limit: op "fc6" needs 144 MiB but device 1 has 64 MiB free — smallest uniform memory per device that works: 144 MiB',
    );
    const none = infeasibleText(plan({ feasible: false, schedule: [], reason: 'op "x" fits nowhere' }));
    assert.equal(none, 'model.onnx (m-etf): infeasible: op "x" fits nowhere');
  });
  it('a model is named by its base name, from a POSIX or a Windows path (headers, titles, messages)', () => {
    assert.equal(
      infeasibleText(plan({ file: '/home/u/models/resnet.onnx', feasible: false, schedule: [], reason: 'r' })),
      'resnet.onnx (m-etf): infeasible: r',
    );
    assert.equal(infeasibleText(plan({ file: 'C:\\models\\resnet.onnx', feasible: false, schedule: [], reason: 'r' })), 'resnet.onnx (m-etf): infeasible: r');
    assert.equal(baseName('resnet.onnx'), 'resnet.onnx');
  });
  it('export file names sit next to the model and never reuse its name', () => {
    assert.equal(exportFileName('/w/resnet.onnx', 'csv'), 'resnet.plan.csv');
    assert.equal(exportFileName('/w/net.opgraph.json', 'plan-json'), 'net.plan.json');
    assert.equal(exportFileName('/w/net.opgraph.json', 'accelerate'), 'net.device_map.json');
    for (const f of availableExportFormats('/w/m.onnx')) assert.notEqual(exportFileName('/w/m.onnx', f), 'm.onnx');
    assert.ok(availableExportFormats('/w/m.onnx').includes('onnx'));
    assert.ok(!availableExportFormats('/w/m.opgraph.json').includes('onnx'), 'the ONNX copy needs an ONNX model');
  });
  it('plan JSON and CSV exports render from a plan', async () => {
    const json = new TextDecoder().decode((await renderExport('plan-json', { graph, plan: plan() })).bytes);
    assert.deepEqual(JSON.parse(json), plan());
    const csv = new TextDecoder().decode((await renderExport('csv', { graph, plan: plan() })).bytes);
    assert.equal(csv.trim().split(/\r?\n/).length, 3);
    assert.match(csv, /^node,op,device/);
  });
});

describe('extension manifest (package.json contributes)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  it('every command the code registers is contributed, with the titles the issue names', () => {
    const source = fs.readFileSync(path.join(REPO, 'extension', 'extension.ts'), 'utf8');
    const registered = [...source.matchAll(/command\('(opplace\.[A-Za-z]+)'|registerCommand\('(opplace\.[A-Za-z]+)'/g)].map((m) => m[1] ?? m[2]).sort();
    const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(contributed, registered);
    const titles = pkg.contributes.commands.map((c: { title: string }) => c.title);
    for (const t of ['Place on Devices…', 'Place Model', 'Re-place', 'Compare Algorithms', 'Export Plan…', 'Open Report in Browser'])
      assert.ok(titles.includes(t), t);
  });
  it('the explorer, editor title and editor context menus offer "Place on Devices…" for model files', () => {
    for (const menu of ['explorer/context', 'editor/title', 'editor/context']) {
      const item = pkg.contributes.menus[menu].find((m: { command: string }) => m.command === 'opplace.placeOnDevices');
      assert.ok(item, menu);
      for (const needle of ['resourceExtname == .onnx', 'resourceExtname == .stg', 'resourceExtname == .json', 'resourceFilename =~'])
        assert.ok(item.when.includes(needle), `${menu}: ${needle}`);
    }
  });
  it('the Placement View custom editor is optional and covers *.onnx and *.opgraph.json', () => {
    const [editor] = pkg.contributes.customEditors;
    assert.equal(editor.viewType, 'opplace.placementView');
    assert.equal(editor.displayName, 'Placement View');
    assert.equal(editor.priority, 'option');
    assert.deepEqual(editor.selector.map((s: { filenamePattern: string }) => s.filenamePattern).sort(), ['*.onnx', '*.opgraph.json']);
    assert.ok(pkg.activationEvents.includes('onWebviewPanel:opplace.placement'));
  });
  it('isPlaceableFile matches the menu extensions', () => {
    for (const f of ['a.onnx', 'b.opgraph.json', 'c.STG', 'd.json']) assert.ok(isPlaceableFile(f), f);
    for (const f of ['a.txt', 'b.onnx.bak', 'c.py']) assert.ok(!isPlaceableFile(f), f);
  });
});
