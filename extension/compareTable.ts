// Compare Algorithms: one row per placer, rendered as a static HTML page (a script-less webview)
// and as Markdown (for copy/paste). Pure: rows in → text out.
import { formatBytes, formatBytesAtLeast, formatUs } from '../algorithms/units';
import { escapeHtml } from '../webview/html';
import type { CompareRow, ThroughputRow } from '../algorithms/compare';

export interface CompareCell {
  algorithm: string;
  status: string;
  stepTime: string;
  speedup: string;
  maxPeak: string;
  transfers: string;
  placeTime: string;
  note: string;
}

export const COMPARE_HEADERS: [keyof CompareCell, string][] = [
  ['algorithm', 'Algorithm'],
  ['status', 'Status'],
  ['stepTime', 'Step time'],
  ['speedup', 'Speed-up vs 1 device'],
  ['maxPeak', 'Largest device peak'],
  ['transfers', 'Transfers'],
  ['placeTime', 'Placement time'],
  ['note', 'Note'],
];

/** Table cells for each row (the engine's compare rows, as `opplace compare --json` prints them). */
export function compareCells(rows: CompareRow[]): CompareCell[] {
  return rows.map((r) => {
    if (r.error !== undefined) {
      return { algorithm: r.algorithm, status: 'error', stepTime: '—', speedup: '—', maxPeak: '—', transfers: '—', placeTime: '—', note: r.error };
    }
    const feasible = r.feasible && r.makespanUs !== null;
    return {
      algorithm: r.algorithm,
      status: feasible ? 'feasible' : 'infeasible',
      stepTime: feasible ? formatUs(r.makespanUs!) : '—',
      speedup: feasible && r.speedup !== null ? `${r.speedup.toFixed(2)}×` : '—',
      maxPeak: r.peakBytes.length ? formatBytes(Math.max(...r.peakBytes)) : '—',
      transfers: feasible ? String(r.transfers) : '—',
      placeTime: `${r.placeMs.toFixed(0)} ms`,
      note: feasible
        ? ''
        : [r.reason, r.minimumMemoryBytes !== undefined ? `needs ≥ ${formatBytesAtLeast(r.minimumMemoryBytes)} per device` : ''].filter(Boolean).join('; '),
    };
  });
}

/** The throughput section (issue 14): one row per pipeline split, as `opplace compare` prints it. */
export interface ThroughputSection {
  rows: ThroughputRow[];
  microbatches: number;
  schedule: string;
}

const throughputTitle = (t: ThroughputSection) => `Throughput: a pipeline of ${t.microbatches} microbatches (${t.schedule})`;

export const THROUGHPUT_HEADERS: [string, string][] = [
  ['split', 'Pipeline split'],
  ['status', 'Status'],
  ['timePerSample', 'Time per sample'],
  ['speedup', 'Throughput vs 1 device'],
  ['step', 'Step'],
  ['bubble', 'Bubble'],
  ['placeTime', 'Planning time'],
  ['note', 'Note'],
];

export function throughputCells(rows: ThroughputRow[]): Record<string, string>[] {
  return rows.map((r) => {
    const ok = r.error === undefined && r.feasible && r.timePerSampleUs !== null;
    return {
      split: r.split,
      status: r.error !== undefined ? 'error' : ok ? 'feasible' : 'infeasible',
      timePerSample: ok ? formatUs(r.timePerSampleUs!) : '—',
      speedup: ok && r.throughputSpeedup !== null ? `${r.throughputSpeedup.toFixed(2)}×` : '—',
      step: ok && r.stepUs !== null ? formatUs(r.stepUs) : '—',
      bubble: ok && r.bubble !== null ? `${(r.bubble * 100).toFixed(1)} %` : '—',
      placeTime: `${r.placeMs.toFixed(0)} ms`,
      note:
        r.error ??
        (ok
          ? ''
          : [r.reason, r.minimumMemoryBytes !== undefined ? `needs ≥ ${formatBytesAtLeast(r.minimumMemoryBytes)} per device` : ''].filter(Boolean).join('; ')),
    };
  });
}

function escapeMarkdownCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function markdownTable(headers: [string, string][], cells: Record<string, string>[]): string[] {
  const head = `| ${headers.map(([, h]) => h).join(' | ')} |`;
  const rule = `|${headers.map(() => '---').join('|')}|`;
  return [head, rule, ...cells.map((c) => `| ${headers.map(([k]) => escapeMarkdownCell(c[k])).join(' | ')} |`)];
}

export function compareMarkdown(title: string, rows: CompareRow[], throughput?: ThroughputSection): string {
  const latency = markdownTable(COMPARE_HEADERS, compareCells(rows) as unknown as Record<string, string>[]);
  const pipeline = throughput?.rows.length
    ? ['', `## ${throughputTitle(throughput)}`, '', ...markdownTable(THROUGHPUT_HEADERS, throughputCells(throughput.rows))]
    : [];
  return [`# ${title}`, '', ...latency, ...pipeline, ''].join('\n');
}

/** A complete HTML page without scripts: CSP `default-src 'none'`, the one style block by nonce. */
export function compareHtml(title: string, subtitle: string, rows: CompareRow[], nonce: string, throughput?: ThroughputSection): string {
  const cells = compareCells(rows);
  const pipeline = throughput?.rows.length
    ? `<h3>${escapeHtml(throughputTitle(throughput))}</h3>
<table id="throughput-table">
<thead><tr>${THROUGHPUT_HEADERS.map(([, h]) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>
${throughputCells(throughput.rows)
  .map(
    (c) =>
      `<tr data-split="${escapeHtml(c.split)}" class="${c.status}">${THROUGHPUT_HEADERS.map(([k]) => `<td class="col-${k}">${escapeHtml(c[k])}</td>`).join('')}</tr>`,
  )
  .join('\n')}
</tbody>
</table>`
    : '';
  const head = COMPARE_HEADERS.map(([, h]) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  const body = cells
    .map(
      (c) =>
        `<tr data-algorithm="${escapeHtml(c.algorithm)}" class="${c.status}">${COMPARE_HEADERS.map(([k]) => `<td class="col-${k}">${escapeHtml(c[k])}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1.5em; }
  table { border-collapse: collapse; margin-top: 1em; }
  th, td { text-align: left; padding: 4px 12px; border-bottom: 1px solid var(--vscode-panel-border, #8884); }
  th { font-weight: 600; }
  td.col-stepTime, td.col-speedup, td.col-maxPeak, td.col-transfers, td.col-placeTime, td.col-timePerSample, td.col-step, td.col-bubble { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  th { white-space: nowrap; }
  td.col-note { max-width: 40em; }
  tr.infeasible td.col-status, tr.error td.col-status { color: var(--vscode-errorForeground, #c00); }
  .subtitle { color: var(--vscode-descriptionForeground); }
</style>
</head>
<body>
<h2>${escapeHtml(title)}</h2>
<div class="subtitle">${escapeHtml(subtitle)}</div>
<table id="compare-table">
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
${pipeline}
</body>
</html>`;
}

/**
 * What a viewer shows when its model cannot be loaded at all (no graph to draw): the error in
 * the CLI's words and where the details are. Script-less; replaced by the viewer once a later
 * load (file saved, settings changed, Re-place) succeeds.
 */
export function loadErrorHtml(title: string, message: string, nonce: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}';">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 1em 1.5em; }
  #load-error { color: var(--vscode-errorForeground, #c00); white-space: pre-wrap; font-family: var(--vscode-editor-font-family, monospace); }
  .hint { color: var(--vscode-descriptionForeground); margin-top: 1em; }
</style>
</head>
<body>
<h2>${escapeHtml(title)}</h2>
<div id="load-error" role="alert">${escapeHtml(message)}</div>
<div class="hint">Fix the file or the opplace settings; the view re-loads when the file changes, the settings change, or on “opplace: Re-place”. Details are in the “opplace” output channel.</div>
</body>
</html>`;
}
