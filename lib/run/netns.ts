/**
 * Segments as separate hosts on one machine (`loadgate run --segments N --segments-netns HUB`):
 * each segment's k6 runs in a network namespace of its own, with an address of its own, on a
 * veth pair into HUB, the namespace that holds the target. The target then sees N distinct
 * clients, as it would with N load generators on N machines.
 *
 * Topology, per segment i (k = i − 1), in a /24 of 10.213.0.0/16 that HUB does not use:
 *
 *   HUB:           lg<tag>h<i>  10.213.X.(4k+1)/30  ─veth─  lg<tag>s<i>  10.213.X.(4k+2)/30  :lg-<tag>-<i>
 *   lg-<tag>-<i>:  route <target address>/32 dev lg<tag>s<i>
 *
 * The segment namespace dials the target's own address (the plan's base URL, unchanged), which
 * it routes over the veth pair; HUB answers for it as one of its local addresses. A loopback
 * target (127.0.0.1 in HUB) works too: the segment's loopback is up (its own address is
 * delivered through it) but without 127.0.0.1/8, so 127/8 is not local there, and
 * `route_localnet` on both veth ends lets 127/8 cross them. Nothing is added to the
 * namespace loadgate itself runs in: every address lives inside HUB or the segment namespaces,
 * and deleting a segment namespace deletes its veth pair, HUB's end included.
 *
 * k6's REST API listens on the segment's address, which only its namespace reaches: a relay in
 * each segment namespace serves it on a Unix socket (a path in the file system, so loadgate
 * reaches it from its own namespace) for live progress and the synchronised start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfraError, UsageError } from '../contract/errors.ts';
import { REFERENCE_API_HEADER } from '../shared/defaults.ts';
import type { PreflightResult } from './preflight.ts';

/** util-linux's setpriv: helpers started here die with loadgate, as k6 does. */
const SETPRIV = '/usr/bin/setpriv';
/** The private range segment addresses are taken from (one /24 per run, one /30 per segment). */
export const NETNS_PREFIX = '10.213';
/** A /24 holds 64 /30 subnets. */
export const MAX_NETNS_SEGMENTS = 64;
/** k6's REST API port inside each segment namespace (its address is the segment's own). */
const K6_API_PORT = 6565;

export interface NetnsSegment {
  index: number;
  namespace: string;
  /** The segment's own address: what the target sees as the client. */
  address: string;
  /** HUB's end of the veth pair. */
  hubAddress: string;
  hubInterface: string;
  segmentInterface: string;
  /** `--address` for this segment's k6 (inside its namespace). */
  k6ApiAddress: string;
  /** How loadgate reaches that API: `unix:<socket>` (see the relay). */
  apiClient: string;
  /** Run k6 under this (after setpriv): it execs k6 in place, inside the namespace. */
  wrap: string[];
}

export interface NetnsTopology {
  hub: string;
  subnet: string;
  targetAddress: string;
  segments: NetnsSegment[];
  /** The pre-flight, sent from the first segment's namespace (the target is not reachable from loadgate's). */
  preflight(baseUrl: string, path: string | null, timeoutMs?: number): Promise<PreflightResult>;
  /** Starts the API relays; resolves once each listens. */
  startRelays(): Promise<void>;
  /** Stops the relays and deletes the segment namespaces (and with them their veth pairs). Never throws. */
  teardown(): Promise<void>;
}

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  error: NodeJS.ErrnoException | null;
}

function exec(cmd: string, args: readonly string[], timeoutMs = 15_000): Promise<Exec> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, stdout, stderr, error }));
    child.once('close', (code) => resolve({ code, stdout, stderr, error: null }));
  });
}

/** iproute2's `ip`, where Debian puts it, else from PATH. */
function ipCommand(): string {
  for (const p of ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip']) if (existsSync(p)) return p;
  return 'ip';
}

/**
 * The target's address as the segment namespaces must route it: an IPv4 literal, or `localhost`
 * (127.0.0.1). A name would be resolved inside each namespace, which has no resolver.
 */
export function targetAddressOf(baseUrl: string): string {
  const host = new URL(baseUrl).hostname;
  if (host === 'localhost') return '127.0.0.1';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) && host.split('.').every((o) => Number(o) <= 255)) return host;
  throw new UsageError(
    `--segments-netns needs the target as an IPv4 address (or localhost) inside the target's namespace, got "${host}": ` +
      'each segment namespace routes that address over its veth pair and has no name resolver',
  );
}

/** Addresses of segment k (0-based) in 10.213.X.0/24. */
export function segmentAddresses(third: number, k: number): { hub: string; segment: string } {
  if (k < 0 || k >= MAX_NETNS_SEGMENTS) throw new Error(`segment ${k} is outside a /24 of /30s`);
  return { hub: `${NETNS_PREFIX}.${third}.${4 * k + 1}`, segment: `${NETNS_PREFIX}.${third}.${4 * k + 2}` };
}

