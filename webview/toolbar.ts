// The DAG pane's toolbar (search, Fit, Collapse, group-by, critical-path toggle) and its legend.
// DOM only: each control reports what the user did through a callback; the state lives in app.ts.
import type { GroupBy } from './model';

export interface ToolbarCallbacks {
  /** The search text was committed (change or Enter on a new text). */
  onSearch(query: string): void;
  /** Enter again on the same text: the next match. */
  onNextMatch(): void;
  onFit(): void;
  onCollapseAll(): void;
  onGroupBy(groupBy: GroupBy): void;
  onShowCritical(on: boolean): void;
}

export interface ToolbarView {
  /** "N found" beside the search field (empty when there is no query). */
  setMatchCount(count: number, query: string, limit: number, cursor: number): void;
}

export interface ToolbarInitial {
  groupBy: GroupBy;
  showCritical: boolean;
}

export function matchCountText(count: number, query: string, limit: number, cursor: number): string {
  if (!query.trim()) return '';
  if (!count) return 'none found';
  const more = count === limit ? '+' : '';
  return count === 1 ? '1 found' : `${cursor + 1} of ${count}${more}`;
}

function button(id: string, text: string, onClick: () => void): HTMLElement {
  const b = document.createElement('vscode-button');
  b.id = id;
  b.setAttribute('secondary', '');
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}

export function createToolbar(tools: HTMLElement, initial: ToolbarInitial, cb: ToolbarCallbacks): ToolbarView {
  tools.replaceChildren();
  const search = document.createElement('vscode-textfield') as HTMLElement & { value: string };
  search.id = 'search';
  search.setAttribute('placeholder', 'search name or op type');
  const count = document.createElement('span');
  count.id = 'search-count';
  /** The text whose matches are shown: Enter on it again means "next". */
  let committed = '';
  const commit = () => {
    committed = search.value;
    cb.onSearch(search.value);
  };
  search.addEventListener('change', () => {
    if (search.value !== committed) commit();
  });
  search.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    if (search.value === committed && committed.trim()) cb.onNextMatch();
    else commit();
  });
  const fit = button('fit', 'Fit', () => cb.onFit());
  const crit = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
  crit.id = 'toggle-critical';
  crit.setAttribute('label', 'critical path');
  crit.checked = initial.showCritical;
  crit.addEventListener('change', () => cb.onShowCritical(crit.checked));
  const collapse = button('collapse-all', 'Collapse', () => cb.onCollapseAll());
  const groupBy = document.createElement('vscode-single-select') as HTMLElement & { value: string };
  groupBy.id = 'group-by';
  groupBy.title = 'group boxes by';
  for (const [v, label] of [
    ['namespace', 'by namespace'],
    ['colocation', 'by colocation group'],
  ]) {
    const o = document.createElement('vscode-option');
    o.setAttribute('value', v);
    o.textContent = label;
    groupBy.appendChild(o);
  }
  groupBy.value = initial.groupBy;
  groupBy.addEventListener('change', () => cb.onGroupBy(groupBy.value === 'colocation' ? 'colocation' : 'namespace'));
  tools.append(search, count, fit, collapse, groupBy, crit);
  return {
    setMatchCount(n, query, limit, cursor) {
      count.textContent = matchCountText(n, query, limit, cursor);
    },
  };
}

/** One swatch per device (throughput mode: per pipeline stage, `stages` = their labels), then the edge kinds. */
export function renderLegend(legend: HTMLElement, devices: number, stages?: string[]): void {
  legend.replaceChildren();
  const swatches = stages ? stages.map((label, k) => [`stage-${k}`, label]) : Array.from({ length: devices }, (_, d) => [`device-${d}`, `GPU ${d}`]);
  for (const [cls, label] of swatches) {
    const s = document.createElement('span');
    s.className = cls;
    const sw = document.createElement('span');
    sw.className = 'sw';
    s.append(sw, label);
    legend.append(s);
  }
  const edges = stages
    ? [['cross', 'edge between stages (transfer)']]
    : [
        ['cross', 'cross-device edge (transfer)'],
        ['crit', 'critical path'],
      ];
  for (const [cls, text] of edges) {
    const s = document.createElement('span');
    const sw = document.createElement('span');
    sw.className = `sw ${cls}`;
    s.append(sw, text);
    legend.append(s);
  }
}
