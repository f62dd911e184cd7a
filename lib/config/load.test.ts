import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../contract/errors.ts';
import { DEFAULT_CONFIG } from '../shared/defaults.ts';
import { resolveConfig } from './load.ts';

describe('config precedence: flags > env > file > defaults', () => {
  const file = { path: 'loadgate.yaml', data: { target: { baseUrl: 'http://127.0.0.1:1001' }, load: { rps: 10 } } };
  const env = { LOADGATE_TARGET: 'http://127.0.0.1:1002', LOADGATE_RPS: '20' };
  const flags = { target: 'http://127.0.0.1:1003' };

  it('uses the defaults when nothing is given', () => {
    const c = resolveConfig({});
    expect(c.target.baseUrl).toBe(DEFAULT_CONFIG.target.baseUrl);
    expect(c.load.rps).toBe(DEFAULT_CONFIG.load.rps);
  });
  it('lets the file override the defaults', () => {
    expect(resolveConfig({ file }).target.baseUrl).toBe('http://127.0.0.1:1001');
  });
  it('lets env override the file', () => {
    const c = resolveConfig({ file, env });
    expect(c.target.baseUrl).toBe('http://127.0.0.1:1002');
    expect(c.load.rps).toBe(20);
  });
  it('lets flags override env, and leaves what flags do not set to env', () => {
    const c = resolveConfig({ file, env, flags });
    expect(c.target.baseUrl).toBe('http://127.0.0.1:1003');
    expect(c.load.rps).toBe(20);
  });
  it('merges endpoint overrides into the default catalogue', () => {
    const c = resolveConfig({ file: { path: 'f.json', data: { endpoints: { 'auth.login': { path: '/v2/session' } } } } });
    expect(c.endpoints['auth.login']?.path).toBe('/v2/session');
    expect(c.endpoints['auth.login']?.method).toBe('POST');
    expect(c.endpoints['user.me']?.path).toBe('/api/me');
  });
  it("replaces an endpoint's body whole: another API's login fields are not mixed with the default ones", () => {
    const body = { user: '{{email}}', secret: '{{password}}' };
    const c = resolveConfig({ file: { path: 'f.json', data: { endpoints: { 'auth.login': { path: '/v2/session', body } } } } });
    expect(c.endpoints['auth.login']?.body).toEqual(body);
  });
});

describe('config errors name the path and what was expected', () => {
  const bad = (data: unknown) => () => resolveConfig({ file: { path: 'bad.json', data } });
  it('rejects a bad duration', () => {
    expect(bad({ endpoints: { 'auth.login': { timeout: 'ten' } } })).toThrow(
      /endpoints\.auth\.login\.timeout must be a duration such as "10s", got "ten"/,
    );
  });
  it('rejects unknown keys, naming them and where they are', () => {
    expect(bad({ load: { rsp: 5 } })).toThrow(/load: unknown key "rsp"/);
    expect(bad({ extra: 1 })).toThrow(/unknown key "extra"/);
  });
  it('names the file it came from', () => {
    expect(bad({ target: { baseUrl: 'nope' } })).toThrow(/bad\.json.*\n.*target\.baseUrl must be a URL/);
  });
  it('rejects a non-numeric env value with the variable name', () => {
    expect(() => resolveConfig({ env: { LOADGATE_RPS: 'lots' } })).toThrow(ConfigError);
    expect(() => resolveConfig({ env: { LOADGATE_RPS: 'lots' } })).toThrow(/LOADGATE_RPS must be a number, got "lots"/);
  });
  it('requires a path for a new endpoint, and fills the other fields from their documented defaults', () => {
    expect(bad({ endpoints: { 'orders.list': { method: 'GET' } } })).toThrow(/endpoints\.orders\.list\.path/);
    const c = resolveConfig({ file: { path: 'c.json', data: { endpoints: { 'orders.list': { path: '/api/orders' } } } } });
    expect(c.endpoints['orders.list']).toMatchObject({
      method: 'GET',
      expectStatus: ['2xx'],
      bodyType: 'json',
      timeout: null,
      enabled: true,
    });
  });
});

