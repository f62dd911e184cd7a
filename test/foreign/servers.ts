/**
 * Third-party HTTP servers that loadgate is proven against: real programs this project did not
 * write, installed by scripts/foreign-servers.sh (versions in ./versions.env) and documented,
 * endpoint by endpoint, in ./README.md.
 *
 * Each `start*` function starts one server on 127.0.0.1 (a free port, a fresh temporary data
 * directory), seeds a user, credentials and a few data items through the server's own API, and
 * returns once the server answers. `stop()` ends every process it started and removes the
 * directory. Nothing outlives the test process: each process gets its own process group (stop
 * kills the group), a parent-death signal through util-linux's `setpriv` (the kernel kills it
 * if the test process dies, even by SIGKILL), and an exit hook for ordinary exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort } from '../../lib/k6/runner.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface ForeignServer {
  name: string;
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  baseUrl: string;
  /** The credentials to hand to loadgate through its environment. */
  env: Record<string, string>;
  /** Seeded ids and the like (see README.md for each server's keys), plus `dataDir`. */
  info: Record<string, unknown>;
  /** Stops every process of this server and removes its data directory. Idempotent. */
  stop(): Promise<void>;
}

/** A server that is not installed, or did not start or seed as expected. */
export class ForeignServerError extends Error {
  override name = 'ForeignServerError';
}

// --- versions and binaries ----------------------------------------------------------------------

const VERSIONS_FILE = join(ROOT, 'test/foreign/versions.env');

/** `KEY=value` lines of versions.env (the same file scripts/foreign-servers.sh sources). */
export function foreignVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(VERSIONS_FILE, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(\S+)\s*$/.exec(line);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

export type ForeignName = 'miniflux' | 'pocketbase' | 'writefreely';

/** The installed binary of a pinned server, or a ForeignServerError that says how to install it. */
export function foreignBinary(name: ForeignName): { path: string; version: string } {
  const key = `${name.toUpperCase()}_VERSION`;
  const version = foreignVersions()[key];
  if (!version) throw new ForeignServerError(`${VERSIONS_FILE} has no ${key}`);
  const path = join(ROOT, '.tools/foreign', name, version, name);
  if (!existsSync(path)) {
    throw new ForeignServerError(`${name} ${version} is not installed (no ${path}): run \`bash scripts/foreign-servers.sh\` (as root)`);
  }
  return { path, version };
}

/** The newest Debian PostgreSQL's bin directory (`/usr/lib/postgresql/<major>/bin`). */
export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base)
    ? readdirSync(base)
        .filter((d) => /^\d+$/.test(d) && existsSync(join(base, d, 'bin/initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0) {
    throw new ForeignServerError(
      `PostgreSQL (for Miniflux) is not installed (no ${base}/*/bin/initdb): run \`bash scripts/foreign-servers.sh\` (as root)`,
    );
  }
  return join(base, majors[0] as string, 'bin');
}

// --- processes ----------------------------------------------------------------------------------

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** Every live child and data directory: killed (with its group) and removed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();
process.on('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `loadgate-${name}-`));
  liveDirs.add(dir);
  return dir;
}

async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

interface RunAs {
  uid: number;
  gid: number;
}

interface Proc {
  readonly label: string;
  readonly child: ChildProcess;
  /** The last few KB of stdout+stderr, for error messages. */
  output(): string;
  readonly exited: Promise<void>;
  hasExited(): boolean;
}

/**
 * Spawns a server process in its own process group with a minimal environment (no inherited
 * PORT, DATABASE_URL and such can move it off loopback), as `runAs` when given.
 */
function spawnOwned(
  label: string,
  command: string,
  args: string[],
  opts: { env: Record<string, string>; cwd: string; runAs?: RunAs },
): Proc {
  let file = command;
  let argv = args;
  let ids: { uid?: number; gid?: number } = {};
  if (SETPRIV) {
    // setpriv sets the parent-death signal after switching users (a user switch would clear it).
    const user = opts.runAs ? [`--reuid=${opts.runAs.uid}`, `--regid=${opts.runAs.gid}`, '--clear-groups'] : [];
    file = SETPRIV;
    argv = [...user, '--pdeathsig', 'KILL', '--', command, ...args];
  } else if (opts.runAs) {
    ids = { uid: opts.runAs.uid, gid: opts.runAs.gid };
  }
  const child = spawn(file, argv, {
    cwd: opts.cwd,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...opts.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...ids,
  });
  live.add(child);
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((res) =>
    child.once('close', () => {
      live.delete(child);
      res();
    }),
  );
  child.once('error', (err) => keep(Buffer.from(`spawn error: ${err.message}\n`)));
  return {
    label,
    child,
    output: () => out.trim(),
    exited,
    hasExited: () => child.exitCode !== null || child.signalCode !== null,
  };
}

/** Signals the leader, waits up to 5 s, then SIGKILLs the whole group (leftover children included). */
async function stopProc(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p.hasExited() && p.child.pid !== undefined) {
    try {
      process.kill(p.child.pid, signal);
    } catch {
      // already gone
    }
    const timer = setTimeout(() => killGroup(p.child, 'SIGKILL'), 5000);
    await p.exited;
    clearTimeout(timer);
  }
  killGroup(p.child, 'SIGKILL');
}

