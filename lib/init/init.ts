/**
 * `loadgate init --openapi FILE`: read an OpenAPI document, let the parser validate and
 * dereference it, map it (lib/init/openapi.ts) and write the config as commented YAML.
 *
 * The document itself is parsed here, with the `yaml` package (JSON with JSON.parse), so that a
 * syntax error names its line and column; the parser gets the parsed object together with the
 * file's path, from which relative `$ref`s to other local files resolve. Nothing is fetched over
 * the network: the parser's HTTP resolver is off, so a `$ref` to a URL is an error that says so.
 */
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Document, isMap, isPair, isScalar, parseDocument, type Node, type Pair } from 'yaml';
import SwaggerParser from '@apidevtools/swagger-parser';
import { ConfigError, UsageError } from '../contract/errors.ts';
import { mapOpenApi, type ImportResult, type Note } from './openapi.ts';

export interface InitOptions {
  /** The OpenAPI document (JSON or YAML). */
  openapi: string;
  /** The config file to write. */
  out: string;
  baseUrl?: string | undefined;
  force?: boolean | undefined;
  /** false: map a document the parser does not validate, as far as it dereferences. */
  validate?: boolean | undefined;
}

export interface InitOutcome {
  result: ImportResult;
  out: string;
  /** Milliseconds per step and in all. */
  ms: { parse: number; validate: number; map: number; write: number; total: number };
}

/** At most this many validation errors are listed; the rest are counted. */
const MAX_ERRORS = 8;

/** Reads and parses the document: a ConfigError naming the file (and line) when it cannot. */
export async function readDocument(file: string): Promise<{ doc: Record<string, unknown>; text: string }> {
  let text: string;
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw new ConfigError(`${file} is a directory, not an OpenAPI document`);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? `${file} does not exist` : `${file} cannot be read: ${(err as Error).message}`);
  }
  const doc = parseText(file, text);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(
      `${file} is not an OpenAPI document: its top level is ${Array.isArray(doc) ? 'a list' : doc === null ? 'empty' : `a ${typeof doc}`}, not an object`,
    );
  }
  const d = doc as Record<string, unknown>;
  if (!('openapi' in d) && !('swagger' in d)) {
    throw new ConfigError(`${file} is not an OpenAPI document: it has no "openapi" (3.x) or "swagger" (2.0) field at the top level`);
  }
  return { doc: d, text };
}

