import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type RunningTarget } from '../../reference-api/server.ts';
import { REFERENCE_PASSWORD } from './reference-api.ts';
import { compileBodyCheck, type BodyLike } from './body-check.ts';
import { DEFAULT_ENDPOINTS } from './defaults.ts';

/** A response as k6 hands it over: the text, and json() that throws on anything but JSON. */
const res = (body: string | null): BodyLike => ({
  body,
  json: () => {
    if (body === null) throw new Error('the body is null');
    return JSON.parse(body) as unknown;
  },
});

describe('compiled body checks', () => {
  it('json: an object with every listed top-level field', () => {
    const check = compileBodyCheck({ json: ['status', 'email'] });
    expect(check(res('{"status":"queued","email":"a@b"}'))).toBe(true);
    expect(check(res('{"status":"queued"}'))).toBe(false);
    expect(check(res('{"data":{"status":1,"email":2}}'))).toBe(false);
    expect(check(res('[{"status":1,"email":2}]'))).toBe(false);
    expect(check(res('null'))).toBe(false);
    expect(check(res('<html>status email</html>'))).toBe(false);
    expect(check(res(''))).toBe(false);
    expect(check(res(null))).toBe(false);
  });
  it('json: a field inherited from Object.prototype does not count', () => {
    expect(compileBodyCheck({ json: ['toString'] })(res('{}'))).toBe(false);
  });
  it('contains: the text is in the body', () => {
    const check = compileBodyCheck({ contains: 'http_requests_total' });
    expect(check(res('# TYPE http_requests_total counter\nhttp_requests_total{route="x"} 3\n'))).toBe(true);
    expect(check(res('# TYPE process_cpu_seconds_total counter\n'))).toBe(false);
    expect(check(res(null))).toBe(false);
  });
  it('empty: no body at all', () => {
    const check = compileBodyCheck({ empty: true });
    expect(check(res(''))).toBe(true);
    expect(check(res(null))).toBe(true);
    expect(check({ body: new ArrayBuffer(0), json: () => null })).toBe(true);
    expect(check(res('{}'))).toBe(false);
    expect(check({ body: new ArrayBuffer(2), json: () => null })).toBe(false);
  });
  it('null: no body check', () => {
    expect(compileBodyCheck(null)(res('anything'))).toBe(true);
  });
  it('jsonPath: values at paths, in objects and arrays alike', () => {
    const check = compileBodyCheck({ jsonPath: { 'data.token': { exists: true }, 'data.items': { type: 'array' } } });
    expect(check(res('{"data":{"token":"t","items":[]}}'))).toBe(true);
    expect(check(res('{"data":{"items":[]}}'))).toBe(false);
    expect(check(res('{"data":{"token":"t","items":{}}}'))).toBe(false);
    const array = compileBodyCheck({ jsonPath: { $: { type: 'array' }, '[0].id': { equals: 7 } } });
    expect(array(res('[{"id":7},{"id":8}]'))).toBe(true);
    expect(array(res('[{"id":8}]'))).toBe(false);
    expect(array(res('[]'))).toBe(false);
    expect(array(res('{"0":{"id":7}}'))).toBe(false);
    expect(compileBodyCheck({ jsonPath: { $: { minLength: 2 } } })(res('[1,2]'))).toBe(true);
    expect(compileBodyCheck({ jsonPath: { $: { minLength: 2 } } })(res('[1]'))).toBe(false);
    expect(compileBodyCheck({ jsonPath: { 'a.b': { equals: null } } })(res('{"a":{"b":null}}'))).toBe(true);
    expect(compileBodyCheck({ jsonPath: { 'a.b': { equals: null } } })(res('{"a":{}}'))).toBe(false);
    expect(compileBodyCheck({ jsonPath: { $: { exists: true } } })(res('not json'))).toBe(false);
  });
});

describe('the default body checks fit the reference API', () => {
  let target: RunningTarget;
  beforeAll(async () => {
    // Cheap hashing: this is about response shapes, not about PBKDF2.
    target = await startTarget({ profile: 'phase3', port: 0, overrides: { hashing: { iterations: 1000 } } });
  });
  afterAll(async () => {
    await target?.close();
  });

  /** Calls every default endpoint once, as the flows do, logout last (it revokes the session). */
  async function callAll(): Promise<Map<string, { status: number; text: string }>> {
    const vars: Record<string, string> = { email: 'user1@example.test', password: REFERENCE_PASSWORD, vu: '1', iter: '0' };
    const fill = (text: string) => text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => vars[name] ?? '');
    const out = new Map<string, { status: number; text: string }>();
    let access = '';
    const names = Object.keys(DEFAULT_ENDPOINTS).sort((a, b) => Number(a === 'auth.logout') - Number(b === 'auth.logout'));
    for (const name of names) {
      const ep = DEFAULT_ENDPOINTS[name as keyof typeof DEFAULT_ENDPOINTS];
      const body = ep.body === undefined ? undefined : fill(JSON.stringify(ep.body));
      const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
      if (ep.auth === 'bearer') headers['authorization'] = `Bearer ${access}`;
      const r = await fetch(target.url + ep.path, { method: ep.method, headers, ...(body === undefined ? {} : { body }) });
      const text = await r.text();
      out.set(name, { status: r.status, text });
      if (name === 'auth.login' || name === 'auth.refresh') {
        const tokens = JSON.parse(text) as { accessToken: string; refreshToken: string };
        access = tokens.accessToken;
        vars['refreshToken'] = tokens.refreshToken;
      }
    }
    return out;
  }

  it("passes on each endpoint's own answer, and fails on another endpoint's", async () => {
    const answers = await callAll();
    expect([...answers.keys()].sort()).toEqual(Object.keys(DEFAULT_ENDPOINTS).sort());
    for (const [name, ep] of Object.entries(DEFAULT_ENDPOINTS)) {
      const answer = answers.get(name);
      expect(answer, name).toBeDefined();
      if (!answer) continue;
      expect(ep.expectStatus, `${name} status`).toContain(answer.status);
      expect(ep.expectBody, `${name} has a body check`).not.toBeNull();
      const check = compileBodyCheck(ep.expectBody);
      expect(check(res(answer.text)), `${name}: ${answer.text.slice(0, 200)}`).toBe(true);
      // Not vacuous: some other endpoint's answer fails it.
      const others = [...answers].filter(([other]) => other !== name);
      expect(
        others.some(([, a]) => !check(res(a.text))),
        `${name}'s check passes on every other answer`,
      ).toBe(true);
    }
  });
});
