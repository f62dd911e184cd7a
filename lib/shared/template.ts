/**
 * Request templates: `{{name}}` placeholders in paths, query values, headers and bodies, split
 * once at init into literal parts and names, then filled per request. `{{env.NAME}}` is read
 * from the environment when the template is compiled (inside k6: `__ENV`), so its value lives
 * only in k6's memory, never in a plan file. Pure: shared by the config checks and k6.
 */

/** Variables every request may use without a capture. */
export const BUILTIN_VARS: ReadonlySet<string> = new Set(['email', 'password', 'vu', 'iter', 'refreshToken']);

/** `name` or `env.NAME`: letters, digits and "_", not starting with a digit. */
function isVarName(name: string): boolean {
  const parts = name.split('.');
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'env')) return false;
  // Index loops, here and below: k6 runs this in every VU, and a for-of loop there makes the
  // runtime build its iterator and Symbol machinery in each VU (about 12 kB a VU).
  for (let j = 0; j < parts.length; j++) {
    const p = parts[j] as string;
    if (p.length === 0) return false;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
      if (!letter && !(i > 0 && c >= 48 && c <= 57)) return false;
    }
  }
  return true;
}

/** The variable names a text uses (`env.NAME` included as such). */
export function templateVars(text: string): string[] {
  const out: string[] = [];
  const names = compileTemplate(text, 'raw', (name) => {
    out.push(`env.${name}`);
    return '';
  }).names;
  return [...out, ...names];
}

/** How a value is written where the placeholder stands. */
export type Encoding = 'raw' | 'json' | 'url';

export interface Template {
  parts: string[];
  names: string[];
  encoding: Encoding;
}

export function encodeValue(s: string, encoding: Encoding): string {
  // In a JSON body a placeholder sits inside a string literal, so its value is JSON-escaped.
  if (encoding === 'json') return JSON.stringify(s).slice(1, -1);
  return encoding === 'url' ? encodeURIComponent(s) : s;
}

const NO_NAMES: string[] = [];

/** Splits a template; `env.NAME` placeholders are filled right away from `env`. */
export function compileTemplate(
  text: string,
  encoding: Encoding,
  env: (name: string) => string | undefined,
  /** Applied to the literal text between placeholders (a form value's own characters). */
  literal: (s: string) => string = (s) => s,
): Template {
  const parts: string[] = [];
  const names: string[] = [];
  let lit = '';
  let last = 0;
  // A plain scan, not a regex: k6 compiles templates in every VU, and a regex clone per call
  // (matchAll) costs each VU far more memory than this loop.
  for (let open = text.indexOf('{{'); open !== -1; open = text.indexOf('{{', last)) {
    const close = text.indexOf('}}', open + 2);
    if (close === -1) break;
    const name = text.slice(open + 2, close).trim();
    if (!isVarName(name)) {
      lit += literal(text.slice(last, open + 2));
      last = open + 2;
      continue;
    }
    lit += literal(text.slice(last, open));
    last = close + 2;
    if (name.startsWith('env.')) {
      lit += encodeValue(env(name.slice(4)) ?? '', encoding);
      continue;
    }
    parts.push(lit);
    names.push(name);
    lit = '';
  }
  parts.push(lit + literal(text.slice(last)));
  // Most templates have no placeholder: they share one empty list (k6 compiles them in every VU).
  return { parts, names: names.length ? names : NO_NAMES, encoding };
}

export type Vars = Record<string, string | number | undefined>;

export function fillTemplate(t: Template, vars: Vars): string {
  if (t.names.length === 0) return t.parts[0] as string;
  let out = t.parts[0] as string;
  for (let i = 0; i < t.names.length; i++) {
    const v = vars[t.names[i] as string];
    out += encodeValue(v === undefined ? '' : String(v), t.encoding) + (t.parts[i + 1] as string);
  }
  return out;
}

/** The env var names a set of texts reads through `{{env.NAME}}`. */
export function envNames(texts: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of texts) for (const v of templateVars(t)) if (v.startsWith('env.')) out.add(v.slice(4));
  return [...out];
}

/** Joins templates of one encoding end to end (form fields into one body). */
export function concatTemplates(list: readonly Template[], encoding: Encoding): Template {
  const parts: string[] = [''];
  const names: string[] = [];
  for (let j = 0; j < list.length; j++) {
    const t = list[j] as Template;
    parts[parts.length - 1] += t.parts[0] as string;
    for (let i = 0; i < t.names.length; i++) {
      names.push(t.names[i] as string);
      parts.push(t.parts[i + 1] as string);
    }
  }
  return { parts, names, encoding };
}
