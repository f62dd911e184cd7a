/**
 * The load generator's own health: k6's CPU and memory, sampled from /proc while it runs and
 * kept in `<run-dir>/generator.json` (GeneratorFileSchema). A k6 that uses every core delays
 * its own requests and timers: its latencies then measure the generator, not the API. The
 * verdict judges the samples per load stage (lib/verdict/generator.ts).
 *
 * The pid loadgate gets at spawn is k6's: setpriv (the parent-death signal) and `ip netns exec`
 * (--segments-netns) both exec their command in place. Anything k6 (or a wrapper given as
 * LOADGATE_K6) starts is sampled too, through /proc/<pid>/task/<pid>/children.
 *
 * Linux only: where /proc has no such files nothing is sampled and no file is written. A
 * sampler that fails never fails the run.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { GeneratorFile, GeneratorSample } from '../contract/run.ts';
import { RUN_FILES, RunDir, writeRunFile } from '../contract/run-dir.ts';

/** Every 500 ms: a stage of a few seconds still gets enough samples for its share to mean something. */
export const GENERATOR_INTERVAL_MS = 500;

let ticks: number | null = null;

/** Kernel clock ticks per second (`getconf CLK_TCK`), 100 on every common Linux when getconf is missing. */
export function clockTicks(): number {
  if (ticks !== null) return ticks;
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    ticks = Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    ticks = 100;
  }
  return ticks;
}

/**
 * /proc/<pid>/stat → command name and CPU ticks (utime + stime, fields 14 and 15). The name is
 * in parentheses and may hold spaces and parentheses itself: the fields start after the last `)`.
 */
export function parseStat(text: string): { name: string; ticks: number } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  // After ") ": field 3 (state) is index 0, so utime (14) is 11 and stime (15) is 12.
  const fields = text.slice(close + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return { name: text.slice(open + 1, close), ticks: utime + stime };
}

