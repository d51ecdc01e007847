// Symbolic dims (issue 11 §1): a dim that depends on a graph input's free `dim_param` (a `seq` the
// user did not bind with --dim) is a polynomial in those names with integer coefficients, kept as
// its canonical text: "seq", "2*seq", "batch*seq+1". Canonical text makes equal dims equal strings,
// so shape rules compare dims with === whatever they hold, and the text is what a user reads in a
// shape ([1, seq, 32]). Arithmetic is exact or gives null (unknown): seq / 2 is not a polynomial
// with integer coefficients, so it is unknown, as onnx's data propagation would leave it.
// A name that is not an identifier (dim_params are free text: "height / 2") is written in braces.

/** Monomial key (sorted names joined by '*', '' for the constant term) → coefficient (never 0). */
type Poly = Map<string, number>;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Parsed texts; parsing is pure, so the cache is emptied whenever it grows past this. */
const PARSE_CACHE_MAX = 4096;
const parsed = new Map<string, Poly>();

function atomText(name: string): string {
  return IDENT.test(name) ? name : `{${name.replace(/[\\}]/g, (ch) => `\\${ch}`)}}`;
}

/** The canonical symbolic dim of one free dim name. */
export function symbol(name: string): string {
  return atomText(name);
}

function keyOf(names: string[]): string {
  return names
    .slice()
    .sort()
    .map((n) => atomText(n))
    .join('*');
}

/** Names of a monomial key (inverse of keyOf). */
function namesOf(key: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < key.length) {
    if (key[i] === '*') i++;
    if (key[i] === '{') {
      let name = '';
      i++;
      while (i < key.length && key[i] !== '}') {
        if (key[i] === '\\') i++;
        name += key[i++];
      }
      i++;
      out.push(name);
    } else {
      let j = i;
      while (j < key.length && key[j] !== '*') j++;
      out.push(key.slice(i, j));
      i = j;
    }
  }
  return out;
}

function degree(key: string): number {
  return key === '' ? 0 : namesOf(key).length;
}

/** Canonical text, or the number when the polynomial is constant. */
function format(p: Poly): number | string {
  const keys = [...p.keys()].filter((k) => p.get(k) !== 0);
  if (keys.every((k) => k === '')) return p.get('') ?? 0;
  keys.sort((a, b) => degree(b) - degree(a) || (a < b ? -1 : a > b ? 1 : 0));
  let text = '';
  for (const k of keys) {
    const c = p.get(k)!;
    const mag = Math.abs(c);
    const body = k === '' ? String(mag) : mag === 1 ? k : `${mag}*${k}`;
    text += c < 0 ? `-${body}` : text ? `+${body}` : body;
  }
  return text;
}

/** Reads canonical text back: terms `[-|+][coef*]name*name…` (names plain or in braces). */
function parse(text: string): Poly {
  const hit = parsed.get(text);
  if (hit) return hit;
  const p: Poly = new Map();
  let i = 0;
  while (i < text.length) {
    let sign = 1;
    if (text[i] === '+' || text[i] === '-') sign = text[i++] === '-' ? -1 : 1;
    let j = i;
    // a term ends at a + or - outside braces
    while (j < text.length && !(j > i && (text[j] === '+' || text[j] === '-'))) {
      if (text[j] === '{') {
        j++;
        while (j < text.length && text[j] !== '}') j += text[j] === '\\' ? 2 : 1;
      }
      j++;
    }
    const term = text.slice(i, j);
    const m = /^(\d+)(\*|$)/.exec(term);
    const coef = m ? Number(m[1]) : 1;
    const rest = m ? term.slice(m[0].length) : term;
    const key = rest === '' ? '' : keyOf(namesOf(rest));
    p.set(key, (p.get(key) ?? 0) + sign * coef);
    i = j;
  }
  if (parsed.size >= PARSE_CACHE_MAX) parsed.clear();
  parsed.set(text, p);
  return p;
}

function polyOf(d: number | string): Poly {
  return typeof d === 'number' ? new Map([['', d]]) : parse(d);
}

type SymDim = number | string | null;

function combine(a: SymDim, b: SymDim, sign: number): SymDim {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return a + sign * b;
  const p = new Map(polyOf(a));
  for (const [k, c] of polyOf(b)) p.set(k, (p.get(k) ?? 0) + sign * c);
  return safe(format(p));
}

/** A result too large to be exact is unknown (coefficients past 2^53). */
function safe(d: number | string): SymDim {
  if (typeof d === 'number') return Number.isSafeInteger(d) ? d : null;
  return /\d{16,}/.test(d) ? null : d;
}

export function dimAdd(a: SymDim, b: SymDim): SymDim {
  return combine(a, b, 1);
}

export function dimSub(a: SymDim, b: SymDim): SymDim {
  return combine(a, b, -1);
}

export function dimMul(a: SymDim, b: SymDim): SymDim {
  if (a === null || b === null) return null;
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 0 || b === 0) return 0;
  const p: Poly = new Map();
  for (const [ka, ca] of polyOf(a)) {
    for (const [kb, cb] of polyOf(b)) {
      const k = keyOf([...(ka ? namesOf(ka) : []), ...(kb ? namesOf(kb) : [])]);
      p.set(k, (p.get(k) ?? 0) + ca * cb);
    }
  }
  return safe(format(p));
}

/**
 * a / b: numbers divide as integers (truncating, like ONNX's integer Div); a symbolic quotient must
 * be exact — b a number or one monomial dividing every term of a — else it is unknown.
 */
export function dimDiv(a: SymDim, b: SymDim): SymDim {
  if (a === null || b === null || b === 0) return null;
  if (typeof a === 'number' && typeof b === 'number') return Math.trunc(a / b);
  const pb = polyOf(b);
  if (pb.size !== 1) return a === b ? 1 : null;
  const [[kb, cb]] = [...pb];
  const divisor = kb ? namesOf(kb) : [];
  const p: Poly = new Map();
  for (const [ka, ca] of polyOf(a)) {
    if (ca % cb !== 0) return null;
    const names = ka ? namesOf(ka) : [];
    for (const n of divisor) {
      const at = names.indexOf(n);
      if (at < 0) return null;
      names.splice(at, 1);
    }
    p.set(keyOf(names), ca / cb);
  }
  return safe(format(p));
}

/** The free dim names a dim depends on. */
export function symbolsOf(d: SymDim): string[] {
  if (typeof d !== 'string') return [];
  const out = new Set<string>();
  for (const k of polyOf(d).keys()) for (const n of k ? namesOf(k) : []) out.add(n);
  return [...out];
}

/** A dim's value with every free name at `at` (a number or null stays as it is). */
export function evalDim(d: SymDim, at: (name: string) => number): number | null {
  if (typeof d !== 'string') return d;
  let v = 0;
  for (const [k, c] of polyOf(d)) {
    let term = c;
    for (const n of k ? namesOf(k) : []) term *= at(n);
    v += term;
  }
  return Number.isSafeInteger(v) ? v : null;
}

/** Product of dims (a shape's element count as a dim); null when any is unknown. */
export function dimProduct(dims: readonly SymDim[]): SymDim {
  let p: SymDim = 1;
  for (const d of dims) p = dimMul(p, d);
  return p;
}
