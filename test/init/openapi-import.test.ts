/**
 * `loadgate init --openapi` end to end: the real CLI (node bin/loadgate.js) on real published
 * OpenAPI documents (test/fixtures/openapi/: HashiCorp Vault, 1049 operations, OpenAPI 3.0; SendGrid,
 * 334 operations, OpenAPI 3.1), and on bad input, which must exit 2 with a message naming the file.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveConfig } from '../../lib/config/load.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/openapi');
const NAME = /^[a-z][a-z0-9_.-]*$/;
/** Operation keys of an OpenAPI path item; loadgate sends all but TRACE (the one documented skip). */
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/loadgate.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`loadgate ${args.join(' ')} did not finish within 60 s\n${stderr}`));
    }, 60_000);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgate-init-it-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Gunzips a fixture into the scratch directory; returns its path and the parsed document. */
async function fixture(gz: string, name: string): Promise<{ path: string; doc: Record<string, Record<string, Record<string, unknown>>> }> {
  const text = gunzipSync(await readFile(join(FIXTURES, gz))).toString('utf8');
  const path = join(dir, name);
  await writeFile(path, text);
  return { path, doc: JSON.parse(text) };
}

/** `METHOD /path/{{param}}` for every operation of the document, as init writes them. */
function operations(doc: Record<string, Record<string, Record<string, unknown>>>): { all: number; sendable: string[] } {
  let all = 0;
  const sendable: string[] = [];
  for (const [path, item] of Object.entries(doc['paths'] ?? {})) {
    for (const m of METHODS) {
      if (!(m in (item as object))) continue;
      all++;
      if (m !== 'trace')
        sendable.push(`${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, (_x, p: string) => `{{${p.replace(/[^A-Za-z0-9_]+/g, '_')}}}`)}`);
    }
  }
  return { all, sendable };
}

interface Written {
  extends: string;
  target: { baseUrl: string };
  auth?: Record<string, Record<string, string>>;
  endpoints: Record<string, { method: string; path: string; group: string; auth?: string }>;
  flows: Record<string, { pick?: { endpoints: Record<string, number> }; mix?: Record<string, number> }>;
  scenario: string | null;
}

async function importOk(
  gz: string,
  name: string,
): Promise<{ written: Written; text: string; run: CliResult; ops: ReturnType<typeof operations>; out: string }> {
  const { path, doc } = await fixture(gz, name);
  const out = join(dir, `${name}.loadgate.yaml`);
  const run = await cli(['init', '--openapi', path, '--out', out]);
  expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(run.code).toBe(0);
  expect(run.stdout).toBe(`wrote ${out}\n`);
  const text = await readFile(out, 'utf8');
  // uniqueKeys (the default) makes a repeated endpoint name a parse error.
  const written = parse(text, { uniqueKeys: true }) as Written;
  return { written, text, run, ops: operations(doc), out };
}

function checkCatalogue(written: Written, ops: ReturnType<typeof operations>): void {
  const names = Object.keys(written.endpoints);
  expect(names).toHaveLength(ops.sendable.length);
  for (const n of names) expect(n).toMatch(NAME);
  // Every operation is there once: the same method and path, nothing lost, nothing doubled.
  const mapped = Object.values(written.endpoints).map((e) => `${e.method} ${e.path}`);
  expect(mapped.sort()).toEqual([...ops.sendable].sort());
  for (const [n, e] of Object.entries(written.endpoints)) expect(n.startsWith(`${e.group}.`)).toBe(true);
  // Flows name endpoints and flows that exist; the default flows are safe reads only.
  for (const [f, flow] of Object.entries(written.flows)) {
    expect(f).toMatch(NAME);
    for (const e of Object.keys(flow.pick?.endpoints ?? {})) {
      expect(written.endpoints[e]?.method).toBe('GET');
      expect(written.endpoints[e]?.path).not.toContain('{{');
    }
    for (const g of Object.keys(flow.mix ?? {})) expect(written.flows[g]).toBeDefined();
  }
  if (written.scenario !== null) expect(written.flows[written.scenario]).toBeDefined();
}

