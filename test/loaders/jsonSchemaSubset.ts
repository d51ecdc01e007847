// A small JSON Schema (draft 2020-12) validator for exactly the keywords schema/opgraph.schema.json
// uses. It throws on any other keyword, so the schema cannot grow a rule this check silently skips.
type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs']);
const CHECKED = new Set(['type', 'required', 'additionalProperties', 'properties', 'items', 'const', 'minimum', 'minItems', 'minLength', '$ref']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

/** Returns the list of violations (empty = valid), each as `path: problem`. */
export function validateAgainstSchema(value: unknown, root: Schema): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    const m = /^#\/\$defs\/([A-Za-z0-9_]+)$/.exec(ref);
    if (!m) throw new Error(`unsupported $ref ${ref}`);
    const defs = root.$defs as Record<string, Schema>;
    if (!defs?.[m[1]]) throw new Error(`missing $defs/${m[1]}`);
    return defs[m[1]];
  };
  const visit = (v: unknown, s: Schema, path: string): void => {
    for (const k of Object.keys(s))
      if (!ANNOTATIONS.has(k) && !CHECKED.has(k)) throw new Error(`schema keyword "${k}" at ${path} is not supported by this validator`);
    if (s.$ref) visit(v, resolve(s.$ref as string), path);
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => typeMatches(v, t))) {
        errors.push(`${path}: expected ${types.join(' or ')}, got ${typeOf(v)}`);
        return;
      }
    }
    if ('const' in s && JSON.stringify(v) !== JSON.stringify(s.const)) errors.push(`${path}: expected ${JSON.stringify(s.const)}`);
    if (typeof v === 'number' && typeof s.minimum === 'number' && v < s.minimum) errors.push(`${path}: ${v} < minimum ${s.minimum}`);
    if (typeof v === 'string' && typeof s.minLength === 'number' && v.length < s.minLength) errors.push(`${path}: shorter than ${s.minLength}`);
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) errors.push(`${path}: fewer than ${s.minItems} items`);
      if (s.items) v.forEach((item, i) => visit(item, s.items as Schema, `${path}[${i}]`));
    }
    if (typeOf(v) === 'object') {
      const obj = v as Record<string, unknown>;
      for (const r of (s.required as string[]) ?? []) if (!(r in obj)) errors.push(`${path}: missing "${r}"`);
      const props = (s.properties as Record<string, Schema>) ?? {};
      for (const [k, child] of Object.entries(obj)) {
        if (props[k]) visit(child, props[k], `${path}.${k}`);
        else if (s.additionalProperties === false) errors.push(`${path}: unknown property "${k}"`);
        else if (typeof s.additionalProperties === 'object') visit(child, s.additionalProperties as Schema, `${path}.${k}`);
      }
    }
  };
  visit(value, root, '$');
  return errors;
}