/** /proc/<pid>/status → VmRSS in bytes (0 for a zombie or a kernel thread, which have none). */
export function parseRss(text: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

interface Reading {
  name: string;
  ticks: number;
  rss: number;
}

async function readProcess(proc: string, pid: number): Promise<Reading | null> {
  try {
    const [stat, status] = await Promise.all([readFile(`${proc}/${pid}/stat`, 'utf8'), readFile(`${proc}/${pid}/status`, 'utf8')]);
    const s = parseStat(stat);
    return s === null ? null : { ...s, rss: parseRss(status) };
  } catch {
    // Ended between two samples (or never was).
    return null;
  }
}

async function childrenOf(proc: string, pid: number): Promise<number[]> {
  try {
    const text = await readFile(`${proc}/${pid}/task/${pid}/children`, 'utf8');
    return text
      .split(' ')
      .filter((x) => x.trim() !== '')
      .map(Number);
  } catch {
    return [];
  }
}

export interface SamplerOptions {
  /** Where to keep the samples: rewritten atomically every `flushMs` and at the end. */
  file: string | null;
  intervalMs?: number;
  flushMs?: number;
  cores?: number;
  /** The /proc to read (tests). */
  proc?: string;
  /**
   * Have k6's scenarios started (after VU initialisation and setup())? Polled every 100 ms until
   * it says yes: the origin of the stage windows (`loadStartedAt`). Absent: not recorded.
   */
  loadStarted?: () => Promise<boolean>;
  now?: () => number;
  log: (line: string) => void;
}

/** Samples the k6 processes it is given (and their descendants) until stopped. */
export class GeneratorSampler {
  private readonly intervalMs: number;
  private readonly cores: number;
  private readonly proc: string;
  private readonly now: () => number;
  private readonly roots = new Map<number, number | null>();
  /** CPU ticks at the last reading, per pid: a pid first seen counts from 0 (it started within the interval). */
  private readonly lastTicks = new Map<number, number>();
  private readonly names = new Map<number, { name: string; segment: number | null }>();
  private readonly samples: GeneratorSample[] = [];
  private last: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private flusher: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();
  private warned = false;
  private loadStartedAt: number | null = null;
  private prober: NodeJS.Timeout | null = null;

  constructor(private readonly o: SamplerOptions) {
    this.intervalMs = o.intervalMs ?? GENERATOR_INTERVAL_MS;
    this.cores = o.cores ?? availableParallelism();
    this.proc = o.proc ?? '/proc';
    this.now = o.now ?? Date.now;
  }

  /** A k6 process was spawned (`segment`: its index in a segmented run). Sampling starts with the first. */
  add(pid: number, segment: number | null = null): void {
    this.roots.set(pid, segment);
    this.names.set(pid, { name: '?', segment });
    if (this.timer !== null) return;
    this.last = this.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    if (this.o.file !== null) this.flusher = setInterval(() => void this.flush(), this.o.flushMs ?? 5000);
    if (this.o.loadStarted) this.probe(this.o.loadStarted, this.now());
  }

  /** Polls `started` every 100 ms (one poll at a time) until it says yes; the start is between the last no and the yes. */
  private probe(started: () => Promise<boolean>, since: number): void {
    this.prober = setTimeout(() => {
      void (async () => {
        const asked = this.now();
        const yes = await started().catch(() => false);
        if (this.prober === null) return;
        if (yes) {
          this.loadStartedAt = Math.round((since + this.now()) / 2);
          this.prober = null;
        } else this.probe(started, asked);
      })();
    }, 100);
  }

  private tick(): void {
    this.busy = this.busy.then(() => this.sampleOnce()).catch((err: unknown) => this.warn(err));
  }

  private warn(err: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.o.log(`warning: generator samples: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** One reading of every process (the timer's; public for tests). */
  async sampleOnce(): Promise<void> {
    const seen = new Set<number>();
    let todo = [...this.roots.keys()];
    let cpuTicks = 0;
    let rss = 0;
    let alive = 0;
    while (todo.length > 0) {
      const next: number[] = [];
      for (const pid of todo) {
        if (seen.has(pid)) continue;
        seen.add(pid);
        const [r, kids] = await Promise.all([readProcess(this.proc, pid), childrenOf(this.proc, pid)]);
        if (r === null) {
          // An ended k6 is not read again: its pid may go to another process.
          this.roots.delete(pid);
          continue;
        }
        alive++;
        cpuTicks += Math.max(0, r.ticks - (this.lastTicks.get(pid) ?? 0));
        this.lastTicks.set(pid, r.ticks);
        rss += r.rss;
        const known = this.names.get(pid);
        this.names.set(pid, { name: r.name, segment: known?.segment ?? null });
        next.push(...kids);
      }
      todo = next;
    }
    const t = this.now();
    const dt = t - (this.last ?? t);
    if (alive === 0 || dt <= 0) return;
    this.last = t;
    const cpuMs = (cpuTicks * 1000) / clockTicks();
    this.samples.push({ t, dt, cpu: round(cpuMs / (dt * this.cores)), rss });
  }

  /** What was sampled so far; null before the first sample. */
  snapshot(): GeneratorFile | null {
    if (this.samples.length === 0) return null;
    return {
      kind: 'loadgate.generator',
      version: 1,
      cores: this.cores,
      clockTicks: clockTicks(),
      intervalMs: this.intervalMs,
      loadStartedAt: this.loadStartedAt,
      processes: [...this.names].map(([pid, p]) => ({ pid, name: p.name, segment: p.segment })),
      samples: [...this.samples],
    };
  }

  private async flush(): Promise<void> {
    if (this.o.file === null) return;
    const data = this.snapshot();
    if (data === null) return;
    try {
      await writeGeneratorFile(this.o.file, data);
    } catch (err) {
      this.warn(err);
    }
  }

  /** Stops sampling (k6 has ended: its last interval is gone with it) and writes the file; returns what it holds. */
  async stop(): Promise<GeneratorFile | null> {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.flusher !== null) clearInterval(this.flusher);
    if (this.prober !== null) clearTimeout(this.prober);
    this.timer = null;
    this.flusher = null;
    this.prober = null;
    await this.busy;
    await this.flush();
    return this.snapshot();
  }
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** Writes generator.json through the contract's spec, atomically: it is rewritten while the run goes. */
export async function writeGeneratorFile(file: string, data: GeneratorFile): Promise<void> {
  await writeRunFile(RUN_FILES.generator, file, data);
}

/**
 * A run directory's generator.json, read with the run files' policy (lib/contract/run-dir.ts):
 * null when there is none (a run from before it, a k6 run elsewhere analysed here, a system
 * without /proc); a RunFileError naming the file when it does not read as one.
 */
export async function readGeneratorFile(runDir: string): Promise<GeneratorFile | null> {
  return new RunDir(runDir).read(RUN_FILES.generator);
}
