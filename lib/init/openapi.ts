/**
 * OpenAPI → loadgate config: the pure mapping behind `loadgate init --openapi`. Input: an OpenAPI
 * 3.0/3.1 or Swagger 2.0 document already parsed, validated and dereferenced by the parser
 * (lib/init/init.ts); output: a config in the shape of lib/config/schema.ts and README "Your own API", the comments
 * the YAML file carries, and what the summary tells. No I/O, no clock: table-tested.
 *
 * The document is read defensively (`--no-validate` hands over documents the parser did not
 * accept), and dereferenced documents may hold cycles (a schema that contains itself): every walk
 * over schemas is depth-limited and keeps the schemas on its current path.
 */
import { HttpMethodSchema } from '../contract/plan.ts';

export type HttpMethod = (typeof HttpMethodSchema.options)[number];

/** The methods loadgate sends; the others an OpenAPI path item may hold (TRACE) are skipped. */
const SENDABLE: ReadonlySet<string> = new Set(HttpMethodSchema.options);
/** Every operation key of an OpenAPI path item, in the order endpoints are written. */
const PATH_ITEM_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Base URL when neither --base-url nor an absolute http(s) server URL gives one. */
export const FALLBACK_BASE_URL = 'http://127.0.0.1:8080';
/** How deep a request body is synthesised from its schema, and how deep required fields are looked for. */
export const MAX_SAMPLE_DEPTH = 6;
/** The mix flow over every group's reads. */
export const READS_FLOW = 'reads';

// ---------------------------------------------------------------------------------------------
// The output: the config file's shape (lib/config/schema.ts and README "Your own API"), as far as `init` writes it.

export type BodyCheck = { json: string[] } | { jsonPath: Record<string, { type: 'array' }> } | { empty: true };

export interface EndpointOut {
  group: string;
  method: HttpMethod;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  /** Written only when not json (the default). */
  bodyType?: 'form' | 'text';
  /** A strategy name, or 'none' where the operation opts out of a document-wide requirement. */
  auth?: string;
  expectStatus: Array<number | '2xx'>;
  expectBody: BodyCheck | null;
  /** Written only for deprecated operations. */
  enabled?: false;
}

export type AuthOut =
  | { type: 'apiKey'; in: 'header' | 'query'; name: string; env: string }
  | { type: 'basic'; usernameEnv: string; passwordEnv: string }
  | { type: 'bearer'; env: string };

export type FlowOut = { pick: { endpoints: Record<string, number> } } | { mix: Record<string, number> };

export interface ConfigOut {
  extends: 'none';
  target: { baseUrl: string };
  auth?: Record<string, AuthOut>;
  endpoints: Record<string, EndpointOut>;
  flows: Record<string, FlowOut>;
  scenario: string | null;
}

/** A YAML comment for the file: before the key at `path`, or after its (scalar) value on the same line. */
export interface Note {
  path: string[];
  text: string;
  inline?: boolean;
}

/** Something the summary reports; `kind` groups them ("12 operations: …"). */
export interface Warning {
  kind: string;
  detail: string;
}

export interface Skipped {
  method: string;
  path: string;
  reason: string;
}

export interface ImportResult {
  config: ConfigOut;
  notes: Note[];
  warnings: Warning[];
  stats: {
    title: string;
    version: string;
    /** "OpenAPI 3.1.0" or "Swagger 2.0". */
    spec: string;
    /** Operations in the document, skipped ones included. */
    operations: number;
    mapped: number;
    skipped: Skipped[];
    /** Deprecated operations, mapped with `enabled: false`. */
    disabled: number;
    baseUrl: { value: string; from: 'flag' | 'servers' | 'fallback' };
    /** Each strategy written, as one line for the summary. */
    auth: string[];
    groups: number;
    /** Endpoints in the default flows (safe reads). */
    reads: number;
  };
}

export interface ImportOptions {
  /** --base-url, already checked to be an absolute http(s) URL. */
  baseUrl?: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Reading an untyped document.

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function entries(v: unknown): [string, unknown][] {
  const o = obj(v);
  return o ? Object.entries(o) : [];
}

/** The operation, in one shape for OpenAPI 3 and Swagger 2. */
interface Operation {
  method: string;
  path: string;
  pointer: string;
  operationId: string | undefined;
  tag: string | undefined;
  summary: string | undefined;
  deprecated: boolean;
  parameters: Parameter[];
  /** Media type → its schema and example. */
  requestBody: Map<string, Media> | null;
  /** Status code (or "default", "2XX") → media type → schema. */
  responses: Map<string, Map<string, Media>>;
  /** undefined: the document's requirement applies. */
  security: unknown[] | undefined;
  hasOwnServers: boolean;
}

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schema: unknown;
  /** The parameter's own example (OpenAPI `example`/`examples`, Swagger `x-example`). */
  example: unknown;
}

interface Media {
  schema: unknown;
  example: unknown;
}

interface SecurityScheme {
  type: string;
  scheme?: string;
  in?: string;
  name?: string;
}

