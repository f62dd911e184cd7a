/**
 * For test/faults/before-load.test.ts, run inside `unshare -n` (a network namespace of its own,
 * which no packet leaves): gives the namespace's loopback interface a non-loopback address
 * (TEST-NET-1, 192.0.2.0/24, documentation only), serves the reference API there through a TCP
 * relay (the API itself listens on loopback only), then runs `loadgate ARGS…` with `{target}`
 * replaced by that address's URL, and exits with its exit code.
 *
 *   unshare -n node --import tsx test/faults/isolated-target.ts 192.0.2.1 run --target {target} …
 */
import { spawn, spawnSync } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startTarget } from '../../reference-api/server.ts';

const [address, ...args] = process.argv.slice(2);
if (!address || args.length === 0) throw new Error('usage: isolated-target.ts ADDRESS LOADGATE-ARGS…');
// Only in a namespace of our own: refuse to touch a network that has any interface beyond lo.
const links = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout.trim().split('\n');
if (links.length !== 1 || !/: lo:/.test(links[0] ?? '')) throw new Error(`not in an empty network namespace: ${links.join(' | ')}`);
for (const cmd of [
  ['link', 'set', 'lo', 'up'],
  ['addr', 'add', `${address}/32`, 'dev', 'lo'],
]) {
  const r = spawnSync('ip', cmd, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${cmd.join(' ')}: ${r.stderr}`);
}

const target = await startTarget({ profile: 'phase3', port: 0 });
const apiPort = Number(new URL(target.url).port);
const relay = createServer((client) => {
  const upstream = connect(apiPort, '127.0.0.1');
  client.pipe(upstream).pipe(client);
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
});
await new Promise<void>((resolve) => relay.listen(0, address, resolve));
const url = `http://${address}:${(relay.address() as AddressInfo).port}`;

const child = spawn(
  process.execPath,
  [join(import.meta.dirname, '../../bin/loadgate.js'), ...args.map((a) => a.replaceAll('{target}', url))],
  {
    stdio: 'inherit',
  },
);
const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
relay.close();
await target.close();
process.exit(code ?? 1);
