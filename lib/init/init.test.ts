import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, UsageError } from '../contract/errors.ts';
import { dereferenceDocument, initFromOpenApi, parseText, readDocument, renderYaml } from './init.ts';
import { mapOpenApi } from './openapi.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function scratch(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'loadgate-init-'));
  dirs.push(d);
  return d;
}

async function file(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  return path;
}

/** The ConfigError a promise rejects with (fails the test when it resolves or throws another error). */
async function configError(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as Error).message;
}

const MINIMAL = `openapi: 3.0.3
info: { title: Mini, version: '1' }
servers: [{ url: 'https://api.example.com/v1' }]
paths:
  /things:
    get:
      operationId: listThings
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { type: object, required: [items], properties: { items: { type: array } } }
  /search:
    get:
      operationId: search
      parameters:
        - { name: tenant, in: query, required: true, schema: { type: string } }
      responses: { '200': { description: ok } }
`;

describe('parsing the document', () => {
  it('YAML with an error: the file, line and column', () => {
    let message = '';
    try {
      parseText('spec.yaml', 'openapi: 3.0.0\ninfo:\n  title: x\n   bad: indent\n');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^spec\.yaml is not valid YAML: line 3, column 10: Nested mappings are not allowed/);
  });

  it('JSON with an error: the file, line and column', () => {
    expect(() => parseText('spec.json', '{\n  "openapi": "3.0.0",\n  "info": {,}\n}')).toThrow(
      /^spec\.json is not valid JSON: line 3, column 12: /,
    );
  });

  it('a YAML file that opens with a flow mapping is read as YAML', () => {
    expect(parseText('spec.yaml', "{ openapi: 3.0.0, info: { title: 'x' } }")).toEqual({ openapi: '3.0.0', info: { title: 'x' } });
  });

  it('a missing file, a directory, a list, a document that is not OpenAPI: ConfigErrors naming the file', async () => {
    const dir = await scratch();
    expect(await configError(readDocument(join(dir, 'nope.yaml')))).toBe(`${join(dir, 'nope.yaml')} does not exist`);
    expect(await configError(readDocument(dir))).toMatch(/is a directory/);
    expect(await configError(readDocument(await file(dir, 'list.yaml', '- a\n- b\n')))).toMatch(
      /list\.yaml is not an OpenAPI document: its top level is a list/,
    );
    expect(await configError(readDocument(await file(dir, 'pkg.json', '{"name": "x"}')))).toMatch(
      /pkg\.json is not an OpenAPI document: it has no "openapi"/,
    );
  });
});