/** The parts of a document the mapping reads, in one shape for OpenAPI 3 and Swagger 2. */
interface DocumentView {
  spec: string;
  title: string;
  version: string;
  servers: string[];
  operations: Operation[];
  security: unknown[] | undefined;
  schemes: Map<string, SecurityScheme>;
}

const NO_EXAMPLE = Symbol('no example');

function firstExample(o: Obj): unknown {
  if ('example' in o) return o['example'];
  for (const [, ex] of entries(o['examples'])) {
    const value = obj(ex);
    if (value && 'value' in value) return value['value'];
  }
  return NO_EXAMPLE;
}

function mediaMap(content: unknown): Map<string, Media> {
  const out = new Map<string, Media>();
  for (const [type, m] of entries(content)) {
    const media = obj(m) ?? {};
    out.set(type, { schema: media['schema'], example: firstExample(media) });
  }
  return out;
}

/** Operation parameters override the path item's ones of the same name and location. */
function mergeParameters(pathLevel: unknown, opLevel: unknown): Obj[] {
  const byKey = new Map<string, Obj>();
  for (const p of [...arr(pathLevel), ...arr(opLevel)]) {
    const o = obj(p);
    if (o) byKey.set(`${str(o['in'])}:${str(o['name'])}`, o);
  }
  return [...byKey.values()];
}

function viewOpenApi3(doc: Obj): DocumentView {
  const info = obj(doc['info']) ?? {};
  const servers = arr(doc['servers']).map((s) => serverUrl(obj(s) ?? {}));
  const schemes = new Map<string, SecurityScheme>();
  for (const [name, s] of entries(obj(doc['components'])?.['securitySchemes'])) {
    const o = obj(s);
    if (o) schemes.set(name, { type: str(o['type']) ?? '', scheme: str(o['scheme']), in: str(o['in']), name: str(o['name']) });
  }
  const operations: Operation[] = [];
  for (const [path, item] of entries(doc['paths'])) {
    const pathItem = obj(item) ?? {};
    for (const method of PATH_ITEM_METHODS) {
      const op = obj(pathItem[method]);
      if (!op) continue;
      const parameters = mergeParameters(pathItem['parameters'], op['parameters']).map((p) => {
        // A parameter has a schema, or (rarely) a content map with one media type.
        const media = [...mediaMap(p['content']).values()][0];
        const own = firstExample(p);
        return {
          name: str(p['name']) ?? '',
          in: str(p['in']) ?? '',
          required: p['required'] === true,
          schema: p['schema'] ?? media?.schema,
          example: own !== NO_EXAMPLE ? own : (media?.example ?? NO_EXAMPLE),
        };
      });
      const body = obj(op['requestBody']);
      const responses = new Map<string, Map<string, Media>>();
      for (const [code, r] of entries(op['responses'])) responses.set(code, mediaMap(obj(r)?.['content']));
      operations.push({
        method,
        path,
        pointer: `#/paths/${pointerToken(path)}/${method}`,
        operationId: str(op['operationId']),
        tag: str(arr(op['tags'])[0]),
        summary: str(op['summary']),
        deprecated: op['deprecated'] === true,
        parameters,
        requestBody: body ? mediaMap(body['content']) : null,
        responses,
        security: Array.isArray(op['security']) ? op['security'] : undefined,
        hasOwnServers: arr(op['servers']).length > 0 || arr(pathItem['servers']).length > 0,
      });
    }
  }
  return {
    spec: `OpenAPI ${str(doc['openapi']) ?? '3'}`,
    title: str(info['title']) ?? '',
    version: str(info['version']) ?? '',
    servers,
    operations,
    security: Array.isArray(doc['security']) ? doc['security'] : undefined,
    schemes,
  };
}

/** A Swagger 2.0 parameter's schema fields sit on the parameter itself. */
function swaggerParamSchema(p: Obj): Obj {
  const { name: _n, in: _i, required: _r, description: _d, allowEmptyValue: _a, collectionFormat: _c, 'x-example': example, ...schema } = p;
  return example === undefined ? schema : { ...schema, example };
}

