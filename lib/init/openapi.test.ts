import { describe, expect, it } from 'vitest';
import { FALLBACK_BASE_URL, mapOpenApi, sampleOf, snakeCase, type EndpointOut, type ImportResult } from './openapi.ts';

type Obj = Record<string, unknown>;

/** A small OpenAPI 3.0 document: `paths` plus any top-level fields. */
function oas(paths: Obj, extra: Obj = {}): Obj {
  return { openapi: '3.0.3', info: { title: 'Test API', version: '1.0' }, paths, ...extra };
}

const ok = (schema?: Obj, type = 'application/json') => ({
  '200': { description: 'ok', ...(schema ? { content: { [type]: { schema } } } : {}) },
});

/** The one endpoint of a one-operation document. */
function only(result: ImportResult): [string, EndpointOut] {
  const all = Object.entries(result.config.endpoints);
  expect(all).toHaveLength(1);
  return all[0] as [string, EndpointOut];
}

function one(op: Obj, extra: Obj = {}, path = '/things', method = 'get'): [string, EndpointOut, ImportResult] {
  const result = mapOpenApi(oas({ [path]: { [method]: { responses: ok(), ...op } } }, extra));
  const [name, e] = only(result);
  return [name, e, result];
}

const NAME = /^[a-z][a-z0-9_.-]*$/;

describe('target and shape', () => {
  it('starts from nothing (extends: none) and writes the fields in the config model', () => {
    const { config } = mapOpenApi(oas({ '/a': { get: { responses: ok() } } }, { servers: [{ url: 'https://api.example.com' }] }));
    expect(Object.keys(config)).toEqual(['extends', 'target', 'endpoints', 'flows', 'scenario']);
    expect(config.extends).toBe('none');
    expect(config.target).toEqual({ baseUrl: 'https://api.example.com' });
  });

  it.each([
    [
      '--base-url wins, trailing slash dropped',
      [{ url: 'https://api.example.com' }],
      'http://127.0.0.1:9000/',
      'http://127.0.0.1:9000',
      'flag',
    ],
    [
      'the first absolute server, its base path kept',
      [{ url: '/relative' }, { url: 'https://api.example.com/v1/' }],
      undefined,
      'https://api.example.com/v1',
      'servers',
    ],
    [
      'server variables at their defaults',
      [{ url: 'https://{region}.example.com/{base}', variables: { region: { default: 'eu' }, base: { default: 'v2' } } }],
      undefined,
      'https://eu.example.com/v2',
      'servers',
    ],
    [
      'credentials in a server URL are dropped',
      [{ url: 'https://user:secret@api.example.com/x' }],
      undefined,
      'https://api.example.com/x',
      'servers',
    ],
    ['a relative server: the fallback with its base path', [{ url: '/api/v3/' }], undefined, `${FALLBACK_BASE_URL}/api/v3`, 'fallback'],
    ['no server: the fallback', [], undefined, FALLBACK_BASE_URL, 'fallback'],
  ])('base URL: %s', (_title, servers, flag, expected, from) => {
    const result = mapOpenApi(oas({ '/a': { get: { responses: ok() } } }, { servers }), { baseUrl: flag });
    expect(result.config.target.baseUrl).toBe(expected);
    expect(result.stats.baseUrl.from).toBe(from);
    const todo = result.notes.find((n) => n.path.join('.') === 'target.baseUrl');
    expect(todo !== undefined).toBe(from === 'fallback');
  });
});