describe('validating and dereferencing', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('an invalid document: the file and a JSON pointer for each problem', async () => {
    const dir = await scratch();
    const path = await file(
      dir,
      'bad.yaml',
      "openapi: 3.0.3\ninfo: { title: x, version: '1' }\npaths:\n  /a:\n    get:\n      responses:\n        '200': { descriptio: x }\n",
    );
    const message = await configError(dereferenceDocument(path, parseText(path, await readFile(path, 'utf8')) as Record<string, unknown>));
    expect(message).toContain(`${path} is not a valid OpenAPI document:`);
    expect(message).toContain("#/paths/~1a/get/responses/200 must have required property 'description'");
    expect(message).not.toContain("required property '$ref'");
  });

  it('--no-validate: a document the schema rejects is still dereferenced and mapped', async () => {
    const dir = await scratch();
    // An operation without responses: invalid OpenAPI, but readable.
    const text = "openapi: 3.0.3\ninfo: { title: x, version: '1' }\npaths:\n  /a:\n    get: { operationId: a }\n";
    const path = await file(dir, 'loose.yaml', text);
    expect(await configError(dereferenceDocument(path, parseText(path, text) as Record<string, unknown>))).toMatch(
      /#\/paths\/~1a\/get must have required property 'responses'\n\(--no-validate maps it/,
    );
    const api = await dereferenceDocument(path, parseText(path, text) as Record<string, unknown>, false);
    expect(mapOpenApi(api).config.endpoints).toEqual({
      'a.a': { group: 'a', method: 'GET', path: '/a', expectStatus: ['2xx'], expectBody: null },
    });
  });

  it('resolves $refs to other local files, relative to the document', async () => {
    const dir = await scratch();
    await file(dir, 'schemas/thing.yaml', 'Thing: { type: object, required: [id], properties: { id: { type: integer } } }\n');
    const path = await file(
      dir,
      'api.yaml',
      "openapi: 3.0.3\ninfo: { title: x, version: '1' }\npaths:\n  /t:\n    get:\n      responses:\n        '200':\n          description: ok\n          content: { application/json: { schema: { $ref: 'schemas/thing.yaml#/Thing' } } }\n",
    );
    const api = await dereferenceDocument(path, parseText(path, await readFile(path, 'utf8')) as Record<string, unknown>);
    expect(Object.values(mapOpenApi(api).config.endpoints)[0]?.expectBody).toEqual({ json: ['id'] });
  });

  it('never fetches a $ref over the network: an error that says so', async () => {
    const fetch = vi.fn(() => Promise.reject(new Error('no network in tests')));
    vi.stubGlobal('fetch', fetch);
    const dir = await scratch();
    const path = await file(
      dir,
      'remote.yaml',
      "openapi: 3.0.3\ninfo: { title: x, version: '1' }\npaths:\n  /t:\n    get:\n      responses:\n        '200':\n          description: ok\n          content: { application/json: { schema: { $ref: 'https://schemas.example.com/thing.yaml#/Thing' } } }\n",
    );
    const message = await configError(dereferenceDocument(path, parseText(path, await readFile(path, 'utf8')) as Record<string, unknown>));
    expect(message).toMatch(
      /remote\.yaml has a \$ref that cannot be resolved: .*https:\/\/schemas\.example\.com\/thing\.yaml.*never fetches over the network/,
    );
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('the YAML file', () => {
  it('re-parses to the mapped config, with the header, the summaries and the TODOs as comments', () => {
    const result = mapOpenApi(parseText('api.yaml', MINIMAL));
    const text = renderYaml(result, 'api.yaml', 'loadgate.yaml');
    expect(parse(text)).toEqual(result.config);
    expect(text).toMatch(
      /^# loadgate config written by `loadgate init --openapi api\.yaml`\n# from "Mini" 1, OpenAPI 3\.0\.3: 2 endpoint\(s\) from 2 operation\(s\)\./,
    );
    expect(text).toContain('# Then: loadgate run --config loadgate.yaml --scenario things --profile smoke');
    expect(text).toContain("tenant: '{{tenant}}' # TODO: the document gives no example");
    // Short collections on one line, as the README writes them.
    expect(text).toContain('expectStatus: [200]');
    expect(text).toContain('expectBody: {json: [items]}');
  });

  it('writes the file; never over an existing one without --force', async () => {
    const dir = await scratch();
    const spec = await file(dir, 'api.yaml', MINIMAL);
    const out = join(dir, 'sub', 'loadgate.yaml');
    const first = await initFromOpenApi({ openapi: spec, out });
    expect(first.result.stats.mapped).toBe(2);
    expect(parse(await readFile(out, 'utf8'))).toEqual(first.result.config);

    await writeFile(out, 'mine\n');
    const err = await initFromOpenApi({ openapi: spec, out }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(`${out} exists: pass --force to overwrite it, or --out another file`);
    expect(await readFile(out, 'utf8')).toBe('mine\n');

    await initFromOpenApi({ openapi: spec, out, force: true, baseUrl: 'http://127.0.0.1:9000' });
    expect(parse(await readFile(out, 'utf8')).target).toEqual({ baseUrl: 'http://127.0.0.1:9000' });
  });

  it('refuses a .json output: the review notes are comments', async () => {
    const dir = await scratch();
    await expect(initFromOpenApi({ openapi: await file(dir, 'api.yaml', MINIMAL), out: join(dir, 'x.json') })).rejects.toThrow(
      /writes YAML/,
    );
  });
});