describe('loadgate init --openapi on real documents', () => {
  it('HashiCorp Vault (OpenAPI 3.0, 1049 operations): every operation mapped, names unique and valid', async () => {
    const { written, run, ops, out, text } = await importOk('hashicorp-vault/openapi.json.gz', 'vault.json');
    expect(ops.all).toBe(1049);
    expect(ops.sendable).toHaveLength(1049);
    checkCatalogue(written, ops);
    expect(written.extends).toBe('none');
    // No servers in the document: the placeholder, with a TODO.
    expect(written.target.baseUrl).toBe('http://127.0.0.1:8080');
    expect(text).toMatch(/baseUrl: http:\/\/127\.0\.0\.1:8080 # TODO/);
    expect(written.scenario).toBe('reads');
    expect(run.stderr).toContain('operations 1049 found, 1049 mapped (1 deprecated: enabled: false), 0 skipped');
    expect(run.stderr).toMatch(/time {7}\d+\.\d\d s/);
    expect(text.startsWith(`# loadgate config written by \`loadgate init --openapi ${join(dir, 'vault.json')}\``)).toBe(true);

    // The file loads as a config (lib/config: the schema the run validates with).
    const config = resolveConfig({ file: { path: out, data: written }, env: {}, flags: {} });
    expect(Object.keys(config.endpoints)).toHaveLength(1049);
  });

  it('SendGrid (OpenAPI 3.1, 334 operations): base path, API-key auth and every operation mapped', async () => {
    const { written, run, ops, out } = await importOk('sendgrid/oai_v3_stoplight.json.gz', 'sendgrid.json');
    expect(ops.all).toBe(334);
    checkCatalogue(written, ops);
    expect(written.target.baseUrl).toBe('http://api.sendgrid.com/v3');
    expect(written.auth).toEqual({ Authorization: { type: 'apiKey', in: 'header', name: 'Authorization', env: 'AUTHORIZATION_API_KEY' } });
    // 321 operations require the key; 13 declare no security (nor does the document): no auth field, none.
    const byAuth: Record<string, number> = {};
    for (const e of Object.values(written.endpoints)) byAuth[e.auth ?? '(unset)'] = (byAuth[e.auth ?? '(unset)'] ?? 0) + 1;
    expect(byAuth).toEqual({ Authorization: 321, '(unset)': 13 });
    expect(run.stderr).toContain('operations 334 found, 334 mapped, 0 skipped');
    expect(run.stderr).toContain('Authorization: apiKey in header Authorization (env AUTHORIZATION_API_KEY)');
    resolveConfig({ file: { path: out, data: written }, env: {}, flags: {} });
  });
});

describe('loadgate init --openapi on bad input: exit 2, the file named, no stack trace', () => {
  async function fails(args: string[], ...expected: (string | RegExp)[]): Promise<void> {
    const run = await cli(['init', ...args]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
    for (const e of expected) expect(run.stderr).toMatch(e);
  }

  it('a file that does not exist', async () => {
    const missing = join(dir, 'missing.yaml');
    await fails(['--openapi', missing, '--out', join(dir, 'a.yaml')], `loadgate: ${missing} does not exist`);
  });

  it('invalid YAML: the line and column', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, "openapi: 3.0.3\ninfo:\n  title: 'unclosed\n  version: 1\npaths: {}\n");
    await fails(['--openapi', bad, '--out', join(dir, 'b.yaml')], `loadgate: ${bad} is not valid YAML: line `);
  });

  it('invalid JSON: the line and column', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{\n  "openapi": "3.0.3",\n  "paths": {]\n}\n');
    await fails(['--openapi', bad, '--out', join(dir, 'c.yaml')], `loadgate: ${bad} is not valid JSON: line 3, column`);
  });

  it('a document that is not OpenAPI', async () => {
    const other = join(dir, 'compose.yaml');
    await writeFile(other, 'services:\n  web:\n    image: nginx\n');
    await fails(
      ['--openapi', other, '--out', join(dir, 'd.yaml')],
      `loadgate: ${other} is not an OpenAPI document: it has no "openapi" (3.x) or "swagger" (2.0) field`,
    );
  });

  it('an OpenAPI document that does not validate: each problem with its JSON pointer', async () => {
    const invalid = join(dir, 'invalid.yaml');
    await writeFile(invalid, "openapi: 3.0.3\ninfo: { title: x }\npaths:\n  /a:\n    get:\n      responses: { '200': { content: {} } }\n");
    await fails(
      ['--openapi', invalid, '--out', join(dir, 'e.yaml')],
      `loadgate: ${invalid} is not a valid OpenAPI document:`,
      "#/info must have required property 'version'",
      "#/paths/~1a/get/responses/200 must have required property 'description'",
    );
  });

  it('an existing --out without --force: left as it was', async () => {
    const { path } = await fixture('sendgrid/oai_v3_stoplight.json.gz', 'sendgrid-again.json');
    const out = join(dir, 'taken.yaml');
    await writeFile(out, 'mine\n');
    await fails(['--openapi', path, '--out', out], `loadgate: ${out} exists: pass --force to overwrite it`);
    expect(await readFile(out, 'utf8')).toBe('mine\n');
  });

  it('--base-url that is not an http(s) URL', async () => {
    await fails(['--openapi', 'x.yaml', '--base-url', 'ftp://example.com'], '--base-url must be an http:// or https:// URL');
  });
});