describe('endpoint names', () => {
  it.each([
    ['getUserByID', ['users'], 'users.get_user_by_id'],
    ['list-things', ['Pet Store'], 'pet_store.list_things'],
    ['repos/get-content', ['repos'], 'repos.get_content'],
    ['HTTPServerStatus', [], 'things.http_server_status'],
    ['2fa_status', ['1-Click Apps'], 'api_1_click_apps.2fa_status'],
  ])('operationId %s with tags %j → %s', (operationId, tags, expected) => {
    const [name, e] = one({ operationId, tags });
    expect(name).toBe(expected);
    expect(name).toMatch(NAME);
    expect(e.group).toBe(expected.split('.')[0]);
  });

  it('without operationId: method and path; the group is the first path segment that is not api or a version', () => {
    const result = mapOpenApi(
      oas({
        '/api/v1/users/{id}/repos': { get: { responses: ok() } },
        '/orders': { post: { responses: ok() } },
        '/': { get: { responses: ok() } },
      }),
    );
    expect(Object.keys(result.config.endpoints)).toEqual(['users.get_api_v1_users_id_repos', 'orders.post_orders', 'root.get']);
  });

  it('names are unique (a suffix on collision), valid, and the same on every run', () => {
    const doc = () =>
      oas({
        '/a': { get: { operationId: 'fetch', tags: ['x'], responses: ok() }, post: { operationId: 'Fetch', tags: ['x'], responses: ok() } },
        '/b': { get: { operationId: 'fetch!', tags: ['x'], responses: ok() } },
      });
    const names = Object.keys(mapOpenApi(doc()).config.endpoints);
    expect(names).toEqual(['x.fetch', 'x.fetch_2', 'x.fetch_3']);
    expect(Object.keys(mapOpenApi(doc()).config.endpoints)).toEqual(names);
    for (const n of names) expect(n).toMatch(NAME);
  });

  it('snake_case', () => {
    expect(snakeCase('getHTTPResponseCode')).toBe('get_http_response_code');
    expect(snakeCase('  --Already_snake--  ')).toBe('already_snake');
  });
});

describe('method, path and parameters', () => {
  it('OpenAPI {param} becomes the template {{param}}, names made template-safe', () => {
    const [, e] = one({}, {}, '/repos/{owner}/{repo-name}/items/{item.id}');
    expect(e.method).toBe('GET');
    expect(e.path).toBe('/repos/{{owner}}/{{repo_name}}/items/{{item_id}}');
  });

  it('required query parameters take their example, default or first enum value; optional ones are left out', () => {
    const [, e, result] = one({
      parameters: [
        { name: 'limit', in: 'query', required: true, schema: { type: 'integer', default: 10 } },
        { name: 'sort', in: 'query', required: true, schema: { type: 'string', enum: ['asc', 'desc'] } },
        { name: 'q', in: 'query', required: true, example: 'shoes', schema: { type: 'string' } },
        { name: 'ids', in: 'query', required: true, schema: { type: 'array', items: { type: 'integer' }, example: [1, 2] } },
        { name: 'from', in: 'query', required: true, examples: { a: { value: '2024-01-01' } }, schema: { type: 'string' } },
        { name: 'page', in: 'query', schema: { type: 'integer', default: 1 } },
      ],
    });
    expect(e.query).toEqual({ limit: '10', sort: 'asc', q: 'shoes', ids: '1,2', from: '2024-01-01' });
    expect(result.notes.filter((n) => n.path.includes('query'))).toEqual([]);
  });

  it('a required query parameter without a value: the placeholder {{param}} and a TODO', () => {
    const [name, e, result] = one({ parameters: [{ name: 'tenant-id', in: 'query', required: true, schema: { type: 'string' } }] });
    expect(e.query).toEqual({ 'tenant-id': '{{tenant_id}}' });
    const note = result.notes.find((n) => n.path.join('|') === ['endpoints', name, 'query', 'tenant-id'].join('|'));
    expect(note?.inline).toBe(true);
    expect(note?.text).toMatch(/TODO/);
  });

  it('required headers with example values; Accept, Content-Type and Authorization are ignored (OpenAPI says so)', () => {
    const [, e] = one({
      parameters: [
        { name: 'X-Tenant', in: 'header', required: true, schema: { type: 'string', example: 'acme' } },
        { name: 'X-Trace', in: 'header', required: false, schema: { type: 'string', example: 't' } },
        { name: 'Accept', in: 'header', required: true, schema: { type: 'string', example: 'text/csv' } },
        { name: 'Authorization', in: 'header', required: true, schema: { type: 'string' } },
      ],
    });
    expect(e.headers).toEqual({ 'X-Tenant': 'acme' });
  });

  it("path-level parameters apply, and an operation's own parameter of the same name overrides them", () => {
    const result = mapOpenApi(
      oas({
        '/t': {
          parameters: [
            { name: 'v', in: 'query', required: true, schema: { type: 'string', default: 'path-level' } },
            { name: 'w', in: 'query', required: true, schema: { type: 'string', default: 'kept' } },
          ],
          get: {
            parameters: [{ name: 'v', in: 'query', required: true, schema: { type: 'string', default: 'op-level' } }],
            responses: ok(),
          },
        },
      }),
    );
    expect(only(result)[1].query).toEqual({ v: 'op-level', w: 'kept' });
  });
});