function viewSwagger2(doc: Obj): DocumentView {
  const info = obj(doc['info']) ?? {};
  const host = str(doc['host']);
  const basePath = str(doc['basePath']) ?? '';
  const scheme = str(arr(doc['schemes'])[0]) ?? 'https';
  const servers = host ? [`${scheme}://${host}${basePath}`] : basePath ? [basePath] : [];
  const schemes = new Map<string, SecurityScheme>();
  for (const [name, s] of entries(doc['securityDefinitions'])) {
    const o = obj(s);
    if (!o) continue;
    const type = str(o['type']) ?? '';
    // Swagger 2's `basic` is OpenAPI 3's http scheme `basic`.
    schemes.set(name, type === 'basic' ? { type: 'http', scheme: 'basic' } : { type, in: str(o['in']), name: str(o['name']) });
  }
  const docConsumes = arr(doc['consumes']).filter((c): c is string => typeof c === 'string');
  const docProduces = arr(doc['produces']).filter((c): c is string => typeof c === 'string');
  const operations: Operation[] = [];
  for (const [path, item] of entries(doc['paths'])) {
    const pathItem = obj(item) ?? {};
    for (const method of PATH_ITEM_METHODS) {
      const op = obj(pathItem[method]);
      if (!op) continue;
      const consumes = arr(op['consumes']).filter((c): c is string => typeof c === 'string');
      const produces = arr(op['produces']).filter((c): c is string => typeof c === 'string');
      const bodyTypes = consumes.length ? consumes : docConsumes.length ? docConsumes : ['application/json'];
      const responseTypes = produces.length ? produces : docProduces.length ? docProduces : ['application/json'];
      const parameters: Parameter[] = [];
      let requestBody: Map<string, Media> | null = null;
      const formFields: Obj = {};
      const formRequired: string[] = [];
      for (const p of mergeParameters(pathItem['parameters'], op['parameters'])) {
        const name = str(p['name']) ?? '';
        const where = str(p['in']) ?? '';
        if (where === 'body') {
          const examples = obj(p['x-examples']);
          requestBody = new Map(
            bodyTypes.map((t) => [t, { schema: p['schema'], example: examples && t in examples ? examples[t] : NO_EXAMPLE }] as const),
          );
        } else if (where === 'formData') {
          formFields[name] = swaggerParamSchema(p);
          if (p['required'] === true) formRequired.push(name);
        } else {
          parameters.push({
            name,
            in: where,
            required: p['required'] === true,
            schema: swaggerParamSchema(p),
            example: 'x-example' in p ? p['x-example'] : NO_EXAMPLE,
          });
        }
      }
      if (Object.keys(formFields).length > 0) {
        const schema = { type: 'object', properties: formFields, required: formRequired };
        const type = bodyTypes.find((t) => /form/i.test(t)) ?? 'application/x-www-form-urlencoded';
        requestBody = new Map([[type, { schema, example: NO_EXAMPLE }]]);
      }
      const responses = new Map<string, Map<string, Media>>();
      for (const [code, r] of entries(op['responses'])) {
        const response = obj(r) ?? {};
        const media = new Map<string, Media>();
        if (response['schema'] !== undefined) {
          const examples = obj(response['examples']);
          for (const t of responseTypes)
            media.set(t, { schema: response['schema'], example: examples && t in examples ? examples[t] : NO_EXAMPLE });
        }
        responses.set(code, media);
      }
      operations.push({
        method,
        path,
        pointer: `#/paths/${pointerToken(path)}/${method}`,
        operationId: str(op['operationId']),
        tag: str(arr(op['tags'])[0]),
        summary: str(op['summary']),
        deprecated: op['deprecated'] === true,
        parameters,
        requestBody,
        responses,
        security: Array.isArray(op['security']) ? op['security'] : undefined,
        hasOwnServers: false,
      });
    }
  }
  return {
    spec: 'Swagger 2.0',
    title: str(info['title']) ?? '',
    version: str(info['version']) ?? '',
    servers,
    operations,
    security: Array.isArray(doc['security']) ? doc['security'] : undefined,
    schemes,
  };
}

function pointerToken(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A server's URL with its variables at their defaults. */
function serverUrl(server: Obj): string {
  const vars = obj(server['variables']) ?? {};
  return (str(server['url']) ?? '').replace(/\{([^}]+)\}/g, (m, name: string) => str(obj(vars[name])?.['default']) ?? m);
}

// ---------------------------------------------------------------------------------------------
// Names.