/** Runs a short command to completion; throws with its output when it fails. */
async function runToEnd(
  label: string,
  command: string,
  args: string[],
  opts: { env: Record<string, string>; cwd: string; runAs?: RunAs },
): Promise<void> {
  const p = spawnOwned(label, command, args, opts);
  const timer = setTimeout(() => killGroup(p.child, 'SIGKILL'), 60_000);
  await p.exited;
  clearTimeout(timer);
  if (p.child.exitCode !== 0) {
    throw new ForeignServerError(`${label} failed (exit ${p.child.exitCode ?? p.child.signalCode}):\n${p.output()}`);
  }
}

async function waitUntil(what: string, procs: Proc[], check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = procs.find((p) => p.hasExited());
    if (dead) throw new ForeignServerError(`${dead.label} exited before ${what}:\n${dead.output()}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new ForeignServerError(
    `timed out after ${timeoutMs} ms waiting for ${what}\n${procs.map((p) => `--- ${p.label}:\n${p.output()}`).join('\n')}`,
  );
}

async function answers(url: string, status = 200): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await res.arrayBuffer();
  return res.status === status;
}

/** A `uid:gid` from /etc/passwd. */
function systemUser(name: string): RunAs {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined)
    throw new ForeignServerError(`no '${name}' user in /etc/passwd (it comes with Debian's postgresql package)`);
  return { uid: Number(uid), gid: Number(gid) };
}

/** Cleans up a half-started server and rethrows. */
async function failStart(stop: () => Promise<void>, err: unknown): Promise<never> {
  await stop().catch(() => undefined);
  throw err;
}

// --- credentials and HTTP -----------------------------------------------------------------------

/**
 * A password with the characters that break naive URL, header and log handling (`%`, `/`, `@`, `:`,
 * a non-ASCII letter) and a random tail, so that a leak of it is unambiguous in a grep.
 */
export function specialPassword(prefix: string): string {
  return `${prefix}%/@:ü-${randomBytes(6).toString('hex')}`;
}

/** `Basic base64(user:password)`, with the password's UTF-8 bytes (what Go's `r.BasicAuth` decodes). */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** One JSON request during seeding; anything but `expect` is a ForeignServerError with the body. */
async function call<T>(
  baseUrl: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: unknown; raw?: string; expect: number },
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  if (res.status !== opts.expect)
    throw new ForeignServerError(`seeding: ${method} ${path} answered ${res.status} (expected ${opts.expect}): ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

// --- PostgreSQL (for Miniflux) --------------------------------------------------------------------

interface Postgres {
  proc: Proc;
  /** A lib/pq key=value connection string over the private Unix socket. */
  url: string;
}

/**
 * A throw-away PostgreSQL cluster under `dir`: Unix socket only (no TCP listener at all), trust
 * auth, fsync off (the data is thrown away). As root, it runs as the `postgres` user (initdb and
 * postgres refuse root).
 */
async function startPostgres(dir: string): Promise<Postgres> {
  const bin = postgresBinDir();
  const pgDir = join(dir, 'pg');
  await mkdir(pgDir);
  const runAs = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  if (runAs) {
    await chmod(dir, 0o711);
    await chown(pgDir, runAs.uid, runAs.gid);
  }
  const common = { env: { LC_ALL: 'C' }, cwd: pgDir, runAs };
  const data = join(pgDir, 'data');
  await runToEnd(
    'initdb',
    join(bin, 'initdb'),
    ['-D', data, '-U', 'miniflux', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    common,
  );
  const proc = spawnOwned(
    'postgres',
    join(bin, 'postgres'),
    ['-D', data, '-k', pgDir, '-p', '5432', '-c', 'listen_addresses=', '-c', 'fsync=off'],
    common,
  );
  await waitUntil('PostgreSQL accepts connections', [proc], async () =>
    proc.output().includes('database system is ready to accept connections'),
  );
  return { proc, url: `host=${pgDir} port=5432 user=miniflux dbname=postgres sslmode=disable` };
}

// --- Miniflux -----------------------------------------------------------------------------------

interface MinifluxFeed {
  id: number;
  title: string;
}

/**
 * Miniflux (RSS reader, Apache-2.0) on PostgreSQL. Seeds: an admin user (basic auth), an API key
 * (X-Auth-Token), category "Engineering" with two feeds (imported from OPML, never fetched: the
 * scheduler is off) and three unread entries per feed.
 * env: MINIFLUX_API_KEY, MINIFLUX_USER, MINIFLUX_PASSWORD.
 * info: userId, categoryId, feedIds[2], entryIds[6], apiKeyId, version, dataDir.
 */
export async function startMiniflux(): Promise<ForeignServer> {
  const binary = foreignBinary('miniflux');
  const dir = await tempDir('miniflux');
  let pg: Postgres | undefined;
  let mf: Proc | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (mf) await stopProc(mf, 'SIGTERM');
    // SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to disconnect.
    if (pg) await stopProc(pg.proc, 'SIGINT');
    await removeDir(dir);
  };
  try {
    pg = await startPostgres(dir);
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const user = 'lg-reader';
    const password = specialPassword('Mf');
    mf = spawnOwned('miniflux', binary.path, [], {
      cwd: dir,
      env: {
        DATABASE_URL: pg.url,
        RUN_MIGRATIONS: '1',
        CREATE_ADMIN: '1',
        ADMIN_USERNAME: user,
        ADMIN_PASSWORD: password,
        LISTEN_ADDR: `127.0.0.1:${port}`,
        BASE_URL: baseUrl,
        // No background feed polling: the seeded feeds point at nothing, and a load test wants no side traffic.
        DISABLE_SCHEDULER_SERVICE: '1',
        // Info logs one line per authenticated API request; warnings still show failed logins.
        LOG_LEVEL: 'warning',
      },
    });
    await waitUntil(`Miniflux answers ${baseUrl}/healthcheck`, [pg.proc, mf], () => answers(`${baseUrl}/healthcheck`));

    const basic = { authorization: basicAuth(user, password) };
    const me = await call<{ id: number }>(baseUrl, 'GET', '/v1/me', { headers: basic, expect: 200 });
    const apiKey = await call<{ id: number; token: string }>(baseUrl, 'POST', '/v1/api-keys', {
      headers: basic,
      body: { description: 'loadgate' },
      expect: 201,
    });
    const keyHeader = { 'x-auth-token': apiKey.token };
    const category = await call<{ id: number }>(baseUrl, 'POST', '/v1/categories', {
      headers: keyHeader,
      body: { title: 'Engineering' },
      expect: 201,
    });
    // OPML import creates feeds without fetching them; the addresses are loopback and nothing listens there.
    const opml = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<opml version="2.0"><head><title>loadgate seed</title></head><body><outline text="Engineering">',
      '<outline type="rss" text="Feed A" title="Feed A" xmlUrl="http://127.0.0.1:9/a.xml" htmlUrl="http://127.0.0.1:9/a"/>',
      '<outline type="rss" text="Feed B" title="Feed B" xmlUrl="http://127.0.0.1:9/b.xml" htmlUrl="http://127.0.0.1:9/b"/>',
      '</outline></body></opml>',
    ].join('');
    await call(baseUrl, 'POST', '/v1/import', { headers: keyHeader, raw: opml, expect: 201 });
    const feeds = await call<MinifluxFeed[]>(baseUrl, 'GET', '/v1/feeds', { headers: keyHeader, expect: 200 });
    const feedIds = feeds.map((f) => f.id).sort((a, b) => a - b);
    const entryIds: number[] = [];
    for (const feedId of feedIds) {
      for (let i = 1; i <= 3; i++) {
        const entry = await call<{ id: number }>(baseUrl, 'POST', `/v1/feeds/${feedId}/entries/import`, {
          headers: keyHeader,
          body: {
            url: `http://127.0.0.1:9/${feedId}/${i}`,
            title: `Entry ${i} of feed ${feedId}`,
            content: `<p>Seeded entry ${i}.</p>`,
            status: 'unread',
          },
          expect: 201,
        });
        entryIds.push(entry.id);
      }
    }
    return {
      name: 'miniflux',
      baseUrl,
      env: { MINIFLUX_API_KEY: apiKey.token, MINIFLUX_USER: user, MINIFLUX_PASSWORD: password },
      info: { version: binary.version, userId: me.id, apiKeyId: apiKey.id, categoryId: category.id, feedIds, entryIds, dataDir: dir },
      stop,
    };
  } catch (err) {
    return failStart(stop, err);
  }
}