describe('request bodies', () => {
  const post = (requestBody: Obj) => one({ requestBody }, {}, '/things', 'post');

  it('JSON: the media example, else the first of its examples', () => {
    expect(post({ content: { 'application/json': { example: { a: 1 } } } })[1].body).toEqual({ a: 1 });
    expect(
      post({ content: { 'application/json': { examples: { first: { value: { b: 2 } }, second: { value: { c: 3 } } } } } })[1].body,
    ).toEqual({ b: 2 });
    // A JSON example written as a string of JSON.
    expect(post({ content: { 'application/json': { schema: { type: 'object' }, example: '{"d":4}' } } })[1].body).toEqual({ d: 4 });
  });

  it('JSON without an example: required properties from example, default, enum, or a placeholder by type and format', () => {
    const schema = {
      type: 'object',
      required: ['name', 'kind', 'size', 'email', 'when', 'count', 'ratio', 'on', 'tags', 'id', 'nested', 'nothing'],
      properties: {
        name: { type: 'string', example: 'widget' },
        kind: { type: 'string', enum: ['small', 'big'] },
        size: { type: 'integer', default: 3 },
        email: { type: 'string', format: 'email' },
        when: { type: 'string', format: 'date-time' },
        count: { type: 'integer', minimum: 1 },
        ratio: { type: ['number', 'null'] },
        on: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' } },
        id: { type: 'string', readOnly: true },
        nested: { type: 'object', required: ['x'], properties: { x: { type: 'string', const: 'fixed' }, y: { type: 'string' } } },
        optional: { type: 'string' },
      },
    };
    const [, e] = post({ content: { 'application/json; charset=utf-8': { schema } } });
    expect(e.bodyType).toBeUndefined();
    expect(e.body).toEqual({
      name: 'widget',
      kind: 'small',
      size: 3,
      email: 'user@example.com',
      when: '2024-01-01T00:00:00Z',
      count: 1,
      ratio: 0,
      on: false,
      tags: ['string'],
      nested: { x: 'fixed' },
      nothing: 'string',
    });
  });

  it('allOf parts are merged; oneOf and anyOf take the first alternative', () => {
    const base = { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } };
    const allOf = { allOf: [base, { type: 'object', required: ['name'], properties: { name: { type: 'string' } } }] };
    expect(sampleOf(allOf)).toEqual({ id: 0, name: 'string' });
    const oneOf = { oneOf: [{ type: 'null' }, { type: 'object', required: ['cat'], properties: { cat: { type: 'boolean' } } }, base] };
    expect(sampleOf(oneOf)).toEqual({ cat: false });
    expect(sampleOf({ anyOf: [{ type: 'string', format: 'uuid' }, { type: 'integer' }] })).toBe('00000000-0000-4000-8000-000000000000');
  });

  it('is recursion-safe (a schema that contains itself) and depth-limited', () => {
    const node: Obj = { type: 'object', required: ['name', 'parent', 'children'], properties: { name: { type: 'string' } } };
    (node['properties'] as Obj)['parent'] = node;
    (node['properties'] as Obj)['children'] = { type: 'array', items: node };
    expect(sampleOf(node)).toEqual({ name: 'string', parent: {}, children: [] });
    // Distinct schemas nested deeper than the limit end in {}.
    let deep: Obj = { type: 'object', required: ['leaf'], properties: { leaf: { type: 'string' } } };
    for (let i = 0; i < 20; i++) deep = { type: 'object', required: ['next'], properties: { next: deep } };
    expect(JSON.stringify(sampleOf(deep))).toMatch(/\{\}\}+$/);
  });

  it('form-urlencoded: bodyType form with a flat object; text/plain: bodyType text with a string', () => {
    const form = post({
      content: {
        'application/x-www-form-urlencoded': {
          schema: {
            type: 'object',
            required: ['user', 'n', 'meta'],
            properties: { user: { type: 'string' }, n: { type: 'integer' }, meta: { type: 'object' } },
          },
        },
      },
    })[1];
    expect(form).toMatchObject({ bodyType: 'form', body: { user: 'string', n: 0 } });
    expect(post({ content: { 'text/plain': { example: 'hello' } } })[1]).toMatchObject({ bodyType: 'text', body: 'hello' });
    expect(post({ content: { 'text/plain': { schema: { type: 'string' } } } })[1]).toMatchObject({ bodyType: 'text', body: 'string' });
  });

  it('JSON is preferred when several media types are offered', () => {
    const [, e] = post({ content: { 'application/xml': { example: '<a/>' }, 'application/json': { example: { a: 1 } } } });
    expect(e).toMatchObject({ body: { a: 1 } });
    expect(e.bodyType).toBeUndefined();
  });

  it('a media type loadgate does not send (multipart): no body, a warning and a TODO', () => {
    const [name, e, result] = post({ content: { 'multipart/form-data': { schema: { type: 'object' } } } });
    expect(e.body).toBeUndefined();
    expect(result.warnings.map((w) => w.detail)).toEqual(['POST /things: multipart/form-data']);
    expect(result.notes.some((n) => n.path.join('|') === `endpoints|${name}|method` && /TODO/.test(n.text))).toBe(true);
  });
});

