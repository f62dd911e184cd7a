/**
 * The generator sampler: /proc parsing, the sums over a process tree (on a fake /proc, with an
 * injected clock), and the CPU time it measures against what a real process says it used.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../contract/errors.ts';
import { clockTicks, GeneratorSampler, parseRss, parseStat, readGeneratorFile } from './generator.ts';
import { GENERATOR_FILE } from '../contract/run.ts';

/** A /proc/<pid>/stat line: fields 3… after the name, utime and stime at 14 and 15. */
const stat = (pid: number, name: string, utime: number, stime: number) =>
  `${pid} (${name}) S 1 ${pid} ${pid} 0 -1 4194304 100 0 0 0 ${utime} ${stime} 0 0 20 0 12 0 1000 2000000 3000 18446744073709551615\n`;
const status = (name: string, rssKb: number) => `Name:\t${name}\nState:\tS (sleeping)\nVmRSS:\t  ${rssKb} kB\nThreads:\t12\n`;

async function fakeProcess(
  proc: string,
  pid: number,
  o: { name: string; utime: number; stime: number; rssKb: number; children?: number[] },
) {
  await mkdir(join(proc, String(pid), 'task', String(pid)), { recursive: true });
  await writeFile(join(proc, String(pid), 'stat'), stat(pid, o.name, o.utime, o.stime));
  await writeFile(join(proc, String(pid), 'status'), status(o.name, o.rssKb));
  await writeFile(join(proc, String(pid), 'task', String(pid), 'children'), (o.children ?? []).map((c) => `${c} `).join(''));
}

describe('/proc parsing', () => {
  it('reads utime + stime after the last parenthesis, whatever the name holds', () => {
    expect(parseStat(stat(42, 'k6', 150, 25))).toEqual({ name: 'k6', ticks: 175 });
    expect(parseStat(stat(42, 'we) ird (name', 7, 3))).toEqual({ name: 'we) ird (name', ticks: 10 });
    expect(parseStat('garbage')).toBeNull();
    expect(parseRss(status('k6', 146_000))).toBe(146_000 * 1024);
    expect(parseRss('Name:\tkthreadd\nState:\tS\n')).toBe(0);
    expect(clockTicks()).toBeGreaterThan(0);
  });
});