// --- PocketBase ---------------------------------------------------------------------------------

interface PbAuth {
  token: string;
  record: { id: string; email: string };
}

/** The seeded `notes` collection: only signed-in users see notes; only a note's owner changes it. */
const NOTES_COLLECTION = {
  name: 'notes',
  type: 'base',
  fields: [
    { name: 'title', type: 'text', required: true },
    { name: 'body', type: 'text' },
    { name: 'owner', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 },
    { name: 'created', type: 'autodate', onCreate: true },
    { name: 'updated', type: 'autodate', onCreate: true, onUpdate: true },
  ],
  listRule: '@request.auth.id != ""',
  viewRule: '@request.auth.id != ""',
  createRule: '@request.auth.id != ""',
  updateRule: 'owner = @request.auth.id',
  deleteRule: 'owner = @request.auth.id',
};

/**
 * PocketBase (backend in one binary, MIT), its stock `examples/base` program on SQLite. Seeds:
 * a superuser (CLI), a user in the built-in `users` auth collection, collection `notes` and three
 * notes owned by that user. Login: POST /api/collections/users/auth-with-password → {token, record:{id}}.
 * env: POCKETBASE_EMAIL, POCKETBASE_PASSWORD (the user), POCKETBASE_ADMIN_EMAIL, POCKETBASE_ADMIN_PASSWORD (superuser).
 * info: userId, collection ('notes'), noteIds[3], version, dataDir.
 */