describe('expectStatus and expectBody', () => {
  const responses = (r: Obj) => one({ responses: r })[1];
  const json = (schema: Obj) => ({ content: { 'application/json': { schema } } });
  const user = { type: 'object', required: ['id', 'email'], properties: { id: { type: 'integer' }, email: { type: 'string' } } };

  it('the documented 2xx codes; a 2XX range; only default → 2xx', () => {
    expect(responses({ '200': { description: '' }, '404': { description: '' } }).expectStatus).toEqual([200]);
    expect(responses({ '201': { description: '' }, '204': { description: '' }, '400': { description: '' } }).expectStatus).toEqual([
      201, 204,
    ]);
    expect(responses({ '2XX': { description: '' } }).expectStatus).toEqual(['2xx']);
    expect(responses({ default: { description: '' } }).expectStatus).toEqual(['2xx']);
  });

  it('no 2xx and no default: 2xx, with a note', () => {
    const [name, e, result] = one({ responses: { '302': { description: 'moved' } } });
    expect(e.expectStatus).toEqual(['2xx']);
    expect(result.notes.some((n) => n.path.join('|') === `endpoints|${name}|expectStatus`)).toBe(true);
  });

  it('a JSON object with required properties → json; an array → jsonPath $; 204 → empty; anything else → null', () => {
    expect(responses({ '200': { description: '', ...json(user) } }).expectBody).toEqual({ json: ['id', 'email'] });
    expect(responses({ '200': { description: '', ...json({ type: 'array', items: user }) } }).expectBody).toEqual({
      jsonPath: { $: { type: 'array' } },
    });
    expect(responses({ '204': { description: '' } }).expectBody).toEqual({ empty: true });
    expect(
      responses({ '200': { description: '', ...json({ type: 'object', properties: { a: { type: 'string' } } }) } }).expectBody,
    ).toBeNull();
    expect(responses({ '200': { description: '', content: { 'text/html': { schema: { type: 'string' } } } } }).expectBody).toBeNull();
    expect(responses({ '200': { description: '' } }).expectBody).toBeNull();
    expect(responses({ default: { description: '', ...json(user) } }).expectBody).toBeNull();
  });

  it('codes whose bodies differ (201 with JSON, 204 empty) get no body check; codes that agree share theirs', () => {
    expect(responses({ '201': { description: '', ...json(user) }, '204': { description: '' } }).expectBody).toBeNull();
    expect(responses({ '200': { description: '', ...json(user) }, '201': { description: '', ...json(user) } }).expectBody).toEqual({
      json: ['id', 'email'],
    });
  });

  it('allOf required fields merge; oneOf keeps the fields every alternative requires; write-only and nullable are handled', () => {
    const allOf = { allOf: [user, { type: 'object', required: ['name'], properties: { name: { type: 'string' } } }] };
    expect(responses({ '200': { description: '', ...json(allOf) } }).expectBody).toEqual({ json: ['id', 'email', 'name'] });
    const oneOf = {
      oneOf: [
        { type: 'object', required: ['id', 'cat'] },
        { type: 'object', required: ['id', 'dog'] },
      ],
    };
    expect(responses({ '200': { description: '', ...json(oneOf) } }).expectBody).toEqual({ json: ['id'] });
    const writeOnly = {
      type: 'object',
      required: ['id', 'password'],
      properties: { id: { type: 'integer' }, password: { type: 'string', writeOnly: true } },
    };
    expect(responses({ '200': { description: '', ...json(writeOnly) } }).expectBody).toEqual({ json: ['id'] });
    expect(responses({ '200': { description: '', ...json({ ...user, nullable: true }) } }).expectBody).toBeNull();
  });

  it('a schema that contains itself does not loop', () => {
    const node: Obj = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } };
    node['allOf'] = [node];
    expect(responses({ '200': { description: '', ...json(node) } }).expectBody).toEqual({ json: ['id'] });
  });

  it('HEAD has no body to check', () => {
    const [, e] = one({ responses: { '200': { description: '', ...json(user) } } }, {}, '/t', 'head');
    expect(e).toMatchObject({ method: 'HEAD', expectStatus: [200], expectBody: null });
  });
});