/** `getUserByID`, `user-by id`, `repos/get-content` → `get_user_by_id`, `user_by_id`, `repos_get_content`. */
export function snakeCase(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** A group (and so a flow) name: lower snake case, starting with a letter, no dots (a dot ends the group in an endpoint name). */
export function groupName(s: string): string {
  const g = snakeCase(s);
  if (g === '') return 'api';
  return /^[a-z]/.test(g) ? g : `api_${g}`;
}

const SKIPPED_SEGMENT = /^(api|rest|v\d+(\.\d+)*)$/i;

/** The group of an operation: its first tag, else its path's first segment that is not `api` or a version such as `v1`. */
function groupOf(op: Operation): string {
  if (op.tag && snakeCase(op.tag) !== '') return groupName(op.tag);
  const segments = op.path.split('/').filter((s) => s !== '');
  const meaningful = segments.find((s) => !SKIPPED_SEGMENT.test(s)) ?? segments[0] ?? 'root';
  return groupName(meaningful.replace(/[{}]/g, ''));
}

/** The part after the group: the operationId (without a leading repeat of the group), else method and path. */
function operationName(op: Operation, group: string): string {
  let name = op.operationId ? snakeCase(op.operationId) : '';
  if (name.startsWith(`${group}_`) && name.length > group.length + 1) name = name.slice(group.length + 1);
  if (name === '') name = snakeCase(`${op.method} ${op.path.replace(/[{}]/g, '')}`) || op.method;
  return name;
}

/** A template variable for an OpenAPI parameter name (`{{name}}` takes letters, digits and "_"). */
export function templateVar(name: string): string {
  const v = name.replace(/[^A-Za-z0-9_]+/g, '_');
  return /^[A-Za-z_]/.test(v) ? v : `_${v}`;
}

/** An env var name in upper snake case: `petstore-auth` → `PETSTORE_AUTH`. */
export function envName(s: string): string {
  const e = snakeCase(s).toUpperCase();
  return /^[A-Z_]/.test(e) ? e : `_${e}`;
}

/** An auth strategy name (letters, digits, "_", "-", starting with a letter; never "none"). */
function strategyName(s: string): string {
  let n = s.replace(/[^A-Za-z0-9_-]+/g, '_');
  if (!/^[A-Za-z]/.test(n)) n = `auth_${n}`;
  return n === 'none' ? 'none_' : n;
}

function unique(name: string, taken: Set<string>): string {
  let out = name;
  for (let i = 2; taken.has(out); i++) out = `${name}_${i}`;
  taken.add(out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Schemas: synthesised values and response shapes. Cycle-safe: `path` holds the schemas being walked.

function typeOf(s: Obj): string | undefined {
  const t = s['type'];
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return (t.find((x) => x !== 'null') as string | undefined) ?? 'null';
  if (s['properties'] !== undefined || s['additionalProperties'] !== undefined) return 'object';
  if (s['items'] !== undefined) return 'array';
  return undefined;
}

/** allOf parts merged into one object schema (properties and required lists joined). */
function flatten(schema: Obj, path: Set<object>, depth = 0): Obj {
  const parts = arr(schema['allOf'])
    .map(obj)
    .filter((p): p is Obj => p !== undefined && !path.has(p));
  if (parts.length === 0 || depth > MAX_SAMPLE_DEPTH) return schema;
  const merged: Obj = { ...schema, allOf: undefined };
  const properties: Obj = { ...obj(schema['properties']) };
  const required = new Set(arr(schema['required']).filter((r): r is string => typeof r === 'string'));
  path.add(schema);
  for (const part of parts) {
    const flat = flatten(part, path, depth + 1);
    for (const [k, v] of Object.entries(flat)) if (!(k in merged) || merged[k] === undefined) merged[k] = v;
    Object.assign(properties, obj(flat['properties']));
    for (const r of arr(flat['required'])) if (typeof r === 'string') required.add(r);
  }
  path.delete(schema);
  merged['properties'] = properties;
  merged['required'] = [...required];
  return merged;
}

/** The first alternative of a oneOf/anyOf (one that is not just `null`), merged over the base schema. */
function withFirstAlternative(schema: Obj, path: Set<object>): Obj {
  const alternatives = [...arr(schema['oneOf']), ...arr(schema['anyOf'])].map(obj).filter((a): a is Obj => a !== undefined && !path.has(a));
  const pick = alternatives.find((a) => typeOf(a) !== 'null') ?? alternatives[0];
  if (!pick) return schema;
  const alt = flatten(pick, path);
  const properties = { ...obj(schema['properties']), ...obj(alt['properties']) };
  const required = [...arr(schema['required']), ...arr(alt['required'])];
  return { ...alt, ...schema, oneOf: undefined, anyOf: undefined, properties, required, type: schema['type'] ?? alt['type'] };
}

const STRING_FORMATS: Record<string, string> = {
  'date-time': '2024-01-01T00:00:00Z',
  date: '2024-01-01',
  time: '00:00:00',
  email: 'user@example.com',
  uuid: '00000000-0000-4000-8000-000000000000',
  uri: 'https://example.com',
  url: 'https://example.com',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  byte: 'c3RyaW5n',
  password: 'password',
};

function exampleOf(s: Obj): unknown {
  if ('example' in s) return s['example'];
  if (Array.isArray(s['examples']) && s['examples'].length > 0) return s['examples'][0];
  if ('default' in s) return s['default'];
  if ('const' in s) return s['const'];
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][0];
  return NO_EXAMPLE;
}

function bound(s: Obj, fallback: number): number {
  const min = s['minimum'] ?? s['exclusiveMinimum'];
  if (typeof min === 'number') return s['exclusiveMinimum'] === min || s['exclusiveMinimum'] === true ? min + 1 : min;
  return fallback;
}

/**
 * A value for a schema: its example, default, const or first enum value, else a placeholder by
 * type; objects get their required properties (never the read-only ones: the server sets those),
 * arrays one item. Below MAX_SAMPLE_DEPTH, or where a schema contains itself, an object is `{}`
 * and an array `[]`.
 */
export function sampleOf(schema: unknown, path: Set<object> = new Set(), depth = 0): unknown {
  const raw = obj(schema);
  if (!raw) return null;
  const example = exampleOf(raw);
  if (example !== NO_EXAMPLE) return structuredClone(example);
  const s = withFirstAlternative(flatten(raw, path), path);
  const again = exampleOf(s);
  if (again !== NO_EXAMPLE) return structuredClone(again);
  const type = typeOf(s);
  switch (type) {
    case 'string':
      return STRING_FORMATS[str(s['format']) ?? ''] ?? 'string';
    case 'integer':
      return bound(s, 0);
    case 'number':
      return bound(s, 0);
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array': {
      const items = obj(s['items']);
      // An array of the schema being built (a tree's children) is empty, not a list of empty objects.
      if (!items || path.has(raw) || path.has(items) || depth >= MAX_SAMPLE_DEPTH) return [];
      path.add(raw);
      const item = sampleOf(items, path, depth + 1);
      path.delete(raw);
      return [item];
    }
    case 'object': {
      if (path.has(raw) || depth >= MAX_SAMPLE_DEPTH) return {};
      path.add(raw);
      const out: Obj = {};
      const properties = obj(s['properties']) ?? {};
      for (const name of arr(s['required'])) {
        if (typeof name !== 'string') continue;
        const prop = obj(properties[name]);
        if (prop?.['readOnly'] === true) continue;
        out[name] = prop ? sampleOf(prop, path, depth + 1) : 'string';
      }
      path.delete(raw);
      return out;
    }
    default:
      return null;
  }
}

/** The body check for one JSON response schema: its required top-level fields, or "an array". */
export function bodyCheckOf(schema: unknown): BodyCheck | null {
  const raw = obj(schema);
  if (!raw) return null;
  const path = new Set<object>();
  const s = flatten(raw, path);
  const nullable = s['nullable'] === true || (Array.isArray(s['type']) && s['type'].includes('null'));
  if (nullable) return null;
  const type = typeOf(s);
  if (type === 'array') return { jsonPath: { $: { type: 'array' } } };
  if (type !== undefined && type !== 'object') return null;
  const required = new Set(arr(s['required']).filter((r): r is string => typeof r === 'string'));
  // oneOf/anyOf: only the fields every alternative requires are sure to be there.
  const alternatives = [...arr(s['oneOf']), ...arr(s['anyOf'])].map(obj).filter((a): a is Obj => a !== undefined);
  if (alternatives.length > 0) {
    const sets = alternatives.map((a) => new Set(arr(flatten(a, path)['required']).filter((r): r is string => typeof r === 'string')));
    const common = [...(sets[0] ?? [])].filter((r) => sets.every((set) => set.has(r)));
    for (const r of common) required.add(r);
  }
  const properties = obj(s['properties']) ?? {};
  // A write-only field is never in a response.
  const fields = [...required].filter((r) => obj(properties[r])?.['writeOnly'] !== true);
  return fields.length > 0 ? { json: fields } : null;
}

// ---------------------------------------------------------------------------------------------
// Media types.

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)|^text\/json\s*(?:;|$)/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;
const TEXT_TYPE = /^text\/plain\s*(?:;|$)/i;