export async function startPocketBase(): Promise<ForeignServer> {
  const binary = foreignBinary('pocketbase');
  const dir = await tempDir('pocketbase');
  let pb: Proc | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (pb) await stopProc(pb, 'SIGTERM');
    await removeDir(dir);
  };
  try {
    const dataDir = join(dir, 'pb_data');
    // Every directory the stock program derives from its own location is moved into the temp dir.
    const dirs = [
      `--dir=${dataDir}`,
      `--hooksDir=${join(dir, 'pb_hooks')}`,
      `--migrationsDir=${join(dir, 'pb_migrations')}`,
      `--publicDir=${join(dir, 'pb_public')}`,
    ];
    const adminEmail = 'lg-admin@example.com';
    const adminPassword = specialPassword('PbAdmin');
    await runToEnd('pocketbase superuser upsert', binary.path, ['superuser', 'upsert', adminEmail, adminPassword, ...dirs], {
      cwd: dir,
      env: {},
    });
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    pb = spawnOwned(
      'pocketbase',
      binary.path,
      ['serve', `--http=127.0.0.1:${port}`, ...dirs, '--hooksWatch=false', '--automigrate=false'],
      { cwd: dir, env: {} },
    );
    await waitUntil(`PocketBase answers ${baseUrl}/api/health`, [pb], () => answers(`${baseUrl}/api/health`));

    const admin = await call<PbAuth>(baseUrl, 'POST', '/api/collections/_superusers/auth-with-password', {
      body: { identity: adminEmail, password: adminPassword },
      expect: 200,
    });
    const asAdmin = { authorization: admin.token };
    await call(baseUrl, 'POST', '/api/collections', { headers: asAdmin, body: NOTES_COLLECTION, expect: 200 });
    const email = 'lg-user@example.com';
    const password = specialPassword('Pb');
    await call(baseUrl, 'POST', '/api/collections/users/records', {
      headers: asAdmin,
      body: { email, password, passwordConfirm: password, name: 'Load Gate', verified: true },
      expect: 200,
    });
    const login = await call<PbAuth>(baseUrl, 'POST', '/api/collections/users/auth-with-password', {
      body: { identity: email, password },
      expect: 200,
    });
    const noteIds: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const note = await call<{ id: string }>(baseUrl, 'POST', '/api/collections/notes/records', {
        headers: { authorization: login.token },
        body: { title: `Note ${i}`, body: `Seeded note ${i}.`, owner: login.record.id },
        expect: 200,
      });
      noteIds.push(note.id);
    }
    return {
      name: 'pocketbase',
      baseUrl,
      env: {
        POCKETBASE_EMAIL: email,
        POCKETBASE_PASSWORD: password,
        POCKETBASE_ADMIN_EMAIL: adminEmail,
        POCKETBASE_ADMIN_PASSWORD: adminPassword,
      },
      info: { version: binary.version, userId: login.record.id, collection: 'notes', noteIds, dataDir: dir },
      stop,
    };
  } catch (err) {
    return failStart(stop, err);
  }
}