describe('auth', () => {
  const schemes = {
    'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    queryKey: { type: 'apiKey', in: 'query', name: 'key' },
    session: { type: 'apiKey', in: 'cookie', name: 'sid' },
    basicAuth: { type: 'http', scheme: 'basic' },
    'jwt.bearer': { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://x/token', scopes: {} } } },
    oidc: { type: 'openIdConnect', openIdConnectUrl: 'https://x/.well-known/openid-configuration' },
    digest: { type: 'http', scheme: 'digest' },
  };

  it('maps each scheme to a strategy with env var names; notes for cookie and OAuth; a warning for what cannot be sent', () => {
    const result = mapOpenApi(oas({ '/a': { get: { responses: ok() } } }, { components: { securitySchemes: schemes } }));
    expect(result.config.auth).toEqual({
      'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key', env: 'API_KEY' },
      queryKey: { type: 'apiKey', in: 'query', name: 'key', env: 'QUERY_KEY_API_KEY' },
      session: { type: 'apiKey', in: 'header', name: 'Cookie', env: 'SESSION_COOKIE' },
      basicAuth: { type: 'basic', usernameEnv: 'BASIC_AUTH_USERNAME', passwordEnv: 'BASIC_AUTH_PASSWORD' },
      jwt_bearer: { type: 'bearer', env: 'JWT_BEARER_TOKEN' },
      oauth: { type: 'bearer', env: 'OAUTH_TOKEN' },
      oidc: { type: 'bearer', env: 'OIDC_TOKEN' },
    });
    const noted = result.notes.filter((n) => n.path[0] === 'auth').map((n) => n.path[1]);
    expect(noted).toEqual(['session', 'oauth', 'oidc']);
    expect(result.notes.find((n) => n.path[1] === 'session')?.text).toMatch(/SESSION_COOKIE to "sid=<value>"/);
    expect(result.notes.find((n) => n.path[1] === 'oauth')?.text).toMatch(/login/);
    expect(result.warnings.map((w) => w.detail)).toEqual(['digest (http digest)']);
    expect(result.stats.auth).toHaveLength(7);
  });

  it("each endpoint's auth: the operation's requirement over the document's, first scheme; [] and {} are none", () => {
    const result = mapOpenApi(
      oas(
        {
          '/global': { get: { responses: ok() } },
          '/own': { get: { security: [{ basicAuth: [] }, { 'api-key': [] }], responses: ok() } },
          '/public': { get: { security: [], responses: ok() } },
          '/optional': { get: { security: [{}, { basicAuth: [] }], responses: ok() } },
          '/digest-first': { get: { security: [{ digest: [] }, { queryKey: [] }], responses: ok() } },
          '/digest-only': { get: { security: [{ digest: [] }], responses: ok() } },
        },
        { components: { securitySchemes: schemes }, security: [{ 'api-key': [] }] },
      ),
    );
    const auth = Object.fromEntries(Object.values(result.config.endpoints).map((e) => [e.path, e.auth]));
    expect(auth).toEqual({
      '/global': 'api-key',
      '/own': 'basicAuth',
      '/public': 'none',
      '/optional': 'none',
      '/digest-first': 'queryKey',
      '/digest-only': 'none',
    });
    expect(result.warnings.some((w) => w.detail === 'GET /digest-only')).toBe(true);
  });

  it('no requirement anywhere: no auth field (none is the default)', () => {
    const [, e, result] = one({}, { components: { securitySchemes: schemes } });
    expect(e.auth).toBeUndefined();
    expect(result.config.auth).toBeDefined();
  });
});