/** The namespace and interface names of segment i (1-based) of a run whose tag is `tag` (6 hex digits). */
export function netnsNames(tag: string, i: number): { namespace: string; hubInterface: string; segmentInterface: string } {
  // Interface names stop at 15 characters: lg + 6 + h/s + up to 2 digits.
  return { namespace: `lg-${tag}-${i}`, hubInterface: `lg${tag}h${i}`, segmentInterface: `lg${tag}s${i}` };
}

const RELAY = `
const net = require('node:net');
const fs = require('node:fs');
const [sock, host, port] = process.argv.slice(1);
try { fs.unlinkSync(sock); } catch {}
net.createServer((c) => {
  const up = net.connect(Number(port), host);
  c.pipe(up).pipe(c);
  const end = () => { c.destroy(); up.destroy(); };
  c.on('error', end); up.on('error', end); c.on('close', end); up.on('close', end);
}).listen(sock, () => process.stdout.write('ready\\n'));
`;

const PREFLIGHT = `
const http = require('node:http');
const [url, timeoutMs, header] = process.argv.slice(1);
const started = performance.now();
let done = false;
const say = (o) => { if (!done) { done = true; process.stdout.write(JSON.stringify(o)); } };
const req = http.request(url, { method: 'GET', timeout: Number(timeoutMs) }, (res) => {
  res.resume();
  say({ status: res.statusCode || 0, ms: performance.now() - started, reference: res.headers[header] === 'loadgate' });
});
req.on('timeout', () => { say({ error: 'no answer within ' + timeoutMs + ' ms' }); req.destroy(); });
req.on('error', (e) => say({ error: e.code || e.message }));
req.end();
`;

/**
 * Creates the segment namespaces and their veth pairs into `hub`. Fails before creating anything
 * when `ip` is missing, `hub` does not exist, or the rights are lacking, with what is missing.
 */
