/**
 * JSON paths as the config writes them: dot paths with `[n]` indexes and an optional leading
 * `$` or `$.` (`data.token`, `[0].id`, `$.items[2].name`, `$` for the whole value). Compiled once
 * into steps, evaluated per response. Pure: shared by the config validation (Node) and the k6
 * runtime. A full JSONPath library (filters, wildcards) would cost every VU its parse for
 * features a token or an id capture never needs.
 */

export type JsonPathStep = string | number;

/** Parses a path; throws an Error whose message says what is wrong and where. */
export function compileJsonPath(path: string): JsonPathStep[] {
  let rest = path.trim();
  if (rest === '') throw new Error('is empty: use "$" for the whole body');
  if (rest.startsWith('$')) rest = rest.slice(1);
  if (rest.startsWith('.')) rest = rest.slice(1);
  const steps: JsonPathStep[] = [];
  let i = 0;
  while (i < rest.length) {
    const c = rest[i];
    if (c === '[') {
      const close = rest.indexOf(']', i);
      const inner = close < 0 ? '' : rest.slice(i + 1, close);
      if (!/^\d+$/.test(inner)) throw new Error(`has a bad index at character ${i + 1} of ${JSON.stringify(path)}: use [0], [1] …`);
      steps.push(Number(inner));
      i = close + 1;
      if (rest[i] === '.') i += 1;
      continue;
    }
    let j = i;
    while (j < rest.length && rest[j] !== '.' && rest[j] !== '[') j += 1;
    const key = rest.slice(i, j);
    if (key === '') throw new Error(`has an empty key at character ${i + 1} of ${JSON.stringify(path)}`);
    steps.push(key);
    i = rest[j] === '.' ? j + 1 : j;
    if (rest[j] === '.' && i >= rest.length) throw new Error(`ends with "." in ${JSON.stringify(path)}`);
  }
  return steps;
}

/**
 * A value no JSON can hold: an object of our own (compared by identity). Not a Symbol: k6 runs
 * this in every VU, and the first Symbol makes the runtime build its Symbol machinery there.
 */
const MISSING: { readonly missing: true } = Object.freeze({ missing: true });
export type Missing = typeof MISSING;

/** The value at the path, or MISSING (distinct from a JSON null that is there). */
export function readJsonPath(value: unknown, steps: readonly JsonPathStep[]): unknown | Missing {
  let node: unknown = value;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as JsonPathStep;
    if (typeof step === 'number') {
      if (!Array.isArray(node) || step >= node.length) return MISSING;
      node = node[step];
    } else {
      if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, step)) return MISSING;
      node = (node as Record<string, unknown>)[step];
    }
  }
  return node;
}

export function isMissing(v: unknown): v is Missing {
  return v === MISSING;
}

/** The JSON type name of a value, as `expectBody.jsonPath` types name it. */
export function jsonType(v: unknown): 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' | 'undefined' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  return t === 'object' || t === 'string' || t === 'number' || t === 'boolean' ? t : 'undefined';
}