function findMedia(content: Map<string, Media>, pattern: RegExp): Media | undefined {
  for (const [type, media] of content) if (pattern.test(type)) return media;
  return undefined;
}

/** A JSON example written as a string of JSON (as some documents do) is the value it spells. */
function jsonExample(media: Media): unknown {
  const { example } = media;
  if (typeof example !== 'string' || typeOf(obj(media.schema) ?? {}) === 'string') return example;
  try {
    return JSON.parse(example);
  } catch {
    return example;
  }
}

/** A form body is a flat object of strings, numbers and booleans: other values are left out. */
function flatForm(value: unknown): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of entries(value)) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parameters.

/** A parameter's value as a string: its example, default or first enum value; else undefined. */
function paramValue(p: Parameter): string | undefined {
  let v = p.example;
  if (v === NO_EXAMPLE) {
    const s = obj(p.schema);
    v = s ? exampleOf(flatten(s, new Set())) : NO_EXAMPLE;
  }
  if (v === NO_EXAMPLE || v === null || v === undefined) return undefined;
  if (Array.isArray(v)) v = v.length > 0 ? v.map(String).join(',') : undefined;
  if (typeof v === 'object') return undefined;
  const s = String(v);
  return s === '' ? undefined : s;
}

/** Header parameters OpenAPI says to ignore: the HTTP layer owns them. */
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);
/** An HTTP header name (RFC 9110 token), as the config accepts. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

// ---------------------------------------------------------------------------------------------
// Responses.

function statusKey(code: string): number | '2xx' | null {
  if (/^2\d\d$/.test(code)) return Number(code);
  if (/^2xx$/i.test(code)) return '2xx';
  return null;
}

function expectOf(op: Operation): { status: Array<number | '2xx'>; body: BodyCheck | null; note: string | null } {
  const codes = [...op.responses.keys()];
  const ok = codes.filter((c) => statusKey(c) !== null).sort();
  if (ok.length === 0) {
    const note = codes.includes('default') ? null : 'no 2xx response documented: any 2xx is expected';
    return { status: ['2xx'], body: null, note };
  }
  const status = [...new Set(ok.map((c) => statusKey(c) as number | '2xx'))];
  // HEAD answers carry no body whatever the document says.
  if (op.method === 'head') return { status, body: null, note: null };
  const checks = ok.map((code) => {
    if (code === '204') return { empty: true } as const;
    const content = op.responses.get(code) ?? new Map<string, Media>();
    const first = [...content.entries()][0];
    // The first media type listed is what a server sends when the request does not ask.
    if (!first || !JSON_TYPE.test(first[0])) return null;
    return bodyCheckOf(first[1].schema);
  });
  const [head, ...rest] = checks;
  const same = rest.every((c) => JSON.stringify(c) === JSON.stringify(head));
  return { status, body: same ? (head ?? null) : null, note: null };
}

// ---------------------------------------------------------------------------------------------
// Security.

interface Strategies {
  /** Scheme name in the document → strategy name in the config (supported schemes only). */
  bySchemeName: Map<string, string>;
  auth: Record<string, AuthOut>;
  notes: Note[];
  summary: string[];
  warnings: Warning[];
}