export async function setupNetns(o: {
  hub: string;
  count: number;
  baseUrl: string;
  tag: string;
  log: (l: string) => void;
}): Promise<NetnsTopology> {
  if (o.count > MAX_NETNS_SEGMENTS) {
    throw new UsageError(`--segments-netns takes at most ${MAX_NETNS_SEGMENTS} segments (one /30 each in a /24), got ${o.count}`);
  }
  if (!/^[0-9a-f]{6}$/.test(o.tag)) throw new Error(`netns tag must be 6 hex digits, got ${o.tag}`);
  const targetAddress = targetAddressOf(o.baseUrl);
  const loopback = targetAddress.startsWith('127.');
  const ip = ipCommand();

  const list = await exec(ip, ['netns', 'list']);
  if (list.error?.code === 'ENOENT') {
    throw new InfraError("--segments-netns needs iproute2's `ip`, which is not installed: apt-get install iproute2");
  }
  const names = list.stdout.split('\n').map((l) => l.split(' ')[0]);
  if (!names.includes(o.hub)) {
    throw new UsageError(
      `network namespace "${o.hub}" does not exist (ip netns list: ${names.filter(Boolean).join(', ') || 'none'}): ` +
        `create it and start the target inside it, e.g. \`ip netns add ${o.hub}; ip -n ${o.hub} link set lo up; ip netns exec ${o.hub} node bin/loadgate.js target --profile phase3 --port 8080\``,
    );
  }

  // A /24 the hub does not already use.
  const used = await exec(ip, ['-n', o.hub, '-o', '-4', 'addr', 'show']);
  let third = Number.parseInt(o.tag.slice(0, 2), 16);
  for (let tries = 0; used.stdout.includes(` ${NETNS_PREFIX}.${third}.`) && tries < 256; tries++) third = (third + 1) % 256;

  const segments: NetnsSegment[] = [];
  const created: string[] = [];
  const relays: ChildProcess[] = [];
  const sockets = await mkdtemp(join(tmpdir(), `loadgate-netns-${o.tag}-`));
  let tornDown = false;

  const teardown = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    for (const r of relays) if (r.exitCode === null) r.kill('SIGTERM');
    for (const ns of created.reverse()) {
      const r = await exec(ip, ['netns', 'del', ns]);
      if (r.code !== 0) o.log(`warning: could not delete network namespace ${ns}: ${r.stderr.trim()}`);
    }
    await rm(sockets, { recursive: true, force: true });
  };

  const run = async (args: string[], what: string): Promise<void> => {
    const r = await exec(ip, args);
    if (r.code === 0) return;
    const said = (r.stderr || r.error?.message || '').trim();
    if (/Operation not permitted|Permission denied/i.test(said)) {
      throw new InfraError(
        `--segments-netns needs the rights to create network namespaces and veth pairs (root, or CAP_SYS_ADMIN and CAP_NET_ADMIN): ` +
          `\`ip ${args.join(' ')}\` said: ${said}`,
      );
    }
    throw new InfraError(`--segments-netns: could not ${what}: \`ip ${args.join(' ')}\` said: ${said || `exit ${r.code}`}`);
  };

  try {
    for (let i = 1; i <= o.count; i++) {
      const n = netnsNames(o.tag, i);
      const a = segmentAddresses(third, i - 1);
      await run(['netns', 'add', n.namespace], `create the namespace of segment ${i}`);
      created.push(n.namespace);
      // Created straight inside the two namespaces: no interface ever exists in loadgate's own.
      await run(
        ['link', 'add', n.hubInterface, 'netns', o.hub, 'type', 'veth', 'peer', 'name', n.segmentInterface, 'netns', n.namespace],
        `create the veth pair of segment ${i}`,
      );
      await run(['-n', o.hub, 'addr', 'add', `${a.hub}/30`, 'dev', n.hubInterface], `address ${o.hub}'s end of segment ${i}`);
      await run(['-n', o.hub, 'link', 'set', n.hubInterface, 'up'], `bring up ${o.hub}'s end of segment ${i}`);
      await run(['-n', n.namespace, 'addr', 'add', `${a.segment}/30`, 'dev', n.segmentInterface], `address segment ${i}`);
      await run(['-n', n.namespace, 'link', 'set', n.segmentInterface, 'up'], `bring up segment ${i}`);
      // Traffic to the namespace's own address (k6's REST API, for the relay) goes through its loopback.
      await run(['-n', n.namespace, 'link', 'set', 'lo', 'up'], `bring up the loopback of segment ${i}`);
      if (loopback) {
        // …without 127.0.0.1/8, so that the target's 127.x address is routed to HUB, not kept here.
        await run(['-n', n.namespace, 'addr', 'del', '127.0.0.1/8', 'dev', 'lo'], `take 127.0.0.1/8 off the loopback of segment ${i}`);
        // 127/8 may cross these two interfaces only (both ends, in the two namespaces).
        for (const [ns, dev] of [
          [o.hub, n.hubInterface],
          [n.namespace, n.segmentInterface],
        ] as const) {
          await run(
            ['netns', 'exec', ns, 'sh', '-c', `echo 1 > /proc/sys/net/ipv4/conf/${dev}/route_localnet`],
            `set route_localnet on ${dev}`,
          );
        }
      }
      await run(
        ['-n', n.namespace, 'route', 'add', `${targetAddress}/32`, 'dev', n.segmentInterface],
        `route the target from segment ${i}`,
      );
      segments.push({
        index: i,
        namespace: n.namespace,
        address: a.segment,
        hubAddress: a.hub,
        hubInterface: n.hubInterface,
        segmentInterface: n.segmentInterface,
        k6ApiAddress: `${a.segment}:${K6_API_PORT}`,
        apiClient: `unix:${join(sockets, `k6-${i}.sock`)}`,
        wrap: [ip, 'netns', 'exec', n.namespace],
      });
    }
  } catch (err) {
    await teardown();
    throw err;
  }
  o.log(`network namespaces: ${segments.map((s) => `${s.namespace} (${s.address})`).join(', ')} → ${o.hub} (target ${targetAddress})`);

  const inNetns = (ns: string, argv: string[], pdeathsig: string) =>
    existsSync(SETPRIV)
      ? spawn(SETPRIV, ['--pdeathsig', pdeathsig, '--', ip, 'netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(ip, ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });

  return {
    hub: o.hub,
    subnet: `${NETNS_PREFIX}.${third}.0/24`,
    targetAddress,
    segments,
    teardown,
    async startRelays() {
      await Promise.all(
        segments.map(
          (s) =>
            new Promise<void>((resolve, reject) => {
              const [host, port] = [s.k6ApiAddress.slice(0, s.k6ApiAddress.lastIndexOf(':')), String(K6_API_PORT)];
              const child = inNetns(s.namespace, [process.execPath, '-e', RELAY, s.apiClient.slice('unix:'.length), host, port], 'SIGTERM');
              relays.push(child);
              let err = '';
              child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
              child.stdout?.once('data', () => resolve());
              child.once('error', reject);
              child.once('exit', (code) => reject(new InfraError(`the k6 API relay of ${s.namespace} exited (${code}): ${err.trim()}`)));
            }),
        ),
      );
    },
    async preflight(baseUrl, path, timeoutMs = 5000) {
      const url = baseUrl.replace(/\/+$/, '') + (path ?? '/');
      const first = segments[0] as NetnsSegment;
      const child = inNetns(
        first.namespace,
        [process.execPath, '-e', PREFLIGHT, url, String(timeoutMs), REFERENCE_API_HEADER.toLowerCase()],
        'SIGKILL',
      );
      let out = '';
      let err = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      await new Promise<void>((resolve) => child.once('close', () => resolve()));
      let answer: { status?: number; ms?: number; reference?: boolean; error?: string } = {};
      try {
        answer = JSON.parse(out) as typeof answer;
      } catch {
        answer = { error: err.trim() || 'no answer from the pre-flight' };
      }
      if (answer.error !== undefined || answer.status === undefined) {
        throw new InfraError(
          `the target ${url} does not answer from network namespace ${first.namespace} (${answer.error ?? 'no status'}): no load was sent; ` +
            `is the target listening on ${targetAddress} inside ${o.hub}?`,
        );
      }
      return { url, status: answer.status, ms: answer.ms ?? 0, referenceApi: answer.reference === true };
    },
  };
}