describe('GeneratorSampler', () => {
  it('sums CPU deltas and RSS over k6 and its descendants, as a share of the cores', async () => {
    const proc = await mkdtemp(join(tmpdir(), 'loadgate-proc-'));
    const out = await mkdtemp(join(tmpdir(), 'loadgate-gen-'));
    try {
      let now = 10_000;
      const hz = clockTicks();
      const s = new GeneratorSampler({ file: join(out, GENERATOR_FILE), intervalMs: 1e9, cores: 2, proc, now: () => now, log: () => {} });
      await fakeProcess(proc, 500, { name: 'k6', utime: 0, stime: 0, rssKb: 100_000, children: [501] });
      await fakeProcess(proc, 501, { name: 'helper', utime: 0, stime: 0, rssKb: 1_000 });
      s.add(500);
      // 500 ms later: k6 used 0.6 s of CPU and its child 0.2 s, 0.8 s of the 1 s two cores have: 80 %.
      await fakeProcess(proc, 500, { name: 'k6', utime: 0.5 * hz, stime: 0.1 * hz, rssKb: 140_000, children: [501] });
      await fakeProcess(proc, 501, { name: 'helper', utime: 0.2 * hz, stime: 0, rssKb: 2_000 });
      now += 500;
      await s.sampleOnce();
      // Another 500 ms: only k6 worked, 0.9 s more: 90 %.
      await fakeProcess(proc, 500, { name: 'k6', utime: 1.3 * hz, stime: 0.2 * hz, rssKb: 150_000, children: [501] });
      now += 500;
      await s.sampleOnce();
      // k6 ended: nothing to read, no sample.
      await rm(join(proc, '500'), { recursive: true });
      now += 500;
      await s.sampleOnce();
      const f = await s.stop();
      expect(f).not.toBeNull();
      expect(f?.samples).toEqual([
        { t: 10_500, dt: 500, cpu: 0.8, rss: 142_000 * 1024 },
        { t: 11_000, dt: 500, cpu: 0.9, rss: 152_000 * 1024 },
      ]);
      expect(f?.processes).toEqual([
        { pid: 500, name: 'k6', segment: null },
        { pid: 501, name: 'helper', segment: null },
      ]);
      expect(f).toMatchObject({ kind: 'loadgate.generator', version: 1, cores: 2, clockTicks: hz });
      // Written where it was told, and read back by the one reader.
      expect(await readGeneratorFile(out)).toEqual(f);
    } finally {
      await rm(proc, { recursive: true, force: true });
      await rm(out, { recursive: true, force: true });
    }
  });

  it('writes nothing without a sample; the reader says null for a missing file and names a bad one', async () => {
    const out = await mkdtemp(join(tmpdir(), 'loadgate-gen-'));
    try {
      const s = new GeneratorSampler({ file: join(out, GENERATOR_FILE), proc: join(out, 'no-proc'), log: () => {} });
      s.add(123_456);
      await s.sampleOnce();
      expect(await s.stop()).toBeNull();
      expect(await readGeneratorFile(out)).toBeNull();
      await writeFile(join(out, GENERATOR_FILE), '{"kind":"loadgate.generator","version":2}');
      await expect(readGeneratorFile(out)).rejects.toThrow(DataError);
      await expect(readGeneratorFile(out)).rejects.toThrow(
        `${join(out, GENERATOR_FILE)} is a generator file of format version 2; this loadgate reads version 1.`,
      );
      await writeFile(join(out, GENERATOR_FILE), '{"kind":"loadgate.generator","version":1,"cores":0}');
      await expect(readGeneratorFile(out)).rejects.toThrow(`${join(out, GENERATOR_FILE)} is not a valid generator file: cores: `);
      await writeFile(join(out, GENERATOR_FILE), '{"kind":');
      await expect(readGeneratorFile(out)).rejects.toThrow(`${join(out, GENERATOR_FILE)} is not valid JSON: `);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it("records when k6's scenarios started: between the last poll that said no and the first that said yes", async () => {
    const out = await mkdtemp(join(tmpdir(), 'loadgate-proc-'));
    try {
      await fakeProcess(out, 600, { name: 'k6', utime: 1, stime: 1, rssKb: 50_000 });
      let startAt = Number.POSITIVE_INFINITY;
      const s = new GeneratorSampler({
        file: null,
        intervalMs: 1e9,
        proc: out,
        log: () => {},
        loadStarted: async () => Date.now() >= startAt,
      });
      const added = Date.now();
      s.add(600);
      startAt = added + 350;
      await new Promise((r) => setTimeout(r, 700));
      await s.sampleOnce();
      const f = await s.stop();
      const at = f?.loadStartedAt ?? 0;
      // Polled every 100 ms: within a poll of the moment it said yes (timers on a busy machine run late, never early).
      expect(at).toBeGreaterThanOrEqual(added + 250);
      expect(at).toBeLessThan(added + 650);
      // Never asked: not recorded.
      // (Its clock moves 500 ms between add() and the reading: within one millisecond there is no interval to report.)
      let clock = 50_000;
      const none = new GeneratorSampler({ file: null, intervalMs: 1e9, proc: out, now: () => clock, log: () => {} });
      none.add(600);
      clock += 500;
      await none.sampleOnce();
      expect((await none.stop())?.loadStartedAt).toBeNull();
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('on the real /proc, the CPU time it counts is the CPU time the process used', async () => {
    // A Node child busy for 1.2 s, then idle for 1.2 s (so the last, lost interval holds no work), printing its own CPU time.
    const script =
      'const end = Date.now() + 1200; while (Date.now() < end); const u = process.cpuUsage(); ' +
      'setTimeout(() => { const v = process.cpuUsage(); console.log(JSON.stringify({ busyMs: (u.user + u.system) / 1000, totalMs: (v.user + v.system) / 1000 })); }, 1200);';
    const s = new GeneratorSampler({ file: null, intervalMs: 100, log: () => {} });
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    s.add(child.pid as number);
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    await new Promise((resolve) => child.once('close', resolve));
    const f = await s.stop();
    const used = JSON.parse(text) as { busyMs: number; totalMs: number };
    const counted = (f?.samples ?? []).reduce((n, x) => n + x.cpu * x.dt * (f?.cores ?? 1), 0);
    expect(f?.processes[0]?.name).toBe('node');
    // Ticks are 10 ms, every sample rounds down one; the child's last ~100 ms (idle) may be lost.
    expect(counted).toBeGreaterThan(used.busyMs * 0.85);
    expect(counted).toBeLessThan(used.totalMs * 1.1 + 20);
    expect(Math.max(...(f?.samples ?? []).map((x) => x.rss))).toBeGreaterThan(10e6);
    // The share of all cores is never above 1 (one busy thread is at most 1 / cores of them, give or take a tick).
    for (const x of f?.samples ?? []) expect(x.cpu).toBeLessThanOrEqual(1);
  });
});