function strategies(schemes: Map<string, SecurityScheme>): Strategies {
  const out: Strategies = { bySchemeName: new Map(), auth: {}, notes: [], summary: [], warnings: [] };
  const taken = new Set<string>();
  for (const [schemeName, s] of schemes) {
    const env = envName(schemeName);
    let strategy: AuthOut | null = null;
    let note: string | null = null;
    if (s.type === 'apiKey' && (s.in === 'header' || s.in === 'query') && s.name) {
      strategy = { type: 'apiKey', in: s.in, name: s.name, env: /(^|_)API_KEY$/.test(env) ? env : `${env}_API_KEY` };
    } else if (s.type === 'apiKey' && s.in === 'cookie' && s.name) {
      // The config model sends an API key in a header or the query, not as a cookie: the Cookie header carries it whole.
      strategy = { type: 'apiKey', in: 'header', name: 'Cookie', env: `${env}_COOKIE` };
      note = `cookie "${s.name}": set ${env}_COOKIE to "${s.name}=<value>" (the whole Cookie header); or log in with a login strategy, token: { cookie: '${s.name}' }`;
    } else if (s.type === 'http' && s.scheme?.toLowerCase() === 'basic') {
      strategy = { type: 'basic', usernameEnv: `${env}_USERNAME`, passwordEnv: `${env}_PASSWORD` };
    } else if (s.type === 'http' && s.scheme?.toLowerCase() === 'bearer') {
      strategy = { type: 'bearer', env: `${env}_TOKEN` };
    } else if (s.type === 'oauth2' || s.type === 'openIdConnect') {
      strategy = { type: 'bearer', env: `${env}_TOKEN` };
      note = `${s.type}: put an access token in ${env}_TOKEN, or configure a login strategy (type: login) that fetches one per VU`;
    }
    if (!strategy) {
      const what = s.type === 'http' ? `http ${s.scheme ?? ''}`.trim() : s.type || 'unknown';
      out.warnings.push({
        kind: 'security schemes loadgate cannot send (operations using them get auth: none)',
        detail: `${schemeName} (${what})`,
      });
      continue;
    }
    const name = unique(strategyName(schemeName), taken);
    out.bySchemeName.set(schemeName, name);
    out.auth[name] = strategy;
    if (note) out.notes.push({ path: ['auth', name], text: ` ${note}` });
    const envs = strategy.type === 'basic' ? `${strategy.usernameEnv}, ${strategy.passwordEnv}` : strategy.env;
    const how = strategy.type === 'apiKey' ? `apiKey in ${strategy.in} ${strategy.name}` : strategy.type;
    out.summary.push(`${name}: ${how} (env ${envs})${s.type === 'oauth2' || s.type === 'openIdConnect' ? ` from ${s.type}` : ''}`);
  }
  return out;
}

/**
 * The strategy an operation uses: the first scheme of its first requirement that loadgate can
 * send (the operation's `security` overrides the document's; `[]` or an empty requirement `{}`
 * means none). null: no requirement applies at all.
 */
function authOf(op: Operation, docSecurity: unknown[] | undefined, st: Strategies): { auth: string | null; unsupported: boolean } {
  const requirements = op.security ?? docSecurity;
  if (requirements === undefined) return { auth: null, unsupported: false };
  if (requirements.length === 0) return { auth: 'none', unsupported: false };
  for (const req of requirements) {
    const names = Object.keys(obj(req) ?? {});
    if (names.length === 0) return { auth: 'none', unsupported: false };
    for (const n of names) {
      const s = st.bySchemeName.get(n);
      if (s) return { auth: s, unsupported: false };
    }
  }
  return { auth: 'none', unsupported: true };
}

// ---------------------------------------------------------------------------------------------
// The mapping.