/** JSON.parse for JSON (fast), the yaml package for YAML; errors name the line and column. */
export function parseText(file: string, text: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  const isJson = /^\s*[{[]/.test(body);
  if (isJson) {
    try {
      return JSON.parse(body);
    } catch (err) {
      // A YAML file may open with a flow mapping; a .json file must be JSON.
      if (file.toLowerCase().endsWith('.json')) throw new ConfigError(`${file} is not valid JSON: ${jsonErrorWhere(body, err as Error)}`);
    }
  }
  const doc = parseDocument(body, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    const where = first.linePos?.[0];
    const what = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? first.message;
    const snippet = first.message
      .split('\n')
      .slice(1)
      .join('\n')
      .replace(/^\n+|\n+$/g, '');
    throw new ConfigError(
      `${file} is not valid ${isJson ? 'JSON or YAML' : 'YAML'}: ${where ? `line ${where.line}, column ${where.col}: ` : ''}${what}${snippet ? `\n${snippet}` : ''}`,
    );
  }
  return doc.toJS();
}

/** "line L, column C: <message>" from JSON.parse's "at position N". */
function jsonErrorWhere(text: string, err: Error): string {
  const m = /position (\d+)/.exec(err.message);
  const message = err.message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected/, 'unexpected');
  if (!m) return message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `line ${line}, column ${col}: ${message}`;
}

const PARSER_OPTIONS = {
  // Local files only: never a request over the network. Circular $refs become cyclic objects.
  resolve: { external: true, http: false as const },
  dereference: { circular: true as const },
};

/** Validates and dereferences in place; a ConfigError naming the file and each problem's JSON pointer. */
export async function dereferenceDocument(file: string, doc: Record<string, unknown>, validate = true): Promise<unknown> {
  const path = resolve(file);
  try {
    // The path is the base for relative $refs; the document is the one parsed here.
    return validate
      ? await SwaggerParser.validate(path, doc as never, PARSER_OPTIONS)
      : await SwaggerParser.dereference(path, doc as never, PARSER_OPTIONS);
  } catch (err) {
    const e = err as Error & { details?: unknown[] };
    if (REF_ERRORS.has(e.name) || /\$ref pointer/.test(e.message))
      throw new ConfigError(`${file} has a $ref that cannot be resolved: ${describeParserError(err, path)}`);
    const schemaErrors = Array.isArray(e.details) && e.details.length > 0;
    const what = describeParserError(err, path);
    throw new ConfigError(
      `${file} is not a valid OpenAPI document:${what.startsWith('\n') ? '' : ' '}${what}${schemaErrors ? '\n(--no-validate maps it as far as it can be read)' : ''}`,
    );
  }
}

/** json-schema-ref-parser's errors for a $ref it could not follow. */
const REF_ERRORS = new Set(['MissingPointerError', 'ResolverError', 'UnmatchedResolverError', 'InvalidPointerError', 'ParserError']);

interface AjvDetail {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** ajv reports every branch of a oneOf that failed; these lines are the noise around the real one. */
const NOISE = [
  /must have required property '\$ref'/,
  /must match exactly one schema in oneOf/,
  /must match a schema in anyOf/,
  /must match "then" schema/,
];

export function describeParserError(err: unknown, path: string): string {
  const e = err as Error & { details?: AjvDetail[]; code?: string; source?: string };
  if (Array.isArray(e.details) && e.details.length > 0) {
    const lines = [
      ...new Set(
        e.details
          .filter((d) => !NOISE.some((n) => n.test(d.message ?? '')))
          .map((d) => {
            const extra = d.params?.['additionalProperty'] ? ` (${JSON.stringify(d.params['additionalProperty'])})` : '';
            return `#${d.instancePath ?? ''} ${d.message ?? ''}${extra}`;
          }),
      ),
    ];
    const shown = (lines.length > 0 ? lines : e.details.map((d) => `#${d.instancePath ?? ''} ${d.message ?? ''}`)).slice(0, MAX_ERRORS);
    const more = lines.length - shown.length;
    return `\n  ${shown.join('\n  ')}${more > 0 ? `\n  … and ${more} more` : ''}`;
  }
  let message = (e.message ?? String(err)).replaceAll(`${path} `, '').replaceAll(path, 'the document');
  // The resolver's error for a URL it may not fetch; say why.
  if (/resolve|resolver/i.test(message) && /https?:\/\//.test(message)) {
    message += ' (loadgate never fetches over the network: save the referenced file next to the document and $ref it by relative path)';
  }
  return message.length > 2000 ? `${message.slice(0, 2000)}…` : message;
}

// ---------------------------------------------------------------------------------------------
// The YAML file.

/** The config as YAML, with the header and the mapping's notes as comments. Pure. */
export function renderYaml(result: ImportResult, source: string, out: string): string {
  const { stats } = result;
  const doc = new Document(result.config);
  const what = [stats.title && JSON.stringify(stats.title), stats.version].filter(Boolean).join(' ');
  doc.commentBefore = [
    ` loadgate config written by \`loadgate init --openapi ${source}\``,
    ` from ${what ? `${what}, ` : ''}${stats.spec}: ${stats.mapped} endpoint(s) from ${stats.operations} operation(s)${stats.skipped.length ? ` (${stats.skipped.length} skipped)` : ''}.`,
    '',
    ' Review before the first run:',
    " - target.baseUrl: the API under test; load only a system you may load, never another party's production.",
    ' - auth: each strategy reads its secret from the env var it names; set them before `loadgate run`.',
    " - endpoints: bodies are the document's examples, or synthesised from its schemas (required fields only);",
    '   {{name}} placeholders and the lines marked TODO need values.',
    ' - expectStatus and expectBody come from the documented 2xx responses.',
    ' - flows: only safe reads run as they are (see the note above flows).',
    ` Then: loadgate run --config ${out}${result.config.scenario ? ` --scenario ${result.config.scenario}` : ''} --profile smoke`,
  ].join('\n');
  for (const note of result.notes) applyNote(doc, note);
  style(doc);
  return doc.toString({ lineWidth: 0, singleQuote: true, flowCollectionPadding: false });
}

/** Short collections on one line (as the README's examples); a blank line between endpoints and top-level keys. */
function style(doc: Document): void {
  const root = doc.contents;
  if (!isMap(root)) return;
  for (const top of root.items.slice(1)) {
    if (isScalar(top.key)) top.key.spaceBefore = true;
  }
  const auth = doc.get('auth', true);
  if (isMap(auth)) for (const s of auth.items) if (isMap(s.value)) s.value.flow = true;
  const endpoints = doc.get('endpoints', true);
  if (!isMap(endpoints)) return;
  for (const [i, pair] of endpoints.items.entries()) {
    if (isScalar(pair.key) && i > 0) pair.key.spaceBefore = true;
    const e = pair.value;
    if (!isMap(e)) continue;
    for (const field of e.items) {
      const key = isScalar(field.key) ? String(field.key.value) : '';
      const v = field.value as Node | null;
      if (!v || isScalar(v)) continue;
      // A value with a TODO comment stays a block: a comment inside braces is hard to read.
      const commented = isMap(v) && v.items.some((p) => isScalar(p.value) && p.value.comment);
      const short = !commented && JSON.stringify(v.toJSON()).length <= 72;
      if (key === 'expectStatus' || key === 'expectBody' || ((key === 'query' || key === 'headers' || key === 'body') && short)) {
        (v as Node & { flow?: boolean }).flow = true;
      }
    }
  }
}

/** Puts a note before the key at `note.path`, or after its scalar value. A path the config lacks is a bug: it throws. */
function applyNote(doc: Document, note: Note): void {
  const keys = note.path;
  const parent = keys.length > 1 ? doc.getIn(keys.slice(0, -1), true) : doc.contents;
  const last = keys[keys.length - 1];
  const pair = isMap(parent) ? (parent.items as Pair[]).find((p) => isPair(p) && isScalar(p.key) && p.key.value === last) : undefined;
  if (!pair) throw new Error(`init: no ${keys.join('.')} in the config for the note "${note.text.trim()}"`);
  if (note.inline && isScalar(pair.value)) {
    pair.value.comment = pair.value.comment ? `${pair.value.comment};${note.text}` : note.text;
  } else if (isScalar(pair.key)) {
    pair.key.commentBefore = pair.key.commentBefore ? `${pair.key.commentBefore}\n${note.text}` : note.text;
  }
}

/** Writes atomically; without `force`, an existing file is an error and is never replaced. */
async function writeConfig(out: string, text: string, force: boolean): Promise<void> {
  const tmp = `${out}.${process.pid}.tmp`;
  await mkdir(dirname(resolve(out)), { recursive: true });
  await writeFile(tmp, text);
  try {
    if (force) {
      await rename(tmp, out);
      return;
    }
    // link() fails when `out` exists: no window in which another file could be overwritten.
    await link(tmp, out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(`${out} exists: pass --force to overwrite it, or --out another file`);
    }
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

export async function initFromOpenApi(opts: InitOptions): Promise<InitOutcome> {
  const t0 = performance.now();
  if (/\.json$/i.test(opts.out))
    throw new UsageError(`--out ${opts.out}: init writes YAML (its comments carry the review notes): name a .yaml file`);
  if (!opts.force) {
    // Before the work: a file in the way is known at once.
    const exists = await stat(opts.out).then(
      () => true,
      () => false,
    );
    if (exists) throw new UsageError(`${opts.out} exists: pass --force to overwrite it, or --out another file`);
  }
  const { doc } = await readDocument(opts.openapi);
  const t1 = performance.now();
  const api = await dereferenceDocument(opts.openapi, doc, opts.validate !== false);
  const t2 = performance.now();
  const result = mapOpenApi(api, { baseUrl: opts.baseUrl });
  const text = renderYaml(result, opts.openapi, opts.out);
  const t3 = performance.now();
  await writeConfig(opts.out, text, opts.force === true);
  const t4 = performance.now();
  return { result, out: opts.out, ms: { parse: t1 - t0, validate: t2 - t1, map: t3 - t2, write: t4 - t3, total: t4 - t0 } };
}

// ---------------------------------------------------------------------------------------------
// The summary.

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** What init did, for stderr. */
export function formatSummary(o: InitOutcome, source: string): string {
  const { stats, warnings } = o.result;
  const lines: string[] = [];
  const what = [stats.title && JSON.stringify(stats.title), stats.version].filter(Boolean).join(' ');
  lines.push(`loadgate init: ${source}: ${what ? `${what}, ` : ''}${stats.spec}`);
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(11)}${text}`);
  row(
    'operations',
    `${stats.operations} found, ${stats.mapped} mapped${stats.disabled ? ` (${stats.disabled} deprecated: enabled: false)` : ''}, ${stats.skipped.length} skipped`,
  );
  for (const sk of stats.skipped.slice(0, 10)) row('  skipped', `${sk.method} ${sk.path}: ${sk.reason}`);
  if (stats.skipped.length > 10) row('', `… and ${stats.skipped.length - 10} more skipped`);
  const from = { flag: '--base-url', servers: "the document's servers", fallback: 'a placeholder: set it (TODO in the file)' }[
    stats.baseUrl.from
  ];
  row('base URL', `${stats.baseUrl.value} (${from})`);
  if (stats.auth.length === 0) row('auth', 'none (the document defines no security scheme loadgate can send)');
  for (const [i, a] of stats.auth.entries()) row(i === 0 ? 'auth' : '', a);
  row(
    'flows',
    stats.reads > 0
      ? `${stats.reads} safe read(s) (GET, no placeholder) in ${o.result.config.flows ? Object.keys(o.result.config.flows).length : 0} flow(s); scenario: ${o.result.config.scenario}`
      : 'no safe read (GET without placeholder): write a flow (TODO in the file)',
  );
  const byKind = new Map<string, string[]>();
  for (const w of warnings) byKind.set(w.kind, [...(byKind.get(w.kind) ?? []), w.detail]);
  for (const [kind, details] of byKind) {
    row(
      'warning',
      `${details.length} ${kind}: ${details.slice(0, 3).join('; ')}${details.length > 3 ? `; … ${details.length - 3} more` : ''}`,
    );
  }
  row(
    'time',
    `${s(o.ms.total)} (read + parse ${s(o.ms.parse)}, validate + dereference ${s(o.ms.validate)}, map + render ${s(o.ms.map)}, write ${s(o.ms.write)})`,
  );
  return lines.join('\n');
}