// --- WriteFreely --------------------------------------------------------------------------------

/** WriteFreely's answer envelope: `{code, data}` on success, `{code, error_msg}` otherwise. */
interface WfAnswer<T> {
  code: number;
  data: T;
}

interface WfSignup {
  access_token: string;
  user: { username: string };
  collections: Array<{ alias: string }>;
}

/** The seeded writers: `lg-writer-1` … `lg-writer-3`, one password (loadgate's user pool: `lg-writer-{{i}}`). */
export const WRITEFREELY_WRITERS = 3;

/**
 * WriteFreely's config.ini for a throw-away instance: loopback only, SQLite in `dir`, every
 * outward-facing function off (federation, update checks, Gopher, the public timeline and stats).
 * Registration is open because its API's signup is the only way to create a user without the
 * password on a command line (`writefreely user create` takes `alias:password` as an argument).
 */
function writeFreelyConfig(dir: string, installDir: string, port: number): string {
  return [
    '[server]',
    'bind = 127.0.0.1',
    `port = ${port}`,
    `templates_parent_dir = ${installDir}`,
    `pages_parent_dir = ${installDir}`,
    `static_parent_dir = ${installDir}`,
    `keys_parent_dir = ${dir}`,
    'gopher_port = 0',
    '',
    '[database]',
    'type = sqlite3',
    `filename = ${join(dir, 'writefreely.db')}`,
    '',
    '[app]',
    'site_name = loadgate',
    `host = http://127.0.0.1:${port}`,
    'single_user = false',
    'open_registration = true',
    'min_username_len = 3',
    'max_blogs = 1',
    'federation = false',
    'public_stats = false',
    'monetization = false',
    'update_checks = false',
    'local_timeline = false',
    '',
  ].join('\n');
}

/**
 * WriteFreely (federated blogging platform, AGPL-3.0) on SQLite. Seeds, through its API's signup
 * (`POST /api/auth/signup`): writers `lg-writer-1` … `lg-writer-3` with one password (each gets a
 * blog of the same alias; `lg-writer-1`, user id 1, is the instance admin), then as `lg-writer-1`
 * two posts in its blog and one draft; the seeding sessions are logged out. No login is made, so
 * WriteFreely's per-alias login throttle starts empty. Login: POST /api/auth/login
 * {alias, pass} → {code:200, data:{access_token, user:{username}}}; then `Authorization: Token <t>`.
 * env: WRITEFREELY_ALIAS (`lg-writer-1`), WRITEFREELY_PASSWORD.
 * info: aliases[3], collection ('lg-writer-1'), postIds[2] (in the blog), postSlugs[2], draftId, version, dataDir.
 */
