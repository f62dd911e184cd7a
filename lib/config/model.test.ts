/** The request model for any API: auth strategies, headers, bodies, flows and captures, and their errors. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../contract/errors.ts';
import { parsePlan } from '../contract/plan.ts';
import { buildPlan } from '../plan/build.ts';
import { resolveConfig } from './load.ts';

const load = (data: unknown) => resolveConfig({ file: { path: 'api.yaml', data } });
const bad = (data: unknown) => () => load(data);

/** An API the reference catalogue knows nothing of. */
const shop = {
  extends: 'none',
  target: { baseUrl: 'http://127.0.0.1:9000', headers: { Accept: 'application/json', 'X-Run': 'lg-{{vu}}' } },
  auth: {
    key: { type: 'apiKey', name: 'X-Auth-Token', env: 'SHOP_KEY' },
    basic: { type: 'basic', usernameEnv: 'SHOP_USER', passwordEnv: 'SHOP_PASSWORD' },
    token: { type: 'bearer', env: 'SHOP_TOKEN' },
    session: { type: 'login', endpoint: 'users.login', token: { json: 'user.token' }, scheme: 'Token' },
  },
  groups: { orders: { auth: 'session' } },
  endpoints: {
    'users.login': { method: 'POST', path: '/api/users/login', body: { user: { email: '{{email}}', password: '{{password}}' } } },
    'orders.list': { path: '/api/orders', query: { limit: '5' }, expectBody: { jsonPath: { $: { type: 'array' } } } },
    'orders.get': { path: '/api/orders/{{orderId}}', expectStatus: [200, { min: 300, max: 304 }] },
    'orders.delete': { method: 'DELETE', path: '/api/orders/{{orderId}}', expectStatus: ['2xx', 404] },
    'stats.get': { path: '/api/stats', auth: 'key' },
    'admin.ping': { path: '/admin/ping', auth: 'basic', bodyType: 'form', method: 'POST', body: { a: 'x y', b: '{{vu}}' } },
    'feed.poll': { path: '/feed', auth: 'token', weight: 3 },
  },
  flows: {
    browse: {
      steps: [{ endpoint: 'orders.list', capture: { orderId: '[0].id' } }, { endpoint: 'orders.get', think: '100ms' }, 'orders.delete'],
    },
    mixed: { mix: { browse: 1, stats: 2 } },
  },
  scenario: 'browse',
};