describe('skips and deprecations', () => {
  it('deprecated operations are mapped disabled, with a note, and kept out of the flows', () => {
    const [name, e, result] = one({ deprecated: true });
    expect(e.enabled).toBe(false);
    expect(result.stats.disabled).toBe(1);
    expect(result.notes.some((n) => n.path.join('|') === `endpoints|${name}|enabled`)).toBe(true);
    expect(result.config.flows).toEqual({});
  });

  it('TRACE is skipped and counted; its group is not created', () => {
    const result = mapOpenApi(
      oas({ '/a': { get: { tags: ['a'], responses: ok() } }, '/debug': { trace: { tags: ['debug'], responses: ok() } } }),
    );
    expect(result.stats).toMatchObject({ operations: 2, mapped: 1 });
    expect(result.stats.skipped).toEqual([{ method: 'TRACE', path: '/debug', reason: 'loadgate does not send TRACE requests' }]);
    expect(Object.keys(result.config.flows)).toEqual(['a']);
  });
});

describe('flows', () => {
  const doc = oas({
    '/users': {
      get: { tags: ['users'], operationId: 'listUsers', responses: ok() },
      post: { tags: ['users'], operationId: 'createUser', responses: ok() },
    },
    '/users/{id}': {
      get: { tags: ['users'], operationId: 'getUser', responses: ok() },
      delete: { tags: ['users'], operationId: 'deleteUser', responses: ok() },
    },
    '/users/me': { get: { tags: ['users'], operationId: 'me', responses: ok() } },
    '/search': {
      get: {
        tags: ['users'],
        operationId: 'search',
        parameters: [{ name: 'q', in: 'query', required: true, schema: { type: 'string' } }],
        responses: ok(),
      },
    },
    '/orders': {
      get: { tags: ['orders'], operationId: 'listOrders', responses: ok() },
      put: { tags: ['orders'], operationId: 'putOrders', responses: ok() },
    },
    '/admin/reset': { post: { tags: ['admin'], operationId: 'reset', responses: ok() } },
  });

  it('one pick flow per group over its safe reads (GET, no placeholder), a reads mix weighted by size, and scenario: the mix', () => {
    const { config } = mapOpenApi(doc);
    expect(config.flows).toEqual({
      users: { pick: { endpoints: { 'users.list_users': 1, 'users.me': 1 } } },
      orders: { pick: { endpoints: { 'orders.list_orders': 1 } } },
      reads: { mix: { users: 2, orders: 1 } },
    });
    expect(config.scenario).toBe('reads');
    // Writes stay in the catalogue.
    expect(config.endpoints['users.create_user']).toMatchObject({ method: 'POST' });
    expect(config.endpoints['admin.reset']).toMatchObject({ method: 'POST' });
  });

  it('a comment above flows says why writes and placeholder GETs are left out', () => {
    const note = mapOpenApi(doc).notes.find((n) => n.path.join('.') === 'flows');
    expect(note?.text).toMatch(
      /4 POST\/PUT\/PATCH\/DELETE endpoint\(s\) are in the catalogue but in no flow written here: they change data/,
    );
    // The config model's implicit pick flow of a group with no flow of its own would run its writes: said so.
    expect(note?.text).toMatch(
      /a group with no flow here \(admin\) still runs as --scenario <group>, picking among all its endpoints, writes included/,
    );
    expect(note?.text).toMatch(/\{\{variable\}\}/);
  });

  it('one group with reads: scenario is that group; none: scenario null with a TODO', () => {
    const single = mapOpenApi(oas({ '/a': { get: { tags: ['a'], responses: ok() } }, '/b': { post: { tags: ['b'], responses: ok() } } }));
    expect(single.config.scenario).toBe('a');
    expect(Object.keys(single.config.flows)).toEqual(['a']);
    const none = mapOpenApi(oas({ '/b': { post: { responses: ok() } } }));
    expect(none.config.scenario).toBeNull();
    expect(none.notes.some((n) => n.path.join('.') === 'scenario' && /TODO/.test(n.text))).toBe(true);
  });

  it('a group named reads does not collide with the mix', () => {
    const { config } = mapOpenApi(
      oas({ '/a': { get: { tags: ['reads'], responses: ok() } }, '/b': { get: { tags: ['b'], responses: ok() } } }),
    );
    expect(Object.keys(config.flows)).toEqual(['reads', 'b', 'reads_2']);
    expect(config.scenario).toBe('reads_2');
  });
});