export async function startWriteFreely(): Promise<ForeignServer> {
  const binary = foreignBinary('writefreely');
  const installDir = dirname(binary.path);
  for (const sub of ['templates', 'pages', 'static']) {
    if (!existsSync(join(installDir, sub))) {
      throw new ForeignServerError(
        `writefreely ${binary.version} has no ${sub}/ in ${installDir}: run \`bash scripts/foreign-servers.sh\``,
      );
    }
  }
  const dir = await tempDir('writefreely');
  let wf: Proc | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (wf) await stopProc(wf, 'SIGTERM');
    await removeDir(dir);
  };
  try {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const config = join(dir, 'config.ini');
    await writeFile(config, writeFreelyConfig(dir, installDir, port));
    // Go's HTTP client sends everything but loopback through these: an outward request that some
    // code path might still make goes to a closed loopback port instead of the network.
    const env = { HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9' };
    await runToEnd('writefreely keys generate', binary.path, ['-c', config, 'keys', 'generate'], { cwd: dir, env });
    await runToEnd('writefreely db init', binary.path, ['-c', config, 'db', 'init'], { cwd: dir, env });
    wf = spawnOwned('writefreely', binary.path, ['-c', config, 'serve'], { cwd: dir, env });
    await waitUntil(`WriteFreely answers ${baseUrl}/.well-known/nodeinfo`, [wf], () => answers(`${baseUrl}/.well-known/nodeinfo`));

    const password = specialPassword('Wf');
    const aliases: string[] = [];
    const tokens: string[] = [];
    for (let i = 1; i <= WRITEFREELY_WRITERS; i++) {
      const signup = await call<WfAnswer<WfSignup>>(baseUrl, 'POST', '/api/auth/signup', {
        body: { alias: `lg-writer-${i}`, pass: password },
        expect: 201,
      });
      aliases.push(signup.data.user.username);
      tokens.push(signup.data.access_token);
    }
    const collection = aliases[0] as string;
    const asFirst = { authorization: `Token ${tokens[0]}` };
    const postIds: string[] = [];
    const postSlugs: string[] = [];
    // Dated a minute back: WriteFreely on SQLite stores `created` with its fraction of a second and
    // lists (and counts) a blog's posts with `created <= strftime('%Y-%m-%d %H:%M:%S','now')`, a
    // string comparison, so a post stays out of its blog until the next whole second.
    const createdAgo = (s: number) => `${new Date(Date.now() - s * 1000).toISOString().slice(0, 19)}Z`;
    for (let i = 1; i <= 2; i++) {
      const post = await call<WfAnswer<{ id: string; slug: string }>>(baseUrl, 'POST', `/api/collections/${collection}/posts`, {
        headers: asFirst,
        body: { title: `Post ${i}`, body: `Seeded post ${i}.`, created: createdAgo(60 - i) },
        expect: 201,
      });
      postIds.push(post.data.id);
      postSlugs.push(post.data.slug);
    }
    const draft = await call<WfAnswer<{ id: string }>>(baseUrl, 'POST', '/api/posts', {
      headers: asFirst,
      body: { title: 'Draft', body: 'A seeded draft, in no blog.' },
      expect: 201,
    });
    for (const token of tokens) {
      await call(baseUrl, 'DELETE', '/api/auth/me', { headers: { authorization: `Token ${token}` }, expect: 204 });
    }
    return {
      name: 'writefreely',
      baseUrl,
      env: { WRITEFREELY_ALIAS: collection, WRITEFREELY_PASSWORD: password },
      info: { version: binary.version, aliases, collection, postIds, postSlugs, draftId: draft.data.id, dataDir: dir },
      stop,
    };
  } catch (err) {
    return failStart(stop, err);
  }
}