describe('a config for another API', () => {
  it('validates, with groups, headers, bodies and strategies', () => {
    const c = load(shop);
    expect(Object.keys(c.endpoints)).toHaveLength(7);
    expect(c.auth['key']).toEqual({ type: 'apiKey', in: 'header', name: 'X-Auth-Token', env: 'SHOP_KEY' });
    expect(c.auth['session']).toMatchObject({ header: 'Authorization', scheme: 'Token', refresh: null, reloginOn: [401] });
  });
  it('plans the flow, the login its strategy needs, and counts that login per iteration only for iteration sessions', () => {
    const c = load(shop);
    const plan = parsePlan(buildPlan({ config: c, scenario: 'browse', profile: 'smoke', phase: null, runId: 'r', now: 'now' }));
    expect(plan.endpoints.map((e) => e.name).sort()).toEqual(['orders.delete', 'orders.get', 'orders.list', 'users.login']);
    expect(plan.endpoints.find((e) => e.name === 'orders.get')?.auth).toBe('session');
    expect(plan.endpoints.find((e) => e.name === 'orders.get')?.expectStatus).toEqual([200, { min: 300, max: 304 }]);
    expect(plan.endpoints.find((e) => e.name === 'orders.delete')?.expectStatus).toEqual([{ min: 200, max: 299 }, 404]);
    expect(plan.requestsPerIteration).toBe(3);
    expect(plan.flows['browse']).toEqual({
      kind: 'steps',
      session: 'vu',
      steps: [
        { endpoint: 'orders.list', capture: { orderId: '[0].id' }, thinkMs: 0 },
        { endpoint: 'orders.get', capture: {}, thinkMs: 100 },
        { endpoint: 'orders.delete', capture: {}, thinkMs: 0 },
      ],
    });
    const perIteration = load({ ...shop, flows: { ...shop.flows, browse: { ...shop.flows.browse, session: 'iteration' } } });
    expect(
      buildPlan({ config: perIteration, scenario: 'browse', profile: 'smoke', phase: null, runId: 'r', now: 'now' }).requestsPerIteration,
    ).toBe(4);
  });
  it('names env vars in the plan, never their values', () => {
    const env = { SHOP_KEY: 'k-secret', SHOP_USER: 'u', SHOP_PASSWORD: 'p-secret', SHOP_TOKEN: 't-secret' };
    const c = resolveConfig({ file: { path: 'api.yaml', data: shop }, env });
    const plan = buildPlan({ config: c, scenario: 'mixed', profile: 'smoke', phase: null, runId: 'r', now: 'now' });
    expect(plan.env).toEqual(['LOADGATE_PASSWORD', 'SHOP_KEY']);
    expect(JSON.stringify(plan)).not.toMatch(/secret/);
  });
  it('makes a pick flow of every group without a flow of its name', () => {
    const c = load(shop);
    const plan = buildPlan({ config: c, scenario: 'feed', profile: 'smoke', phase: null, runId: 'r', now: 'now' });
    expect(plan.flows['feed']).toEqual({ kind: 'pick', endpoints: [{ name: 'feed.poll', weight: 3 }] });
    expect(() => buildPlan({ config: c, scenario: 'nope', profile: 'smoke', phase: null, runId: 'r', now: 'now' })).toThrow(
      /unknown scenario "nope"; valid scenarios \(the config's flows\): browse, mixed, users, orders, stats, admin, feed/,
    );
  });
  it('removes a default body with body: null', () => {
    const c = load({ endpoints: { 'auth.refresh': { body: null } } });
    const plan = buildPlan({ config: c, scenario: 'auth', profile: 'smoke', phase: null, runId: 'r', now: 'now' });
    expect(plan.endpoints.find((e) => e.name === 'auth.refresh')).not.toHaveProperty('body');
  });
});

describe('bad input names the path, with exit 2', () => {
  const withEndpoint = (e: Record<string, unknown>) =>
    bad({ ...shop, endpoints: { ...shop.endpoints, 'orders.list': { path: '/o', ...e } } });
  it('a header with no value', () => {
    expect(withEndpoint({ headers: { 'X-Key': '' } })).toThrow(/endpoints\.orders\.list\.headers\.X-Key needs a value/);
    expect(bad({ ...shop, target: { ...shop.target, headers: { Accept: '' } } })).toThrow(/target\.headers\.Accept needs a value/);
  });
  it('an unknown auth strategy type, and a name no strategy has', () => {
    expect(bad({ ...shop, auth: { ...shop.auth, key: { type: 'hmac', env: 'X' } } })).toThrow(
      /auth\.key\.type is an unknown auth strategy type "hmac": use one of apiKey, basic, bearer, login/,
    );
    expect(withEndpoint({ auth: 'oauth' })).toThrow(
      /endpoints\.orders\.list\.auth names no auth strategy "oauth"; defined: none, key, basic, token, session/,
    );
  });
  it('a capture used before it is set', () => {
    const flows = { browse: { steps: ['orders.get', { endpoint: 'orders.list', capture: { orderId: '[0].id' } }] } };
    expect(bad({ ...shop, flows })).toThrow(/flows\.browse\.steps\.0 orders\.get uses \{\{orderId\}\} before any step captures it/);
  });
  it('a flow naming an unknown endpoint', () => {
    expect(bad({ ...shop, flows: { browse: { steps: ['orders.lst'] } } })).toThrow(
      /flows\.browse\.steps\.0 names no endpoint "orders\.lst"/,
    );
    expect(bad({ ...shop, flows: { m: { mix: { nothing: 1 } } }, scenario: null })).toThrow(
      /flows\.m\.mix\.nothing names no flow "nothing"/,
    );
  });
  it('credentials in a URL, without echoing them', () => {
    let message = '';
    try {
      load({ target: { baseUrl: 'http://admin:hunter2@127.0.0.1:9000' } });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/target\.baseUrl must not hold credentials .*usernameEnv/);
    expect(message).not.toContain('hunter2');
  });
  it('a scheme other than http and https', () => {
    expect(bad({ target: { baseUrl: 'ftp://127.0.0.1/' } })).toThrow(/target\.baseUrl must be an http:\/\/ or https:\/\/ URL/);
  });
  it('a body that does not fit its type, and a bad JSON path', () => {
    expect(withEndpoint({ bodyType: 'text', body: { a: 1 } })).toThrow(
      /endpoints\.orders\.list\.body must be a string when bodyType is text/,
    );
    expect(withEndpoint({ expectBody: { jsonPath: { 'a[x]': { exists: true } } } })).toThrow(/jsonPath\.a\[x\] has a bad index/);
  });
  it('keys of the earlier config version, with where they went', () => {
    expect(bad({ tokens: { access: 'a', refresh: 'r' } })).toThrow(/tokens: the login response fields moved to the login strategy/);
  });
});