/** The base URL: --base-url, else the first absolute http(s) server, else the fallback (with a server's base path kept). */
function baseUrlOf(servers: string[], flag: string | undefined): ImportResult['stats']['baseUrl'] {
  if (flag) return { value: flag.replace(/\/+$/, ''), from: 'flag' };
  for (const s of servers) {
    if (!/^https?:\/\//i.test(s)) continue;
    try {
      const url = new URL(s);
      // Credentials never go in a config file.
      url.username = '';
      url.password = '';
      return { value: `${url.origin}${url.pathname}`.replace(/\/+$/, ''), from: 'servers' };
    } catch {
      // A server URL with an unresolved variable: try the next.
    }
  }
  const relative = servers.find((s) => s.startsWith('/'));
  return { value: `${FALLBACK_BASE_URL}${(relative ?? '').replace(/\/+$/, '')}`, from: 'fallback' };
}

/** Maps a parsed, dereferenced OpenAPI 3.x or Swagger 2.0 document to a loadgate config. */
export function mapOpenApi(document: unknown, options: ImportOptions = {}): ImportResult {
  const doc = obj(document) ?? {};
  const view = 'swagger' in doc ? viewSwagger2(doc) : viewOpenApi3(doc);
  const notes: Note[] = [];
  const warnings: Warning[] = [];
  const warn = (kind: string, detail: string) => warnings.push({ kind, detail });

  const baseUrl = baseUrlOf(view.servers, options.baseUrl);
  if (baseUrl.from === 'fallback') {
    notes.push({
      path: ['target', 'baseUrl'],
      text:
        view.servers.length === 0
          ? ' TODO: the document names no server: set the URL of the API under test'
          : ` TODO: the document's server ${JSON.stringify(view.servers[0])} is not an absolute http(s) URL: set the URL of the API under test`,
      inline: true,
    });
  }

  const st = strategies(view.schemes);
  notes.push(...st.notes);
  warnings.push(...st.warnings);

  const endpoints: Record<string, EndpointOut> = {};
  const skipped: Skipped[] = [];
  const taken = new Set<string>();
  /** Endpoints in the default flows, by group. */
  const reads = new Map<string, string[]>();
  const groups = new Set<string>();
  let disabled = 0;
  let writes = 0;

  for (const op of view.operations) {
    const method = op.method.toUpperCase();
    if (!SENDABLE.has(method)) {
      skipped.push({ method, path: op.path, reason: `loadgate does not send ${method} requests` });
      continue;
    }
    const group = groupOf(op);
    groups.add(group);
    const name = unique(`${group}.${operationName(op, group)}`, taken);
    const at = (...keys: string[]) => ['endpoints', name, ...keys];
    const vars = new Set<string>();

    let path = op.path.replace(/\{([^}]+)\}/g, (_m, p: string) => {
      const v = templateVar(p);
      vars.add(v);
      return `{{${v}}}`;
    });
    if (!path.startsWith('/')) path = `/${path}`;

    // Fields in the order the config model lists them; optional ones only when set.
    const endpoint: EndpointOut = { group, method: method as HttpMethod, path, expectStatus: ['2xx'], expectBody: null };

    const query: Record<string, string> = {};
    const headers: Record<string, string> = {};
    for (const p of op.parameters) {
      if (!p.required || p.name === '') continue;
      if (p.in === 'header' && !HEADER_NAME.test(p.name)) {
        warn('header parameters whose name is not an HTTP header name (not mapped)', `${method} ${op.path}: ${JSON.stringify(p.name)}`);
      } else if (p.in === 'query' || (p.in === 'header' && !IGNORED_HEADERS.has(p.name.toLowerCase()))) {
        const target = p.in === 'query' ? query : headers;
        const key = p.in === 'query' ? 'query' : 'headers';
        const value = paramValue(p);
        if (value !== undefined) {
          target[p.name] = value;
        } else {
          const v = templateVar(p.name);
          vars.add(v);
          target[p.name] = `{{${v}}}`;
          notes.push({
            path: at(key, p.name),
            text: ` TODO: the document gives no example: set a value (or capture ${v} in an earlier step)`,
            inline: true,
          });
        }
      } else if (p.in === 'cookie') {
        warn('required cookie parameters not mapped (set a Cookie header by hand)', `${method} ${op.path}: ${p.name}`);
      }
    }
    if (Object.keys(query).length > 0) endpoint.query = query;
    if (Object.keys(headers).length > 0) endpoint.headers = headers;

    if (op.requestBody && op.requestBody.size > 0) {
      const json = findMedia(op.requestBody, JSON_TYPE);
      const form = json ? undefined : findMedia(op.requestBody, FORM_TYPE);
      const text = json || form ? undefined : findMedia(op.requestBody, TEXT_TYPE);
      if (json) {
        // null would mean "no body": a JSON body whose schema says nothing is an empty object.
        endpoint.body = (json.example !== NO_EXAMPLE ? jsonExample(json) : sampleOf(json.schema)) ?? {};
      } else if (form) {
        endpoint.body = flatForm(form.example !== NO_EXAMPLE ? form.example : sampleOf(form.schema));
        endpoint.bodyType = 'form';
      } else if (text) {
        const value = text.example !== NO_EXAMPLE ? text.example : sampleOf(text.schema);
        endpoint.body = typeof value === 'string' ? value : value === null ? 'text' : JSON.stringify(value);
        endpoint.bodyType = 'text';
      } else {
        const types = [...op.requestBody.keys()].join(', ');
        warn('request bodies of a media type loadgate does not send (mapped without a body)', `${method} ${op.path}: ${types}`);
        notes.push({
          path: at('method'),
          text: ` TODO: the request body (${types}) is not sent: loadgate sends JSON, form or text bodies`,
          inline: true,
        });
      }
    }

    const auth = authOf(op, view.security, st);
    if (auth.unsupported) warn('operations whose security loadgate cannot send (auth: none)', `${method} ${op.path}`);
    // Written where it is not the default: a strategy, or 'none' against a document-wide requirement.
    if (auth.auth !== null && (auth.auth !== 'none' || (view.security?.length ?? 0) > 0)) endpoint.auth = auth.auth;

    const expect = expectOf(op);
    endpoint.expectStatus = expect.status;
    endpoint.expectBody = expect.body;
    if (expect.note) notes.push({ path: at('expectStatus'), text: ` ${expect.note}`, inline: true });

    if (op.deprecated) {
      endpoint.enabled = false;
      disabled++;
      notes.push({ path: at('enabled'), text: ' deprecated in the OpenAPI document', inline: true });
    }
    if (op.hasOwnServers) {
      warn('operations with servers of their own (their path is relative to target.baseUrl)', `${method} ${op.path}`);
    }
    if (op.summary) notes.push({ path: at(), text: ` ${oneLine(op.summary)}` });

    endpoints[name] = ordered(endpoint);
    if (method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE') writes++;
    // A safe read runs as is: GET, enabled, and no {{variable}} left for a flow to fill.
    if (method === 'GET' && !op.deprecated && vars.size === 0) reads.set(group, [...(reads.get(group) ?? []), name]);
  }

  const flows: Record<string, FlowOut> = {};
  let readCount = 0;
  for (const [group, names] of reads) {
    flows[group] = { pick: { endpoints: Object.fromEntries(names.map((n) => [n, 1])) } };
    readCount += names.length;
  }
  const readFlows = [...reads.keys()];
  let scenario: string | null = null;
  if (readFlows.length > 1) {
    const mixName = unique(READS_FLOW, new Set([...groups]));
    // Weighted by size: every safe read is as likely as any other.
    flows[mixName] = { mix: Object.fromEntries(readFlows.map((g) => [g, reads.get(g)?.length ?? 0])) };
    scenario = mixName;
  } else if (readFlows.length === 1) {
    scenario = readFlows[0] ?? null;
  }
  // The config model gives a group without a flow of its name a pick flow over all its endpoints.
  const flowless = [...groups].filter((g) => !reads.has(g));
  const left = [
    writes > 0
      ? `${writes} POST/PUT/PATCH/DELETE endpoint(s) are in the catalogue but in no flow written here: they change data. Add them to a flow only against a test system.`
      : null,
    'GET endpoints with a {{variable}} in their path, query or headers are in no flow either: they need a value, e.g. one captured',
    'by an earlier step of a steps flow (steps: [{ endpoint: x.list, capture: { id: "[0].id" } }, x.get]).',
    "Each group's pick flow runs its safe reads (GET, no variable); the mix runs them all, weighted by their number.",
    flowless.length > 0
      ? `Careful: a group with no flow here (${listed(flowless)}) still runs as --scenario <group>, picking among all its endpoints, writes included.`
      : null,
  ].filter((l): l is string => l !== null);
  notes.push({ path: ['flows'], text: left.map((l) => ` ${l}`).join('\n') });
  if (scenario === null)
    notes.push({ path: ['scenario'], text: ' TODO: no safe read to run as is: write a flow and name it here', inline: true });

  const config: ConfigOut = {
    extends: 'none',
    target: { baseUrl: baseUrl.value },
    ...(Object.keys(st.auth).length > 0 ? { auth: st.auth } : {}),
    endpoints,
    flows,
    scenario,
  };

  return {
    config,
    notes,
    warnings,
    stats: {
      title: view.title,
      version: view.version,
      spec: view.spec,
      operations: view.operations.length,
      mapped: Object.keys(endpoints).length,
      skipped,
      disabled,
      baseUrl,
      auth: st.summary,
      groups: groups.size,
      reads: readCount,
    },
  };
}

const FIELD_ORDER: (keyof EndpointOut)[] = [
  'group',
  'method',
  'path',
  'query',
  'headers',
  'body',
  'bodyType',
  'auth',
  'expectStatus',
  'expectBody',
  'enabled',
];

function ordered(e: EndpointOut): EndpointOut {
  const out: Record<string, unknown> = {};
  for (const k of FIELD_ORDER) if (e[k] !== undefined) out[k] = e[k];
  return out as unknown as EndpointOut;
}

function listed(names: string[]): string {
  return names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 117)}…` : line;
}