describe('Swagger 2.0', () => {
  const swagger = {
    swagger: '2.0',
    info: { title: 'Petstore', version: '1' },
    host: 'petstore.example.com',
    basePath: '/v2/',
    schemes: ['https', 'http'],
    consumes: ['application/json'],
    securityDefinitions: { basic: { type: 'basic' }, key: { type: 'apiKey', in: 'header', name: 'api_key' } },
    security: [{ key: [] }],
    paths: {
      '/pets': {
        get: {
          tags: ['pet'],
          operationId: 'findPets',
          parameters: [{ name: 'status', in: 'query', required: true, type: 'string', enum: ['available', 'sold'] }],
          responses: { '200': { description: 'ok', schema: { type: 'array', items: { type: 'object' } } } },
        },
        post: {
          tags: ['pet'],
          operationId: 'addPet',
          security: [{ basic: [] }],
          parameters: [
            {
              name: 'body',
              in: 'body',
              required: true,
              schema: { type: 'object', required: ['name'], properties: { name: { type: 'string', example: 'Rex' } } },
            },
          ],
          responses: {
            '201': { description: 'ok', schema: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } },
          },
        },
      },
      '/pets/{petId}/photo': {
        post: {
          tags: ['pet'],
          operationId: 'uploadPhoto',
          consumes: ['application/x-www-form-urlencoded'],
          parameters: [
            { name: 'petId', in: 'path', required: true, type: 'integer' },
            { name: 'caption', in: 'formData', required: true, type: 'string', 'x-example': 'cute' },
            { name: 'size', in: 'formData', required: false, type: 'integer' },
          ],
          responses: { '204': { description: 'done' } },
        },
      },
    },
  };

  it('maps host, basePath and schemes, body and formData parameters, securityDefinitions and response schemas', () => {
    const result = mapOpenApi(swagger);
    expect(result.stats.spec).toBe('Swagger 2.0');
    expect(result.config.target.baseUrl).toBe('https://petstore.example.com/v2');
    expect(result.config.auth).toEqual({
      basic: { type: 'basic', usernameEnv: 'BASIC_USERNAME', passwordEnv: 'BASIC_PASSWORD' },
      key: { type: 'apiKey', in: 'header', name: 'api_key', env: 'KEY_API_KEY' },
    });
    expect(result.config.endpoints).toEqual({
      'pet.find_pets': {
        group: 'pet',
        method: 'GET',
        path: '/pets',
        query: { status: 'available' },
        auth: 'key',
        expectStatus: [200],
        expectBody: { jsonPath: { $: { type: 'array' } } },
      },
      'pet.add_pet': {
        group: 'pet',
        method: 'POST',
        path: '/pets',
        body: { name: 'Rex' },
        auth: 'basic',
        expectStatus: [201],
        expectBody: { json: ['id'] },
      },
      'pet.upload_photo': {
        group: 'pet',
        method: 'POST',
        path: '/pets/{{petId}}/photo',
        body: { caption: 'cute' },
        bodyType: 'form',
        auth: 'key',
        expectStatus: [204],
        expectBody: { empty: true },
      },
    });
  });
});

describe('OpenAPI 3.1', () => {
  it('reads type arrays, examples arrays and exclusiveMinimum numbers', () => {
    const doc = {
      ...oas({
        '/n': {
          post: {
            requestBody: {
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['a', 'b', 'c'],
                    properties: {
                      a: { type: ['string', 'null'] },
                      b: { type: 'integer', exclusiveMinimum: 5 },
                      c: { type: 'string', examples: ['first', 'second'] },
                    },
                  },
                },
              },
            },
            responses: ok(),
          },
        },
      }),
      openapi: '3.1.0',
    };
    const result = mapOpenApi(doc);
    expect(result.stats.spec).toBe('OpenAPI 3.1.0');
    expect(only(result)[1].body).toEqual({ a: 'string', b: 6, c: 'first' });
  });
});
