/** The reference API (phase3) in a process of its own, for the benches: its URL, and a stop. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../lib/root.ts';

export async function startTargetProcess(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/loadgate.js'), 'target', '--profile', 'phase3', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(buf);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`target exited with ${code}`)));
    setTimeout(() => reject(new Error('target did not start within 20 s')), 20_000);
  });
  return { url, stop: () => child.kill('SIGTERM') };
}
