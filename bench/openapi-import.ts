/**
 * `loadgate init --openapi` end to end on a large real document: HashiCorp Vault's OpenAPI 3.0
 * description (1049 operations, 1.6 MB of JSON; test/fixtures/openapi/), as a user runs it: a new
 * Node process that loads the CLI and the parser, reads and parses the file, validates and
 * dereferences it, maps it and writes the YAML. Goal: under 5 s. SendGrid's 3.1 description (334
 * operations) runs beside it, and `loadgate --help` shows how much of the whole is starting the CLI.
 *
 * Rounds interleave the three commands (the order rotates each round, so none always runs on a
 * warmer machine); the median and the spread (min–max) of each are printed, with peak RSS (GNU
 * time), the operations mapped and init's own split of the time. Exit 1 when the goal is missed.
 *
 *   npm run bench:openapi            (ROUNDS=5 by default)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

const ROOT = resolve(import.meta.dirname, '..');
const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const GOAL_MS = 5000;
const TIME = '/usr/bin/time';

interface Sample {
  ms: number;
  rssMiB: number;
  stderr: string;
}

/** `node bin/loadgate.js …` under GNU time (when installed); wall time from spawn to exit. */
function loadgate(args: string[]): Promise<Sample> {
  const withTime = existsSync(TIME);
  const [cmd, argv] = withTime
    ? [TIME, ['-f', 'MAXRSS_KB=%M', process.execPath, join(ROOT, 'bin/loadgate.js'), ...args]]
    : [process.execPath, [join(ROOT, 'bin/loadgate.js'), ...args]];
  const t0 = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', fail);
    child.once('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) return fail(new Error(`loadgate ${args.join(' ')} exited ${code}:\n${stderr}`));
      done({ ms, rssMiB: Number(/MAXRSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN) / 1024, stderr });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const dir = await mkdtemp(join(tmpdir(), 'loadgate-bench-openapi-'));
try {
  const docs = {
    vault: { gz: 'hashicorp-vault/openapi.json.gz', file: join(dir, 'vault.json') },
    sendgrid: { gz: 'sendgrid/oai_v3_stoplight.json.gz', file: join(dir, 'sendgrid.json') },
  };
  for (const d of Object.values(docs)) await writeFile(d.file, gunzipSync(await readFile(join(ROOT, 'test/fixtures/openapi', d.gz))));

  const cases: Record<string, string[]> = {
    vault: ['init', '--openapi', docs.vault.file, '--out', join(dir, 'vault.yaml'), '--force'],
    sendgrid: ['init', '--openapi', docs.sendgrid.file, '--out', join(dir, 'sendgrid.yaml'), '--force'],
    '--help': ['--help'],
  };
  const names = Object.keys(cases);
  // A first, untimed run: builds the CLI bundle if a source changed (bin/loadgate.js does that on start).
  await loadgate(cases['vault'] as string[]);

  const samples: Record<string, Sample[]> = Object.fromEntries(names.map((n) => [n, []]));
  console.log(`loadgate init --openapi, ${ROUNDS} rounds interleaved (order rotates each round):`);
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length] as string);
    const line: string[] = [];
    for (const name of order) {
      const s = await loadgate(cases[name] as string[]);
      samples[name]?.push(s);
      line.push(`${name} ${sec(s.ms)}`);
    }
    console.log(`  round ${r + 1}: ${line.join(', ')}`);
  }

  console.log('medians (spread min–max), peak RSS:');
  for (const name of names) {
    const xs = (samples[name] ?? []).map((s) => s.ms);
    const rss = median((samples[name] ?? []).map((s) => s.rssMiB));
    const last = samples[name]?.at(-1)?.stderr ?? '';
    const ops = /operations (\d+) found, (\d+) mapped.*?, (\d+) skipped/.exec(last);
    const split = /time +[\d.]+ s \((.*)\)/.exec(last)?.[1];
    const what = ops
      ? `; operations ${ops[1]} found, ${ops[2]} mapped, ${ops[3]} skipped; in process: ${split}`
      : ' (Node start and CLI load)';
    console.log(
      `  ${name.padEnd(9)} ${sec(median(xs))} (${sec(Math.min(...xs))}–${sec(Math.max(...xs))}), ${Number.isNaN(rss) ? 'RSS n/a' : `${rss.toFixed(0)} MiB`}${what}`,
    );
  }
  const vault = median((samples['vault'] ?? []).map((s) => s.ms));
  const ok = vault < GOAL_MS;
  console.log(`goal: loadgate init on Vault (1049 operations) under ${sec(GOAL_MS)}: ${ok ? 'met' : 'MISSED'} (median ${sec(vault)})`);
  process.exitCode = ok ? 0 : 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