describe("a config file's own load profiles", () => {
  const quick = { description: 'A short CI shape.', stages: [{ name: 'warm', durationS: 10, from: 0, to: 1 }], abortOnFail: false };
  const withProfiles = (profiles: unknown) => () => resolveConfig({ file: { path: 'p.yaml', data: { profiles } } });

  it('has none by default: the built-in ones live in lib/config/profiles.ts', () => {
    expect(resolveConfig({}).profiles).toEqual({});
  });
  it('accepts a profile in the built-in shape', () => {
    expect(withProfiles({ quick })().profiles).toEqual({ quick });
  });
  it("refuses a built-in profile's name rather than silently changing what that name means", () => {
    expect(withProfiles({ load: quick })).toThrow(
      /profiles\.load: "load" is a built-in profile \(smoke, load, stress, spike, soak, breakpoint\); give yours a name of its own/,
    );
  });
  it('names the path of a bad stage and says what was expected', () => {
    const stage = (s: Record<string, unknown>) => withProfiles({ quick: { ...quick, stages: [{ ...quick.stages[0], ...s }] } });
    expect(stage({ durationS: 0 })).toThrow(/profiles\.quick\.stages\.0\.durationS must be a number of seconds above 0/);
    expect(stage({ to: -1 })).toThrow(/profiles\.quick\.stages\.0\.to must be a multiple of load\.rps, 0 or above/);
    expect(stage({ duration: '10s' })).toThrow(/profiles\.quick\.stages\.0: unknown key "duration"/);
    expect(stage({ name: 'warm up' })).toThrow(/profiles\.quick\.stages\.0\.name must be letters, digits.*got "warm up"/);
  });
  it('requires the whole shape, and stages with load and names of their own', () => {
    expect(withProfiles({ quick: { stages: quick.stages } })).toThrow(/profiles\.quick\.description[\s\S]*profiles\.quick\.abortOnFail/);
    expect(withProfiles({ quick: { ...quick, stages: [] } })).toThrow(/profiles\.quick\.stages .*>=1/);
    expect(withProfiles({ quick: { ...quick, stages: [quick.stages[0], quick.stages[0]] } })).toThrow(
      /profiles\.quick\.stages\.1\.name repeats the stage name "warm"/,
    );
    expect(withProfiles({ quick: { ...quick, stages: [{ name: 'idle', durationS: 5, from: 0, to: 0 }] } })).toThrow(
      /profiles\.quick\.stages offer no load at all/,
    );
  });
  it('names a bad profile name', () => {
    expect(withProfiles({ Quick: quick })).toThrow(/profiles\.Quick: profile names must be lower-case letters/);
  });
});

describe('body checks', () => {
  const endpoint = (e: Record<string, unknown>) => () =>
    resolveConfig({ file: { path: 'b.json', data: { endpoints: { 'monitoring.metrics': e } } } }).endpoints['monitoring.metrics'];

  it('replace the default check whole: a text check does not join the default one', () => {
    expect(endpoint({ expectBody: { json: ['up'] } })()?.expectBody).toEqual({ json: ['up'] });
    expect(endpoint({ expectBody: null })()?.expectBody).toBeNull();
    const health = resolveConfig({
      file: { path: 'b.json', data: { endpoints: { 'monitoring.health': { expectBody: { contains: 'UP' } } } } },
    });
    expect(health.endpoints['monitoring.health']?.expectBody).toEqual({ contains: 'UP' });
  });
  it('take exactly one kind, and name the path otherwise', () => {
    expect(endpoint({ expectBody: {} })).toThrow(
      /endpoints\.monitoring\.metrics\.expectBody must have exactly one of json, jsonPath, contains, empty, got \{\}/,
    );
    expect(endpoint({ expectBody: { json: ['a'], contains: 'b' } })).toThrow(
      /expectBody must have exactly one of json, jsonPath, contains, empty/,
    );
    expect(endpoint({ expectBody: { contain: 'x' } })).toThrow(/endpoints\.monitoring\.metrics\.expectBody: unknown key "contain"/);
    expect(endpoint({ expectBody: { empty: false } })).toThrow(/endpoints\.monitoring\.metrics\.expectBody\.empty/);
    expect(endpoint({ expectBody: { json: [] } })).toThrow(/endpoints\.monitoring\.metrics\.expectBody\.json .*>=1/);
  });
  it('are no longer set with expectField', () => {
    expect(endpoint({ expectField: 'status' })).toThrow(/endpoints\.monitoring\.metrics: unknown key "expectField"/);
  });
});

describe("the README's example config", () => {
  it('is valid, and sets what it shows', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const yaml = /### Configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    const c = resolveConfig({ file: { path: 'README.md', data: parseYaml(yaml ?? '') } });
    expect(c.endpoints['monitoring.metrics']?.expectBody).toEqual({ contains: 'api_requests_total' });
    expect(Object.keys(c.profiles)).toEqual(['ci-steps']);
  });
});
