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

/** `onChange` gets every dim with a value, as NAME=VALUE (what `replace.dims` carries). */
export function createDimsControl(graph: OpGraph, onChange: (dims: string[]) => void): DimsControl {
  const row = document.createElement('div');
  row.id = 'model-dims';
  row.className = 'dims-row';
  const fields: { dim: SymbolicDim; field: Field }[] = [];
  const error = document.createElement('div');
  error.className = 'invalid-msg';
  const warning = document.createElement('div');
  warning.id = 'dims-warning';
  warning.className = 'dims-warning';

  /** The fields' values as NAME=VALUE, or null (a field marked invalid, the reason shown) if one is not a size. */
  function read(): string[] | null {
    const out: string[] = [];
    for (const { dim, field } of fields) {
      const text = field.value.trim();
      field.invalid = false;
      if (!text) continue;
      try {
        parseDimAssignments([`${dim.name}=${text}`], dim.name);
      } catch (e) {
        field.invalid = true;
        error.textContent = (e as Error).message;
        return null;
      }
      out.push(`${dim.name}=${text}`);
    }
    error.textContent = '';
    return out;
  }

  function build(g: OpGraph): void {
    const dims = g.symbolicDims ?? [];
    row.style.display = dims.length ? '' : 'none';
    const title = document.createElement('span');
    title.className = 'dims-title';
    title.textContent = 'symbolic dims';
    fields.length = 0;
    const labels = dims.map((dim, k) => {
      const field = document.createElement('vscode-textfield') as Field;
      field.id = `ctl-dim-${k}`;
      field.dataset.dim = dim.name;
      field.className = 'num';
      field.setAttribute('placeholder', 'free');
      field.setAttribute('aria-label', `value of the symbolic dim ${dim.name}`);
      field.value = dim.value === null ? '' : String(dim.value);
      field.addEventListener('change', () => {
        const values = read();
        if (values) onChange(values);
      });
      fields.push({ dim, field });
      const label = document.createElement('label');
      label.className = 'ctl';
      const text = document.createElement('span');
      text.textContent = `${dim.name} · ${dim.inputs.join(', ')}`;
      text.title = `symbolic dim "${dim.name}" of input${dim.inputs.length > 1 ? 's' : ''} ${dim.inputs.join(', ')}`;
      label.append(text, field);
      return label;
    });
    const free = dimWarnings(g);
    warning.replaceChildren(...free.map((w) => Object.assign(document.createElement('div'), { textContent: `⚠ ${w}` })));
    warning.style.display = free.length ? '' : 'none';
    const texts = document.createElement('div');
    texts.className = 'dims-texts';
    texts.append(error, warning);
    row.replaceChildren(title, ...labels, texts);
  }

  build(graph);
  return {
    element: row,
    setGraph: build,
  };
}
