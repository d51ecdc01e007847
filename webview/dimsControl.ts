// The model's symbolic dims (issue 11 §1): one field per named dim of the graph inputs other than
// the batch (OpGraph.symbolicDims), labelled with the inputs it appears in, empty while free, and
// the loader's warning when any is left free (which dims, the share of ops whose shapes stay
// unknown). A value typed re-loads the model (the host re-prepares it: new dims, new model key).
// Values are checked by the CLI's own parse of `--dim NAME=VALUE` (algorithms/options.ts).
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { OpGraph, SymbolicDim } from '../algorithms/graph';
import { parseDimAssignments } from '../algorithms/options';

/** The loader's warnings about dims: those left free, the share of shapes lost, names that matched nothing. */
const DIM_WARNING = /^symbolic dims left free|of unknown shape|^--dim /;

export function dimWarnings(graph: OpGraph): string[] {
  return graph.warnings.filter((w) => DIM_WARNING.test(w));
}

export interface DimsControl {
  element: HTMLElement;
  /** A new graph (re-loaded with the dims, or changed on disk): its dims and warnings. */
  setGraph(graph: OpGraph): void;
}

type Field = HTMLElement & { value: string; invalid?: boolean };

/** The row's elements and its fields (one per dim of the graph it was last built for). */
interface DimsRow {
  row: HTMLElement;
  fields: { dim: SymbolicDim; field: Field }[];
  /** Why the value typed is not a size. */
  error: HTMLElement;
  /** The loader's warnings about the dims. */
  warning: HTMLElement;
  onChange: (dims: string[]) => void;
}

/** `onChange` gets every dim with a value, as NAME=VALUE (what `replace.dims` carries). */
export function createDimsControl(graph: OpGraph, onChange: (dims: string[]) => void): DimsControl {
  const d: DimsRow = {
    row: Object.assign(document.createElement('div'), { id: 'model-dims', className: 'dims-row' }),
    fields: [],
    error: Object.assign(document.createElement('div'), { className: 'invalid-msg' }),
    warning: Object.assign(document.createElement('div'), { id: 'dims-warning', className: 'dims-warning' }),
    onChange,
  };
  build(d, graph);
  return { element: d.row, setGraph: (g) => build(d, g) };
}

/** The fields' values as NAME=VALUE, or null (a field marked invalid, the reason shown) if one is not a size. */
function readDims(d: DimsRow): string[] | null {
  const out: string[] = [];
  for (const { dim, field } of d.fields) {
    const text = field.value.trim();
    field.invalid = false;
    if (!text) continue;
    try {
      parseDimAssignments([`${dim.name}=${text}`], dim.name);
    } catch (e) {
      field.invalid = true;
      d.error.textContent = (e as Error).message;
      return null;
    }
    out.push(`${dim.name}=${text}`);
  }
  d.error.textContent = '';
  return out;
}

/** The k-th dim's field, empty while the dim is free; a valid change sends every value. */
function dimField(d: DimsRow, dim: SymbolicDim, k: number): Field {
  const field = document.createElement('vscode-textfield') as Field;
  field.id = `ctl-dim-${k}`;
  field.dataset.dim = dim.name;
  field.className = 'num';
  field.setAttribute('placeholder', 'free');
  field.setAttribute('aria-label', `value of the symbolic dim ${dim.name}`);
  field.value = dim.value === null ? '' : String(dim.value);
  field.addEventListener('change', () => {
    const values = readDims(d);
    if (values) d.onChange(values);
  });
  return field;
}

/** The field labelled with the dim's name and the inputs it appears in. */
function dimLabel(dim: SymbolicDim, field: Field): HTMLElement {
  const label = document.createElement('label');
  label.className = 'ctl';
  const text = document.createElement('span');
  text.textContent = `${dim.name} · ${dim.inputs.join(', ')}`;
  text.title = `symbolic dim "${dim.name}" of input${dim.inputs.length > 1 ? 's' : ''} ${dim.inputs.join(', ')}`;
  label.append(text, field);
  return label;
}

/** The row for graph `g`: a title, one labelled field per dim, the error and the loader's warnings (hidden with no dims). */
function build(d: DimsRow, g: OpGraph): void {
  const dims = g.symbolicDims ?? [];
  d.row.style.display = dims.length ? '' : 'none';
  const title = Object.assign(document.createElement('span'), { className: 'dims-title', textContent: 'symbolic dims' });
  d.fields = dims.map((dim, k) => ({ dim, field: dimField(d, dim, k) }));
  const free = dimWarnings(g);
  d.warning.replaceChildren(...free.map((w) => Object.assign(document.createElement('div'), { textContent: `⚠ ${w}` })));
  d.warning.style.display = free.length ? '' : 'none';
  const texts = document.createElement('div');
  texts.className = 'dims-texts';
  texts.append(d.error, d.warning);
  d.row.replaceChildren(title, ...d.fields.map(({ dim, field }) => dimLabel(dim, field)), texts);
}
