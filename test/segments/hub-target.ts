/**
 * The reference API inside a network namespace, for test/segments/netns.test.ts: started with
 * `ip netns exec HUB node --import tsx test/segments/hub-target.ts PORT LOG`. It appends the
 * client address of every connection the API accepts to LOG (one per line): the reference API
 * keeps no access log of its own, so the hook is here, on its HTTP server's `connection` event.
 * Prints the URL once listening; closes on SIGTERM/SIGINT.
 */
import { appendFileSync } from 'node:fs';
import { Server } from 'node:http';
import { startTarget } from '../../reference-api/server.ts';

const [port, log] = process.argv.slice(2);
if (port === undefined || log === undefined) throw new Error('usage: hub-target.ts PORT LOG');

const emit = Server.prototype.emit;
Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'connection') appendFileSync(log, `${(args[0] as { remoteAddress?: string }).remoteAddress ?? '?'}\n`);
  return Reflect.apply(emit, this, [event, ...args]) as boolean;
} as typeof Server.prototype.emit;

const target = await startTarget({ profile: 'phase3', port: Number(port) });
process.stdout.write(`listening ${target.url}\n`);
const stop = async () => {
  await target.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
